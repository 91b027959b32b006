"""`copart check`: every way an entry can be wrong, as `path:line: message` problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import InvalidEntry, LinkRefused
from copart_cli.core.model import (
    ASK_STATUSES,
    KIND_REQUIRED_KEYS,
    MEMBER_STATUSES,
    REQUIRED_KEYS,
    Entry,
    Kind,
    Member,
    Problem,
    as_text,
    type_problem,
)
from copart_cli.core.links import (alias_map, attachment_map, markdown_links, relative_target, resolve_attachment,
                                    resolve_link, wiki_links)
from copart_cli.services.repertoire import CONFIG_FILE, Repertoire, kind_of_folder, problem_from

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # an image or a PDF; bigger files do not belong in a shared git history


@dataclass
class CheckResult:
    view = "entries"
    checked: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def structural_problems(entry: Entry) -> list[Problem]:
    """What makes an entry unusable on its own: missing keys, wrong kind, bad id or dates."""
    rel = entry.path
    lines = frontmatter.key_lines(entry.raw_frontmatter)
    at = lambda key: lines.get(key, 1)  # noqa: E731
    problems: list[Problem] = []
    folder_kind = kind_of_folder(rel)
    kind_value = entry.meta.get("kind")
    kind: Kind | None = None
    # a value of the wrong type (a date that is none, a list for a title): one problem, at its line
    wrong = {key: why for key, value in entry.meta.items() if (why := type_problem(key, value))}
    for key, why in wrong.items():
        shown = repr(entry.meta[key]) if why == "is not a date" and isinstance(entry.meta[key], str) else ""
        problems.append(Problem(rel, at(key), f"'{key}' {why}" + (f": {shown}" if shown else "")))
    if kind_value is None:
        problems.append(Problem(rel, 1, "missing required key 'kind'"))
    elif "kind" not in wrong:
        try:
            kind = Kind(str(kind_value))
        except ValueError:
            allowed = ", ".join(k.value for k in Kind)
            problems.append(Problem(rel, at("kind"), f"unknown kind '{kind_value}' (one of {allowed})"))
    if kind and folder_kind and kind != folder_kind:
        problems.append(Problem(rel, at("kind"), f"kind '{kind.value}' does not belong in {folder_kind.folder}/"))
    required = REQUIRED_KEYS + (KIND_REQUIRED_KEYS.get(kind, ()) if kind else ())
    for key in (k for k in required if k != "kind"):  # a missing kind is said once, above
        value = entry.meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(rel, at(key) if key in lines else 1, f"missing required key '{key}'"))
    stem = ids.of_path(rel)
    entry_id = entry.meta.get("id")
    if entry_id is not None and "id" not in wrong:
        if str(entry_id) != stem:
            problems.append(Problem(rel, at("id"), f"id '{entry_id}' does not match the file name '{stem}.md'"))
        elif not ids.is_valid(str(entry_id)):
            problems.append(Problem(rel, at("id"), f"'{entry_id}' is not a valid id (lowercase, digits, hyphens)"))
    status = entry.meta.get("status") if "status" not in wrong else None
    if kind == Kind.ask and status not in (None, *ASK_STATUSES):
        problems.append(Problem(rel, at("status"), f"ask status must be one of {', '.join(ASK_STATUSES)}"))
    if kind == Kind.member and status not in (None, *MEMBER_STATUSES):
        problems.append(Problem(rel, at("status"), f"member status must be one of {', '.join(MEMBER_STATUSES)}"))
    return problems


@dataclass
class Targets:
    """What a reference may name: entry ids, aliases (slug -> id), attachments, every entry path."""

    known: set[str]
    aliases: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # attachment_map
    paths: set[str] = field(default_factory=set)


def targets_of(rep: Repertoire, entries: list[Entry], paths: list[str]) -> Targets:
    attachments = rep.attachment_paths()
    return Targets({ids.of_path(rel) for rel in paths}, alias_map(entries),
                   attachment_map(attachments), set(paths) | set(attachments))


def reference_problems(entry: Entry, known: set[str] | Targets, members: set[str], asks: set[str]) -> list[Problem]:
    """References that do not resolve: authors, links, [[wiki-links]] and ![[embeds]], relative
    Markdown links and images, answered asks."""
    targets = known if isinstance(known, Targets) else Targets(set(known))
    known = targets.known
    rel = entry.path
    lines = frontmatter.key_lines(entry.raw_frontmatter)
    problems: list[Problem] = []
    author = entry.author
    if author and entry.kind != Kind.member.value and author not in members:
        problems.append(Problem(rel, lines.get("author", 1), f"author '{author}' is not a member"))
    for link in entry.links:
        if resolve_link(link, known, targets.aliases) is None:
            problems.append(Problem(rel, lines.get("links", 1), f"link '{link}' does not resolve to an entry"))
    body_line = 2 + entry.raw_frontmatter.count("\n") + 1
    for target, offset in wiki_links(entry.body):
        if resolve_link(target, known, targets.aliases) is None and resolve_attachment(target, targets.files) is None:
            what = "an attachment" if re.search(r"\.\w{1,5}$", target) else "an entry"  # chart.png names a file
            problems.append(Problem(rel, body_line + offset, f"wiki-link [[{target}]] does not resolve to {what}"))
    base = rel.rsplit("/", 1)[0]
    for m, offset in markdown_links(entry.body):
        to = relative_target(m.group(3), base)
        if to is not None and to[0] not in targets.paths:
            what = "image" if m.group(1) else "link"
            problems.append(Problem(rel, body_line + offset, f"{what} '{m.group(3)}' leads to no file in the repertoire"))
    if entry.kind == Kind.answer.value:
        ask = as_text(entry.meta.get("answers"))
        if ask and ask not in asks:
            problems.append(Problem(rel, lines.get("answers", 1), f"answers '{ask}', which is not an ask"))
    successor = as_text(entry.meta.get("superseded_by"))  # status: obsolete (lifecycle.py)
    if successor and (successor not in known or successor == entry.id):
        problems.append(Problem(rel, lines.get("superseded_by", 1),
                                f"superseded_by '{successor[:60]}' is not another entry"))
    return problems


def check_repertoire(rep: Repertoire) -> CheckResult:
    linked = rep.links()  # each reported once here; copart reads none of them
    problems = [Problem(rel, 1, LinkRefused.REASON) for rel in linked]
    try:
        rep.config  # noqa: B018 - loading is the check
    except InvalidEntry as exc:
        if CONFIG_FILE not in linked:
            problems.append(Problem(CONFIG_FILE, 1, exc.message.split(": ", 1)[-1]))
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    checked = 0
    paths = list(rep.entry_paths())
    for rel in paths:
        checked += 1
        if rel in linked:
            continue
        try:
            entry = rep.load(rel)
        except InvalidEntry as exc:
            problems.append(problem_from(exc, rel))
            continue
        stem = ids.of_path(rel)
        if stem in seen:
            problems.append(Problem(rel, 1, f"id '{stem}' is already used by {seen[stem]}"))
        seen.setdefault(stem, rel)
        problems.extend(structural_problems(entry))
        entries.append(entry)
    problems.extend(adopt_hints(problems))
    # a never-committed entry still its template: sync would refuse it, so say so before
    untracked = {path for code, path in rep.git.status_entries() if code == "??"}
    for entry in entries:
        if entry.path in untracked:
            problems.extend(template_problems(entry))
    targets = targets_of(rep, entries, paths)
    members = {e.id for e in entries if e.kind == Kind.member.value}
    asks = {e.id for e in entries if e.kind == Kind.ask.value}
    for entry in entries:
        problems.extend(reference_problems(entry, targets, members, asks))
    problems.extend(attachment_problems(rep, [p for p in rep.attachment_paths() if p not in linked]))
    profiles = [e for e in entries if e.kind == Kind.member.value]
    problems.extend(_shared_emails(profiles))
    owners = key_owners(profiles)
    for entry in profiles:
        problems.extend(shared_key_problems(entry, lambda fp: owners.get(fp, [])))
    from copart_cli.services import conflicts  # conflict copies sync saved, waiting for `copart resolve`

    problems.extend(conflicts.problems(rep.root))
    from copart_cli.services import pathways  # reading lists for newcomers must name real entries

    problems.extend(p for p in pathways.check(rep) if p.path not in linked)
    from copart_cli.services import accreditations  # granted by a coordinator, signed (accreditations.py)

    problems.extend(accreditations.check(rep))
    problems.sort(key=lambda p: (p.path, p.line))
    return CheckResult(checked=checked, problems=problems)


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EMPTY_LINE = re.compile(r"\s*(#{1,6}(\s.*)?|[-*+]|\d+[.)])?\s*")  # a heading, an empty list item, nothing


def _is_untouched_template(entry: Entry) -> bool:
    """A body with nothing but a template's headings, empty list items and <!-- prompts -->:
    nobody wrote anything. A blank body is no template (every template has headings), nor is
    a profile whose frontmatter says what the member knows, offers or needs."""
    if not entry.body.strip():
        return False
    if entry.kind == Kind.member.value and any(entry.meta.get(k) for k in ("expertise", "offers", "needs", "topics")):
        return False
    return all(_EMPTY_LINE.fullmatch(line) for line in _COMMENT.sub("", entry.body).splitlines())


def template_problems(entry: Entry) -> list[Problem]:
    """The problem with a never-committed entry that is still its template (sync refuses it, check names it)."""
    if _is_untouched_template(entry):
        return [Problem(entry.path, 1, "still the empty template: write the entry, or remove the file")]
    return []


def attachment_problems(rep: Repertoire, paths: list[str]) -> list[Problem]:
    """Attachments travel to every partner and into the site: one too large for that is a problem."""
    from copart_cli.adapters.files import file_size

    problems = []
    for rel in paths:
        size = file_size(rep.root / rel, rel)
        if size is not None and size > MAX_ATTACHMENT_BYTES:
            problems.append(Problem(rel, 1, f"attachment is {size // (1024 * 1024)} MiB, larger than an attachment may "
                                            f"be ({MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB)"))
    return problems


def adopt_hints(problems: list[Problem]) -> list[Problem]:
    """A note with no frontmatter, or one without kind and id, gets one more line: how to fix it."""
    said: dict[str, set[str]] = {}
    for p in problems:
        said.setdefault(p.path, set()).add(p.message)
    return [Problem(rel, 1, f"give it the frontmatter it lacks with: copart adopt {rel}") for rel in sorted(said)
            if said[rel] >= {"missing required key 'kind'", "missing required key 'id'"}
            or any(m.startswith("no frontmatter") for m in said[rel])]


def _shared_emails(profiles: list[Entry]) -> list[Problem]:
    """An email maps a git author to one member: in two profiles it credits work to the wrong one."""
    owner: dict[str, str] = {}
    problems = []
    for entry in sorted(profiles, key=lambda e: e.path):
        for email in filter(None, Member.from_entry(entry).emails):
            if email in owner and owner[email] != entry.id:
                line = frontmatter.key_lines(entry.raw_frontmatter).get("email", 1)
                problems.append(Problem(entry.path, line, f"email '{email}' is also in the profile of '{owner[email]}'"))
            owner.setdefault(email, entry.id)
    return problems


def key_owners(profiles: list[Entry]) -> dict[str, list[str]]:
    """Key fingerprint -> the ids of the profiles that list it."""
    from copart_cli.services.signing import fingerprint, parse_key

    owners: dict[str, list[str]] = {}
    for entry in profiles:
        for key in Member.from_entry(entry).ssh_keys:
            try:
                owners.setdefault(fingerprint(parse_key(key)), []).append(entry.id)
            except ValueError:
                continue  # not a key at all: verify and hub init report those
    return owners


def shared_key_problems(entry: Entry, owners_of) -> list[Problem]:
    """A key names one member: listed in another profile too, one member's signatures would count as the other's."""
    from copart_cli.services.signing import fingerprint, parse_key

    problems = []
    line = frontmatter.key_lines(entry.raw_frontmatter).get("ssh_keys", 1)
    for i, key in enumerate(Member.from_entry(entry).ssh_keys, 1):
        try:
            fp = fingerprint(parse_key(key))
        except ValueError:
            continue
        others = sorted({m for m in owners_of(fp) if m != entry.id})
        if others:
            problems.append(Problem(entry.path, line, f"ssh_keys item {i} is also in the profile of "
                                                      + ", ".join(f"'{m}'" for m in others)))
    return problems


def validate_new(entry: Entry, rep: Repertoire) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for one entry being written: structure must hold, references should."""
    errors = structural_problems(entry)
    paths = list(rep.entry_paths())  # one listing of the kind folders serves both sets
    known = targets_of(rep, [entry], paths)
    known.known.add(entry.id)
    known.paths.add(entry.path)
    members = set(rep.members())
    asks = {ids.of_path(rel) for rel in paths if rel.startswith("asks/")}
    if entry.kind == Kind.member.value:
        members.add(entry.id)
    warnings = reference_problems(entry, known, members, asks)
    return errors, warnings

