"""The per-clone search index in `.git/copart/index/`: generations, locks, building, opening.

Layout of the index folder:

    index/CURRENT        the name of the active generation (written atomically)
    index/g-<stamp>/     a whoosh index + stamp.json (schema version, commit, dirty files)
    index/write.lock     writers take it (flock); readers never do

A full build writes a fresh generation and switches CURRENT only when it is complete, so
a build killed half-way leaves the previous generation (or nothing) in place, never a
broken one. Incremental updates are ordinary whoosh commits into the active generation:
whoosh writes the new table of contents atomically, so a reader sees the old state or the
new one. Anything that fails to open is treated as "no index" and rebuilt.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.adapters.index.analysis import analyzer
from copart_cli.adapters.index.documents import document
from copart_cli.adapters.index.reading import Reading
from copart_cli.core.errors import CopartError

# 8: the field type and codec whoosh pickles into the index moved to whoosh_internals
# 9: plain term frequencies (no field boost at index time: BM25F weighs each field once);
#    member availability in the stored record
SCHEMA_VERSION = 9

Progress = Callable[[int, int], None]


def preload() -> None:
    """Import what every query needs, so timings below measure the work, not the imports."""
    import whoosh.index  # noqa: F401
    import whoosh.searching  # noqa: F401


def schema(fast: bool = True):
    """The index's fields; fast=False indexes text through whoosh's own TEXT (same terms, slower)."""
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

    from copart_cli.adapters.index.whoosh_internals import text_field

    TEXT = text_field(fast)
    ana = analyzer()
    return Schema(
        path=ID(stored=True, unique=True),
        id=ID(stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=ana, stored=True),  # no field_boost: each field's weight is applied once,
        topics=TEXT(analyzer=ana),  # at query time (scoring.PARAMS for ask, TEXT_FIELDS for search)
        tags=TEXT(analyzer=ana),
        tagx=KEYWORD(commas=True),
        topicx=KEYWORD(commas=True),
        author=ID(stored=True),
        status=ID,
        created=NUMERIC(numtype=int, bits=64, stored=True, signed=False),
        body=TEXT(analyzer=ana, phrase=False),
        meta=STORED,
    )


class IndexUnusable(Exception):
    """The index cannot be opened (missing, old schema, corrupt): rebuild it."""


class BuildFailed(CopartError):
    """A build or catch-up could not finish; the index is as it was before it."""


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
        from copart_cli.adapters.index.whoosh_internals import open_index

        cur = self.current_dir()
        if cur is None or self.stamp() is None:
            raise IndexUnusable("no index yet")
        if self._opened is not None and self._opened[0] == cur:
            return self._opened[1]  # whoosh reads the latest table of contents at each searcher()
        try:
            ix = open_index(cur)
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
    def reading(self) -> Iterator[Reading]:
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

        from copart_cli.adapters.index.whoosh_internals import commit_segments

        t0 = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        gen = self.folder / f"g-{time.time_ns():x}-{os.getpid()}"
        gen.mkdir()
        windex.create_in(str(gen), schema())
        procs = _workers(len(paths), procs)
        stats = BuildStats()
        if procs == 1:
            segment, notes, n = _build_part(str(gen), str(root), paths, progress)
            segments = [segment] if segment is not None else []
            stats.notes.extend(notes)
            stats.indexed = n
        else:
            segments = self._build_parallel(gen, root, paths, procs, progress, stats)
        commit_segments(windex.open_dir(str(gen)), segments)
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
        # Ctrl-C is held back while the workers are forked: landing mid-fork, it would leave a
        # worker the pool does not know yet (orphaned, holding the caller's pipes) or one that
        # had not yet learnt to ignore it (a traceback). It arrives inside `with pool`, which
        # then ends the workers.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool = ctx.Pool(procs, initializer=_init_worker, initargs=(counter,))
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        with pool:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            workers = list(pool._pool)  # multiprocessing replaces a killed worker and loses its part
            pending = [pool.apply_async(_build_part, (str(gen), str(root), part, None)) for part in parts if part]
            total = len(paths)
            while not all(p.ready() for p in pending):
                if progress:
                    progress(min(counter.value, total), total)
                if any(w.exitcode not in (None, 0) for w in workers):  # killed (out of memory?): never wait for it
                    raise BuildFailed("an index build worker stopped before it was done (out of memory?)",
                                      hint="the index is as it was; run the command again")
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
        from whoosh.writing import MERGE_SMALL, NO_MERGE

        from copart_cli.adapters.index.whoosh_internals import commit_with, segment_count, segment_writer, without_empty

        t0 = time.perf_counter()
        ix = self.open()
        stats = BuildStats()
        gen = self.current_dir()
        assert gen is not None
        reindex = list(reindex)
        writer = segment_writer(ix, limitmb=32)
        try:
            for rel in remove:
                stats.removed += writer.delete_by_term("path", rel)
            merge = without_empty(MERGE_SMALL if segment_count(ix) > 12 else NO_MERGE)
            procs = _workers(len(reindex))
            if procs > 1:  # a large catch-up (a sync that brought many files): built as a full build is
                for rel in reindex:
                    writer.delete_by_term("path", rel)
                commit_with(writer, self._build_parallel(gen, root, reindex, procs, None, stats), merge)
                reindex = []
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
            if procs == 1:
                writer.commit(mergetype=merge)
        except BaseException:
            if not writer.is_closed:
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
            from copart_cli.adapters.index.whoosh_internals import segment_count

            out["segments"] = segment_count(ix)
        except IndexUnusable as exc:
            out["problem"] = str(exc)
        return out


PARALLEL_FROM = 50  # files; below it forking the workers costs more than it saves (a file takes ~10 ms)


def _workers(files: int, procs: int | None = None) -> int:
    """Build processes for this many files (a full build, or a catch-up)."""
    return 1 if files < PARALLEL_FROM else procs or min(max(1, os.cpu_count() or 1), 4)


_COUNTER = None


def _init_worker(counter) -> None:
    global _COUNTER
    _COUNTER = counter
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report (one line, exit 130)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back by the parent while forking


def _build_part(gen: str, root: str, paths: list[str], progress: Progress | None):
    """Index `paths` into a new segment of the index at `gen` (in a worker process or inline)."""
    from whoosh import index as windex

    from copart_cli.adapters.index.whoosh_internals import drop_segment, finish_segment, segment_writer

    ix = windex.open_dir(gen)
    # compound=False: whoosh reads a compound segment by copying all of it into memory, at
    # every open; plain files are read where needed (20 ms saved per query on the 10x replica)
    writer = segment_writer(ix, _lk=False, limitmb=48)
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
        drop_segment(writer)
        return None, notes, 0
    return finish_segment(writer), notes, n
