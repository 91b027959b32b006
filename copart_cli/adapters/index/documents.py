"""What is indexed for one file (see docs/search.md), as plain values: no whoosh here.

Title (x3), topics (x2, profile expertise included), tags (x1.5) and the first
MAX_BODY_CHARS of the body, all stemmed. The body is *not* stored: passages are cut from
the file on disk, which the catch-up has just made sure the index matches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.adapters.files import MAX_ENTRY_BYTES, open_read
from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import CopartError, InvalidEntry, LinkRefused
from copart_cli.core.model import FOLDER_KINDS, as_datetime, as_list, as_text

MAX_BODY_CHARS = 256 * 1024  # index at most this much of a body: huge files are cut, with a note
MAX_FILE_BYTES = MAX_ENTRY_BYTES  # larger files are not read at all: no entry either (show, check, list)
TEXT_FIELDS = {"title": 3.0, "topics": 2.0, "tags": 1.5, "body": 1.0}


@dataclass
class Hit:
    """One search result, as plain values (no whoosh types leave this package)."""

    path: str
    id: str
    kind: str
    title: str
    author: str
    created: int  # epoch seconds, 0 if unknown
    score: float
    meta: dict[str, Any]
    matched: set[str] = field(default_factory=set)  # the query terms (stemmed) it matched
    strength: float = 0.0  # ask: its BM25F as a share of what an entry matching every term fully scores
    fit: float = 0.0  # ask: its BM25F as a share of what the best entry for each term scores for it
    section: Any = None  # ask: its best heading section (a sections.Section), for the passage


def split_body(text: str) -> tuple[str, str]:
    """(frontmatter YAML, body) by the fences alone, without parsing YAML; a file without
    (closed) fences is all body. Any size of frontmatter counts here: the index reads what
    it can, `check` is the one that complains."""
    try:
        parts = frontmatter.split(text, limit=None)
    except InvalidEntry:
        return "", text.removeprefix("\ufeff")
    return parts.frontmatter, parts.body


def _epoch(value: Any) -> int:
    """A frontmatter date as seconds since 1970 (0 for none): the model's reading, so a date
    that is no date (2026-02-30) is missing here too, never an error."""
    when = as_datetime(value)
    return max(0, int(when.timestamp())) if when else 0


def _read(root: Path, rel: str) -> tuple[bytes | None, str | None]:
    """The file's bytes, or (None, why it cannot be indexed)."""
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
    return data, None


def document(root: Path, rel: str) -> tuple[dict[str, Any] | None, str | None]:
    """The fields to index for one file, or (None, why it was skipped)."""
    data, why = _read(root, rel)
    if data is None:
        return None, why
    fm, body = split_body(data.decode("utf-8", errors="replace"))
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
    return _fields(rel, meta, body), note


def _fields(rel: str, meta: dict[str, Any], body: str) -> dict[str, Any]:
    stem = ids.of_path(rel)
    text = lambda key: as_text(meta.get(key))  # noqa: E731 - a value of the wrong type reads as missing
    folder = FOLDER_KINDS.get(rel.split("/", 1)[0])
    kind = text("kind") or (folder.value if folder else "")
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
        # a member who left (status: alumni) or takes no work now (available: false)
        "available": kind != "member" or (text("status") != "alumni" and meta.get("available") is not False),
    }
    doc = {
        "path": rel,
        "id": text("id") or stem,
        "kind": kind,
        "title": " ".join([title, *as_list(meta.get("aliases"))]),  # aliases are title words (Obsidian's)
        "_stored_title": title,  # whoosh stores this instead: results show the title alone
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
    return {k: v for k, v in doc.items() if v is not None and v != ""}
