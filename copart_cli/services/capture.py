"""Capturing and changing entries: `new`, `edit`, `rm`, each one commit.

The rule throughout: once the user has typed something, it is on disk before anything
can fail, and a failure says where it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import AlreadyExists, CopartError, InputNeeded, InvalidEntry, UsageError
from copart_cli.adapters.files import atomic_write, read_bytes, remove
from copart_cli.core.model import Entry, Kind, Problem, iso, type_problem, utcnow
from copart_cli.services.repertoire import Repertoire, raise_kept
from copart_cli.services.validate import validate_new

Editor = Callable[[Path], None]
RESERVED_FIELDS = ("id", "kind")  # copart owns these; --field cannot set them


@dataclass
class WriteResult:
    """What `new`, `edit` and `rm` did."""

    view = "entries"
    action: str  # created | edited | removed | unchanged
    entry: Entry
    commit: str | None
    warnings: list[Problem] = field(default_factory=list)
    pending: bool = False  # under review: the commit is on a contribution branch, not yet on main


@dataclass
class Changes:
    """Edits asked for on the command line (for `new` and `edit`)."""

    title: str | None = None
    body: str | None = None
    tags: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.title is not None or self.body is not None or self.tags or self.topics or self.fields)


def parse_fields(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs; the value read as YAML so `expertise=[pricing, vat]` is a list."""
    from copart_cli.core.yamlio import NotYaml, load_value

    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--field expects key=value, got '{pair}'")
        if not key.replace("_", "a").replace("-", "a").isalnum() or not key[0].isalpha():
            raise UsageError(f"'{key}' is not a valid field name", hint="use letters, digits and underscores")
        if key in RESERVED_FIELDS:
            raise UsageError(f"--field cannot set '{key}'", hint="ids and kinds are chosen by copart")
        if not value.strip():  # `tags=` would write tags: '' (and title= an entry without a title)
            raise UsageError(f"--field {key}: a value is needed",
                             hint=f"give one (--field '{key}=[a, b]' for a list), or write '{key}=[]' for an empty list")
        try:
            parsed = load_value(value)
        except NotYaml:
            opened = value.lstrip()[:1]
            if opened in ("[", "{") and {"[": "]", "{": "}"}[opened] not in value:  # a list left open
                raise UsageError(f"--field {key}: '{value}' is not a valid YAML list or mapping",
                                 hint=f"close it, e.g. --field '{key}=[pricing, vat]', or quote it to keep "
                                      f"it as text: --field '{key}=\"{value}\"'") from None
            parsed = value  # not YAML: keep it as the text the user typed
        why = type_problem(key, parsed)
        if why:
            raise UsageError(f"--field {key}: '{value}' {why}",
                             hint="a date is written 2026-02-28 or 2026-02-28T10:00:00Z" if why == "is not a date"
                             else f"quote it to keep it as text: --field '{key}=\"{value}\"'")
        fields[key] = parsed
    return fields


def _merge_list(existing: Any, added: list[str]) -> list[str]:
    current = [str(v) for v in existing] if isinstance(existing, list) else ([str(existing)] if existing else [])
    for item in added:
        if item not in current:
            current.append(item)
    return current


def apply_changes(text: str, changes: Changes, rel: str) -> str:
    """The file text with the requested changes; untouched bytes stay as they were."""
    parts = frontmatter.split(text, rel)
    meta = frontmatter.load(parts.frontmatter, rel)
    updates: dict[str, Any] = {}
    if changes.title is not None:
        updates["title"] = changes.title
    if changes.tags:
        updates["tags"] = _merge_list(meta.get("tags"), changes.tags)
    if changes.topics:
        updates["topics"] = _merge_list(meta.get("topics"), changes.topics)
    updates.update(changes.fields)
    new_fm = frontmatter.update(parts.frontmatter, {k: v for k, v in updates.items() if meta.get(k) != v})
    tail = parts.tail
    if changes.body is not None:
        fence_end = tail.find("\n") + 1 if "\n" in tail else len(tail)
        body = changes.body if changes.body.endswith("\n") or not changes.body else changes.body + "\n"
        tail = (tail[:fence_end] if fence_end else tail + "\n") + body
    return parts.head + new_fm + tail


