"""`python -m dcopt`: the `dcopt` command."""

from .cli.main import run

run()
