"""`copart import PATH`: bring an existing folder of Markdown in as entries, in one commit.

Each Markdown file becomes `<kind folder>/<id>.md`:
- an existing frontmatter is kept (a '---' block, or the longer '-----' fences some wikis
  and the Kubernetes election pages use); copart adds or sets only `id`, `kind`, `author`,
  `created`, `source` (and `title` when there is none), and keeps any value it replaced
  under `imported_<key>`;
- the title comes from the frontmatter, else the first heading, else the file name;
- the id is a slug of the file name (so Obsidian-style [[Note name]] links resolve), made
  from the folder too for generic names (README, index) and made unique;
- `source` is the file's path relative to PATH;
- the body is kept byte for byte.
Skipped files (not Markdown, binary, empty, unreadable, too large, symbolic links) are
counted and listed with the reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import CopartError, InvalidEntry, UsageError
from copart_cli.adapters.files import MAX_ENTRY_BYTES, open_new, read_bytes
from copart_cli.core.model import Entry, Kind, iso, type_problem, utcnow
from copart_cli.services.repertoire import Repertoire

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
GENERIC_STEMS = {"readme", "index", "_index", "home", "main", "overview", "untitled"}
OWNED_KEYS = ("id", "kind", "author", "created", "source")
_LONG_FENCE = re.compile(r"\A\ufeff?(-{4,})[ \t]*\r?\n(.*?)^-{3,}[ \t]*\r?$\n?", re.S | re.M)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")
_FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)")

Progress = Callable[[int, int], None]


@dataclass
class Skipped:
    path: str  # relative to the imported folder
    reason: str


@dataclass
class ImportResult:
    view = "search"
    source: Path
    kind: str
    imported: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    commit: str | None = None
    added_member: str | None = None  # a profile created for the importing person
    notes: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    meta: dict[str, Any]
    fm_text: str | None  # the original YAML text, or None when the file had none
    body: str
    unreadable_fm: bool = False  # it opened with a frontmatter fence, but what followed was not YAML


def _split_existing(text: str, rel: str) -> _Parsed:
    """The file's own frontmatter (if it has a readable one) and its body."""
    if text.startswith(("---", "\ufeff---")):
        m = _LONG_FENCE.match(text)
        if m and len(m.group(1)) >= 4:
            fm_text, body = m.group(2), text[m.end():]
        else:
            try:
                parts = frontmatter.split(text, rel)
            except InvalidEntry:
                return _Parsed({}, None, text)
            fm_text, body = parts.frontmatter, parts.body
        try:
            meta = frontmatter.load(fm_text, rel)
        except InvalidEntry:
            return _Parsed({}, None, text, unreadable_fm=True)  # not YAML after all: keep it all as text
        if not meta:
            return _Parsed({}, None, body) if not fm_text.strip() else _Parsed({}, None, text)
        if not fm_text.endswith("\n"):
            fm_text += "\n"
        return _Parsed(meta, fm_text, body)
    return _Parsed({}, None, text)


def first_heading(body: str) -> str | None:
    in_code = False
    for n, line in enumerate(body.splitlines()):
        if n > 400:
            break
        if _FENCE_LINE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = _HEADING.match(line)
        if m:
            title = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", lambda mm: mm.group(1) or "", m.group(1)).strip()
            if title:
                return title
    return None


def _title(meta: dict[str, Any], body: str, stem: str) -> str:
    given = meta.get("title")
    if isinstance(given, str) and given.strip():
        return " ".join(given.split())[:300]
    heading = first_heading(body)
    if heading:
        return " ".join(heading.split())[:300]
    return stem.replace("_", " ").replace("-", " ").strip() or stem


def _base_id(rel: str, title: str) -> str:
    parts = rel.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    base = ids.slugify(stem)
    if not base or base in GENERIC_STEMS or base.replace("-", "").isdigit() and len(parts) > 1:
        context = [p for p in parts[:-1] if p not in (".", "")][-2:]
        base = ids.slugify(" ".join(context + ([stem] if base not in GENERIC_STEMS else []))) or ids.slugify(title)
    return base or "imported"


def _created(meta: dict[str, Any], now):
    from copart_cli.core.model import as_datetime

    for key in ("created", "date"):
        value = as_datetime(meta.get(key))
        if value is not None:
            return value
    return now


