"""git's lock files left by a killed git: found, waited for while a git still works here, removed."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from copart_cli.core.errors import GitError


def _git_wait_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get("COPART_GIT_WAIT", "10")))
    except ValueError:
        return 10.0


# How long a git still working here is waited for: COPART_GIT_WAIT, read once when copart starts
# (an edge may set it instead).
GIT_WAIT: float = _git_wait_from_env()


def clear_stale_locks(root: Path, git_dir: Path, *, grace: float = 2.0, wait: bool = True) -> list[str]:
    """Remove git lock files (index.lock, HEAD.lock, refs/…/x.lock) left by a killed git.

    Called only while holding copart's write lock, so no copart-started git is
    running. A lock is a leftover when no git that could hold it works in this
    repository (Linux /proc). A partner's own `git commit PATH` waiting for its editor,
    or a git that outlived a killed copart, is waited for (up to COPART_GIT_WAIT
    seconds, default 10), then reported, never broken; wait=False leaves its locks
    alone at once (for callers that need no git lock yet). When /proc cannot tell
    (absent, or another user's process), a lock nobody touched for `grace` seconds
    counts as a leftover. Returns what was removed.
    """
    locks = _lock_files(git_dir)
    if not locks:
        return []
    deadline = time.monotonic() + (GIT_WAIT if wait else 0.0)
    while True:
        scanned = time.time()
        running = _git_processes_in(root)
        locks = [p for p in locks if p.exists()]
        if not locks or not running or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if running:
        if not wait:
            return []
        pid, command = running[0]
        raise GitError(f"git is busy in this repository (pid {pid}: {command}); its lock was left alone",
                       hint="let it finish (or close its editor), then run the command again")
    if running is None:  # /proc cannot tell: wait until each lock has been untouched for `grace`
        until = time.monotonic() + grace
        while locks and time.monotonic() < until and any(time.time() - _mtime(p) < grace for p in locks):
            time.sleep(0.05)
        scanned = time.time()
    removed = []
    for lock in locks:
        # a lock made after the scan showed no git is a new git's, not a leftover
        if _mtime(lock) < scanned:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
                removed.append(str(lock.relative_to(git_dir)))
    return removed


def _lock_files(gd: Path) -> list[Path]:
    locks = [p for p in (gd / "index.lock", gd / "HEAD.lock", gd / "packed-refs.lock", gd / "ORIG_HEAD.lock")
             if p.exists()]
    locks.extend(gd.glob("next-index-*.lock"))  # the temporary index of a killed `git commit -- PATHS`
    refs = gd / "refs"
    if refs.is_dir():
        locks.extend(refs.rglob("*.lock"))
    return locks


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("-inf")  # gone: as old as can be (unlinking it is a no-op)


# git commands that never take index.lock or a ref lock (an editor's or IDE's long-lived
# `git cat-file --batch` must not make copart wait).
_READ_ONLY_GIT = frozenset(
    "cat-file log show diff rev-parse ls-files ls-tree for-each-ref blame grep rev-list show-ref name-rev "
    "describe check-ignore check-attr config daemon http-backend upload-pack credential shortlog var help "
    "version hash-object fsmonitor--daemon".split()
)


def _git_subcommand(argv: list[str]) -> str:
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-C", "-c", "--git-dir", "--work-tree", "--namespace"):
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg
    return ""


def _ancestors() -> set[int]:
    """This process and its parents (copart run from a git alias must not wait for that git)."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def _git_processes_in(root: Path) -> list[tuple[int, str]] | None:
    """(pid, command) of gits working in `root` that could hold a lock; None if /proc cannot tell."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    top = str(root.resolve())
    mine = _ancestors()
    found = []
    for pid in pids:
        if pid in mine:
            continue
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                if fh.read().strip() != "git":
                    continue
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = fh.read().decode("utf-8", "replace").split("\0")
        except FileNotFoundError:  # gone
            continue
        except PermissionError:  # another user's git: it might be working here
            return None
        except OSError:
            continue
        if cwd != top and not cwd.startswith(top + "/"):
            continue
        if _git_subcommand(argv) in _READ_ONLY_GIT:
            continue
        found.append((pid, " ".join(a for a in argv if a)[:60]))
    return found
