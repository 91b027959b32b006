"""Pull-style knowledge: keeping the index current, `search`, `index`, and what `ask` and `who` share.

Before every query the index catches up with the repertoire incrementally:
- files changed between the commit the index reflects and HEAD (one `git diff`, only when
  HEAD moved; HEAD itself is read from .git without a subprocess);
- uncommitted files (one `git status` limited to the kind folders), re-read only if their
  size or modification time changed since the last catch-up; in a small repertoire (up to
  QUIET_FILES files and folders there) not even `git status` runs while every file there has
  the path, size, inode and modification time it had at the last check (`_tree`);
- files that were uncommitted last time and no longer are.
A missing, old-schema or corrupt index is rebuilt (with a progress bar on a terminal).
A query never waits for another copart process: if one is writing the index, the query
runs on the index as it stands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copart_cli.adapters import index as ixs
from copart_cli.core.errors import UsageError
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


# Up to this many files and folders in the kind folders, stat-ing them all costs no more than
# starting git and waiting for it (about 4 ms a thousand, against 3 ms for the process here
# and 6-7 ms a thousand of git's own work on the other core): a constellation of small
# communities would otherwise start a `git status` for each, all competing for two cores.
QUIET_FILES = 1000
RACY_NS = 2_000_000_000  # a file changed this recently could change again within one mtime tick


class DirtyCheck:
    """The work tree's changed entry files, asked of git now (call it to wait for them), or,
    in a small repertoire whose files all look as they did at the last check, the stamp's."""

    def __init__(self, rep: Repertoire, stamp: dict[str, Any] | None):
        walk = stamp is None or stamp.get("files", 0) <= QUIET_FILES  # "files": what the last walk counted
        self.files, self.tree = _tree(rep.root) if walk else (stamp["files"], None)
        if self.tree is not None and stamp and stamp.get("tree") == self.tree \
                and stamp.get("commit") == rep.git.head_fast():
            self._wait = lambda: list(stamp.get("dirty") or {})
        else:
            self._wait = rep.git.dirty_paths_soon(*FOLDERS)

    def __call__(self) -> list[str]:
        return self._wait()

    def stamped(self, stamp: dict[str, Any]) -> dict[str, Any]:
        """STAMP with what this check saw, for the next one (it was seen before git looked)."""
        return {**stamp, "files": self.files, "tree": self.tree}