def _read(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason to skip)."""
    try:
        if path.is_symlink():
            return None, "symbolic link"
        size = path.stat().st_size
        if size > MAX_ENTRY_BYTES:
            return None, f"too large ({size // 1024} KiB; an entry may be 2 MiB)"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    if b"\0" in data[:65536]:
        return None, "binary"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    if not text.strip() or not text.lstrip("\ufeff").strip():
        return None, "empty"
    return text, None


def _walk(root: Path) -> tuple[list[str], list[Skipped]]:
    found: list[str] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            rel = (base / name).relative_to(root).as_posix()
            if not name.lower().endswith(MARKDOWN_SUFFIXES):
                skipped.append(Skipped(rel, "not Markdown"))
                continue
            found.append(rel)
    return found, skipped


def _author(rep: Repertoire) -> tuple[str, str | None]:
    """The importing member's id, and the text of a new profile when they have none yet."""
    ident = rep.git.identity()
    member = rep.member_for_email(ident.email)
    if member:
        return member.id, None
    author = ids.slugify(ident.name) or ids.slugify(ident.email.split("@")[0]) or "importer"
    if rep.locate_id(author) is not None:
        return author, None  # a member of that id exists (or another entry: check will say)
    profile = frontmatter.dump({
        "id": author, "kind": "member", "title": ident.name, "name": ident.name, "author": author,
        "created": iso(utcnow()), "email": [ident.email], "roles": ["partner"], "status": "active",
    })
    text = f"---\n{profile}---\nAdded by `copart import` so that imported entries have a known author.\n"
    return author, text


def import_folder(rep: Repertoire, source: Path, kind: Kind = Kind.practice,
                  progress: Progress | None = None) -> ImportResult:
    source = source.expanduser()
    _check_source(rep, source, kind)
    found, skipped = _walk(source)
    result = ImportResult(source=source, kind=kind.value, skipped=skipped)
    (rep.root / kind.folder).mkdir(exist_ok=True)
    now = utcnow()
    # The whole write, from the first file to the commit, happens under the write lock with
    # every file journaled before it is created: a killed import is rolled back by the next
    # writer (Repertoire.recover), so importing again gives each file exactly once; a failed
    # one (a full disk) removes its files itself.
    with rep.write_lock():
        earlier = _imported_before(rep)
        files = _NewFiles(rep, rep.bulk_write())
        try:
            author, profile = _author(rep)
            if profile is not None:
                (rep.root / Kind.member.folder).mkdir(exist_ok=True)
                if not files.create(f"{Kind.member.folder}/{author}.md", profile):
                    raise CopartError(f"{Kind.member.folder}/{author}.md appeared while importing; nothing was imported",
                                      hint="run the import again")
                files.claimed.add(author)
                result.added_member = author
            unreadable, mistyped = _import_files(source, found, kind, author, now, earlier, files, result, progress)
            if not result.imported:
                for rel in files.written:
                    (rep.root / rel).unlink(missing_ok=True)
                files.written.clear()
                return result
            count = len(result.imported)
            message = f"import: {count} {kind.value} entr{'y' if count == 1 else 'ies'} from {source.name or source}"
            # the write door: under review, the whole import is one contribution, not a commit on main
            result.commit = rep.commit(files.written, message, contribution=f"import {source.name}")
        except BaseException:
            # Nothing of the user's is lost by removing our copies: the originals are untouched.
            if result.commit is None:
                for rel in files.written:
                    try:
                        (rep.root / rel).unlink()
                    except OSError:
                        pass
            raise
        finally:
            files.bulk.done()
    pending = rep.pending_paths()
    for entry in result.imported:
        entry.pending = entry.path in pending
    _add_notes(result, unreadable, mistyped)
    return result


def _check_source(rep: Repertoire, source: Path, kind: Kind) -> None:
    if not source.exists():
        raise UsageError(f"{source} does not exist")
    if not source.is_dir():
        raise UsageError(f"{source} is not a folder", hint="copart import takes a folder of Markdown files")
    src_resolved = source.resolve()
    if src_resolved == rep.root or rep.root in src_resolved.parents:
        raise UsageError(f"{source} is inside the repertoire", hint="import a folder from outside it")
    if kind == Kind.member or kind == Kind.answer:
        raise UsageError(f"cannot import files as {kind.value} entries",
                         hint="use --kind practice, story or ask")


class _NewFiles:
    """The files one import creates: journaled first, so a roll-back knows exactly which are ours."""

    def __init__(self, rep: Repertoire, bulk):
        self.rep = rep
        self.bulk = bulk
        self.written: list[str] = []
        self.claimed: set[str] = set()  # ids given out by this import

    def taken(self, candidate: str) -> bool:
        return candidate in self.claimed or self.rep.id_taken(candidate)

    def create(self, rel: str, text: str) -> bool:
        """Journal, then write one new file; False when the path is taken. A file counts as
        written (so a failure removes it) from its creation on: half of it is never left."""
        self.bulk.add(rel)
        try:
            fh = open_new(self.rep.root / rel, rel)
        except FileExistsError:  # not ours: a roll-back must leave it alone
            self.bulk.add("-" + rel)
            return False
        self.written.append(rel)
        with fh:
            fh.write(text)
        return True


