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
from copart_cli.adapters.files import MAX_ENTRY_BYTES, open_new, read_bytes, read_text
from copart_cli.services.validate import MAX_ATTACHMENT_BYTES
from copart_cli.core.model import Entry, Kind, as_list, inline_tags, iso, prose_lines, type_problem, utcnow
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.vault_links import ATTACHMENTS_DIR, MARKDOWN_SUFFIXES, Linker, Unmapped

TEMPLATE_FOLDERS = {"templates", "template", "_templates"}  # Obsidian's and Templater's: {{title}} is no entry
_DAILY = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # a daily note (Obsidian's default name): a story of that day
GENERIC_STEMS = {"readme", "index", "_index", "home", "main", "overview", "untitled"}
OWNED_KEYS = ("id", "kind", "author", "created", "source")
_LONG_FENCE = re.compile(r"\A\ufeff?(-{4,})[ \t]*\r?\n(.*?)^-{3,}[ \t]*\r?$\n?", re.S | re.M)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")

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
    imported: list[Entry] = field(default_factory=list)  # bodies cut to their #tags: the files hold them
    skipped: list[Skipped] = field(default_factory=list)
    commit: str | None = None
    added_member: str | None = None  # a profile created for the importing person
    notes: list[str] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)  # links that name nothing imported
    attachments: list[str] = field(default_factory=list)  # files the notes link to, copied to attachments/
    dry_run: bool = False  # nothing written: what an import would do


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
    for n, line in prose_lines(body.splitlines()):
        if n > 400:
            break
        m = _HEADING.match(line)
        if m:
            title = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", lambda mm: mm.group(1) or "", m.group(1)).strip()
            if title:
                return title
    return None


def _title(meta: dict[str, Any], body: str, stem: str) -> str:
    """The frontmatter's title, else the file name (what an Obsidian [[link]] names); a generic
    name (README, index) says nothing, so there the first heading is the title."""
    given = meta.get("title")
    if isinstance(given, str) and given.strip():
        return " ".join(given.split())[:300]
    heading = first_heading(body) if ids.slugify(stem) in GENERIC_STEMS else None
    if heading:
        return " ".join(heading.split())[:300]
    return " ".join(stem.split())[:300] or stem


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


def _walk(root: Path) -> tuple[list[str], list[str], list[Skipped]]:
    """(Markdown files, other files, skipped) under root; hidden names and templates folders are left out."""
    found: list[str] = []
    others: list[str] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        template = any(part.lower() in TEMPLATE_FOLDERS for part in base.relative_to(root).parts)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            rel = (base / name).relative_to(root).as_posix()
            if template:
                skipped.append(Skipped(rel, "template (in a templates folder)"))
            elif not name.lower().endswith(MARKDOWN_SUFFIXES):
                others.append(rel)
            else:
                found.append(rel)
    return found, others, skipped


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
                  progress: Progress | None = None, dry_run: bool = False) -> ImportResult:
    source = source.expanduser()
    _check_source(rep, source, kind)
    found, others, skipped = _walk(source)
    result = ImportResult(source=source, kind=kind.value, skipped=skipped, dry_run=dry_run)
    now = utcnow()
    if dry_run:
        files = _NewFiles(rep, None)
        author, _ = _author(rep)
        return _import_files(source, found, others, kind, author, now, _imported_before(rep), files, result, progress)
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
            _import_files(source, found, others, kind, author, now, earlier, files, result, progress)
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

    def create(self, rel: str, text: str | bytes) -> bool:
        """Journal, then write one new file; False when the path is taken. A file counts as
        written (so a failure removes it) from its creation on: half of it is never left."""
        self.bulk.add(rel)
        try:
            fh = open_new(self.rep.root / rel, rel, binary=isinstance(text, bytes))
        except FileExistsError:  # not ours: a roll-back must leave it alone
            self.bulk.add("-" + rel)
            return False
        self.written.append(rel)
        with fh:
            fh.write(text)
        return True


