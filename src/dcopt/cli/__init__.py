"""The `dcopt` command line: a thin layer of click commands over the Python API.

May import: anything; nothing imports it.
"""