def _import_files(source: Path, found: list[str], kind: Kind, author: str, now, earlier: dict[tuple[str, str], str],
                  files: _NewFiles, result: ImportResult, progress: Progress | None) -> tuple[list[str], list[str]]:
    """Convert and write each file found; returns the files with unreadable and with mistyped frontmatter."""
    unreadable: list[str] = []
    mistyped: list[str] = []  # a date that is none, a list for a title: read as missing
    total = len(found)
    for n, rel_src in enumerate(found, 1):
        if progress:
            progress(n, total)
        text, why = _read(source / rel_src)
        if text is None:
            result.skipped.append(Skipped(rel_src, why or "unreadable"))
            continue
        parsed = _split_existing(text, rel_src)
        same = earlier.get((rel_src, parsed.body))
        if same:
            result.skipped.append(Skipped(rel_src, f"already imported (as {same}, unchanged)"))
            continue
        if parsed.unreadable_fm:
            unreadable.append(rel_src)
        wrong = [f"'{k}' {why}" for k, v in parsed.meta.items() if (why := type_problem(k, v))]
        if wrong:
            mistyped.append(f"{rel_src} ({', '.join(wrong)})")
        entry_text, entry = _convert(parsed, rel_src, kind, author, now, files.taken)
        files.claimed.add(entry.id)
        if files.create(entry.path, entry_text):
            result.imported.append(entry)
    return unreadable, mistyped


def _add_notes(result: ImportResult, unreadable: list[str], mistyped: list[str]) -> None:
    if unreadable:
        shown = ", ".join(unreadable[:3]) + (f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else "")
        result.notes.append(f"{len(unreadable)} file{'s have' if len(unreadable) > 1 else ' has'} frontmatter that is "
                            f"not valid YAML, imported as text: {shown}")
    if mistyped:
        shown = "; ".join(mistyped[:3]) + (f" and {len(mistyped) - 3} more" if len(mistyped) > 3 else "")
        result.notes.append(f"{len(mistyped)} file{'s have values' if len(mistyped) > 1 else ' has a value'} copart "
                            f"cannot read, imported and read as missing: {shown}")
    links = sum(1 for e in result.imported if "[[" in e.body)
    if links:
        result.notes.append(f"{links} imported entr{'y has' if links == 1 else 'ies have'} [[wiki-links]]; "
                            "copart check reports those that name no entry")


def _imported_before(rep: Repertoire) -> dict[tuple[str, str], str]:
    """(source, body) -> id of every entry an earlier import wrote, so that importing the same
    folder again adds only what is new or changed. Only files recording a source are parsed."""
    found: dict[tuple[str, str], str] = {}
    for rel in rep.entry_paths():
        try:
            text = read_bytes(rep.root / rel, rel).decode("utf-8")
            if "\nsource:" not in text[: frontmatter.MAX_FRONTMATTER]:
                continue
            entry = rep.load(rel)
        except (OSError, UnicodeDecodeError, CopartError):
            continue
        if entry.meta.get("source"):
            found[(str(entry.meta["source"]), entry.body)] = entry.id
    return found


def _convert(parsed: _Parsed, rel_src: str, kind: Kind, author: str, now, taken) -> tuple[str, Entry]:
    meta = parsed.meta
    stem = rel_src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = _title(meta, parsed.body, stem)
    entry_id = ids.unique(_base_id(rel_src, title), taken)
    ours: dict[str, Any] = {"id": entry_id, "kind": kind.value}
    if not (isinstance(meta.get("title"), str) and meta["title"].strip()):
        ours["title"] = title
    ours["author"] = author
    ours["created"] = _created(meta, now)
    ours["source"] = rel_src
    if kind == Kind.ask:
        ours["status"] = str(meta.get("status")) if meta.get("status") in ("open", "answered", "closed") else "open"
    keep_fm = ""
    if parsed.fm_text is not None:
        replaced = [k for k in (*OWNED_KEYS, "status") if k in meta and k in ours]
        for key in replaced:
            if meta[key] not in (None, "") and str(meta[key]) != str(ours[key]):
                ours[f"imported_{key}"] = meta[key]
        if "title" in meta and "title" in ours:
            replaced.append("title")
        keep_fm = frontmatter.update(parsed.fm_text, {}, remove=tuple(replaced))
        if keep_fm and not keep_fm.endswith("\n"):
            keep_fm += "\n"
    fm = frontmatter.dump(ours) + keep_fm
    out = f"---\n{fm}---\n{parsed.body}"
    path = f"{kind.folder}/{entry_id}.md"
    try:
        merged = frontmatter.load(fm, path)
    except CopartError:
        merged = {**meta, **ours}
    return out, Entry(path=path, meta=merged, body=parsed.body, raw_frontmatter=fm)