def _author_for(rep: Repertoire, kind: Kind, entry_id: str, given: str | None, email: str, name: str) -> str:
    if given:
        return ids.validate(given)
    if kind == Kind.member:
        return entry_id
    member = rep.member_for_email(email)
    if member:
        return member.id
    return ids.slugify(name) or "unknown"


def _is_you(rep: Repertoire, name: str, identity) -> bool:
    """A new member profile is yours when it bears your git name and no profile has your email."""
    same_name = ids.slugify(name) == ids.slugify(identity.name or "")
    return bool(identity.email) and same_name and rep.member_for_email(identity.email) is None


def new_entry(
    rep: Repertoire,
    kind: Kind,
    title: str,
    changes: Changes,
    *,
    author: str | None = None,
    entry_id: str | None = None,
    editor: Editor | None = None,
    template_vars: dict[str, Any] | None = None,
) -> WriteResult:
    """Create an entry from its template, let the user edit it, validate, commit."""
    from copart_cli.adapters import templating

    title = " ".join(title.split())
    if not title:
        raise UsageError("a title is needed", hint=f'copart new {kind.value} "A short title"')
    check_title_length(title)
    identity = rep.git.identity()  # fail before the user types anything
    base = ids.validate(entry_id) if entry_id else (ids.slugify(title) or f"{kind.value}-{utcnow():%Y%m%d-%H%M%S}")
    # Your git email goes into a new profile only when the profile is yours: in another
    # member's profile it would credit your next entries to them.
    own = kind == Kind.member and _is_you(rep, title, identity)
    context = {
        "kind": kind.value,
        "title": title,
        "created": iso(utcnow()),
        "email": identity.email if own else "",
        "emails": [identity.email] if own else [],
        "community": rep.config.name,
        "answers": "",
        **(template_vars or {}),
    }
    # Choosing the id and writing the whole file happen under the write lock, so two
    # writers never share an id and a crash never leaves a half-written entry.
    with rep.write_lock():
        new_id = _free_id(rep, base, exact=bool(entry_id))
        context["id"] = new_id
        context["author"] = _author_for(rep, kind, new_id, author, identity.email, identity.name)
        rel = rep.rel_path(kind, new_id)
        text = templating.render(f"new/{kind.value}.md", context, rep.root)
        text = apply_changes(text, changes, rel)
        path = rep.root / rel
        atomic_write(path, text, rel)
    if editor is not None:
        _edit_new(editor, rep, rel, text, changes.body is None)
    entry, warnings = _validated(rep, rel)
    if kind == Kind.member and not own and rep.member_for_email(identity.email) is None:
        warnings.append(Problem(rel, 1, f"your git email {identity.email} is in no profile; if this profile is "
                                        f"yours, add it: copart edit {new_id} --field 'email=[{identity.email}]'"))
    message = f"{kind.value}: add {new_id}\n\n{entry.title}"
    try:
        sha = rep.commit([rel], message)
    except CopartError as exc:
        raise_kept(exc, rel)
    return WriteResult("created", entry, sha, warnings, pending=rep.reviewed)


