"""Helpers for the sync tests: a hub everyone syncs with, partners joining it, and checks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)|^=======$", re.M)


def start_hub(world, owner, url: str | None = None, hub: Path | None = None) -> tuple[Path, str]:
    """The owner's example repertoire, pushed to a hub (a bare folder unless a URL is given)."""
    rep = owner.init("4xp", example=True)
    if url is None:
        hub = hub or world.bare("hub.git")
        url = str(hub)
    owner.git("remote", "add", "origin", url, cwd=rep)
    r = owner.copart("sync", cwd=rep)
    assert r.ok, r
    return rep, url


def join(partner, url: str, name: str = "4xp") -> Path:
    dest = partner.world.base / partner.name / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    r = partner.copart("join", url, str(dest))
    assert r.ok, r
    return dest


def add_story(partner, rep: Path, title: str, body: str = "What happened.", *extra: str) -> str:
    r = partner.copart("new", "story", title, "--no-edit", "--body", body, "--author", "jfawcett", *extra,
                       "--json", cwd=rep)
    assert r.ok, r
    return r.json()["entry"]["id"]


def head(partner, rep: Path) -> str:
    return partner.git("rev-parse", "HEAD", cwd=rep).strip()


def clean(partner, rep: Path) -> bool:
    """No uncommitted change and no git operation left half-done."""
    git_dir = rep / ".git"
    half = any((git_dir / n).exists() for n in ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD"))
    return not half and partner.git("status", "--porcelain", cwd=rep) == ""


def no_markers(rep: Path) -> bool:
    for path in rep.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        if MARKER.search(path.read_text(encoding="utf-8", errors="replace")):
            return False
    return True


def no_markers_in_history(rep: Path) -> bool:
    out = subprocess.run(["git", "log", "-p", "--all", "--format="], cwd=rep, capture_output=True, text=True).stdout
    return not re.search(r"^\+(<<<<<<<|>>>>>>>)( |$)", out, re.M)


def ids(partner, rep: Path) -> list[str]:
    r = partner.copart("list", "--json", cwd=rep)
    assert r.ok, r
    return sorted(e["id"] for e in r.json())


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
