"""The version of reeplan (one home: the package, the store and reports read it here)."""

__version__ = "0.1.0"
