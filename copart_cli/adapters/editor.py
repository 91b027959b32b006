"""Opening the user's editor on a file ($VISUAL, then $EDITOR)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from copart_cli.core.errors import CopartError


def editor_command() -> list[str]:
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for fallback in ("nano", "vi"):
        from shutil import which

        if which(fallback):
            return [fallback]
    raise CopartError("no editor found", hint="set $EDITOR, or pass the text with --body or --body-file")


def edit_file(path: Path) -> None:
    cmd = editor_command()
    try:
        proc = subprocess.run([*cmd, str(path)])
    except FileNotFoundError:
        raise CopartError(f"editor '{cmd[0]}' not found", hint=f"your text is kept at {path}") from None
    if proc.returncode != 0:
        raise CopartError(f"editor exited with status {proc.returncode}", hint=f"your text is kept at {path}")