@dataclass
class _Note:
    """What an import keeps of a note between reading every file and writing it: no body,
    so memory stays bounded whatever the size of the folder; the file is read again to write it."""

    rel: str  # in the imported folder
    meta: dict[str, Any]
    fm_text: str | None
    title: str
    kind: Kind
    body_at: int  # where the body starts in the file's text
    digest: int  # hash of that text: a file changed between the two readings is not written
    entry_id: str = ""


def _import_files(source: Path, found: list[str], others: list[str], kind: Kind, author: str, now,
                  earlier: dict[str, dict[str, str]], files: _NewFiles, result: ImportResult,
                  progress: Progress | None) -> ImportResult:
    """Read every file, give each note its id, rewrite the links between them, then write the
    notes and the attachments they link to (`files` with no journal: a dry run, nothing written)."""
    unreadable: list[str] = []
    mistyped: list[str] = []  # a date that is none, a list for a title: read as missing
    notes: list[_Note] = []
    # shallowest first: of two notes with one name, the plain id goes to the one a bare
    # [[Name]] elsewhere leads to (Obsidian's shortest path)
    for rel_src in sorted(found, key=lambda rel: (rel.count("/"), rel)):
        text, why = _read(source / rel_src)
        if text is None:
            result.skipped.append(Skipped(rel_src, why or "unreadable"))
            continue
        parsed = _split_existing(text, rel_src)
        if parsed.unreadable_fm:
            unreadable.append(rel_src)
        wrong = [f"'{k}' {why}" for k, v in parsed.meta.items() if (why := type_problem(k, v))]
        if wrong:
            mistyped.append(f"{rel_src} ({', '.join(wrong)})")
        stem = rel_src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        note = _Note(rel_src, parsed.meta, parsed.fm_text, _title(parsed.meta, parsed.body, stem),
                     Kind.story if _DAILY.match(stem) else kind, len(text) - len(parsed.body), hash(text))
        del text, parsed
        before = earlier.get(rel_src)  # imported before: links to it lead to that entry
        note.entry_id = next(iter(before.values())) if before else _new_id(note, files)
        notes.append(note)
    aliases = {ids.slugify(a) for n in notes for a in as_list(n.meta.get("aliases"))}
    linker = Linker({n.rel: n.entry_id for n in notes}, set(others), aliases)
    total = len(notes)
    for n, note in enumerate(notes, 1):
        if progress:
            progress(n, total)
        text, _ = _read(source / note.rel)
        if text is None or hash(text) != note.digest:
            result.skipped.append(Skipped(note.rel, "changed while it was being imported; import again"))
            continue
        first_line = 1 + (text_lines(note.fm_text) + 2 if note.fm_text is not None else 0)
        body, unmapped = linker.rewrite(text[note.body_at:], note.rel, first_line)
        del text
        same = earlier.get(note.rel, {}).get(_digest(body))
        if same:
            result.skipped.append(Skipped(note.rel, f"already imported (as {same}, unchanged)"))
            continue
        if note.rel in earlier:  # changed since: a new entry beside the earlier one
            note.entry_id = _new_id(note, files)
        result.unmapped.extend(unmapped)
        entry_text, entry = _convert(note, body, author, now)
        if files.bulk is None or files.create(entry.path, entry_text):
            result.imported.append(entry)
    _copy_attachments(source, sorted(linker.used), files, result)
    result.skipped.extend(Skipped(rel, "not Markdown, and no note links to it") for rel in others
                          if rel not in linker.used)
    _add_notes(result, unreadable, mistyped)
    return result


def text_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _digest(body: str) -> str:
    """A body's fingerprint: what an earlier import is recognised by, without keeping its text."""
    import hashlib

    return hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _new_id(note: _Note, files: _NewFiles) -> str:
    entry_id = ids.unique(_base_id(note.rel, note.title), files.taken)
    files.claimed.add(entry_id)
    return entry_id


