"""The things a repertoire is made of, as plain values."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from copart_cli.core import ids


class Kind(str, Enum):
    story = "story"
    practice = "practice"
    member = "member"
    ask = "ask"
    answer = "answer"

    @property
    def folder(self) -> str:
        return KIND_FOLDERS[self]


KIND_FOLDERS: dict[Kind, str] = {
    Kind.story: "stories",
    Kind.practice: "practices",
    Kind.member: "members",
    Kind.ask: "asks",
    Kind.answer: "answers",
}
FOLDER_KINDS: dict[str, Kind] = {v: k for k, v in KIND_FOLDERS.items()}

# Keys every entry needs, and those its kind adds.
REQUIRED_KEYS: tuple[str, ...] = ("id", "kind", "title", "author", "created")
KIND_REQUIRED_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.story: (),
    Kind.practice: (),
    Kind.member: ("name",),
    Kind.ask: ("status",),
    Kind.answer: ("answers",),
}
TEMPLATES_DIR = ".copart/templates"  # a repertoire's own template overrides (templating.py)
LIST_KEYS = ("topics", "tags", "links", "aliases")
# The type of every key copart reads (pushed by partners, so any of them may be wrong).
# A value of the wrong type is a `check` problem; everything else reads it as missing.
TEXT_KEYS = ("id", "kind", "title", "author", "name", "status", "answers", "source")
WORD_LIST_KEYS = (*LIST_KEYS, "expertise", "roles", "email", "ssh_keys", "offers")  # a list, or one text
DATE_KEYS = ("created", "updated", "joined", "review_by", "reviewed", "date", "accepted_at")
BOOL_KEYS = ("accepted",)
_SCALARS = (str, int, float, dt.date)
ASK_STATUSES = ("open", "answered", "closed")
MEMBER_STATUSES = ("active", "alumni")
MEMBER_ROLES = ("partner", "coordinator", "core")


ATTACHMENT_FOLDERS = ("attachments", "assets")  # top folders of the images and files entries embed (Obsidian's)


def is_entry_path(rel: str) -> bool:
    """Whether a repertoire path is an entry: `<kind folder>/[<sub>/...]<id>.md`, nothing hidden."""
    parts = rel.split("/")
    return (len(parts) >= 2 and parts[0] in FOLDER_KINDS and is_entry_name(parts[-1])
            and not any(p.startswith(".") or not p for p in parts[1:-1]))


def is_attachment_path(rel: str) -> bool:
    """Whether a repertoire path is an attachment (see services/repertoire.py, Repertoire.attachment_paths)."""
    parts = rel.split("/")
    return (len(parts) >= 2 and (parts[0] in FOLDER_KINDS or parts[0] in ATTACHMENT_FOLDERS)
            and not parts[-1].lower().endswith(".md") and not any(p.startswith(".") or not p for p in parts[1:]))


def is_entry_name(name: str) -> bool:
    """Whether a file name in a kind folder is an entry: `<id>.md`, not hidden, not a conflict
    copy that sync saved beside an entry (`<id>.conflict-<who>-<when>.md`)."""
    return name.endswith(".md") and not name.startswith(".") and ".conflict-" not in name


def as_text(value: Any) -> str:
    """A frontmatter text key; anything but text (a list, a mapping, a number) reads as missing."""
    return value if isinstance(value, str) else ""


def as_list(value: Any) -> list[str]:
    """A frontmatter list key, tolerant of a bare string or nothing; a mapping, or a list or
    mapping inside the list, reads as missing."""
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, _SCALARS)]
    return [str(value)]


def as_datetime(value: Any) -> dt.datetime | None:
    """A frontmatter date as an aware datetime (UTC if it names no offset), or None if it is no real date."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        try:  # 0001-01-01T00:00+05:00 has no UTC time, so it is no date
            value.astimezone(dt.timezone.utc)
        except OverflowError:
            return None
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return None


def type_problem(key: str, value: Any) -> str | None:
    """What is wrong with `value` for `key` (e.g. "is not a date"), or None if copart can read it."""
    if value is None or value == "":
        return None
    if key in DATE_KEYS and as_datetime(value) is None:
        return "is not a date"
    if key in TEXT_KEYS and not isinstance(value, str):
        return f"should be text, not {_type_name(value)}"
    if key in WORD_LIST_KEYS and not (isinstance(value, _SCALARS) or isinstance(value, list)
                                      and all(isinstance(v, _SCALARS) for v in value)):
        return "should be a list of words"
    if key in BOOL_KEYS and not isinstance(value, bool):
        return "must be true or false"
    return None


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return {list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 UTC with a Z, the one time format copart writes and prints."""
    if value is None:
        return None
    try:
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:  # 0001-01-01T00:00+05:00, as YAML reads it: no time UTC can show
        return None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)  # sorts undated things first


def pinned_now(environ: Mapping[str, str]) -> dt.datetime | None:
    """COPART_NOW (an ISO time) pins "now" for reproducible digests and stats (tests, reports).

    Read at the edge (the command passes os.environ), never deep inside a service.
    """
    text = environ.get("COPART_NOW")
    return as_datetime(text) if text else None


def jsonable(value: Any) -> Any:
    """Frontmatter values as JSON: dates as ISO-8601 UTC, everything else as is or as text."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # YAML's .inf and .nan have no JSON spelling
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# An inline tag: '#' at the start or after a space, then letters, digits, _ - / (not only digits)
_INLINE_TAG = re.compile(r"(?:^|(?<=\s))#([^\W\d][\w/-]*|[\w/-]*\d[\w/-]*[^\W\d][\w/-]*)", re.UNICODE)
_CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"`+[^`\n]*`+")  # `inline code` within one line


