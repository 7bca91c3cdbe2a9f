"""mighty: a command-line client for Mighty Networks."""

__version__ = "0.1.0"
