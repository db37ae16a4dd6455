"""The package version, in a module of its own so that any layer can import it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dcopt")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"
