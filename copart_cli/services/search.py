"""Pull-style knowledge: keeping the index current, `search`, `index`, and what `ask` and `who` share.

Before every query the index catches up with the repertoire incrementally:
- files changed between the commit the index reflects and HEAD (one `git diff`, only when
  HEAD moved; HEAD itself is read from .git without a subprocess);
- uncommitted files (one `git status` limited to the kind folders), re-read only if their
  size or modification time changed since the last catch-up;
- files that were uncommitted last time and no longer are.
A missing, old-schema or corrupt index is rebuilt (with a progress bar on a terminal).
A query never waits for another copart process: if one is writing the index, the query
runs on the index as it stands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import LinkRefused, UsageError
from copart_cli.adapters.files import read_bytes
from copart_cli.core.model import KIND_FOLDERS, Entry, Kind, is_entry_path

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

FOLDERS = tuple(KIND_FOLDERS.values())
Progress = Callable[[int, int], None]
MAX_QUERY_CHARS = 2000


# -- keeping the index current ----------------------------------------------------------


@dataclass
class IndexState:
    view = "search"
    path: str
    commit: str | None
    documents: int
    action: str  # rebuilt | updated | current | stale (another process was writing)
    reason: str | None = None  # why it was rebuilt
    changed: int = 0
    seconds: float = 0.0
    notes: list[tuple[str, str]] = field(default_factory=list)
    segments: int = 0
    bytes: int = 0


def _signature(root: Path, rel: str) -> list[int]:
    try:
        st = os.lstat(root / rel)
        return [st.st_mtime_ns, st.st_size]
    except OSError:
        return [0, -1]


def _dirty(rep: Repertoire, paths: list[str] | None = None) -> dict[str, list[int]]:
    paths = rep.git.dirty_paths(*FOLDERS) if paths is None else paths
    return {p: _signature(rep.root, p) for p in paths if is_entry_path(p)}


def store_for(rep: Repertoire) -> ixs.IndexStore:
    return ixs.IndexStore(rep.state_dir / "index")


def ensure_index(rep: Repertoire, progress: Progress | None = None, *, rebuild: bool = False, wait: bool = False,
                 store: ixs.IndexStore | None = None) -> IndexState:
    """Bring the index up to date with the work tree; rebuild it if it cannot be used.

    Pass the `store` the queries will then read, so that the index is opened only once.
    """
    store = store or store_for(rep)
    dirty_paths = rep.git.dirty_paths_soon(*FOLDERS)  # git reads the work tree while whoosh loads
    try:
        ixs.preload()
        t0 = time.perf_counter()  # the catch-up's own time, imports apart
        head = rep.git.head_fast()
        stamp = store.stamp()
        reason = "asked for" if rebuild else None
        if reason is None:
            if stamp is None:
                reason = "no index yet" if store.current_dir() is None else "index from another copart version"
            else:
                try:
                    store.open()
                except ixs.IndexUnusable as exc:
                    reason = f"index unreadable ({exc})"
    except BaseException:
        with contextlib.suppress(Exception):
            dirty_paths()  # wait for git, never leave it behind
        raise
    dirty_now = _dirty(rep, dirty_paths())
    if reason is not None:
        with store.write_lock():
            if not rebuild and store.stamp() is not None and _usable(store):
                return ensure_index(rep, progress, store=store)  # another process built it while we waited
            dirty = _dirty(rep)
            paths = list(rep.entry_paths())
            new_stamp = {"schema": ixs.SCHEMA_VERSION, "commit": head, "dirty": dirty,
                         "built": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            stats = store.rebuild(rep.root, paths, new_stamp, progress)
        return IndexState(str(store.folder), head, stats.indexed, "rebuilt", reason, len(paths),
                          time.perf_counter() - t0, stats.notes)
    assert stamp is not None
    changed: set[str] = set()
    if stamp.get("commit") != head:
        if stamp.get("commit") and head:
            diff = rep.git.changed_between(stamp["commit"], head, *FOLDERS)
        else:
            diff = None if stamp.get("commit") else list(rep.entry_paths())
        if diff is None:  # the stamped commit is gone (history rewritten): start again
            return ensure_index(rep, progress, rebuild=True, store=store)
        changed.update(p for p in diff if is_entry_path(p))
    before = stamp.get("dirty") or {}
    for rel, sig in dirty_now.items():
        if before.get(rel) != sig:
            changed.add(rel)
    changed.update(rel for rel in before if rel not in dirty_now)
    if not changed:
        return IndexState(str(store.folder), head, -1, "current", seconds=time.perf_counter() - t0)
    with store.write_lock(wait=wait) as got:
        if not got:
            return IndexState(str(store.folder), stamp.get("commit"), -1, "stale",
                              "another copart process is updating the index", seconds=time.perf_counter() - t0)
        new_stamp = {**stamp, "commit": head, "dirty": dirty_now}
        stats = store.update(rep.root, sorted(changed), (), new_stamp)
    return IndexState(str(store.folder), head, -1, "updated", changed=len(changed),
                      seconds=time.perf_counter() - t0, notes=stats.notes)


def _usable(store: ixs.IndexStore) -> bool:
    try:
        store.open()
        return True
    except ixs.IndexUnusable:
        return False


@contextlib.contextmanager
def snapshot(rep: Repertoire, progress: Progress | None):
    """The index caught up, then one snapshot of it for every query of the command."""
    store = store_for(rep)
    state = ensure_index(rep, progress, store=store)
    with store.reading() as index:
        yield index, state


def index_status(rep: Repertoire, progress: Progress | None = None, rebuild: bool = False) -> IndexState:
    """`copart index`: catch up (or rebuild), then describe the index."""
    state = ensure_index(rep, progress, rebuild=rebuild, wait=True)
    info = store_for(rep).info()
    state.documents = int(info.get("documents", 0))
    state.segments = int(info.get("segments", 0))
    state.bytes = int(info.get("bytes", 0))
    return state


# -- results ----------------------------------------------------------------------------


@dataclass
class Passage:
    text: str
    marks: list[tuple[int, int]]


@dataclass
class Result:
    entry: Entry
    score: float
    passages: list[Passage]
    coverage: float = 0.0  # share of the query's words the entry matched


@dataclass
class Person:
    id: str
    name: str
    score: float
    evidence: list[str]
    member: bool = True


@dataclass
class SearchResult:
    view = "search"
    query: str
    results: list[Result]
    total: int
    corrections: dict[str, str]
    note: str | None = None
    index: IndexState | None = None


def hit_entry(hit: ixs.Hit) -> Entry:
    meta: dict[str, Any] = {"id": hit.id, "kind": hit.kind, "title": hit.title, "author": hit.author,
                            "topics": hit.meta.get("topics") or [], "tags": hit.meta.get("tags") or []}
    if hit.created:
        meta["created"] = dt.datetime.fromtimestamp(hit.created, dt.timezone.utc)
    if hit.meta.get("source"):
        meta["source"] = hit.meta["source"]
    for key in ("status", "answers"):
        if hit.meta.get(key):
            meta[key] = hit.meta[key]
    if hit.kind == "answer":
        meta["accepted"] = bool(hit.meta.get("accepted"))
    return Entry(path=hit.path, meta=meta, body="")


_STEM_CACHE: dict[str, str] = {}


def stem(word: str) -> str:
    s = _STEM_CACHE.get(word)
    if s is None:
        toks = ixs.analyse(word)
        s = toks[0][0] if toks else ""
        _STEM_CACHE[word] = s
    return s


def passages(root: Path, rel: str, terms: list[str], count: int = 2, width: int = 240) -> list[Passage]:
    """The best `count` windows of the entry's body for these (stemmed) terms."""
    try:
        data = read_bytes(root / rel, rel, ixs.MAX_BODY_CHARS * 2)
    except (OSError, LinkRefused):
        return []
    body = ixs.split_body(data.decode("utf-8", errors="replace"))[1][: ixs.MAX_BODY_CHARS]
    if not body.strip():
        return []
    found: list[tuple[int, int, str]] = []
    if terms:
        prefixes = sorted({(t[:-1] if len(t) > 4 else t) for t in terms}, key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\w*", re.I)
        wanted = set(terms)
        for m in pattern.finditer(body):
            word = m.group(0)
            stemmed = stem(word.lower())
            if stemmed in wanted:
                found.append((m.start(), m.end(), stemmed))
                if len(found) > 2000:
                    break
    if not found:
        text = " ".join(body[: width * 2].split())
        return [Passage(_cut(text, width), [])]
    # Score each match as a window start: distinct terms count most, then matches.
    windows: list[tuple[float, int]] = []
    j = 0
    for i, (start, _, _) in enumerate(found):
        while found[j][0] < start - width // 3:
            j += 1
        k = i
        distinct = set()
        n = 0
        while k < len(found) and found[k][1] <= start + width - width // 3:
            distinct.add(found[k][2])
            n += 1
            k += 1
        windows.append((len(distinct) + 0.1 * n, start))
    windows.sort(key=lambda w: (-w[0], w[1]))
    chosen: list[int] = []
    for _, start in windows:
        if all(abs(start - c) > width for c in chosen):
            chosen.append(start)
        if len(chosen) == count:
            break
    out = []
    for start in sorted(chosen):
        lo = max(0, start - width // 3)
        if lo > 0:
            sp = body.rfind(" ", max(0, lo - 20), lo)
            lo = sp + 1 if sp != -1 else lo
        hi = min(len(body), lo + width)
        if hi < len(body):
            sp = body.find(" ", hi, hi + 20)
            hi = sp if sp != -1 else hi
        raw = body[lo:hi]
        text, marks = _squash(raw, [(s - lo, e - lo) for s, e, _ in found if s >= lo and e <= hi])
        prefix = "…" if lo > 0 else ""
        suffix = "…" if hi < len(body) else ""
        out.append(Passage(prefix + text + suffix, [(s + len(prefix), e + len(prefix)) for s, e in marks]))
    return out


def _squash(text: str, marks: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Collapse runs of whitespace to one space, moving the marks with the text."""
    out: list[str] = []
    mapping: list[int] = []
    prev_space = True
    for ch in text:
        if ch.isspace():
            if not prev_space:
                out.append(" ")
                mapping.append(len(out) - 1)
            else:
                mapping.append(len(out))
            prev_space = True
        else:
            mapping.append(len(out))
            out.append(ch)
            prev_space = False
    mapping.append(len(out))
    joined = "".join(out).rstrip()
    new_marks = [(mapping[s], min(mapping[e], len(joined))) for s, e in marks if mapping[s] < len(joined)]
    return joined, new_marks


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    sp = text.rfind(" ", 0, width)
    return text[: sp if sp > width // 2 else width] + "…"


def coverage(hit: ixs.Hit, terms: list[str]) -> float:
    return len(hit.matched & set(terms)) / len(terms) if terms else 0.0


def check_query(text: str, example: str = 'copart search "pricing workshop"') -> str:
    text = text.replace("\0", " ")
    if not text.strip():
        raise UsageError("the query is empty", hint=example)
    return text[:MAX_QUERY_CHARS]


# -- search -----------------------------------------------------------------------------


def search(rep: Repertoire, text: str, *, kind: Kind | None = None, tag: str | None = None, author: str | None = None,
           topic: str | None = None, since: str | None = None, limit: int = 10,
           progress: Progress | None = None) -> SearchResult:
    from copart_cli.core.model import parse_since

    text = check_query(text)
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    after = int(parse_since(since).timestamp()) if since else None
    q = ixs.Query(text, "search", kind=kind.value if kind else None, tag=tag, topic=topic, author=author,
                  since=after, limit=limit)
    with snapshot(rep, progress) as (index, state):
        found = index.search(q, root=rep.root)
    results = [Result(hit_entry(h), round(h.score, 4), passages(rep.root, h.path, found.terms), coverage(h, found.terms))
               for h in found.hits[:limit]]
    return SearchResult(text, results, found.total, found.corrections, found.note, state)