def prose_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(0-based number, line) of the lines outside fenced code blocks (``` or ~~~), fences left
    out: where links, tags and headings are read."""
    in_code = False
    for n, line in enumerate(lines):
        if _CODE_FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            yield n, line


def inline_tags(body: str) -> list[str]:
    """The #tags in a body (Obsidian's inline tags), in order, each once; code is not looked at."""
    found: list[str] = []
    for _, line in prose_lines(body.splitlines()):
        if "#" not in line or line.startswith(("    ", "\t")):
            continue
        for m in _INLINE_TAG.finditer(CODE_SPAN.sub(" ", line)):
            tag = m.group(1).rstrip("/-")
            if tag and len(tag) <= 80:
                found.append(tag)
    return list(dict.fromkeys(found))


@dataclass
class Entry:
    """One Markdown file of the repertoire: frontmatter plus body."""

    path: str  # repertoire-relative, forward slashes
    meta: dict[str, Any]
    body: str
    raw_frontmatter: str = ""  # the YAML text exactly as on disk
    pending: bool = False  # lives on a contribution branch, not yet on main

    @property
    def id(self) -> str:
        return as_text(self.meta.get("id")) or ids.of_path(self.path)

    @property
    def kind(self) -> str:
        return as_text(self.meta.get("kind"))

    @property
    def title(self) -> str:
        return as_text(self.meta.get("title")) or self.id

    @property
    def author(self) -> str:
        return as_text(self.meta.get("author"))

    @property
    def created(self) -> dt.datetime | None:
        return as_datetime(self.meta.get("created"))

    @property
    def topics(self) -> list[str]:
        return as_list(self.meta.get("topics"))

    @property
    def tags(self) -> list[str]:
        """The frontmatter's tags, then the body's inline #tags (Obsidian's), each once."""
        given = as_list(self.meta.get("tags"))
        if "#" not in self.body:
            return given
        return list(dict.fromkeys([*given, *inline_tags(self.body)]))

    @property
    def aliases(self) -> list[str]:
        """Other names a [[link]] may use for this entry (Obsidian's `aliases`)."""
        return as_list(self.meta.get("aliases"))

    @property
    def links(self) -> list[str]:
        return as_list(self.meta.get("links"))

    @property
    def source(self) -> str | None:
        return as_text(self.meta.get("source")) or None


@dataclass
class Member:
    """A member profile seen as know-who."""

    id: str
    name: str
    emails: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    expertise: list[str] = field(default_factory=list)
    status: str = "active"
    ssh_keys: list[str] = field(default_factory=list)  # public keys, "type base64 [comment]"

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles

    @classmethod
    def from_entry(cls, entry: Entry) -> "Member":
        m = entry.meta
        return cls(
            id=entry.id,
            name=as_text(m.get("name")) or entry.title,
            emails=[e.lower() for e in as_list(m.get("email"))],
            roles=as_list(m.get("roles")),
            expertise=as_list(m.get("expertise")),
            status=as_text(m.get("status")) or "active",
            ssh_keys=[" ".join(k.split()) for k in as_list(m.get("ssh_keys")) if k.strip()],
        )


@dataclass
class Problem:
    """Something `check` found wrong, pinned to a file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """'7d', '2w', '3m', '1y', 'today', 'yesterday' or an ISO date, as a UTC datetime."""
    import re

    from copart_cli.core.errors import UsageError

    now = now or utcnow()
    t = text.strip().lower()
    if t == "today":
        return now.replace(hour=0, minute=0, second=0)
    if t == "yesterday":
        return now.replace(hour=0, minute=0, second=0) - dt.timedelta(days=1)
    m = re.fullmatch(r"(\d{1,5})\s*([hdwmy])", t)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = {"h": n / 24, "d": n, "w": 7 * n, "m": 30 * n, "y": 365 * n}[unit]
        try:
            return now - dt.timedelta(days=days)
        except OverflowError:  # 99999y: before the year 1
            raise UsageError(f"'{text}' reaches back before the year 1", hint="use e.g. 7d, 2w, 3m or 10y") from None
    parsed = as_datetime(text.strip())
    if parsed is None:
        raise UsageError(f"cannot read '{text}' as a time", hint="use e.g. 7d, 2w, 3m, 1y or 2026-11-01")
    return parsed


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 member', '2 members' ('1 entry', '3 entries' with MANY)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


# Characters that drive a terminal instead of printing: controls but tab and newline (ESC
# sequences, a lone CR), C1 controls, and the bidi embeddings, overrides and isolates that
# make a line read differently from what it holds. ui makes them visible; commit messages
# leave them out (adapters/gitrepo/process.py).
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI + "]")