def _copy_attachments(source: Path, used: list[str], files: _NewFiles, result: ImportResult) -> None:
    """The files notes link to, under attachments/ by their path in the vault; a link, a folder,
    an unreadable or too large file is skipped and named."""
    for rel in used:
        path = source / rel
        try:
            if path.is_symlink():
                raise ValueError("symbolic link")
            size = path.stat().st_size
            if size > MAX_ATTACHMENT_BYTES:
                raise ValueError(f"too large for an attachment ({size // (1024 * 1024)} MiB)")
            data = None if files.bulk is None else read_bytes(path, None, MAX_ATTACHMENT_BYTES + 1)
        except (OSError, ValueError) as exc:
            why = str(exc) if isinstance(exc, ValueError) else f"unreadable ({exc.strerror or exc})"
            result.skipped.append(Skipped(rel, why))
            continue
        target = f"{ATTACHMENTS_DIR}/{rel}"
        if data is None or files.create(target, data):
            result.attachments.append(target)


def _add_notes(result: ImportResult, unreadable: list[str], mistyped: list[str]) -> None:
    if unreadable:
        shown = ", ".join(unreadable[:3]) + (f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else "")
        result.notes.append(f"{len(unreadable)} file{'s have' if len(unreadable) > 1 else ' has'} frontmatter that is "
                            f"not valid YAML, imported as text: {shown}")
    if mistyped:
        shown = "; ".join(mistyped[:3]) + (f" and {len(mistyped) - 3} more" if len(mistyped) > 3 else "")
        result.notes.append(f"{len(mistyped)} file{'s have values' if len(mistyped) > 1 else ' has a value'} copart "
                            f"cannot read, imported and read as missing: {shown}")
    if result.unmapped:
        n = len(result.unmapped)
        result.notes.append(f"{n} link{'s' if n > 1 else ''} name{'' if n > 1 else 's'} no imported note or file "
                            "and {} kept as written (listed below; copart check reports them too)"
                            .format("were" if n > 1 else "was"))


def _imported_before(rep: Repertoire) -> dict[str, dict[str, str]]:
    """source -> {body's digest: id} of every entry an earlier import wrote, so that importing the same
    folder again adds only what is new or changed. Only files recording a source are parsed."""
    found: dict[str, dict[str, str]] = {}
    for rel in rep.entry_paths():
        try:
            text = read_bytes(rep.root / rel, rel).decode("utf-8")
            if "\nsource:" not in text[: frontmatter.MAX_FRONTMATTER]:
                continue
            entry = rep.load(rel)
        except (OSError, UnicodeDecodeError, CopartError):
            continue
        if entry.meta.get("source"):
            found.setdefault(str(entry.meta["source"]), {})[_digest(entry.body)] = entry.id
    return found


def _convert(note: _Note, body: str, author: str, now) -> tuple[str, Entry]:
    meta, rel_src, kind, entry_id = note.meta, note.rel, note.kind, note.entry_id
    stem = rel_src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if _DAILY.match(stem) and not meta.get("created") and not meta.get("date"):
        meta = {**meta, "date": stem}  # a daily note was written that day
    ours: dict[str, Any] = {"id": entry_id, "kind": kind.value}
    if not (isinstance(meta.get("title"), str) and meta["title"].strip()):
        ours["title"] = note.title
    ours["author"] = author
    ours["created"] = _created(meta, now)
    ours["source"] = rel_src
    if kind == Kind.ask:
        ours["status"] = str(meta.get("status")) if meta.get("status") in ("open", "answered", "closed") else "open"
    keep_fm = ""
    if note.fm_text is not None:
        replaced = [k for k in (*OWNED_KEYS, "status") if k in meta and k in ours]
        for key in replaced:
            if meta[key] not in (None, "") and str(meta[key]) != str(ours[key]):
                ours[f"imported_{key}"] = meta[key]
        if "title" in meta and "title" in ours:
            replaced.append("title")
        keep_fm = frontmatter.update(note.fm_text, {}, remove=tuple(replaced))
        if keep_fm and not keep_fm.endswith("\n"):
            keep_fm += "\n"
    fm = frontmatter.dump(ours) + keep_fm
    out = f"---\n{fm}---\n{body}"
    path = f"{kind.folder}/{entry_id}.md"
    try:
        merged = frontmatter.load(fm, path)
    except CopartError:
        merged = {**meta, **ours}
    # of the body the result keeps only its inline #tags (what Entry.tags reads): memory stays flat
    tags_only = " ".join(f"#{t}" for t in inline_tags(body)) if "#" in body else ""
    return out, Entry(path=path, meta=merged, body=tags_only, raw_frontmatter=fm)