def _edit_new(editor: Editor, rep: Repertoire, rel: str, template: str, discard_untouched: bool) -> None:
    """Open the editor on a new entry. Left as the template (the editor failed, was missing, was
    interrupted, or was closed without a change), the file goes: no stray template for `list` to
    show and `sync` to publish. Text typed before the editor failed becomes a draft."""
    path = rep.root / rel

    def untouched() -> bool:
        try:
            return discard_untouched and path.read_bytes() == template.encode("utf-8")
        except FileNotFoundError:  # the editor removed it: nothing typed to keep
            return True
        except OSError:
            return False

    try:
        editor(path)
    except (CopartError, KeyboardInterrupt) as exc:
        if not untouched():
            _keep_typed(rep, rel, None, exc)  # raises, naming the draft
        path.unlink(missing_ok=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise CopartError(exc.message, hint="the untouched template was removed and nothing was committed; set "
                                            "$EDITOR, or give the text with --body or --body-file") from None
    if untouched():
        path.unlink(missing_ok=True)
        raise CopartError("nothing written: the new entry was left as the template", hint="no commit was made")


def _keep_typed(rep: Repertoire, rel: str, before: str | None, failure: BaseException) -> None:
    """An editor failed (or was interrupted) after text was typed: the text moves to a draft in
    .git/copart/drafts/, which sync never sends, and the entry is put back as it was (BEFORE;
    no file for a new one). Half-typed text is never published by the next sync."""
    drafts = rep.state_dir / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    name = ids.unique(ids.of_path(rel), lambda n: (drafts / f"{n}.md").exists())
    draft = drafts / f"{name}.md"
    atomic_write(draft, read_bytes(rep.root / rel, rel).decode("utf-8", "replace"))
    if before is None:
        remove(rep.root / rel, rel)
    else:
        atomic_write(rep.root / rel, before, rel)
    import shlex

    finish = f"mv {shlex.quote(str(draft))} {shlex.quote(str(rep.root / rel))} && copart edit {ids.of_path(rel)}"
    interrupted = isinstance(failure, KeyboardInterrupt)
    raise CopartError("interrupted" if interrupted else failure.message,
                      hint=f"what you typed is kept at {draft} (a draft: not in the repertoire, so sync does "
                           f"not send it); to finish it: {finish}",
                      exit_code=130 if interrupted else failure.exit_code) from None


def _free_id(rep: Repertoire, base: str, exact: bool) -> str:
    if exact:
        if rep.id_taken(base):
            raise AlreadyExists(f"an entry with id '{base}' already exists", hint="choose another --id")
        return base
    return ids.unique(base, rep.id_taken)


def _validated(rep: Repertoire, rel: str) -> tuple[Entry, list[Problem]]:
    """Load and validate what is on disk now; on errors, point at the kept file."""
    try:
        entry = rep.load(rel)
    except InvalidEntry as exc:
        raise_kept(exc, rel)
    errors, warnings = validate_new(entry, rep)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise_kept(InvalidEntry(f"{first}{more}", hint=f"fix it, then run: copart edit {entry.id}"), rel)
    return entry, warnings


def _validated_options(rep: Repertoire, rel: str) -> tuple[Entry, list[Problem]]:
    entry = rep.load(rel)
    errors, warnings = validate_new(entry, rep)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidEntry(f"{errors[0]}{more}", hint="nothing was changed; correct the option and run it again "
                                                       f"(or, if the entry was invalid before, fix it: copart edit {entry.id})")
    return entry, warnings


def check_title_length(title: str) -> None:
    """The same limit for `new` and `edit --title` (a 10,000-character title is a mistake, not a title)."""
    if len(title) > 300:
        raise UsageError(f"the title is {len(title)} characters; keep it under 300", hint="put the rest in the body")


def edit_entry(rep: Repertoire, entry_id: str, changes: Changes, *, editor: Editor | None = None) -> WriteResult:
    """Apply command-line changes and/or open the editor; commit if anything changed."""
    rel = rep.find(entry_id)
    entry_id = ids.of_path(rel)
    if not changes and editor is None:
        raise InputNeeded(
            "nothing to change",
            hint="give --title, --tag, --topic, --field or --body, or run it on a terminal to open your editor",
        )
    if changes.title is not None:
        check_title_length(" ".join(changes.title.split()))
    rep.git.identity()
    path = rep.root / rel
    from copart_cli.adapters.files import read_text

    before = opened = read_text(path, rel)  # OPENED: what the editor opens on
    if changes:
        try:
            opened = apply_changes(before, changes, rel)
            atomic_write(path, opened, rel)
        except InvalidEntry as exc:
            raise InvalidEntry(exc.message, hint=f"fix it in your editor: copart edit {entry_id}") from None
    if editor is not None:
        try:
            editor(path)
        except (CopartError, KeyboardInterrupt) as exc:
            try:
                typed = read_bytes(path, rel) != opened.encode("utf-8")
            except OSError:  # the editor removed or broke the file: nothing to keep, the entry comes back
                typed = False
            if typed:
                _keep_typed(rep, rel, before, exc)  # raises, naming the draft
            atomic_write(path, before, rel)  # the entry as it was, --field changes and all undone
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise CopartError(exc.message, hint="the entry is unchanged and nothing was committed",
                              exit_code=exc.exit_code) from None
    if editor is None and changes.body is None:
        # Only options were given (--field, --tag, --title): nothing typed to keep, so a
        # change that fails validation is undone and the entry stays as it was.
        try:
            entry, warnings = _validated_options(rep, rel)
        except InvalidEntry:
            atomic_write(path, before, rel)
            raise
    else:
        entry, warnings = _validated(rep, rel)
    tracked = rep.git.is_tracked(rel)
    if tracked and not rep.git.dirty_paths(rel):
        return WriteResult("unchanged", entry, None, warnings)
    what = _describe(before, entry, changes, editor is not None)
    message = f"{entry.kind}: {'edit' if tracked else 'add'} {entry.id}" + (f" ({what})" if what else "")
    try:
        sha = rep.commit([rel], message)
    except CopartError as exc:
        raise_kept(exc, rel)
    return WriteResult("edited", entry, sha, warnings, pending=rep.reviewed)


def _describe(before: str, entry: Entry, changes: Changes, edited: bool) -> str:
    parts = []
    if changes.title is not None:
        parts.append("title")
    if changes.tags:
        parts.append("tags +" + ",".join(changes.tags))
    if changes.topics:
        parts.append("topics +" + ",".join(changes.topics))
    parts.extend(sorted(changes.fields))
    if changes.body is not None:
        parts.append("body")
    if edited and not parts:
        parts.append("edited text")
    return "; ".join(parts)


def remove_entry(rep: Repertoire, entry_id: str, *, force: bool = False) -> WriteResult:
    rel = rep.find(entry_id)
    entry_id = ids.of_path(rel)
    rep.git.identity()
    try:
        entry = rep.load(rel)
    except InvalidEntry:
        entry = Entry(path=rel, meta={"id": entry_id}, body="")
    tracked = rep.git.is_tracked(rel)
    if not tracked and rel in rep.pending_paths():
        raise CopartError(
            f"{entry.id} is waiting for review and is not on main yet",
            hint="to take it back, withdraw the contribution: copart contribute list, then copart contribute withdraw ID",
        )
    if not force and (not tracked or rep.git.dirty_paths(rel)):
        raise CopartError(
            f"{rel} has changes that were never committed; removing it would lose them",
            hint=f"commit them with copart edit {entry_id}, or remove anyway with --force",
        )
    remove(rep.root / rel, rel)
    if not tracked:
        return WriteResult("removed", entry, None, dangling_references(rep, entry))
    sha = rep.commit([rel], f"{entry.kind or 'entry'}: remove {entry.id}\n\n{entry.title}")
    return WriteResult("removed", entry, sha, dangling_references(rep, entry), pending=rep.reviewed)


def dangling_references(rep: Repertoire, removed: Entry) -> list[Problem]:
    """What now points at an entry that is gone (links, [[links]], answers, authorship,
    pathway steps): warnings for `rm`, the problems `check` will report."""
    from copart_cli.services import pathways
    from copart_cli.services.validate import reference_problems

    paths = list(rep.entry_paths())
    stems = {p: ids.of_path(p) for p in paths}

    def ids_in(folder: str | None) -> set[str]:
        return {s for p, s in stems.items() if folder is None or p.startswith(folder + "/")}

    after = (ids_in(None), ids_in(Kind.member.folder), ids_in(Kind.ask.folder))
    kind = removed.kind
    before = (after[0] | {removed.id}, after[1] | ({removed.id} if kind == Kind.member.value else set()),
              after[2] | ({removed.id} if kind == Kind.ask.value else set()))
    mentions = (removed.id, removed.title.lower())
    found: list[Problem] = []
    for rel in paths:
        try:  # only entries that mention it by id or title can point at it
            text = read_bytes(rep.root / rel, rel).decode("utf-8", errors="replace").lower()
            if not any(m in text for m in mentions):
                continue
            entry = rep.load(rel)
        except (OSError, CopartError):
            continue
        had = reference_problems(entry, *before)
        found.extend(p for p in reference_problems(entry, *after) if p not in had)
    found.extend(p for p in pathways.check(rep) if f"'{removed.id}'" in p.message)
    return found


def read_input(source: str) -> str:
    """The text of --body-file/--file: a file inside the rules of the file adapter, or stdin for '-'."""
    from copart_cli.adapters.files import read_input as read

    return read(source)


def user_editor():
    """The user's $VISUAL/$EDITOR, as the `editor` callable that capture, answer and resolve take."""
    from copart_cli.adapters.editor import edit_file

    return edit_file
