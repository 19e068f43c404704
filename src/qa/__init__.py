"""qa: answers questions about country profiles on child online safety, citing the passages."""

__version__ = "0.1.0"
