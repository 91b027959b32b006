"""Running the real CLI on a pseudo-terminal, as a person at a terminal does (stdin and stdout
are a tty, so copart opens editors, draws tables and pages long output)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import Partner, Result

SPAWN = ("import os, pty, sys; "
          "sys.exit(os.waitstatus_to_exitcode(pty.spawn([sys.executable, '-m', 'copart_cli', *sys.argv[1:]])))")


def on_terminal(partner: Partner, *args: str, cwd: Path, env: dict | None = None, timeout: float = 60) -> Result:
    """Exit code and what the terminal showed (a pty merges stderr into it), with the escapes
    rich writes left in when colour is asked for (NO_COLOR unset)."""
    proc = subprocess.run([sys.executable, "-c", SPAWN, *args], cwd=cwd, capture_output=True, text=True,
                          env={**partner.env, "TERM": "xterm", **(env or {})}, timeout=timeout)
    return Result(proc.returncode, proc.stdout.replace("\r\n", "\n"), proc.stderr)


def lines(text: str) -> list[str]:
    """The lines a person sees: styling escapes taken out, trailing blanks too."""
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in text.splitlines()]

