"""copart: keep and share what a Community of Practice knows."""

__version__ = "0.1.0"
