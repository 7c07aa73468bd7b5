"""The version of callscan (a leaf: imports nothing of the package)."""

__version__ = "0.2.0"
