"""Kill copart with SIGKILL at random moments and check that nothing is lost.

A run starts a copart command in its own process group, waits a random time, then
kills the whole group (copart and any git it started). The next command must work
without manual repair, and every command that reported success must have its effect.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

RUNS = int(os.environ.get("COPART_CRASH_RUNS", "200"))  # total across all operations


@dataclass
class CrashReport:
    runs: int = 0
    killed: int = 0
    completed: int = 0
    recoveries: int = 0
    losses: list[str] = field(default_factory=list)

    def line(self, what: str) -> str:
        return (f"crash-safety {what}: runs={self.runs} killed={self.killed} completed={self.completed} "
                f"recoveries={self.recoveries} losses={len(self.losses)}")


def typical_duration(partner, args: list[str], cwd: Path) -> float:
    """How long the command takes on this machine right now, so kill delays span the whole run."""
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "copart_cli", *args], cwd=cwd, env=partner.env, capture_output=True)
    return time.monotonic() - t0


def run_and_maybe_kill(partner, args: list[str], cwd: Path, rng: random.Random, max_delay: float) -> int | None:
    """Run copart; SIGKILL its process group after a random delay. Returns its exit code, or None if killed."""
    proc = subprocess.Popen([sys.executable, "-m", "copart_cli", *args], cwd=cwd, env=partner.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    delay = rng.uniform(0.0, max_delay)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        time.sleep(0.005)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    code = proc.wait()
    return None if code == -signal.SIGKILL else code


HALF_DONE = ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD")


def half_done(rep: Path) -> list[str]:
    """Git operations left half-done and git lock files left behind, in a work tree's .git."""
    git_dir = rep / ".git"
    found = [name for name in HALF_DONE if (git_dir / name).exists()]
    found += [str(p.relative_to(git_dir)) for p in git_dir.glob("*.lock")]
    found += [str(p.relative_to(git_dir)) for p in (git_dir / "refs").rglob("*.lock")]
    return found


def corpus_files(count: int, low: int = 1024, high: int = 6144) -> list[tuple[str, bytes]]:
    """`count` real third-party Markdown files of a moderate size, as (file name, content), in a
    stable order: the corpus slice's own, then replicas of them (tests/conftest.py, corpus_stream)."""
    from tests.conftest import corpus_stream

    return [(rel.rsplit("/", 1)[-1], data) for rel, data in itertools.islice(corpus_stream(low, high), count)]


def print_summary(capsys, line: str) -> None:
    with capsys.disabled():
        print("\n" + line)
