"""The repertoire: finding it, reading its entries, and writing them as git commits.

This is the one place that knows the on-disk layout (copart.yaml, one folder per
kind, `<id>.md` files) and how a write becomes a commit.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import CopartError, DiskFull, GitError, InvalidEntry, LinkRefused, RepertoireNotFound
from copart_cli.adapters.files import find_links, locked, read_text, remove, walk_files
from copart_cli.core.model import (ATTACHMENT_FOLDERS, FOLDER_KINDS, KIND_FOLDERS, Entry, Kind, Member, Problem, as_text,
                                   is_attachment_path, is_entry_path)

CONFIG_FILE = "copart.yaml"
STATE_DIR = "copart"  # inside .git/: derived, local, never committed
REVIEW_POLICIES = ("open", "coordinators")
PATHWAYS_DIR = "pathways"


@dataclass
class Config:
    """copart.yaml: who the community is and how it works."""

    name: str
    domain: str = ""
    description: str = ""
    topics: list[str] = field(default_factory=list)
    review: str = "open"
    default_remote: str = "origin"
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Config":
        return cls.parse(read_text(path, path.name), path.parent.name)

    @classmethod
    def parse(cls, text: str, default_name: str) -> "Config":
        rel = CONFIG_FILE
        data = frontmatter.load(text, rel, first_line=1)
        review = str(data.get("review") or "open")
        if review not in REVIEW_POLICIES:
            raise InvalidEntry(f"{rel}: review must be one of {', '.join(REVIEW_POLICIES)}, not '{review}'")
        return cls(  # a value of the wrong type (a list for a name) reads as missing
            name=as_text(data.get("name")) or default_name,
            domain=as_text(data.get("domain")),
            description=as_text(data.get("description")),
            topics=[str(t) for t in (data.get("topics") or []) if t is not None]
            if isinstance(data.get("topics"), list)
            else [],
            review=review,
            default_remote=as_text(data.get("default_remote")) or "origin",
            raw=data,
        )


class Repertoire:
    """A git work tree holding copart.yaml and the kind folders."""

    def __init__(self, root: Path):
        self.root = root
        self._config: Config | None = None
        self._git = None
        self._members: dict[str, Member] | None = None
        self._nested: dict[str, str] | None = None  # id -> path of entries in subfolders (locate_id)
        self._pending: set[str] | None = None  # paths on open contribution branches (contributions.py)
        self._holding_lock = False  # this process holds the write lock (import and sync commit inside it)

    # -- finding ------------------------------------------------------------------

    @classmethod
    def locate(cls, explicit: str | None = None) -> "Repertoire":
        """-R PATH, then $COPART_REPERTOIRE, then the nearest folder up holding copart.yaml."""
        given = explicit or os.environ.get("COPART_REPERTOIRE")
        if given:
            root = Path(given).expanduser()
            if not (root / CONFIG_FILE).is_file():
                where = "-R" if explicit else "COPART_REPERTOIRE"
                gone = not os.path.lexists(root)
                raise RepertoireNotFound(
                    f"{root} does not exist ({where})" if gone else f"{root} is not a repertoire (no {CONFIG_FILE})",
                    hint="create one with: copart init DIR --name NAME",
                )
        else:
            here = Path.cwd()
            for candidate in (here, *here.parents):
                if (candidate / CONFIG_FILE).is_file():
                    root = candidate
                    break
            else:
                raise RepertoireNotFound(
                    "not inside a repertoire (no copart.yaml here or above)",
                    hint="cd into one, pass -R PATH, or create one with: copart init DIR --name NAME",
                )
        root = root.resolve()
        if not (root / ".git").exists():
            raise RepertoireNotFound(
                f"{root} has a {CONFIG_FILE} but is not a git repository",
                hint=f"run: git -C {root} init -b main",
            )
        return cls(root)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = Config.load(self.root / CONFIG_FILE)
        return self._config

    @property
    def git(self):
        if self._git is None:
            from copart_cli.adapters.gitrepo import GitRepo

            self._git = GitRepo(self.root)
        return self._git

    @property
    def state_dir(self) -> Path:
        """Local derived state: index, locks, drafts (inside .git, never committed)."""
        git_path = self.root / ".git"
        if git_path.is_file():  # a linked worktree or submodule: .git is a pointer file
            text = git_path.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                git_path = (self.root / text.removeprefix("gitdir:").strip()).resolve()
        path = git_path / STATE_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write_lock(self, wait_for_git: bool = False):
        """Serialises writers (id allocation, commits) across copart processes.

        Whoever takes it first after a crash finishes the crashed writer's business: git lock
        files it left, and the files of a bulk write that never got its commit (`bulk_write`).
        A partner's own git still at work keeps its locks; with wait_for_git (callers about to
        commit) it is waited for, then reported (GitRepo.clear_stale_locks).
        """
        return _writing(self, wait_for_git)

    def bulk_write(self) -> "BulkWrite":
        """A journal of files about to be created for one commit (import); call with the write lock held."""
        return BulkWrite(self.state_dir / BULK_JOURNAL)

    def recover(self) -> list[str]:
        """Roll back what a killed (or failed) writer left half-done; call with the write lock held.

        A bulk write: its journaled files that HEAD does not have (nor a contribution branch,
        under review) are removed and unstaged. Their source is elsewhere (an import's
        originals), so nothing is lost. A work-tree move (`fast_forward`): the files git had
        written are put back. Returns the paths removed or put back."""
        restored = self._put_back()
        journal = self.state_dir / BULK_JOURNAL
        if not journal.exists():
            return restored
        listed = journal.read_text(encoding="utf-8", errors="replace").splitlines()
        not_ours = {p[1:] for p in listed if p.startswith("-")}
        paths = sorted({p for p in listed if p not in not_ours and (
            kind_of_folder(p) is not None and p.count("/") == 1 and ids.is_valid(ids.of_path(p))
            or p.startswith("attachments/") and is_attachment_path(p))})  # an import's copied attachments
        removed: list[str] = []
        if paths:
            committed = set(self.git.paths_at("HEAD", *paths)) if self.git.head() else set()
            committed |= self.pending_paths()  # killed after the contribution was written: it is safe there
            removed = [p for p in paths if p not in committed]
            self.git.restore_index(removed)
            for rel in removed:
                with contextlib.suppress(OSError, LinkRefused):
                    remove(self.root / rel, rel)
        journal.unlink(missing_ok=True)
        return restored + removed

    def fast_forward(self, commit: str) -> None:
        """Move the checked-out branch and the work tree forward to `commit`, or leave both as they were.

        git writes the incoming files one by one. When it cannot write them all (a full disk)
        or is killed half-way, HEAD does not move, but the files it did write would look like
        hand edits to the next sync. So the move is journaled first (with the user's own
        changes in its way, which git refuses to overwrite and a put-back must not touch
        either) and a failed one is put back: at once, or (still no room, or killed) by the
        next writer (`recover`)."""
        self._nested = None
        git = self.git
        start = git.head()
        dirty = set(git.dirty_paths())
        in_the_way = [path for path, _, _ in git.raw_diff(start, commit) if path in dirty] if dirty else []
        journal = self.state_dir / CHECKOUT_JOURNAL
        journal.write_text("\0".join([f"{start} {commit}", *in_the_way]), encoding="utf-8")  # before git writes
        try:
            git.fast_forward(commit)
        except BaseException:
            with contextlib.suppress(DiskFull):
                self._put_back()
            raise
        journal.unlink(missing_ok=True)

    def _put_back(self) -> list[str]:
        """Undo a journaled work-tree move that did not finish: files git wrote (the incoming
        version, or the start of it) are removed or restored from HEAD, files it removed come
        back. The user's own changes are never touched. Raises DiskFull when there is still no
        room (the journal stays for the next writer)."""
        journal = self.state_dir / CHECKOUT_JOURNAL
        try:
            head, *users = journal.read_text(encoding="utf-8").split("\0")
            start, target = head.split()
        except (OSError, ValueError):
            journal.unlink(missing_ok=True)
            return []
        git = self.git
        remove: list[str] = []
        restore: list[str] = []
        if git.head() == start:  # else the move finished (or HEAD was moved since): nothing to undo
            keep = set(users)
            changes = [c for c in git.raw_diff(start, target) if c[0] not in keep]
            blobs = git.blobs({oid for _, old, new in changes for oid in (old, new) if oid != git.ZERO})
            for path, old, new in changes:
                here, was, incoming = _bytes_at(self.root / path), blobs.get(old), blobs.get(new)
                if here != was and (here is None or (incoming is not None and incoming.startswith(here))):
                    (restore if was is not None else remove).append(path)
        for rel in remove:  # first: it frees the space the restored files need
            with contextlib.suppress(OSError):
                os.unlink(self.root / rel)
                _remove_empty_parents(self.root, rel)
        try:
            git.checkout_paths("HEAD", restore)
        except DiskFull:
            raise
        except GitError:
            pass  # not a question of room: leave those files rather than fail every writer after
        journal.unlink(missing_ok=True)
        return remove + restore

    # -- paths --------------------------------------------------------------------

    def rel_path(self, kind: Kind, entry_id: str) -> str:
        return f"{kind.folder}/{entry_id}.md"

    def links(self) -> list[str]:
        """Every symbolic link where copart reads (copart.yaml, kind and attachment folders, pathways/, .copart/)."""
        return find_links(self.root, [CONFIG_FILE, *KIND_FOLDERS.values(), *ATTACHMENT_FOLDERS, PATHWAYS_DIR, ".copart"])

    def locate_id(self, entry_id: str) -> str | None:
        """The relative path of the entry with this id, whatever its kind and folder depth, or None."""
        if not ids.is_valid(entry_id):
            return None
        for folder in KIND_FOLDERS.values():
            rel = f"{folder}/{entry_id}.md"
            if os.path.lexists(self.root / rel):
                return rel
        if self._nested is None:  # once per process: an import asks for every id it gives out
            self._nested = {}
            for rel in self.entry_paths():
                if rel.count("/") > 1:
                    self._nested.setdefault(ids.of_path(rel), rel)
        rel = self._nested.get(entry_id)
        return rel if rel is not None and os.path.lexists(self.root / rel) else None

    def locate_alias(self, name: str) -> str | None:
        """The path of the entry that has `name` among its aliases (as [[links]] resolve them), or None."""
        from copart_cli.core.links import alias_map

        slug = ids.slugify(name)
        if not slug:
            return None
        entries = list(self.entries())
        found = alias_map(entries).get(slug)
        return next((e.path for e in entries if e.id == found), None)

    def id_taken(self, entry_id: str) -> bool:
        return self.locate_id(entry_id) is not None

    def entry_paths(self) -> Iterator[str]:
        """THE listing of entries: every `<id>.md` in the kind folders, at any depth
        (`stories/sub/note.md` is an entry like `stories/note.md`), kind folder by kind folder,
        sorted; linked files included so check can flag them, linked folders, hidden folders
        and folders that cannot be read left out (check flags links through `links`)."""
        for folder in KIND_FOLDERS.values():
            try:
                rels = walk_files(self.root, folder)
            except (OSError, LinkRefused):
                continue
            yield from (rel for rel in rels if is_entry_path(rel))

    def attachment_paths(self) -> list[str]:
        """Every attachment: any file that is not Markdown under a kind folder (beside the
        entries, at any depth) or under the top `attachments/` and `assets/` folders; sorted."""
        found: list[str] = []
        for folder in (*KIND_FOLDERS.values(), *ATTACHMENT_FOLDERS):
            try:
                found.extend(rel for rel in walk_files(self.root, folder) if is_attachment_path(rel))
            except (OSError, LinkRefused):
                continue
        return sorted(found)

    # -- reading ------------------------------------------------------------------

    def load(self, rel: str) -> Entry:
        """Parse one entry file; InvalidEntry names the file and line if it cannot be read."""
        text = read_text(self.root / rel, rel)
        parts = frontmatter.split(text, rel)
        meta = frontmatter.load(parts.frontmatter, rel, first_line=2)
        return Entry(path=rel, meta=meta, body=parts.body, raw_frontmatter=parts.frontmatter,
                     pending=rel in self.pending_paths())

    @property
    def reviewed(self) -> bool:
        """Whether main moves only by a coordinator's accept (`review: coordinators`); False if copart.yaml is unreadable."""
        try:
            return self.config.review == "coordinators"
        except CopartError:
            return False

    def pending_paths(self) -> set[str]:
        """Paths waiting for review on the user's contribution branches (only under review: coordinators)."""
        if self._pending is None:
            self._pending = set()
            if self.reviewed:
                from copart_cli.services.contributions import pending_paths

                self._pending = pending_paths(self)
        return self._pending

    def forget_pending(self) -> None:
        """Contribution branches or their events moved: what is pending is read again when next asked."""
        self._pending = None

    def find(self, ref: str, kind: Kind | None = None, hint: str | None = None) -> str:
        """The path of the entry a person means by `ref`: its id, one of its aliases, the
        unambiguous start of an id, or its exact title (services/lookup.py); NotFound suggests
        the nearest ids, else gives `hint`."""
        from copart_cli.services.lookup import find

        return find(self, ref, kind, hint=hint)

    def get(self, ref: str, kind: Kind | None = None) -> Entry:
        return self.load(self.find(ref, kind))

    def entries(self, problems: list[Problem] | None = None) -> Iterator[Entry]:
        """Every readable entry; unreadable ones are skipped (and reported into `problems`)."""
        for rel in self.entry_paths():
            try:
                yield self.load(rel)
            except InvalidEntry as exc:
                if problems is not None:
                    problems.append(problem_from(exc, rel))

    def members(self) -> dict[str, Member]:
        if self._members is None:
            found: dict[str, Member] = {}
            for rel in self.entry_paths():
                if rel.startswith(KIND_FOLDERS[Kind.member] + "/"):
                    try:
                        entry = self.load(rel)
                    except InvalidEntry:
                        continue
                    found[entry.id] = Member.from_entry(entry)
            self._members = found
        return self._members

    def member_for_email(self, email: str) -> Member | None:
        email = email.lower()
        for member in self.members().values():
            if email in member.emails:
                return member
        return None

    # -- writing ------------------------------------------------------------------

    def commit(self, paths: list[str], message: str, *, contribution: str | None = None,
               archiving: bool = False) -> str:
        """Commit these paths (written, changed or removed in the work tree) as one commit.

        The one door every write to the repertoire goes through (`new`, `edit`, `rm`, `answer`,
        `accept`, `resolve`, `pathway --save`, `import`, sync's hand edits), so the review
        policy is applied in one place: under `review: coordinators` the commit goes onto the
        writer's contribution branch, without switching branches (review.py; `contribution`
        names a new one, e.g. one import), else onto the checked-out branch. On failure
        nothing stays staged; the files stay as they are.
        """
        self._nested = None
        if self.config.raw.get("archived") and not archiving:  # `copart archive` (lifecycle.py): read-only
            raise CopartError(f"{self.config.name} is archived: it is read-only",
                              hint="search and ask still work; to reopen, remove 'archived' from copart.yaml and commit it with git")
        with self.write_lock(wait_for_git=True):
            if self.reviewed:
                from copart_cli.services.contributions import commit_contribution

                try:
                    return commit_contribution(self, paths, message, name=contribution)
                finally:
                    self.forget_pending()
            try:
                if len(paths) > 200:  # on stdin: thousands of paths do not fit on a command line
                    return self.git.commit_many(paths, message)
                return self.git.commit_paths(paths, message)
            except CopartError:
                self.git.restore_index(paths)
                raise


