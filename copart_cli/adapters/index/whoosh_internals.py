"""Every use of whoosh's private internals, each with the public-API way beside it.

They make copart fast (see docs/search.md); a whoosh release that changes them should cost
speed, not correctness: each fast path falls back to (or can be swapped for) the public
one, and tests/test_index.py checks both give the same results.

This module imports whoosh at the top, so it is only imported from inside functions. The
classes live at module level because whoosh pickles them into the index (the schema's
field types, the segments' codec) and unpickling finds them here by name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PostingsWriter
from whoosh.fields import TEXT
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

from copart_cli.adapters.index.analysis import fast_terms

if TYPE_CHECKING:  # whoosh.writing is loaded by the writes that need it, not by every query
    from whoosh.writing import SegmentWriter

SMALL_BLOCK = 8  # posting blocks shorter than this are written uncompressed


# -- indexing text ---------------------------------------------------------------------


class FastText(TEXT):
    """TEXT whose indexing skips whoosh's per-token generator chain (3-4x faster).

    It produces exactly the tokens StemmingAnalyzer does (same pattern, lowercase, stop
    words with renumbered positions, Porter stems), encoded as whoosh's Positions and
    Frequency formats encode them, so queries and phrases analysed by the ordinary
    analyzer match what was indexed.
    """

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
            for term, n in counts.items():
                yield term.encode("utf-8"), n, n * boost, pack_uint(n)


def text_field(fast: bool = True) -> type:
    """The field type for text: FastText, or whoosh's own TEXT (the public way)."""
    return FastText if fast else TEXT


# -- writing postings ------------------------------------------------------------------


class PostingsWriter(W3PostingsWriter):
    def _write_block(self, last=False):
        # zlib on a block of a few postings costs more time than it saves bytes (most
        # terms of a catch-up segment have one posting); each block records whether it
        # is compressed, so whoosh's own reader reads both kinds.
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


def codec(fast: bool = True):
    """whoosh's codec with uncompressed small posting blocks, or whoosh's default one."""
    return Codec() if fast else default_codec()


# -- segments: one per build worker, committed together by the parent ------------------


def segment_writer(ix, fast: bool = True, **options) -> SegmentWriter:
    """A writer for one new segment; `_lk=False` lets build workers write side by side
    (the parent holds copart's write.lock, whoosh's own lock would serialise them)."""
    from whoosh.writing import SegmentWriter

    return SegmentWriter(ix, codec=codec(fast), compound=False, **options)


def finish_segment(writer):
    """The written segment, not yet in the index: the parent commits it (commit_segments)."""
    return writer._finalize_segment()


def drop_segment(writer) -> None:
    """Close a build worker's writer that wrote nothing. Not whoosh's cancel(): that deletes
    the index's temporary folder, which every writer of the index shares, under the writers
    still at work."""
    writer._close_segment()
    writer.is_closed = True


def without_empty(mergetype):
    """A merge policy that first leaves out segments whose every document was replaced or
    removed (whoosh keeps them until a merge picks them, and a large catch-up leaves many)."""
    def merge(writer, segments):
        return mergetype(writer, [s for s in segments if s.doc_count()])

    return merge


def commit_segments(ix, segments: list, fast: bool = True) -> None:
    """Make these finished segments the index's table of contents, in one commit.

    whoosh has no public call for this: its own way is one writer in one process."""
    from whoosh.writing import SegmentWriter

    writer = SegmentWriter(ix, codec=codec(fast))
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()


def commit_with(writer, segments: list, mergetype) -> None:
    """Commit a writer's own changes (its deletions, any documents) together with segments
    that build workers finished, in one table of contents: a reader sees all or none.

    whoosh's commit() takes only the writer's own segment; this is its body, plus those."""
    final = writer._merge_segments(mergetype, None, None)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final + segments)
    writer._finish()


def segment_count(ix, fast: bool = True) -> int:
    if fast:
        with contextlib.suppress(AttributeError):
            return len(ix._segments())
    with ix.reader() as reader:  # the public way opens every segment
        return len(reader.leaf_readers()) if not reader.is_atomic() else int(reader.doc_count_all() > 0)


# -- reading postings and lengths ------------------------------------------------------


def posting_blocks(matcher) -> Iterator[tuple[Any, Any]]:
    """A posting list as (docnums, weights) a block at a time.

    whoosh's per-posting methods cost more than the scoring itself, so for its own codec
    (W3) the decoded block arrays are read directly; any other matcher goes one by one.
    """
    m = getattr(matcher, "child", matcher)  # deletions are skipped by the caller
    if not all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_ids", "_weights")):
        yield from posting_blocks_public(matcher)
        return
    while m.is_active():
        m._read_ids()
        m._read_weights()
        yield m._ids, m._weights
        m._next_block()


def posting_blocks_public(matcher) -> Iterator[tuple[list[int], list[float]]]:
    """The same as posting_blocks, one posting at a time through whoosh's public matcher API."""
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


def field_lengths(reader, fieldname: str) -> Callable[[int], int]:
    """docnum -> the field's length as whoosh's BM25F sees it (one byte a document on disk)."""
    try:  # the W3 codec's length column, read in one go
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        count = min(column._count, reader.doc_count_all())  # stored up to the last document with the field
        raw = column._dbfile.get(column._basepos, count) + bytes(reader.doc_count_all() - count)
        if len(raw) == reader.doc_count_all():
            return lambda d: byte_to_length(raw[d]) or 1
    except Exception:
        pass
    return field_lengths_public(reader, fieldname)


def field_lengths_public(reader, fieldname: str) -> Callable[[int], int]:
    """The same as field_lengths, a document at a time through whoosh's public reader API."""
    return lambda d: reader.doc_field_length(d, fieldname, 1) or 1


def open_index(folder: Path):
    """The whoosh index in FOLDER, its schema unpickled once: `whoosh.index.open_dir(folder)`
    (the public way) unpickles it there, again at each `ix.schema`, and at each searcher's
    table of contents, which a constellation pays per community. Given the schema, whoosh
    skips it when it reads the table of contents."""
    from whoosh import index as windex
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(folder))
    return windex.FileIndex(storage, schema=windex.TOC.read(storage, windex._DEF_INDEX_NAME).schema)
