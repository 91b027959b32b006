"""Steps 1 and 3 of a sync round: commit the edits made outside copart, integrate fetched history.

The merge is computed in the object store (`git merge-tree`, then copart's key-by-key
frontmatter merge for files both sides changed, conflict copies for what cannot be merged);
the work tree only ever moves by a fast-forward to a finished commit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from copart_cli.services import conflicts
from copart_cli.core import ids
from copart_cli.core.errors import CopartError, DiskFull, GitError, InvalidEntry, SyncError
from copart_cli.adapters.files import guard
from copart_cli.core.model import ATTACHMENT_FOLDERS, FOLDER_KINDS, Problem, is_attachment_path, is_entry_path, plural
from copart_cli.services.repertoire import CONFIG_FILE, Repertoire, problem_from


@dataclass
class Change:
    """One file that came in or went out."""

    path: str
    change: str  # added | changed | removed
    by: list[str] = field(default_factory=list)  # member ids (or git names) who touched it

    @property
    def id(self) -> str | None:
        if self.path.endswith(".md") and self.path.split("/", 1)[0] in FOLDER_KINDS and "/" in self.path:
            return ids.of_path(self.path)
        return None


@dataclass
class SyncResult:
    view = "sync"
    mode: str  # remote | bundle-out | bundle-in
    remote: str | None
    branch: str
    head: str | None = None
    committed: str | None = None  # the commit of outside edits, if any
    committed_paths: list[str] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)  # left uncommitted
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # untracked files outside the repertoire's folders
    incoming: list[Change] = field(default_factory=list)
    incoming_commits: int = 0
    incoming_by: list[str] = field(default_factory=list)
    outgoing: list[Change] = field(default_factory=list)
    outgoing_commits: int = 0
    pushed: bool = False
    extra_refs: list[str] = field(default_factory=list)  # contribution/review refs pushed too
    merged: list[str] = field(default_factory=list)  # files both sides changed, merged cleanly
    kept: list[str] = field(default_factory=list)  # edited on one side, removed on the other: kept
    renamed: list[tuple[str, str]] = field(default_factory=list)  # same new id on both sides
    new_conflicts: list[conflicts.ConflictCopy] = field(default_factory=list)
    waiting: list[conflicts.ConflictCopy] = field(default_factory=list)  # all conflict copies now present
    offline: bool = False
    offline_reason: str = ""
    local_commits: int = 0  # commits not yet on the remote (after the run)
    bundle: str | None = None
    index: str = "unchanged"  # updated | unchanged | unavailable
    for_you: list = field(default_factory=list)  # review_news.News: contributions to review, word on yours

    @property
    def exit_code(self) -> int:
        return 3 if (self.offline or self.new_conflicts) else 0


def member_of(rep: Repertoire, email: str, name: str) -> str:
    try:
        member = rep.member_for_email(email)
    except CopartError:
        member = None
    return member.id if member else (ids.slugify(name) or "someone")


# -- 1. edits made outside copart --------------------------------------------------------


UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}  # git status codes of a conflict git left in the index


def commit_outside_edits(rep: Repertoire, exclude: set[str], result: SyncResult) -> None:
    """Commit what was changed by hand (after checking it); invalid entries stay uncommitted."""
    git = rep.git
    todo: list[str] = []
    entries = git.status_entries(refresh=True)
    unmerged = [path for code, path in entries if code in UNMERGED]
    if unmerged:  # e.g. a `git stash pop` that conflicted: the files hold git's conflict markers
        more = f" and {len(unmerged) - 1} more" if len(unmerged) > 1 else ""
        raise SyncError(f"{unmerged[0]}{more} has a conflict left by another git command; copart will not commit it",
                        hint=f"edit out the <<<<<<< >>>>>>> lines, then: git add -- {unmerged[0]} (or undo it: "
                             f"git checkout -m -- {unmerged[0]})")
    from copart_cli.services.validate import attachment_problems, structural_problems

    for code, path in entries:
        if path in exclude:
            continue
        untracked = code == "??"
        top = path.split("/", 1)[0]
        in_repertoire = (top in FOLDER_KINDS or top in ATTACHMENT_FOLDERS or path == CONFIG_FILE or top == ".copart"
                         or path == ".gitignore")
        if untracked and not in_repertoire:
            result.skipped.append(path)
            continue
        full = rep.root / path
        if not os.path.lexists(full):
            todo.append(path)  # a deletion
            continue
        try:
            guard(full, path.rstrip("/"))  # a link is never committed: on partners' machines it would point anywhere
        except InvalidEntry as exc:
            result.invalid.append(problem_from(exc, path))
            continue
        if is_entry_path(path) and not conflicts.is_copy(path):  # in a subfolder too: an entry like any other
            try:
                entry = rep.load(path)
            except InvalidEntry as exc:
                result.invalid.append(problem_from(exc, path))
                continue
            found = structural_problems(entry)
            if not found and untracked:  # a template an editor never filled (new's failed editor, or by hand)
                from copart_cli.services.validate import template_problems

                found = template_problems(entry)
            if found:
                result.invalid.extend(found)
                continue
        elif is_attachment_path(path) and (too_big := attachment_problems(rep, [path])):
            result.invalid.extend(too_big)  # it would travel to every partner, forever
            continue
        elif path == CONFIG_FILE:
            from copart_cli.services.repertoire import Config

            try:
                Config.load(full)
            except InvalidEntry as exc:
                result.invalid.append(problem_from(exc, path))
                continue
        todo.append(path)
    if not todo:
        return
    shown = "\n".join(f"- {p}" for p in todo[:50]) + (f"\n- … and {len(todo) - 50} more" if len(todo) > 50 else "")
    message = f"copart sync: commit {plural(len(todo), 'edit')} made outside copart\n\n{shown}"
    result.committed = rep.commit(todo, message)  # the write door: under review, a contribution
    result.committed_paths = todo


# -- 3. integrating ---------------------------------------------------------------------


def integrate(rep: Repertoire, theirs_ref: str, label: str, result: SyncResult,
              ours: str | None = None) -> tuple[str | None, str | None]:
    """Bring `theirs_ref` into the current branch: fast-forward, or a merge commit made off to the side.

    Returns (the branch's commit now, theirs).
    """
    git = rep.git
    ours = ours or git.head()
    theirs = git.rev(theirs_ref)
    if theirs is None or ours is None or theirs == ours or git.is_ancestor(theirs, ours):
        return ours, theirs
    if git.is_ancestor(ours, theirs):
        _move_to(rep, theirs)
        return theirs, theirs
    base = git.merge_base(ours, theirs)
    if base is None:
        raise CopartError(f"{label} has unrelated history: it is not a copy of this repertoire; nothing was changed",
                          hint="check the remote's URL with: git remote -v")
    merge = git.merge_trees(ours, theirs)
    both = {p for s, p in git.name_status(base, ours)} & {p for s, p in git.name_status(base, theirs)}
    both |= set(merge.conflicts)
    taken = set(git.tree_paths(merge.tree)) if both else set()
    identity = git.identity()
    who = member_of(rep, identity.email, identity.name)
    when = conflicts.stamp()
    changes: dict[str, tuple[str, str] | None] = {}
    notes: list[str] = []
    for path in sorted(both):
        b, o, t = git.file_at(base, path), git.file_at(ours, path), git.file_at(theirs, path)
        mode = "100644"
        for stage in (3, 2, 1):
            if stage in merge.conflicts.get(path, {}):
                mode = merge.conflicts[path][stage][0]
                break
        if mode not in ("100644", "100755"):
            continue  # symlinks, submodules: git's own result stands
        new_id = _renamed_id(path, b, o, t, taken)
        if new_id:
            new_path = f"{path.rsplit('/', 1)[0]}/{new_id}.md"
            changes[path] = (mode, git.hash_blob(t))
            changes[new_path] = (mode, git.hash_blob(_with_id(o, new_id)))
            taken.add(new_path)
            result.renamed.append((path, new_path))
            notes.append(f"renamed our new {path} to {new_path} (the same id was taken on {label})")
            continue
        fm = conflicts.merge_file(path, b, o, t, git.merge_text)
        changes[path] = None if fm.content is None else (mode, git.hash_blob(fm.content))
        if fm.note == "merged":
            result.merged.append(path)
        elif fm.note == "kept-edit":
            result.kept.append(path)
            notes.append(f"kept {path}: changed on one side, removed on the other")
        if fm.copy is not None:
            copy = conflicts.copy_path(path, who, when)
            changes[copy] = (mode, git.hash_blob(fm.copy))
            taken.add(copy)
            c = conflicts.parse_copy(copy)
            assert c is not None
            result.new_conflicts.append(c)
            notes.append(f"conflict on {path}: {label}'s version kept, ours saved as {copy}")
    tree = git.tree_with(merge.tree, changes) if changes else merge.tree
    message = f"copart sync: merge {label}\n" + ("\n" + "\n".join(f"- {n}" for n in notes) + "\n" if notes else "")
    commit = git.commit_tree(tree, [ours, theirs], message)
    _move_to(rep, commit)
    return commit, theirs


def _move_to(rep: Repertoire, commit: str) -> None:
    try:
        rep.fast_forward(commit)
    except DiskFull:
        raise  # the work tree is put back as it was; exit 1, not a conflict nor offline
    except GitError as exc:
        raise SyncError(exc.message + "; nothing was changed",
                        hint="commit or fix those files (copart check), then sync again") from None


def _renamed_id(path: str, b: bytes | None, o: bytes | None, t: bytes | None, taken: set[str]) -> str | None:
    """Two different new entries with the same id: a fresh id for ours."""
    folder, _, name = path.rpartition("/")
    if b is not None or o is None or t is None or o == t or folder not in FOLDER_KINDS or not name.endswith(".md"):
        return None
    if conflicts.is_copy(path):
        return None
    stem = name.removesuffix(".md")
    taken_ids = {ids.of_path(p) for p in taken if p.split("/", 1)[0] in FOLDER_KINDS}
    return ids.unique(stem, lambda c: c in taken_ids)


def _with_id(data: bytes, new_id: str) -> bytes:
    from copart_cli.core import frontmatter

    text = data.decode("utf-8", "replace")
    try:
        parts = frontmatter.split(text)
        meta = frontmatter.load(parts.frontmatter)
    except InvalidEntry:
        return data
    if "id" not in meta:
        return data
    return (parts.head + frontmatter.update(parts.frontmatter, {"id": new_id}) + parts.tail).encode("utf-8")


# -- reporting --------------------------------------------------------------------------


def describe(rep: Repertoire, old: str | None, new: str | None) -> tuple[list[Change], int, list[str]]:
    """The files that changed from old to new, who changed them, and how many commits."""
    if not new or old == new:
        return [], 0, []
    git = rep.git
    rng = f"{old}..{new}" if old else new
    commits = git.history(rev=rng)
    by_path: dict[str, list[str]] = {}
    people: list[str] = []
    cache: dict[tuple[str, str], str] = {}
    for c in commits:
        key = (c.author_email, c.author_name)
        if key not in cache:
            cache[key] = member_of(rep, c.author_email, c.author_name)
        who = cache[key]
        if who not in people:
            people.append(who)
        for _, path in c.changes:
            names = by_path.setdefault(path, [])
            if who not in names:
                names.append(who)
    if old:
        status = git.name_status(old, new)
    else:
        status = [("A", p) for p in git.tree_paths(new)]
    kinds = {"A": "added", "D": "removed"}
    changes = [Change(p, kinds.get(s, "changed"), by_path.get(p, [])) for s, p in status if not p.endswith(".gitkeep")]
    return changes, len(commits), people
