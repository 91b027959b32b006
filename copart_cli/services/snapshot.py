"""Reading a repertoire once for digest, stats, stale, pathways and the site.

Entries are read once into a `Snapshot`; git history is read once (one `git log`) and only
where a figure needs it: edits, who edited, when an answer was accepted, when an entry was
last touched. Dates of entries come from their `created` frontmatter (clones reset file
times, and imports keep the original dates there), never from file times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass

from copart_cli.core import ids
from copart_cli.core.links import WIKI_LINK
from copart_cli.adapters.files import open_read, read_cache, refuse_binary, write_cache
from copart_cli.core.model import EPOCH, KIND_FOLDERS, Entry, Kind, Member, Problem, as_datetime, jsonable
from copart_cli.services.repertoire import Repertoire, problem_from

KIND_ORDER = ("story", "practice", "ask", "answer", "member")


@dataclass
class Edit:
    """One commit's change to one entry file."""

    path: str
    status: str  # A M D
    when: dt.datetime
    member: str  # member id (or a slug of the git name when no profile lists the email)


class Snapshot:
    """Every entry, member and answer of a repertoire, plus its history on demand."""

    def __init__(self, rep: Repertoire, *, bodies: bool = True):
        self.rep = rep
        self.unreadable: list[Problem] = []  # files left out, for the command to name on stderr
        self.entries: list[Entry] = (list(rep.entries(self.unreadable)) if bodies
                                     else _headers(rep, self.unreadable))
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self.by_path: dict[str, Entry] = {e.path: e for e in self.entries}
        self.members: dict[str, Member] = {
            e.id: Member.from_entry(e) for e in self.entries if e.kind == Kind.member.value
        }
        self._emails = {mail: m.id for m in self.members.values() for mail in m.emails}
        self.answers: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.kind == Kind.answer.value and e.meta.get("answers"):
                self.answers[str(e.meta["answers"])].append(e)
        for answers in self.answers.values():
            answers.sort(key=lambda a: (a.created or EPOCH, a.id))
        self._edits: list[Edit] | None = None
        self._kinds: dict[str, list[Entry]] | None = None
        self._credits = None  # attribution.Credits, read with the history
        self._added_by: dict[str, str | None] = {}  # path -> signer of the newest commit adding it

    def of_kind(self, kind: str) -> list[Entry]:
        if self._kinds is None:
            self._kinds = defaultdict(list)
            for e in self.entries:
                self._kinds[e.kind].append(e)
        return self._kinds.get(kind, [])

    def member_name(self, member_id: str) -> str:
        m = self.members.get(member_id)
        return m.name if m else member_id

    def member_of(self, name: str, email: str) -> str:
        return self._emails.get(email.lower()) or ids.slugify(name) or email.lower()

    def edits(self, since: dt.datetime | None = None) -> list[Edit]:
        """Every change to an entry file, newest first, from ONE `git log`."""
        if self._edits is None:
            from copart_cli.services import attribution

            found: list[Edit] = []
            folders = [f + "/" for f in KIND_FOLDERS.values()]
            commits = self.rep.git.history(*KIND_FOLDERS.values())
            self._credits = attribution.credits(self.rep, commits)
            for commit in commits:
                when = as_datetime(commit.authored) or EPOCH
                signer = self._credits.by_commit.get(commit.sha)
                member = signer or self.member_of(commit.author_name, commit.author_email)
                for status, path in commit.changes:
                    if path.endswith(".md") and path.startswith(tuple(folders)):
                        found.append(Edit(path, status, when, member))
                        if status == "A":
                            self._added_by.setdefault(path, signer)
            self._edits = found
        if since is None:
            return self._edits
        return [e for e in self._edits if e.when >= since]

    def author_of(self, e: Entry) -> str:
        """Who is credited with an entry: the member who signed the commit that added it (attribution.py)."""
        self.edits()
        return self._credits.author(e.author, self._added_by.get(e.path))

    def credited(self, e: Entry) -> Entry:
        """The entry as shown: its `author` is the member credited with it."""
        who = self.author_of(e)
        return e if who == e.author else dataclasses.replace(e, meta={**e.meta, "author": who})

    def last_touched(self) -> dict[str, dt.datetime]:
        """For each entry path, the newest commit that modified it (adding it does not count)."""
        last: dict[str, dt.datetime] = {}
        for edit in self.edits():
            if edit.status == "M" and (edit.path not in last or edit.when > last[edit.path]):
                last[edit.path] = edit.when
        return last


