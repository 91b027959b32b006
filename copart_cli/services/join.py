"""`copart join`: clone a partner's or the hub's repertoire and build its index."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from copart_cli.core.errors import BadRemoteUrl, CopartError, RemoteRefused, RemoteUnreachable, UsageError
from copart_cli.services.repertoire import CONFIG_FILE, Repertoire
from copart_cli.services.sync import Warn, quiet, refresh_index


@dataclass
class JoinResult:
    view = "sync"
    path: Path
    url: str
    name: str
    entries: int
    head: str | None
    member: str | None  # the member profile matching your git email
    email: str | None
    index: str


def join(url: str, dest: Path | None, branch: str | None = None, warn: Warn = quiet) -> JoinResult:
    from copart_cli.adapters.gitnet import is_bundle, mask_url
    from copart_cli.adapters.gitrepo import GitRepo

    if not url or url.startswith("-"):
        raise UsageError(f"'{url}' is not a repository URL")
    if branch is not None and (branch.startswith("-") or not GitRepo.valid_ref_name(branch)):
        raise UsageError(f"'{branch}' is not a branch name")
    local = Path(url).expanduser()
    if local.exists():
        url = str(local.resolve())
        if local.is_dir() and not _is_repository(local):
            raise UsageError(f"{local} is a plain folder, not a git repository: there is no repertoire to join",
                             hint=f"to bring its Markdown in as entries: copart init DIR, then in DIR: copart import {url}")
    if dest is None:
        stem = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git").removesuffix(".bundle")
        dest = Path(stem or "repertoire")
    dest = dest.expanduser()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise CopartError(f"{dest} already exists and is not empty; nothing was changed",
                          hint="give another folder: copart join URL DIR")
    created = not dest.exists()
    shown = mask_url(url)
    try:
        try:
            GitRepo.clone(url, dest, branch=branch)
        except BadRemoteUrl as exc:
            exc.hint = f"{exc.hint}; nothing was created"
            raise
        except RemoteUnreachable as exc:
            raise RemoteUnreachable(f"cannot clone {shown}: {exc.message}",
                                    hint="check the URL and your network; nothing was created") from None
        except RemoteRefused as exc:
            raise RemoteRefused(f"cannot clone {shown}: {exc.message}",
                                hint=f"{exc.hint}; nothing was created") from None
        if not (dest / CONFIG_FILE).is_file():
            raise CopartError(f"{shown} is not a repertoire (no {CONFIG_FILE} at its top); nothing was kept",
                              hint="ask your partners for the repertoire's URL")
        rep = Repertoire(dest.resolve())
        if is_bundle(url):  # so that sync knows, even while the disk that holds it is away
            rep.git.set_config("remote.origin.copartBundle", "true")
        try:
            name = rep.config.name
        except CopartError as exc:
            raise CopartError(f"{shown} has a {CONFIG_FILE} copart cannot read: {exc.message}") from None
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in list(dest.iterdir()):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        raise
    index = refresh_index(rep, warn)
    member = email = None
    try:
        ident = rep.git.identity()
        email = ident.email
        m = rep.member_for_email(ident.email)
        member = m.id if m else None
    except CopartError:
        pass
    return JoinResult(path=rep.root, url=shown, name=name, entries=sum(1 for _ in rep.entry_paths()),
                      head=rep.git.head(), member=member, email=email, index=index)


def _is_repository(folder: Path) -> bool:
    """A work tree (.git) or a bare repository (HEAD, objects/, refs/) at the folder's top."""
    return (folder / ".git").exists() or ((folder / "HEAD").is_file() and (folder / "objects").is_dir()
                                          and (folder / "refs").is_dir())
