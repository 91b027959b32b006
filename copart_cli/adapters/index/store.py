"""The only module that imports whoosh: the per-clone search index in `.git/copart/index/`.

Layout of the index folder:

    index/CURRENT        the name of the active generation (written atomically)
    index/g-<stamp>/     a whoosh index + stamp.json (schema version, commit, dirty files)
    index/write.lock     writers take it (flock); readers never do

A full build writes a fresh generation and switches CURRENT only when it is complete, so
a build killed half-way leaves the previous generation (or nothing) in place, never a
broken one. Incremental updates are ordinary whoosh commits into the active generation:
whoosh writes the new table of contents atomically, so a reader sees the old state or the
new one. Anything that fails to open is treated as "no index" and rebuilt.

What is indexed (see docs/search.md): title (x3), topics (x2, profile expertise included),
tags (x1.5) and the first MAX_BODY_CHARS of the body, all stemmed; positions only where
phrase queries need them (title, body). The body is *not* stored: passages are cut from
the file on disk, which the catch-up has just made sure the index matches.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.core.errors import CopartError, LinkRefused
from copart_cli.adapters.files import MAX_ENTRY_BYTES, open_read, read_bytes
from copart_cli.core.model import as_datetime, as_list, as_text

SCHEMA_VERSION = 7  # 7: segments as plain files (whoosh copies a compound segment into memory at each open)
MAX_BODY_CHARS = 256 * 1024  # index at most this much of a body: huge files are cut, with a note
SMALL_BLOCK = 8  # posting blocks shorter than this are written uncompressed
MAX_FILE_BYTES = MAX_ENTRY_BYTES  # larger files are not read at all: no entry either (show, check, list)
TEXT_FIELDS = {"title": 3.0, "topics": 2.0, "tags": 1.5, "body": 1.0}
FIELD_ALIASES = {"tags": ["tag"], "topics": ["topic"]}
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_WORD = re.compile(r"\w+", re.U)
# Words that make a sentence a question but say nothing about its subject (ask mode only).
QUESTION_WORDS = frozenset(
    "how what which who whom whose why when where do does did doing done should shall can could would will "
    "we i you our ours my me us your anyone someone somebody anybody there here get got make need needs want "
    "know knows tell please best good way ways about into any some much many really wants gets makes".split()
)

Progress = Callable[[int, int], None]


# -- documents ------------------------------------------------------------------------


@dataclass
class Hit:
    """One search result, as plain values (no whoosh types leave this module)."""

    path: str
    id: str
    kind: str
    title: str
    author: str
    created: int  # epoch seconds, 0 if unknown
    score: float
    meta: dict[str, Any]
    matched: set[str] = field(default_factory=set)  # the query terms (stemmed) it matched


def split_body(text: str) -> tuple[str, str]:
    """(frontmatter YAML, body) by the fences alone, without parsing YAML."""
    t = text[1:] if text.startswith("\ufeff") else text
    if t.startswith("---"):
        nl = t.find("\n")
        if nl != -1 and t[:nl].strip() == "---":
            close = _FM_CLOSE.search(t, nl + 1)
            if close:
                end = t.find("\n", close.end())
                return t[nl + 1:close.start()], ("" if end == -1 else t[end + 1:])
    return "", t


def _epoch(value: Any) -> int:
    """A frontmatter date as seconds since 1970 (0 for none): the model's reading, so a date
    that is no date (2026-02-30) is missing here too, never an error."""
    when = as_datetime(value)
    return max(0, int(when.timestamp())) if when else 0


def document(root: Path, rel: str) -> tuple[dict[str, Any] | None, str | None]:
    """The fields to index for one file, or (None, why it was skipped)."""
    from copart_cli.core import frontmatter  # yaml, C loader

    try:
        with open_read(root / rel, rel) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return None, f"too large to index ({size // 1024} KiB)"
            data = fh.read()
    except LinkRefused:
        return None, "symbolic link"
    except FileNotFoundError:
        return None, "gone"
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    if b"\0" in data[:8192]:
        return None, "binary"
    text = data.decode("utf-8", errors="replace")
    fm, body = split_body(text)
    note = None
    meta: dict[str, Any] = {}
    if fm:
        try:
            meta = frontmatter.load(fm, rel)
        except CopartError:
            meta, note = {}, "unreadable frontmatter (indexed as text)"
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS]
        note = f"only the first {MAX_BODY_CHARS // 1024} KiB indexed"
    stem = rel.rsplit("/", 1)[-1].removesuffix(".md")
    text = lambda key: as_text(meta.get(key))  # noqa: E731 - a value of the wrong type reads as missing
    kind = text("kind") or _folder_kind(rel)
    topics = as_list(meta.get("topics"))
    tags = as_list(meta.get("tags"))
    expertise = as_list(meta.get("expertise")) if kind == "member" else []
    title = text("title") or text("name") or stem
    stored = {
        "topics": topics,
        "tags": tags,
        "source": text("source") or None,
        "status": text("status") or ("open" if kind == "ask" else ""),
        "answers": text("answers"),
        "accepted": meta.get("accepted") is True,
        "name": (text("name") or title) if kind == "member" else "",
        "expertise": expertise,
        "offers": as_list(meta.get("offers"))[:20] if kind == "member" else [],
    }
    doc = {
        "path": rel,
        "id": text("id") or stem,
        "kind": kind,
        "title": title,
        "topics": " ".join(topics + expertise),
        "tags": " ".join(tags),
        "tagx": ",".join(t.lower() for t in tags) or None,
        "topicx": ",".join(t.lower() for t in topics + expertise) or None,
        "author": text("author"),
        "status": stored["status"] or None,
        "created": _epoch(meta.get("created")),
        "body": body + ("\n" + " ".join(as_list(meta.get("offers"))) if kind == "member" else ""),
        "meta": stored,
    }
    return {k: v for k, v in doc.items() if v is not None and v != ""}, note


_FOLDERS = {"stories": "story", "practices": "practice", "members": "member", "asks": "ask", "answers": "answer"}


def _folder_kind(rel: str) -> str:
    return _FOLDERS.get(rel.split("/", 1)[0], "")


# -- schema ---------------------------------------------------------------------------


def _analyzer():
    from whoosh.analysis import StemmingAnalyzer

    return StemmingAnalyzer(cachesize=100_000)


_FAST = None


def _fast_text_class():
    """TEXT whose indexing skips whoosh's per-token generator chain (3-4x faster).

    It produces exactly the tokens StemmingAnalyzer does (same pattern, lowercase, stop
    words with renumbered positions, Porter stems), so queries and phrases analysed by
    the ordinary analyzer match what was indexed.
    """
    global _FAST
    if _FAST is None:
        _FAST = __getattr__("FastText")
    return _FAST


def schema():
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

    TEXT = _fast_text_class()
    ana = _analyzer()
    return Schema(
        path=ID(stored=True, unique=True),
        id=ID(stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=ana, stored=True, field_boost=TEXT_FIELDS["title"]),
        topics=TEXT(analyzer=ana, field_boost=TEXT_FIELDS["topics"]),
        tags=TEXT(analyzer=ana, field_boost=TEXT_FIELDS["tags"]),
        tagx=KEYWORD(commas=True),
        topicx=KEYWORD(commas=True),
        author=ID(stored=True),
        status=ID,
        created=NUMERIC(numtype=int, bits=64, stored=True, signed=False),
        body=TEXT(analyzer=ana, phrase=False),
        meta=STORED,
    )


_TOKEN = re.compile(r"\w+(?:\.?\w+)*", re.U)
_STEMS: dict[str, str] = {}
_STOP: frozenset[str] | None = None


def fast_terms(text: str) -> list[str]:
    """StemmingAnalyzer's output (stems, stop words dropped) for `text`, fast."""
    global _STOP
    if _STOP is None:
        from whoosh.analysis import STOP_WORDS
        _STOP = frozenset(STOP_WORDS)
    from whoosh.lang.porter import stem

    stems = _STEMS
    stop = _STOP
    out = []
    append = out.append
    for word in _TOKEN.findall(text.lower()):
        if len(word) < 2 or word in stop:
            continue
        s = stems.get(word)
        if s is None:
            s = stem(word)
            if len(stems) < 500_000:
                stems[word] = s
        append(s)
    return out


