"""The user's pager, for the UI (which runs no program itself: the editor adapter does)."""

from __future__ import annotations


def page(text: str, command: str) -> bool:
    """Show TEXT through the pager COMMAND; False when the pager failed (the text was not shown)."""
    from copart_cli.adapters.editor import page as run_pager

    return run_pager(text, command) == 0