def _tree(root: Path) -> tuple[int, str | None]:
    """How many files and folders the kind folders hold, and a digest of each one's path,
    size, inode and modification time (and the root .gitignore's, which decides what git
    counts as untracked); no digest when there are more than QUIET_FILES, or a file changed
    in the last RACY_NS (git decides then, as it does for its own racily clean entries)."""
    import hashlib

    seen: list[tuple[str, int, int, int]] = []
    with contextlib.suppress(OSError):
        st = (root / ".gitignore").lstat()
        seen.append((".gitignore", st.st_mtime_ns, st.st_size, st.st_ino))
    now = time.time_ns()
    folders = [root / f for f in FOLDERS]
    while folders:
        try:
            with os.scandir(folders.pop()) as found:
                for item in found:  # folders count too: a pushed tree of empty folders stays cheap
                    if len(seen) > QUIET_FILES:
                        return len(seen), None
                    if item.is_dir(follow_symlinks=False):
                        folders.append(Path(item.path))
                        seen.append((item.path, -1, -1, item.inode()))
                        continue
                    st = item.stat(follow_symlinks=False)
                    if now - st.st_mtime_ns < RACY_NS:
                        return len(seen), None
                    seen.append((item.path, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            continue  # a kind folder that is not there: nothing in it to change
    return len(seen), hashlib.blake2b(repr(sorted(seen)).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def dirty_check(rep: Repertoire) -> DirtyCheck:
    """The work tree's changed entry files, asked of git now; call the result to wait for them."""
    return DirtyCheck(rep, store_for(rep).stamp())


def ensure_index(rep: Repertoire, progress: Progress | None = None, *, rebuild: bool = False, wait: bool = False,
                 store: ixs.IndexStore | None = None, dirty_paths: DirtyCheck | None = None) -> IndexState:
    """Bring the index up to date with the work tree; rebuild it if it cannot be used.

    Pass the `store` the queries will then read, so that the index is opened only once, and a
    `dirty_check` started earlier, if there is one.
    """
    store = store or store_for(rep)
    dirty_paths = dirty_paths or dirty_check(rep)  # git reads the work tree while whoosh loads
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
            new_stamp = dirty_paths.stamped({"schema": ixs.SCHEMA_VERSION, "commit": head, "dirty": dirty,
                                             "built": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
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
        _note_tree(store, stamp, dirty_paths)
        return IndexState(str(store.folder), head, -1, "current", seconds=time.perf_counter() - t0)
    with store.write_lock(wait=wait) as got:
        if not got:
            return IndexState(str(store.folder), stamp.get("commit"), -1, "stale",
                              "another copart process is updating the index", seconds=time.perf_counter() - t0)
        new_stamp = dirty_paths.stamped({**stamp, "commit": head, "dirty": dirty_now})
        stats = store.update(rep.root, sorted(changed), (), new_stamp)
    return IndexState(str(store.folder), head, -1, "updated", changed=len(changed),
                      seconds=time.perf_counter() - t0, notes=stats.notes)


def _note_tree(store: ixs.IndexStore, stamp: dict[str, Any], check: DirtyCheck) -> None:
    """Nothing changed, but the files look different (touched, or first seen): record how they
    look now, so that the next query need not ask git; skipped if another process is writing."""
    if (stamp.get("files"), stamp.get("tree")) == (check.files, check.tree):
        return
    with contextlib.suppress(OSError), store.write_lock(wait=False) as got:
        if got and store.stamp() == stamp and (gen := store.current_dir()) is not None:
            store.write_stamp(gen, check.stamped(stamp))


def _usable(store: ixs.IndexStore) -> bool:
    try:
        store.open()
        return True
    except ixs.IndexUnusable:
        return False


@contextlib.contextmanager
def snapshot(rep: Repertoire, progress: Progress | None, dirty_paths: DirtyCheck | None = None):
    """The index caught up, then one snapshot of it for every query of the command."""
    store = store_for(rep)
    state = ensure_index(rep, progress, store=store, dirty_paths=dirty_paths)
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
    section: list[str] = field(default_factory=list)  # ask: the heading path of the section shown
    scored_section: ixs.Section | None = field(default=None, repr=False)  # ask: for passages written later


@dataclass
class Person:
    id: str
    name: str
    score: float
    evidence: list[str]
    member: bool = True
    available: bool = True  # False: the profile says alumni or available: false (ranked below)


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


def passages(root: Path, rel: str, terms: list[str], section: ixs.Section | None = None,
             width: int = 280) -> list[Passage]:
    """The section that answers, as plain text: its heading path and its first lines, then,
    if the rest of the section holds terms those lines lack, the window of it holding the most.

    `section` is the one `ask` scored best; without it the section with the most terms."""
    section = section or best_section(root, rel, terms)
    if section is None:
        return []
    head = " › ".join(h for h in section.headings if h)
    first = _cut(section.text, width)
    text = f"{head}: {first}" if head and first else head or first
    out = [Passage(text, _marks(text, terms))]
    if terms and len(section.text) > len(first) and _distinct(section.text, terms) > _distinct(first, terms):
        out += _windows(section.text[len(first) - 1:], terms, 1, width)
    return [p for p in out if p.text]


def _distinct(text: str, terms: list[str]) -> int:
    return len({t for _, _, t in ixs.term_spans(text, terms)})


def best_section(root: Path, rel: str, terms: list[str]) -> ixs.Section | None:
    """The entry's section with the most of these terms (None if the body is empty or unreadable)."""
    body = ixs.read_body(root, rel)
    if body is None or not body.strip():
        return None
    return ixs.best_by_words(ixs.split_sections(body), terms)


def _marks(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """The [start, end) spans of the words of `text` whose stem is one of `terms`."""
    return [(s, e) for s, e, _ in ixs.term_spans(text, terms)]


def _windows(text: str, terms: list[str], count: int, width: int) -> list[Passage]:
    """The best `count` windows of `text` (plain, one line) for these terms: distinct terms
    count most, then matches."""
    found = ixs.term_spans(text, terms)
    if not found:
        return []
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
            sp = text.rfind(" ", max(0, lo - 20), lo)
            lo = sp + 1 if sp != -1 else lo
        hi = min(len(text), lo + width)
        if hi < len(text):
            sp = text.find(" ", hi, hi + 20)
            hi = sp if sp != -1 else hi
        prefix = "…" if lo > 0 else ""
        suffix = "…" if hi < len(text) else ""
        marks = [(s - lo + len(prefix), e - lo + len(prefix)) for s, e, _ in found if s >= lo and e <= hi]
        out.append(Passage(prefix + text[lo:hi] + suffix, marks))
    return out


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
    q = typed_query(text, kind=kind, tag=tag, author=author, topic=topic, since=since, limit=limit)
    with snapshot(rep, progress) as (index, state):
        return search_in(rep, index, q, state)


def typed_query(text: str, *, kind: Kind | None = None, tag: str | None = None, author: str | None = None,
                topic: str | None = None, since: str | None = None, limit: int = 10) -> ixs.Query:
    """`search`'s words and filters as one query, checked (a UsageError for what cannot run)."""
    from copart_cli.core.model import parse_since

    text = check_query(text)
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    after = int(parse_since(since).timestamp()) if since else None
    return ixs.Query(text, "search", kind=kind.value if kind else None, tag=tag, topic=topic, author=author,
                     since=after, limit=limit)


def search_in(rep: Repertoire, index: ixs.Reading, q: ixs.Query, state: IndexState | None) -> SearchResult:
    """Query Q on an open index of REP (its own, or one of a constellation's: constellation.py)."""
    found = index.search(q, root=rep.root)
    results = []
    for h in found.hits[:q.limit]:
        section = best_section(rep.root, h.path, found.terms)
        results.append(Result(hit_entry(h), round(h.score, 4), passages(rep.root, h.path, found.terms, section),
                              coverage(h, found.terms), section.headings if section else []))
    return SearchResult(q.text, results, found.total, found.corrections, found.note, state)