def __getattr__(name: str):
    if name == "FastText":  # defined on first use so that importing this module stays cheap
        from whoosh.fields import TEXT

        class FastText(TEXT):
            def index(self, value, **kwargs):
                if not isinstance(value, str):
                    yield from super().index(value, **kwargs)
                    return
                fmt = self.format
                boost = fmt.field_boost
                terms = fast_terms(value)
                if fmt.supports("positions"):
                    poses: dict[str, list[int]] = {}
                    for pos, term in enumerate(terms):
                        lst = poses.get(term)
                        if lst is None:
                            poses[term] = [pos]
                        else:
                            lst.append(pos)
                    encode = fmt.encode
                    for term, lst in poses.items():
                        yield term.encode("utf-8"), len(lst), len(lst) * boost, encode(lst)
                else:
                    counts: dict[str, int] = {}
                    for term in terms:
                        counts[term] = counts.get(term, 0) + 1
                    from whoosh.system import pack_uint

                    for term, n in counts.items():
                        yield term.encode("utf-8"), n, n * boost, pack_uint(n)

        FastText.__module__ = __name__
        FastText.__qualname__ = "FastText"
        globals()["FastText"] = FastText
        return FastText
    if name == "Codec":
        from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter

        class PostingsWriter(W3PostingsWriter):
            def _write_block(self, last=False):
                # zlib on a block of a few postings costs more time than it saves bytes
                # (most terms of a catch-up segment have one posting); each block records
                # whether it is compressed, so whoosh's own reader reads both kinds.
                level = self._compression
                if len(self._ids) < SMALL_BLOCK:
                    self._compression = 0
                try:
                    super()._write_block(last)
                finally:
                    self._compression = level

        class Codec(W3Codec):
            def postings_writer(self, dbfile, byteids=False):
                return PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                      compression=self._compression, inlinelimit=self._inlinelimit)

        for cls in (PostingsWriter, Codec):
            cls.__module__ = __name__
            cls.__qualname__ = cls.__name__
            globals()[cls.__name__] = cls
        return Codec
    raise AttributeError(name)