# -- adopt: a note already in the repertoire, given the frontmatter it lacks ---------------------


@dataclass
class Adopted:
    path: str  # where the note was
    entry: Entry  # where it is now (renamed when its file name was no id)


@dataclass
class AdoptResult:
    view = "search"
    adopted: list[Adopted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # paths relative to the repertoire
    commit: str | None = None


def adopt(rep: Repertoire, target: Path) -> AdoptResult:
    """`copart adopt PATH`: give each note at PATH (a file, or every note in a folder) that lacks
    them the keys an entry needs (id, kind from its folder, title from its file name, author,
    created), in place: its own frontmatter and body are kept as they are. A file name that is
    no id (`My Note.md`) is renamed to its id, in the same folder. One commit."""
    rels = _adoptable(rep, target)
    result = AdoptResult()
    author, _ = _author(rep)
    now = utcnow()
    with rep.write_lock():
        changed: list[str] = []
        for rel in rels:
            try:
                text = read_text(rep.root / rel, rel)
            except InvalidEntry as exc:
                result.skipped.append(Skipped(rel, exc.message.split(": ", 2)[-1]))
                continue
            parsed = _split_existing(text, rel)
            if parsed.meta.get("kind") and parsed.meta.get("id"):
                result.skipped.append(Skipped(rel, "has frontmatter already"))
                continue
            tracked = rep.git.is_tracked(rel)  # a rename of a file git never had commits the new one alone
            adopted = _adopt_one(rep, rel, parsed, author, now)
            changed.extend(dict.fromkeys([rel, adopted.entry.path] if tracked else [adopted.entry.path]))
            result.adopted.append(adopted)
        if changed:
            n = len(result.adopted)
            result.commit = rep.commit(changed, f"adopt: frontmatter for {n} note{'s' if n > 1 else ''}")
    return result


def _adoptable(rep: Repertoire, target: Path) -> list[str]:
    from copart_cli.core.model import is_entry_path

    full = Path(os.path.abspath(target.expanduser()))
    if full != rep.root and rep.root not in full.parents:
        raise UsageError(f"{target} is not inside the repertoire", hint="copart import brings outside notes in")
    rel = full.relative_to(rep.root).as_posix()
    if full.is_dir():
        rels = [p for p in rep.entry_paths() if rel == "." or p.startswith(rel + "/")]
    elif full.is_file() and is_entry_path(rel):
        rels = [rel]
    elif full.is_file():
        raise UsageError(f"{rel} is not a note in a kind folder", hint="move it into stories/, practices/ or asks/")
    else:
        raise UsageError(f"{target} does not exist")
    if not rels:
        raise UsageError(f"no notes in {rel}")
    return rels


def _adopt_one(rep: Repertoire, rel: str, parsed: _Parsed, author: str, now) -> Adopted:
    from copart_cli.adapters.files import atomic_write, create_new, remove
    from copart_cli.services.repertoire import kind_of_folder

    kind = kind_of_folder(rel) or Kind.practice
    folder, name = rel.rsplit("/", 1)
    stem = name.removesuffix(".md")
    entry_id = stem if ids.is_valid(stem) else ids.unique(_base_id(rel, stem), rep.id_taken)
    needed: dict[str, Any] = {"id": entry_id, "kind": kind.value, "title": _title(parsed.meta, parsed.body, stem),
                              "author": author, "created": now}
    if kind == Kind.ask:
        needed["status"] = "open"
    ours = {k: v for k, v in needed.items() if parsed.meta.get(k) in (None, "")}
    fm = frontmatter.dump(ours) + (parsed.fm_text or "")
    text = f"---\n{fm}---\n{parsed.body}"
    new = f"{folder}/{entry_id}.md"
    if new == rel:
        atomic_write(rep.root / rel, text, rel)
    else:
        create_new(rep.root / new, new, text)
        remove(rep.root / rel, rel)
    return Adopted(rel, Entry(path=new, meta={**parsed.meta, **ours}, body=parsed.body, raw_frontmatter=fm))