HEADER_CACHE = "frontmatter-cache.json"  # in .git/copart/: local, derived, never committed
_HEADER_CACHE_VERSION = "1"


def _headers(rep: Repertoire, unreadable: list[Problem]) -> list[Entry]:
    """Entries with their frontmatter only (stats never need bodies); files that cannot be
    read go into UNREADABLE (they are never cached, so they are named on every run).

    Parsing YAML is most of the cost on a large repertoire, so parsed frontmatter is cached
    in .git/copart/, keyed by each file's size and modification time: only new or changed
    files are parsed again.
    """
    from copart_cli.core import frontmatter
    from copart_cli.core.errors import InvalidEntry

    cache_path = rep.state_dir / HEADER_CACHE
    cached = read_cache(cache_path, _HEADER_CACHE_VERSION)
    fresh: dict[str, list] = {}
    found: list[Entry] = []
    root = str(rep.root)
    changed = False
    for rel in rep.entry_paths():
        path = os.path.join(root, rel)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        hit = cached.get(rel)
        if isinstance(hit, list) and len(hit) == 3 and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            meta = hit[2]
        else:
            changed = True
            try:
                with open_read(path, rel) as fh:
                    raw = fh.read(16384)
                    if b"\n---" not in raw[3:] and b"\n..." not in raw[3:]:
                        raw += fh.read(frontmatter.MAX_FRONTMATTER)
                refuse_binary(raw, rel)  # as an entry's full reading (files.read_text) says it
                parts = frontmatter.split(raw.decode("utf-8", errors="replace"), rel)
                meta = jsonable(frontmatter.load(parts.frontmatter, rel))
            except OSError as exc:
                unreadable.append(Problem(rel, 1, f"cannot read: {exc.strerror or exc}"))
                continue
            except InvalidEntry as exc:
                unreadable.append(problem_from(exc, rel))
                continue
        if not isinstance(meta, dict):
            unreadable.append(Problem(rel, 1, "frontmatter is not a mapping of keys"))
            continue
        fresh[rel] = [st.st_mtime_ns, st.st_size, meta]
        found.append(Entry(path=rel, meta=meta, body=""))
    if changed or len(fresh) != len(cached):
        write_cache(cache_path, _HEADER_CACHE_VERSION, fresh)
    return found


_HIDDEN = re.compile(r"<(script|style|iframe|svg|object)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMBED = re.compile(r"!\[\[[^\]\n]*\]\]")  # ![[chart.png]]: an image has no words for a summary


def summary(entry: Entry, limit: int = 200) -> str:
    """The first paragraph of prose of an entry, as one line (headings and lists skipped)."""
    body = _MARKUP.sub("", _HIDDEN.sub("", entry.body))
    for block in body.split("\n\n"):
        block = WIKI_LINK.sub(lambda m: (m.group(3) or m.group(1)).strip(), _EMBED.sub("", block))  # its words
        block = _MD_LINK.sub(r"\1", block).replace("**", "").replace("__", "")
        lines = [ln.strip() for ln in block.strip().splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("#", "|", "```", "<", "---", "- ", "* ", ">"))]
        text = " ".join(lines).strip()
        if len(text) >= 20:
            return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ""


def sort_time(e: Entry) -> dt.datetime:
    return e.created or EPOCH


def ask_status(e: Entry) -> str:
    return str(e.meta.get("status") or "open")
