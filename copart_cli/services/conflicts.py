"""Conflicting edits: merging one file three ways, conflict copies, and `copart resolve`.

When two partners changed the same file, sync merges it here, never in the work tree:
- the frontmatter key by key (a tag added on each side gives both tags; a key changed
  on one side only takes that change; `updated` takes the later time);
- the body line by line (git merge-file) when the two sides touched different lines.
What cannot be merged keeps the version that reached the remote first in the entry,
and the local version is saved beside it as a *conflict copy*:
`stories/<id>.conflict-<who>-<YYYYMMDDTHHMMSSZ>.md`, committed so it travels with the
repertoire, pointed to by `check` and `status`, and cleared by `copart resolve ID`.
Conflict markers are never written.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from copart_cli.core.errors import LinkRefused
from copart_cli.adapters.files import list_dir
from copart_cli.core.model import KIND_FOLDERS, Problem
from copart_cli.core import ids

_MISSING = object()
COPY_RE = re.compile(r"^(?P<stem>[^/]+?)\.conflict-(?P<who>[a-z0-9][a-z0-9-]*?)-(?P<when>\d{8}T\d{6}Z)(?P<ext>\.[A-Za-z0-9]+)?$")
MARKERS = re.compile(rb"^(<{7}|>{7})( |$)|^={7}$", re.M)


# -- conflict copies ----------------------------------------------------------------


@dataclass
class ConflictCopy:
    """A version saved beside a file that sync could not merge."""

    path: str  # the file the copy belongs to, e.g. stories/foo.md
    copy: str  # the conflict copy, e.g. stories/foo.conflict-bob-20261120T091400Z.md
    who: str  # whose version the copy holds
    when: str  # ISO-8601 UTC

    @property
    def id(self) -> str:
        return ids.of_path(self.path)


def stamp(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def copy_path(rel: str, who: str, when: str) -> str:
    folder, _, name = rel.rpartition("/")
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    new = f"{stem}.conflict-{who}-{when}{dot}{ext}"
    return f"{folder}/{new}" if folder else new


def is_copy(rel: str) -> bool:
    return COPY_RE.match(rel.rsplit("/", 1)[-1]) is not None


def parse_copy(rel: str) -> ConflictCopy | None:
    folder, _, name = rel.rpartition("/")
    m = COPY_RE.match(name)
    if not m:
        return None
    original = m.group("stem") + (m.group("ext") or "")
    when = dt.datetime.strptime(m.group("when"), "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    return ConflictCopy(path=f"{folder}/{original}" if folder else original, copy=rel, who=m.group("who"), when=when)


def find(root: Path) -> list[ConflictCopy]:
    """Every conflict copy in the kind folders and at the top (cheap: a few listdirs)."""
    found: list[ConflictCopy] = []
    for folder in ("", *KIND_FOLDERS.values()):
        try:
            names = list_dir(root / folder, folder) if folder else os.listdir(root)
        except (FileNotFoundError, NotADirectoryError, LinkRefused):
            continue
        for name in names:
            if ".conflict-" in name:
                c = parse_copy(f"{folder}/{name}" if folder else name)
                if c:
                    found.append(c)
    found.sort(key=lambda c: (c.path, c.when, c.copy))
    return found


def problems(root: Path) -> list[Problem]:
    """For `check`: one problem per conflict copy waiting to be resolved."""
    out = []
    for c in find(root):
        target = c.id if c.path.endswith(".md") else c.path
        out.append(Problem(c.path, 1, f"conflict waiting: {c.who}'s version from {c.when} is saved in {c.copy}; "
                                      f"run: copart resolve {target}"))
    return out


def has_markers(data: bytes) -> bool:
    return MARKERS.search(data) is not None


# -- merging one file -----------------------------------------------------------------


@dataclass
class FileMerge:
    """How one conflicted path ends up: the merged content (None: removed) and maybe a copy of ours."""

    path: str
    content: bytes | None
    copy: bytes | None = None  # our version, to be saved as a conflict copy
    note: str = ""  # merged | kept-edit | conflict | renamed
    keys: list[str] = field(default_factory=list)  # frontmatter keys merged or in conflict


def merge_file(path: str, base: bytes | None, ours: bytes | None, theirs: bytes | None,
               merge_text: Callable[[str, str, str], tuple[str, bool]]) -> FileMerge:
    """Merge one file three ways; `theirs` (the remote) wins what cannot be merged, `ours` is copied."""
    if ours == theirs:
        return FileMerge(path, ours, note="merged")
    if ours is None or theirs is None:
        # removed on one side, changed on the other: keep the change, nothing is lost
        return FileMerge(path, theirs if ours is None else ours, note="kept-edit")
    texts = _decode(base), _decode(ours), _decode(theirs)
    if texts[1] is None or texts[2] is None or (base is not None and texts[0] is None):
        return FileMerge(path, theirs, copy=ours, note="conflict")
    b, o, t = texts
    if path.endswith(".md"):
        merged = _merge_entry(b, o, t, merge_text)
        if merged is not None:
            text, conflicted, keys = merged
            if conflicted:
                return FileMerge(path, text.encode("utf-8"), copy=ours, note="conflict", keys=keys)
            return FileMerge(path, text.encode("utf-8"), note="merged", keys=keys)
    if b is None:
        return FileMerge(path, theirs, copy=ours, note="conflict")
    text, clean = merge_text(o, b, t)
    if clean and not has_markers(text.encode("utf-8")):
        return FileMerge(path, text.encode("utf-8"), note="merged")
    return FileMerge(path, theirs, copy=ours, note="conflict")


def _decode(data: bytes | None) -> str | None:
    if data is None:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _merge_entry(b: str | None, o: str, t: str, merge_text) -> tuple[str, bool, list[str]] | None:
    """Frontmatter key by key, body line by line; None when a side has no readable frontmatter."""
    from copart_cli.core import frontmatter
    from copart_cli.core.errors import InvalidEntry

    try:
        po, pt = frontmatter.split(o), frontmatter.split(t)
        mo, mt = frontmatter.load(po.frontmatter), frontmatter.load(pt.frontmatter)
        if b is not None:
            pb = frontmatter.split(b)
            mb, body_b = frontmatter.load(pb.frontmatter), pb.body
        else:
            mb, body_b = {}, None
    except InvalidEntry:
        return None
    meta, conflicted_keys, merged_keys = merge_meta(mb, mo, mt)
    body_o, body_t = po.body, pt.body
    body_conflict = False
    if body_o == body_t:
        body = body_t
    elif body_b is not None and body_o == body_b:
        body = body_t
    elif body_b is not None and body_t == body_b:
        body = body_o
    else:
        body, clean = merge_text(body_o, body_b or "", body_t)
        if not clean or has_markers(body.encode("utf-8")):
            body, body_conflict = body_t, True
    if meta == mt:
        fm = pt.frontmatter
    elif meta == mo:
        fm = po.frontmatter
    else:
        changes = {k: v for k, v in meta.items() if mt.get(k, _MISSING) != v}
        removed = tuple(k for k in mt if k not in meta)
        fm = frontmatter.update(pt.frontmatter, changes, remove=removed)
    # the closing fence line is taken from theirs, the body from the merge
    fence = pt.tail.split("\n", 1)[0] + "\n" if "\n" in pt.tail else pt.tail + "\n"
    text = pt.head + fm + fence + body
    conflict_keys = conflicted_keys + (["body"] if body_conflict else [])
    return text, bool(conflict_keys), conflict_keys or merged_keys


def merge_meta(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[dict, list[str], list[str]]:
    """(merged, keys in conflict (theirs kept), keys merged from both sides)."""
    merged: dict[str, Any] = {}
    conflicted: list[str] = []
    both: list[str] = []
    order = list(theirs) + [k for k in ours if k not in theirs] + [k for k in base if k not in theirs and k not in ours]
    for key in order:
        b, o, t = base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        if o == t:
            value = o
        elif o == b:
            value = t
        elif t == b:
            value = o
        elif _listish(b) and _listish(o) and _listish(t):
            value = merge_lists(b, o, t)
            both.append(key)
        elif key == "updated" and o is not _MISSING and t is not _MISSING:
            value = max(o, t, key=lambda v: str(v))
            both.append(key)
        else:
            value = t
            conflicted.append(key)
        if value is not _MISSING:
            merged[key] = value
    return merged, conflicted, both


def _listish(v: Any) -> bool:
    return v is _MISSING or v is None or isinstance(v, list)


def merge_lists(base: Any, ours: Any, theirs: Any) -> list:
    """A three-way merge of two lists as sets: additions from both, removals from both."""
    b = [] if not isinstance(base, list) else base
    o = [] if not isinstance(ours, list) else ours
    t = [] if not isinstance(theirs, list) else theirs
    removed_by_ours = [x for x in b if x not in o]
    result = [x for x in t if x not in removed_by_ours]
    for x in o:
        if x not in b and x not in result:
            result.append(x)
    return result


# -- resolving ------------------------------------------------------------------------


@dataclass
class ResolveResult:
    view = "sync"
    path: str
    kept: str  # entry | copy | both
    cleared: list[str]
    commit: str | None


def copies_for(root: Path, target: str) -> tuple[str, list[ConflictCopy]]:
    """The file an ID (or a path like copart.yaml) names, and its conflict copies."""
    found = find(root)
    by_path = [c for c in found if c.path == target or c.copy == target]
    if by_path:
        path = by_path[0].path
    else:
        path = next((c.path for c in found if c.id == target and c.path.endswith(".md")), "")
    return path, [c for c in found if c.path == path]


def combine(current: str, other: str) -> str:
    """Both versions in one, common lines once, nothing dropped and no conflict markers."""
    from copart_cli.core import frontmatter
    from copart_cli.core.errors import InvalidEntry

    try:
        pc, po = frontmatter.split(current), frontmatter.split(other)
        mc, mo = frontmatter.load(pc.frontmatter), frontmatter.load(po.frontmatter)
    except InvalidEntry:
        return _union_lines(current, other)
    changes = {}
    for key, value in mo.items():
        if key not in mc:
            changes[key] = value
        elif isinstance(mc[key], list) and isinstance(value, list):
            union = list(mc[key]) + [x for x in value if x not in mc[key]]
            if union != mc[key]:
                changes[key] = union
    fm = frontmatter.update(pc.frontmatter, changes) if changes else pc.frontmatter
    fence = pc.tail.split("\n", 1)[0] + "\n"
    return pc.head + fm + fence + _union_lines(pc.body, po.body)


def _union_lines(a: str, b: str) -> str:
    import difflib

    la, lb = a.splitlines(keepends=True), b.splitlines(keepends=True)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        out.extend(la[i1:i2])
        if op != "equal":
            extra = lb[j1:j2]
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out.extend(extra)
    return "".join(out)
