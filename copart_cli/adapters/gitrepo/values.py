"""What git answers, parsed: status records, tree entries, and the records GitRepo returns."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATUS = ("status", "--porcelain=v1", "-z", "--untracked-files=all")


def _status_paths(out: str) -> list[str]:
    paths: list[str] = []
    items = out.split("\0")
    i = 0
    while i < len(items):
        item = items[i]
        if len(item) > 3:
            paths.append(item[3:])
            if item[0] in "RC":  # renames carry the old path next
                i += 1
        i += 1
    return paths


_SIMPLE_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.S)


def parse_tree(raw: bytes) -> list[tuple[str, str, str]]:
    """(mode, name, object id) of each entry of a raw tree object (`<mode> <name>\\0<20-byte id>`)."""
    return [(m.decode("ascii"), n.decode("utf-8", "surrogateescape"), oid.hex())
            for m, n, oid in _TREE_ENTRY.findall(raw)]



@dataclass
class TreeMerge:
    """The result of merge_trees: a tree, and for each conflicted path its stages {1: base, 2: ours, 3: theirs}."""

    tree: str
    conflicts: dict[str, dict[int, tuple[str, str]]]


@dataclass(frozen=True)
class CommitRecord:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class LoggedCommit:
    """One commit of `GitRepo.history`: who, when, and which files it touched."""

    sha: str
    authored: str  # ISO-8601 with offset, as git prints it (%aI)
    committed: str  # %cI
    author_name: str
    author_email: str
    changes: tuple[tuple[str, str], ...]  # (status letter A/M/D/T, path)
