"""`copart status`: local edits, commits to sync per remote, conflicts waiting, index freshness."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from copart_cli.services import conflicts
from copart_cli.core.errors import CopartError, InvalidEntry
from copart_cli.adapters.files import list_dir
from copart_cli.core.model import Problem, is_entry_path
from copart_cli.services.repertoire import Repertoire, problem_from


@dataclass
class RemoteState:
    name: str
    url: str | None
    ahead: int | None  # local commits not on the remote (as of the last fetch); None: never fetched
    behind: int | None
    last_fetch: str | None


@dataclass
class StatusResult:
    view = "sync"
    path: Path
    branch: str | None
    head: str | None
    operation: str | None  # a rebase/merge another tool left in progress
    changes: list[tuple[str, str]]  # (added|modified|removed|untracked, path)
    invalid: list[Problem]
    remotes: list[RemoteState]
    conflicts: list[conflicts.ConflictCopy]
    index: dict
    open_asks: int
    review: str


def status(rep: Repertoire) -> StatusResult:
    from copart_cli.adapters.gitnet import mask_url
    from copart_cli.services.validate import structural_problems

    git = rep.git
    branch = git.current_branch()
    head = git.head()
    changes: list[tuple[str, str]] = []
    invalid: list[Problem] = []
    pending = rep.pending_paths()
    for code, path in git.status_entries():
        state = ("pending" if path in pending else "untracked" if code == "??" else "removed" if "D" in code
                 else "added" if "A" in code else "modified")
        changes.append((state, path))
        if state != "removed" and is_entry_path(path) and not conflicts.is_copy(path):
            try:
                found = structural_problems(rep.load(path))
            except InvalidEntry as exc:
                found = [problem_from(exc, path)]
            invalid.extend(found)
    remotes = []
    for name in git.remotes():
        tracking = f"refs/remotes/{name}/{branch}" if branch else None
        ahead = behind = None
        if tracking and head and git.rev(tracking):
            ahead, behind = git.ahead_behind("HEAD", tracking)
        elif head and branch:
            ahead = None
        stamp_file = rep.state_dir / f"last-fetch-{name.replace('/', '_')}"
        last = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.is_file() else None
        url = git.remote_url(name)
        remotes.append(RemoteState(name, url and mask_url(url), ahead, behind, last))
    open_asks = 0
    with contextlib.suppress(InvalidEntry):  # a linked asks/ is never read
        for name in list_dir(rep.root / "asks", "asks"):
            if name.endswith(".md") and not conflicts.is_copy(name):
                try:
                    if str(rep.load(f"asks/{name}").meta.get("status", "open")) == "open":
                        open_asks += 1
                except InvalidEntry:
                    continue
    try:
        review = rep.config.review
    except CopartError:
        review = "open"
    return StatusResult(path=rep.root, branch=branch, head=head, operation=git.operation_in_progress(),
                        changes=changes, invalid=invalid, remotes=remotes, conflicts=conflicts.find(rep.root),
                        index=_index_state(rep, head), open_asks=open_asks, review=review)


def _index_state(rep: Repertoire, head: str | None) -> dict:
    """{"fresh": bool|None, "commit": str|None}: whether the search index reflects HEAD (None: not built)."""
    from copart_cli.services import search

    try:
        stamp = search.store_for(rep).stamp()
    except (CopartError, OSError):
        return {"fresh": None, "commit": None}
    if not stamp:
        return {"fresh": None, "commit": None}
    return {"fresh": stamp.get("commit") == head, "commit": stamp.get("commit")}
