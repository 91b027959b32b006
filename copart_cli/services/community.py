"""Starting a repertoire (`init`) and trying copart on the sample one (`demo`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from copart_cli.adapters import templating
from copart_cli.core.errors import AlreadyExists, GitError, UsageError
from copart_cli.adapters.files import atomic_write, claim_temp_folder, data_dir, remove_old_temp_folders
from copart_cli.adapters.gitrepo import GitRepo, Identity
from copart_cli.core.model import KIND_FOLDERS, Entry, Kind, Member, Problem
from copart_cli.services.repertoire import CONFIG_FILE, Repertoire

DEMO_IDENTITY = Identity("copart demo", "demo@copart.invalid")  # the demo's commits, on a machine with no git identity


@dataclass
class InitResult:
    view = "community"
    path: Path
    name: str
    commit: str
    entries: int


@dataclass
class Overview:
    """What a community knows at a glance."""

    view = "community"
    path: Path
    name: str
    domain: str
    counts: dict[str, int]
    recent: list[Entry]
    members: list[Member]
    open_asks: list[Entry]
    answer: object = None  # ask.AskResult: the demo answers a real question
    removed: list[Path] = field(default_factory=list)  # older demo copies this one cleaned up
    unreadable: list[Problem] = field(default_factory=list)  # entries that could not be read (named on stderr)


def init_repertoire(path: Path, name: str | None, domain: str = "", example: bool = False,
                    identity: Identity | None = None) -> InitResult:
    """A new repertoire at `path`, its first commit by `identity` (default: the user's git identity)."""
    path = path.expanduser()
    if (path / CONFIG_FILE).exists():
        raise AlreadyExists(f"{path} is already a repertoire ({CONFIG_FILE} exists); nothing was changed")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a folder")
    for what, text in (("community name", name or ""), ("domain", domain)):
        if len(text) > 300:  # it heads every page and digest: a 4,000-character one is a mistake
            raise UsageError(f"the {what} is {len(text)} characters; keep it under 300")
    sample = data_dir("repertoire") if example else None
    if not name:
        if sample is None:
            raise UsageError("a community name is needed", hint='copart init DIR --name "4XP"')
    top = GitRepo.toplevel(path) if path.is_dir() else None
    if top is not None and top.resolve() != path.resolve():
        raise UsageError(f"{path} is inside the git repository {top}", hint="a repertoire is a repository of its own")
    if identity is None:
        GitRepo(path if path.is_dir() else Path.cwd()).identity()  # before writing anything
    git = GitRepo.init(path) if top is None else GitRepo(path)
    written: list[str] = []

    def put(rel: str, text: str) -> None:
        target = path / rel
        if target.exists():
            return  # never overwrite what is already there
        atomic_write(target, text)
        written.append(rel)

    if sample is not None:
        for src in sorted(sample.rglob("*")):
            if src.is_file() and not src.is_symlink():
                put(src.relative_to(sample).as_posix(), src.read_text(encoding="utf-8"))
        if name:
            cfg = (path / CONFIG_FILE).read_text(encoding="utf-8")
            from copart_cli.core import frontmatter

            atomic_write(path / CONFIG_FILE, frontmatter.update(cfg, {"name": name}))
    else:
        put(CONFIG_FILE, templating.render("init/copart.yaml", {"name": name, "domain": domain}))
    put(".gitignore", templating.render("init/gitignore", {}))
    for folder in KIND_FOLDERS.values():
        if not any((path / folder).glob("*.md")):
            put(f"{folder}/.gitkeep", "")
    rep = Repertoire(path.resolve())
    sha = git.commit_all(f"copart: start the {rep.config.name} repertoire", identity=identity)
    return InitResult(path=rep.root, name=rep.config.name, commit=sha, entries=sum(1 for _ in rep.entry_paths()))


def overview(rep: Repertoire, recent: int = 5) -> Overview:
    counts = {k.value: 0 for k in Kind}
    unreadable: list[Problem] = []
    entries = list(rep.entries(unreadable))
    for entry in entries:
        if entry.kind in counts:
            counts[entry.kind] += 1
    stories = sorted(
        (e for e in entries if e.kind in (Kind.story.value, Kind.practice.value)),
        key=lambda e: e.created.isoformat() if e.created else "",
        reverse=True,
    )
    members = sorted((m for m in rep.members().values() if m.status == "active"), key=lambda m: m.name)
    asks = [e for e in entries if e.kind == Kind.ask.value and e.meta.get("status", "open") == "open"]
    return Overview(rep.root, rep.config.name, rep.config.domain, counts, stories[:recent], members, asks,
                    unreadable=unreadable)


DEMO_PREFIX, DEMO_MARKER = "copart-demo-", ".copart-demo"


def demo() -> Overview:
    """A throwaway git copy of the sample repertoire in the temp dir, and what it knows. Copies
    earlier runs left are removed, so trying it again and again leaves one copy behind."""
    folder, claim = claim_temp_folder(DEMO_PREFIX, DEMO_MARKER)
    try:
        removed = remove_old_temp_folders(DEMO_PREFIX, DEMO_MARKER, keep=folder)
        shown = _demo_in(folder / "4xp")
    finally:
        os.close(claim)  # complete (or failed): the next run may remove it
    shown.removed = removed
    return shown


def _demo_in(path: Path) -> Overview:
    try:
        identity = GitRepo(Path.cwd()).identity()
    except GitError:  # no identity on a fresh machine: the demo commits as "copart demo"
        identity = DEMO_IDENTITY
    result = init_repertoire(path, None, example=True, identity=identity)
    rep = Repertoire(result.path)
    shown = overview(rep)
    from copart_cli.services.ask import ask

    shown.answer = ask(rep, DEMO_QUESTION, limit=3)
    return shown


DEMO_QUESTION = "how do we price a first workshop?"

