"""The user's own terminal programs: the editor ($VISUAL, then $EDITOR) and the pager ($PAGER)."""

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


def page(text: str, command: str) -> int:
    """Pipe TEXT into the pager COMMAND (a shell command line, as $PAGER is); its exit status.
    Quitting before the end is no failure, and Ctrl-C belongs to the pager while it runs."""
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, errors="backslashreplace")
    try:
        with proc.stdin as pipe:
            pipe.write(text)
    except (OSError, KeyboardInterrupt):  # the reader quit early (a broken pipe), or Ctrl-C while writing
        pass
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