def _codec():
    """whoosh's codec with uncompressed small posting blocks (faster to write, as small on disk)."""
    return (globals().get("Codec") or __getattr__("Codec"))()


# -- the store -------------------------------------------------------------------------


def preload() -> None:
    """Import what every query needs, so timings below measure the work, not the imports."""
    import whoosh.index  # noqa: F401
    import whoosh.searching  # noqa: F401


class IndexUnusable(Exception):
    """The index cannot be opened (missing, old schema, corrupt): rebuild it."""


@dataclass
class BuildStats:
    indexed: int = 0
    removed: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, note)
    seconds: float = 0.0


class IndexStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self._opened: tuple[Path, Any] | None = None  # (generation, whoosh index): opened once

    # -- generations and stamps --------------------------------------------------------

    def current_dir(self) -> Path | None:
        try:
            name = (self.folder / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not name.startswith("g-") or "/" in name:
            return None
        path = self.folder / name
        return path if path.is_dir() else None

    def stamp(self) -> dict[str, Any] | None:
        cur = self.current_dir()
        if cur is None:
            return None
        try:
            data = json.loads((cur / "stamp.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
            return None
        return data

    def write_stamp(self, gen: Path, stamp: dict[str, Any]) -> None:
        tmp = gen / f".stamp.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, gen / "stamp.json")

    @contextlib.contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[bool]:
        """Exclusive writer lock; with wait=False yields False at once if another writer holds it."""
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / "write.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    # -- opening -----------------------------------------------------------------------

    def open(self):
        """The active whoosh index; IndexUnusable if there is none that works."""
        from whoosh import index as windex

        cur = self.current_dir()
        if cur is None or self.stamp() is None:
            raise IndexUnusable("no index yet")
        if self._opened is not None and self._opened[0] == cur:
            return self._opened[1]  # whoosh reads the latest table of contents at each searcher()
        try:
            ix = windex.open_dir(str(cur))
            if "tagx" not in ix.schema.names() or "meta" not in ix.schema.names():
                raise IndexUnusable("old schema")
            self._opened = (cur, ix)
            return ix
        except IndexUnusable:
            raise
        except Exception as exc:  # corrupt TOC, missing segment file, unpickling error...
            raise IndexUnusable(f"{type(exc).__name__}: {exc}") from None

    def searcher(self):
        """A searcher on the active index, retrying if a writer swapped files under us."""
        last: Exception | None = None
        for _ in range(3):
            try:
                return self.open().searcher()
            except IndexUnusable:
                raise
            except Exception as exc:  # a segment deleted between reading the TOC and opening it
                last = exc
                self._opened = None
                time.sleep(0.05)
        raise IndexUnusable(f"{type(last).__name__}: {last}")

    @contextlib.contextmanager
    def reading(self) -> Iterator["Reading"]:
        """One snapshot of the index for every query of a command, opened once."""
        reading = Reading(self.searcher())
        try:
            yield reading
        finally:
            reading.searcher.close()

    # -- building ----------------------------------------------------------------------

    def rebuild(self, root: Path, paths: list[str], stamp: dict[str, Any], progress: Progress | None = None,
                procs: int | None = None) -> BuildStats:
        """A full build into a new generation, switched to only once complete. Caller holds write_lock."""
        from whoosh import index as windex

        t0 = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        gen = self.folder / f"g-{time.time_ns():x}-{os.getpid()}"
        gen.mkdir()
        windex.create_in(str(gen), schema())
        procs = procs or min(max(1, os.cpu_count() or 1), 4)
        if len(paths) < 200:
            procs = 1
        stats = BuildStats()
        if procs == 1:
            segment, notes, n = _build_part(str(gen), str(root), paths, progress)
            segments = [segment] if segment is not None else []
            stats.notes.extend(notes)
            stats.indexed = n
        else:
            segments = self._build_parallel(gen, root, paths, procs, progress, stats)
        ix = windex.open_dir(str(gen))
        from whoosh.writing import SegmentWriter

        writer = SegmentWriter(ix, codec=_codec())
        writer._close_segment()
        writer._commit_toc(segments)
        writer._finish()
        self.write_stamp(gen, stamp)
        tmp = self.folder / f".CURRENT.{os.getpid()}.tmp"
        tmp.write_text(gen.name, encoding="utf-8")
        os.replace(tmp, self.folder / "CURRENT")
        self.clean(keep=gen.name)
        stats.seconds = time.perf_counter() - t0
        return stats

    def _build_parallel(self, gen: Path, root: Path, paths: list[str], procs: int, progress, stats) -> list:
        import multiprocessing as mp

        # Deal files out by size so each worker gets about the same amount of text.
        sized = []
        for rel in paths:
            try:
                sized.append((os.path.getsize(root / rel), rel))
            except OSError:
                sized.append((0, rel))
        sized.sort(reverse=True)
        parts: list[list[str]] = [[] for _ in range(procs)]
        loads = [0] * procs
        for size, rel in sized:
            k = loads.index(min(loads))
            parts[k].append(rel)
            loads[k] += size + 2000
        ctx = mp.get_context("fork")
        counter = ctx.Value("i", 0)
        with ctx.Pool(procs, initializer=_init_worker, initargs=(counter,)) as pool:
            pending = [pool.apply_async(_build_part, (str(gen), str(root), part, None)) for part in parts if part]
            total = len(paths)
            while not all(p.ready() for p in pending):
                if progress:
                    progress(min(counter.value, total), total)
                time.sleep(0.1)
            results = [p.get() for p in pending]
        if progress:
            progress(total, total)
        segments = []
        for segment, notes, n in results:
            if segment is not None:
                segments.append(segment)
            stats.notes.extend(notes)
            stats.indexed += n
        return segments

    def clean(self, keep: str | None = None) -> None:
        """Remove generations other than the active one (left by killed builds or replaced)."""
        keep = keep or (self.current_dir().name if self.current_dir() else None)
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.startswith("g-") and name != keep:
                shutil.rmtree(self.folder / name, ignore_errors=True)
            elif name.startswith(".CURRENT.") and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(self.folder / name)

    def update(self, root: Path, reindex: Iterable[str], remove: Iterable[str], stamp: dict[str, Any]) -> BuildStats:
        """Re-read these files and drop those; one whoosh commit, then the new stamp. Caller holds write_lock."""
        from whoosh.writing import SegmentWriter

        t0 = time.perf_counter()
        ix = self.open()
        stats = BuildStats()
        gen = self.current_dir()
        assert gen is not None
        writer = SegmentWriter(ix, limitmb=32, codec=_codec(), compound=False)
        try:
            for rel in remove:
                stats.removed += writer.delete_by_term("path", rel)
            for rel in reindex:
                doc, note = document(root, rel)
                if doc is None:
                    writer.delete_by_term("path", rel)
                    if note and note != "gone":
                        stats.notes.append((rel, note))
                    continue
                if note:
                    stats.notes.append((rel, note))
                writer.update_document(**doc)
                stats.indexed += 1
            from whoosh.writing import MERGE_SMALL, NO_MERGE

            merge = MERGE_SMALL if len(ix._segments()) > 12 else NO_MERGE
            writer.commit(mergetype=merge)
        except BaseException:
            writer.cancel()
            raise
        self.write_stamp(gen, stamp)
        stats.seconds = time.perf_counter() - t0
        return stats

    def info(self) -> dict[str, Any]:
        cur = self.current_dir()
        out: dict[str, Any] = {"path": str(self.folder), "exists": cur is not None}
        if cur is None:
            return out
        size = 0
        for entry in os.scandir(cur):
            with contextlib.suppress(OSError):
                size += entry.stat().st_size
        out["bytes"] = size
        try:
            ix = self.open()
            out["documents"] = ix.doc_count()
            out["segments"] = len(ix._segments())
        except IndexUnusable as exc:
            out["problem"] = str(exc)
        return out


_COUNTER = None


def _init_worker(counter) -> None:
    global _COUNTER
    _COUNTER = counter


def _build_part(gen: str, root: str, paths: list[str], progress: Progress | None):
    """Index `paths` into a new segment of the index at `gen` (in a worker process or inline)."""
    from whoosh import index as windex
    from whoosh.writing import SegmentWriter

    ix = windex.open_dir(gen)
    # compound=False: whoosh reads a compound segment by copying all of it into memory, at
    # every open; plain files are read where needed (20 ms saved per query on the 10x replica)
    writer = SegmentWriter(ix, _lk=False, limitmb=48, codec=_codec(), compound=False)
    notes: list[tuple[str, str]] = []
    n = 0
    base = Path(root)
    total = len(paths)
    for i, rel in enumerate(paths, 1):
        doc, note = document(base, rel)
        if note and note != "gone":
            notes.append((rel, note))
        if doc is not None:
            writer.add_document(**doc)
            n += 1
        if _COUNTER is not None and i % 25 == 0:
            with _COUNTER.get_lock():
                _COUNTER.value += 25
        if progress and (i % 50 == 0 or i == total):
            progress(i, total)
    if n == 0:
        writer.cancel()
        return None, notes, 0
    segment = writer._finalize_segment()
    return segment, notes, n


# -- querying --------------------------------------------------------------------------


@dataclass
class Query:
    text: str
    mode: str = "search"  # search: the query language, all words; ask: any words, ranked
    kind: str | None = None
    tag: str | None = None
    topic: str | None = None
    author: str | None = None
    since: int | None = None  # epoch seconds
    status: str | None = None
    limit: int = 10


@dataclass
class Found:
    hits: list[Hit]
    total: int
    terms: list[str]  # the analysed query terms (stemmed), in order
    corrections: dict[str, str]  # typed word -> the indexed word used instead
    note: str | None = None  # e.g. "only stop words"


def analyse(text: str) -> list[tuple[str, int, int]]:
    """Stemmed tokens with their character spans (stop words dropped)."""
    ana = _analyzer()
    return [(t.text, t.startchar, t.endchar) for t in ana(text, chars=True)]


def _filters(q: Query):
    from whoosh import query as wq

    parts = []
    if q.kind:
        parts.append(wq.Term("kind", q.kind))
    if q.tag:
        parts.append(wq.Term("tagx", q.tag.lower()))
    if q.topic:
        parts.append(wq.Term("topicx", q.topic.lower()))
    if q.author:
        parts.append(wq.Term("author", q.author))
    if q.status:
        parts.append(wq.Term("status", q.status))
    if q.since is not None:
        parts.append(wq.NumericRange("created", q.since, None))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _distance(a: str, b: str) -> int:
    """Edits from a to b, a swap of two neighbouring letters counting as one ("prcie" → "price")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        prev2, prev = prev, cur
    return prev[-1]


def _correct(reader, term: str) -> str | None:
    """The closest, then most frequent, indexed word within 1 edit (2 for longer words) of `term`."""
    best: tuple[int, int, str] | None = None
    if len(term) < 4:
        return None
    maxdist = 1 if len(term) < 8 else 2
    # whoosh's fuzzy lookup counts two swapped letters as two edits: the swapped spellings
    # are looked up as words (cheap), the rest within the edit distance
    swaps = {term[:i] + term[i + 1] + term[i] + term[i + 2:] for i in range(len(term) - 1)} - {term}
    for fieldname in ("title", "body"):
        try:
            candidates = [c.decode("utf-8") if isinstance(c, bytes) else c
                          for c in reader.terms_within(fieldname, term, maxdist, prefix=1)]
        except Exception:
            candidates = []
        candidates += [w for w in swaps if reader.doc_frequency(fieldname, w)]
        for cand in candidates:
            dist = _distance(term, cand)
            if cand == term or dist > maxdist:
                continue
            key = (dist, -reader.doc_frequency(fieldname, cand), cand)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def _known(reader, term: str) -> bool:
    return any(reader.doc_frequency(f, term) for f in TEXT_FIELDS)


def _ask_terms(reader, text: str) -> tuple[list[str], dict[str, str]]:
    """The question's content words, stemmed; words no document has are corrected."""
    terms: list[str] = []
    corrections: dict[str, str] = {}
    # "how do we" alone asks nothing: with only question words there is nothing to search for
    content = [w for w in _WORD.findall(text[:2000]) if w.lower() not in QUESTION_WORDS]
    for word in content:
        for stem, _, _ in analyse(word):
            if stem in terms or len(terms) >= 40:
                continue
            if not _known(reader, stem) and len(stem) > 2:
                fixed = _correct(reader, stem)
                if fixed:
                    corrections[word] = fixed
                    stem = fixed
            if stem not in terms:
                terms.append(stem)
    return terms, corrections


def _search_query(searcher, text: str):
    """The query language: fields, "phrases", AND/OR/NOT, wildcards; all words by default."""
    from whoosh import qparser
    from whoosh import query as wq

    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema=searcher.schema, fieldboosts=TEXT_FIELDS,
                                      group=qparser.AndGroup)
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    # `-word` excludes, as in web search; only a leading dash (self-employed stays one word)
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?!)", minusexpr=r"(?<![^\s(])-(?=[\w\"(])"))
    parser.remove_plugin_class(qparser.BoostPlugin)
    text = text[:2000]
    try:
        q = parser.parse(text)
    except Exception:
        q = None
    if q is None or isinstance(q, type(wq.NullQuery)) or q is wq.NullQuery:
        q = None
    phrases: list[list[str]] = []
    if q is not None:
        q = _unphrase_body(_and_not(q), phrases, positive=True)
    terms: list[str] = []
    corrections: dict[str, str] = {}
    reader = searcher.reader()
    if q is not None:
        try:
            for fieldname, t in q.iter_all_terms():
                t = t.decode("utf-8") if isinstance(t, bytes) else str(t)
                if fieldname in TEXT_FIELDS and t not in terms:
                    terms.append(t)
        except Exception:
            pass
        # Typo tolerance: replace words no document has with their nearest indexed word.
        unknown = [t for t in terms if not _known(reader, t) and len(t) > 2]
        if unknown:
            fixed = {t: _correct(reader, t) for t in unknown}
            fixed = {k: v for k, v in fixed.items() if v}
            if fixed:
                q = _replace_terms(q, fixed)
                corrections = {_original_word(text, k): v for k, v in fixed.items()}
                terms = [fixed.get(t, t) for t in terms]
    return q, terms, corrections, phrases


def _and_not(q):
    """`a -b` as `a AND NOT b`: whoosh's own AndNot misses exclusions on small indexes."""
    from whoosh import query as wq

    if isinstance(q, wq.AndNot):
        return wq.And([_and_not(q.a), wq.Not(_and_not(q.b))])
    if q.is_leaf():
        return q
    return q.apply(_and_not)


def _unphrase_body(q, phrases: list[list[str]], positive: bool):
    """The body has no positions (a 2x faster build): a phrase on it becomes all its words,
    and the hits are checked for the words in a row afterwards (see `_has_phrase`)."""
    from whoosh import query as wq

    if isinstance(q, wq.Phrase):
        if q.fieldname != "body":
            return q
        words = [w for w in q.words if w]
        if positive and len(words) > 1 and words not in phrases:
            phrases.append(words)
        return wq.And([wq.Term("body", w) for w in words], boost=q.boost) if words else wq.NullQuery
    if isinstance(q, wq.Not):
        return wq.Not(_unphrase_body(q.query, phrases, not positive))
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _unphrase_body(sub, phrases, positive))


def _has_phrase(root: Path | None, path: str, phrases: list[list[str]]) -> bool:
    if root is None or not phrases:
        return True
    try:
        text = read_bytes(root / path, path).decode("utf-8", errors="replace")[: MAX_BODY_CHARS + 65536]
    except (OSError, LinkRefused):
        return False
    seq = fast_terms(text)
    joined = " " + " ".join(seq) + " "
    return all((" " + " ".join(words) + " ") in joined for words in phrases)


def _original_word(text: str, stem: str) -> str:
    for word in _WORD.findall(text):
        if any(s == stem for s, _, _ in analyse(word)):
            return word
    return stem


def _replace_terms(q, fixed: dict[str, str]):
    from whoosh import query as wq

    if isinstance(q, wq.Term) and q.fieldname in TEXT_FIELDS and q.text in fixed:
        return wq.Term(q.fieldname, fixed[q.text], boost=q.boost)
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _replace_terms(sub, fixed))