BULK_JOURNAL = "bulk-write.journal"
CHECKOUT_JOURNAL = "checkout.journal"


def _bytes_at(path: Path) -> bytes | None:
    """What a work-tree path holds as git would store it (a link's target), None when nothing is there."""
    try:
        if path.is_symlink():
            return os.readlink(path).encode("utf-8", "surrogateescape")
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _remove_empty_parents(root: Path, rel: str) -> None:
    parent = (root / rel).parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone): folders that held something stay
            return
        parent = parent.parent


class BulkWrite:
    """Each path is journaled before its file is created; `done()` once committed (or cleaned up)."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")

    def add(self, rel: str) -> None:
        self._fh.write(rel + "\n")
        self._fh.flush()  # in the kernel before the file exists: a SIGKILL cannot outrun it

    def done(self) -> None:
        with contextlib.suppress(OSError):  # a line that never reached a full disk: the journal goes anyway
            self._fh.close()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def _writing(rep: "Repertoire", wait_for_git: bool) -> Iterator[None]:
    if rep._holding_lock:  # taken again inside import or sync, which commit through the door
        if wait_for_git:
            rep.git.clear_stale_locks()
        yield  # no recover() here: it would roll back the import in progress
        return
    with locked(rep.state_dir / "write.lock"):
        rep._holding_lock = True
        try:
            if (rep.root / ".git").exists():
                rep.git.clear_stale_locks(wait=wait_for_git)
                rep.recover()
            yield
        finally:
            rep._holding_lock = False


def problem_from(exc: InvalidEntry, rel: str) -> Problem:
    """Turn 'path:line: message' from an InvalidEntry into a Problem."""
    m = re.match(r"^(.*?):(\d+): (.*)$", exc.message)
    if m and m.group(1) == rel:
        return Problem(rel, int(m.group(2)), m.group(3))
    return Problem(rel, 1, exc.message)


def require_identity(rep: Repertoire):
    """The git identity, checked before the user types anything."""
    return rep.git.identity()


def raise_kept(exc: CopartError, rel: str) -> None:
    """Re-raise a failure after the user wrote text, pointing at where the text is kept."""
    hint = f"your text is kept at {rel}" + (f"; {exc.hint}" if exc.hint else "")
    raise type(exc)(exc.message, hint=hint, exit_code=exc.exit_code) from None


def kind_of_folder(rel: str) -> Kind | None:
    return FOLDER_KINDS.get(rel.split("/", 1)[0])
