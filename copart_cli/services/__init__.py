"""What copart does: one function per command, returning dataclasses for ui/ to render."""