class Reading:
    """Queries on one open snapshot of the index (see IndexStore.reading).

    `ask` mode (any of the words, ranked) is scored here in one pass over each term's
    postings: the same BM25F sum whoosh computes for an Or of field-weighted terms, at a
    tenth of the cost of whoosh's matcher tree, and knowing for free which words each
    document matched. The scores of one question serve every filter asked of it (the
    answers, then the open asks). `search` mode (the query language) runs through whoosh.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self._asked: dict[str, tuple[list[str], dict[str, str], dict[int, list]]] = {}
        # whoosh opens a segment's stored fields and length columns on first use; open them
        # now, so a merge or another process's rebuild deleting them meanwhile cannot pull
        # them from under this snapshot (an open file stays readable)
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.doc_count_all():
                reader.stored_fields(0)
                for fieldname in TEXT_FIELDS:
                    reader.doc_field_length(0, fieldname, 1)

    def search(self, q: Query, *, pool: int | None = None, recency: float = 0.05, root: Path | None = None) -> Found:
        """Run a query; results re-ranked with a light recency tie-breaker."""
        if q.mode == "ask":
            return self._ask(q, pool, recency)
        return self._search(q, pool, recency, root)

    def _ask(self, q: Query, pool: int | None, recency: float) -> Found:
        terms, corrections, scored = self._scores(q.text)
        if not terms:
            return Found([], 0, terms, corrections,
                         note="nothing to search for (only question words, stop words or symbols)")
        filt = _filters(q)
        docs = scored.keys()
        if filt is not None:
            docs = scored.keys() & set(self.searcher.docs_for_query(filt))
        window = max(q.limit * 3, pool or 30)
        top = heapq.nlargest(window, docs, key=lambda d: (scored[d][0], -d))
        hits = [self._hit(d, scored[d][0], {t for i, t in enumerate(terms) if scored[d][1] >> i & 1}, recency)
                for d in top]
        hits.sort(key=lambda h: (-h.score, h.path))
        return Found(hits, len(docs), terms, corrections)

    def _scores(self, text: str) -> tuple[list[str], dict[str, str], dict[int, list]]:
        """docnum -> [BM25F score summed over the terms and text fields, bit mask of the terms]."""
        if text in self._asked:
            return self._asked[text]
        terms, corrections = _ask_terms(self.searcher.reader(), text)
        scored: dict[int, list] = {}
        weighting = self.searcher.weighting
        for sub, offset in self.searcher.leaf_searchers():
            reader = sub.reader()
            deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
            lengths: dict[str, Callable[[int], int]] = {}
            for bit, term in enumerate(terms):
                mask = 1 << bit
                for fieldname, boost in TEXT_FIELDS.items():
                    if not reader.doc_frequency(fieldname, term):
                        continue
                    scorer = weighting.scorer(sub, fieldname, term)
                    length = lengths.get(fieldname) or lengths.setdefault(fieldname, _field_lengths(reader, fieldname))
                    # bm25(idf, tf, dl, avgfl, B, K1), folded into constants for the loop
                    k1 = scorer.K1
                    top = scorer.idf * (k1 + 1) * boost
                    flat, per_len = k1 * (1 - scorer.B), k1 * scorer.B / scorer.avgfl
                    for ids, weights in _posting_blocks(reader.postings(fieldname, term)):
                        for d, w in zip(ids, weights):
                            if deleted and d in deleted:
                                continue
                            score = top * w / (w + flat + per_len * length(d))
                            entry = scored.get(d + offset)
                            if entry is None:
                                scored[d + offset] = [score, mask]
                            else:
                                entry[0] += score
                                entry[1] |= mask
        self._asked[text] = terms, corrections, scored
        return self._asked[text]

    def _hit(self, docnum: int, score: float, matched: set[str], recency: float) -> Hit:
        stored = self.searcher.stored_fields(docnum)
        created = int(stored.get("created") or 0)
        age_days = max(0.0, (time.time() - created) / 86400) if created else 3650.0
        return Hit(path=stored["path"], id=stored.get("id", ""), kind=stored.get("kind", ""),
                   title=stored.get("title", ""), author=stored.get("author", ""), created=created,
                   score=float(score) * (1 + recency * math.exp(-age_days / 365)), meta=stored.get("meta") or {},
                   matched=matched)

    def _search(self, q: Query, pool: int | None, recency: float, root: Path | None) -> Found:
        from whoosh import query as wq

        searcher = self.searcher
        query, terms, corrections, phrases = _search_query(searcher, q.text)
        filt = _filters(q)
        if query is None:
            if filt is None or q.text.strip():
                return Found([], 0, terms, corrections, note="nothing to search for (only stop words or symbols)")
            query = wq.Every()
        window = max(q.limit * 3, pool or 30) * (4 if phrases else 1)
        try:
            results = searcher.search(query, limit=window, filter=filt)
        except Exception as exc:  # e.g. a phrase on a field without positions
            raise CopartError(f"cannot run this query: {exc}", hint='quote phrases with "…", fields as title:word')
        hits = []
        contains = _which_terms(searcher, [r.docnum for r in results], terms)
        dropped = 0
        for r in results:
            if phrases and not _has_phrase(root, r.fields()["path"], phrases):
                dropped += 1
                continue
            hits.append(self._hit(r.docnum, r.score or 0.0, contains.get(r.docnum, set()), recency))
        hits.sort(key=lambda h: (-h.score, h.path))
        scored = results.scored_length()
        total = scored if scored < window else max(scored, results.estimated_length())
        if phrases:
            total = len(hits) if len(results) < window else max(len(hits), total - dropped)
        return Found(hits, total, terms, corrections)

    def members(self) -> dict[str, dict[str, Any]]:
        """Every member profile in the index: id -> {name, expertise, path}."""
        from whoosh import query as wq

        out = {}
        for docnum in self.searcher.docs_for_query(wq.Term("kind", "member")):
            f = self.searcher.stored_fields(docnum)
            meta = f.get("meta") or {}
            out[f.get("id", "")] = {"name": meta.get("name") or f.get("title"), "expertise": meta.get("expertise", []),
                                    "path": f["path"], "title": f.get("title", "")}
        return out

    def by_author(self, author: str, limit: int = 200) -> list[Hit]:
        """What this member wrote, newest first."""
        from whoosh import query as wq

        results = self.searcher.search(wq.Term("author", author), limit=limit, sortedby="created", reverse=True)
        return [self._hit(r.docnum, 1.0, set(), 0.0) for r in results]

    def by_paths(self, paths: list[str]) -> list[Hit]:
        """The entries at these paths (those in the index), newest first."""
        from whoosh import query as wq

        if not paths:
            return []
        results = self.searcher.search(wq.Or([wq.Term("path", p) for p in paths]), limit=len(paths),
                                       sortedby="created", reverse=True)
        return [self._hit(r.docnum, 1.0, set(), 0.0) for r in results]


def _posting_blocks(matcher) -> Iterator[tuple[Any, Any]]:
    """A posting list as (docnums, weights) a block at a time.

    whoosh's per-posting methods cost more than the scoring itself, so for its own codec
    (W3) the decoded block arrays are read directly; any other matcher goes one by one.
    """
    m = getattr(matcher, "child", matcher)  # deletions are skipped by the caller
    if not all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block")):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while m.is_active():
        m._read_ids()
        m._read_weights()
        yield m._ids, m._weights
        m._next_block()


def _field_lengths(reader, fieldname: str) -> Callable[[int], int]:
    """docnum -> the field's length as whoosh's BM25F sees it (one byte a document on disk)."""
    from whoosh.util.numeric import byte_to_length

    try:  # the W3 codec's length column, read in one go
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN

        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        count = min(column._count, reader.doc_count_all())  # stored up to the last document with the field
        raw = column._dbfile.get(column._basepos, count) + bytes(reader.doc_count_all() - count)
        if len(raw) == reader.doc_count_all():
            return lambda d: byte_to_length(raw[d]) or 1
    except Exception:
        pass
    return lambda d: reader.doc_field_length(d, fieldname, 1) or 1


def _which_terms(searcher, docnums: list[int], terms: list[str]) -> dict[int, set[str]]:
    """For each of these documents, which query terms it contains (in any text field).

    Done with a skip through each term's postings for the result window only, which lets
    the search itself use whoosh's block-skipping instead of scoring every match.
    """
    out: dict[int, set[str]] = {d: set() for d in docnums}
    if not docnums or not terms:
        return out
    wanted = sorted(set(docnums))
    for reader_, offset in _subreaders(searcher):
        local = [d - offset for d in wanted if offset <= d < offset + reader_.doc_count_all()]
        if not local:
            continue
        for term in terms:
            for fieldname in TEXT_FIELDS:
                try:
                    if not reader_.doc_frequency(fieldname, term):
                        continue
                    m = reader_.postings(fieldname, term)
                except Exception:
                    continue
                for d in local:
                    if not m.is_active():
                        break
                    if m.id() < d:
                        m.skip_to(d)
                    if m.is_active() and m.id() == d:
                        out[d + offset].add(term)
    return out


def _subreaders(searcher):
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())
