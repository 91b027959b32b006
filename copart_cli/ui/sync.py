"""Views of sync, join, status and resolve (JSON shapes documented in docs/sync.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import plural
from copart_cli.ui import Out, visible, warn
from copart_cli.ui import jsonout as j


def _conflict(c) -> dict[str, Any]:
    return {"path": c.path, "copy": c.copy, "who": c.who, "when": c.when}


def _change(c) -> dict[str, Any]:
    return {"path": c.path, "id": c.id, "change": c.change, "by": c.by}


def offline_message(r) -> str:
    return (f"offline: {plural(r.local_commits, 'local commit')} kept, they will go out at the next sync")


# -- sync ------------------------------------------------------------------------------


def json_SyncResult(r) -> dict[str, Any]:
    return {
        "mode": r.mode,
        "remote": r.remote,
        "branch": r.branch,
        "head": r.head,
        "committed": {"commit": r.committed, "paths": r.committed_paths} if r.committed else None,
        "invalid": [j.problem(p) for p in r.invalid],
        "warnings": [j.problem(p) for p in r.warnings],
        "skipped": r.skipped,
        "incoming": {"commits": r.incoming_commits, "by": r.incoming_by, "files": [_change(c) for c in r.incoming]},
        "outgoing": {"commits": r.outgoing_commits, "pushed": r.pushed, "files": [_change(c) for c in r.outgoing],
                     "extra_refs": r.extra_refs},
        "merged": r.merged,
        "kept": r.kept,
        "renamed": [{"from": a, "to": b} for a, b in r.renamed],
        "conflicts": [_conflict(c) for c in r.new_conflicts],
        "waiting": [_conflict(c) for c in r.waiting],
        "offline": r.offline,
        "offline_reason": r.offline_reason or None,
        "local_commits": r.local_commits,
        "bundle": r.bundle,
        "index": r.index,
        "message": offline_message(r) if r.offline else None,
        "for_you": [{"kind": n.kind, "contribution": n.contribution, "by": n.by, "version": n.version, "text": n.text}
                    for n in r.for_you],
    }


_SAID = {"comment": "commented on", "request_changes": "asked for changes to", "accept": "accepted",
         "reject": "rejected", "withdraw": "withdrew", "revise": "revised"}


def _for_you(n) -> str:
    if n.kind == "to_review":
        return f"for you: {n.contribution} v{n.version} to review (copart review show {n.contribution})"
    said = f": {' '.join(n.text.split())[:100]}" if n.text.strip() else ""  # a partner's words: shown, never obeyed
    return visible(f"for you: {n.by} {_SAID.get(n.kind, n.kind)} {n.contribution}{said}")


def text_SyncResult(r, out: Out) -> None:
    for p in r.invalid:
        warn(f"{p} (not committed, not synced: fix it, then sync again)")
    for p in r.warnings:
        warn(str(p))
    if r.committed:
        out.line(f"committed {plural(len(r.committed_paths), 'edit')} made outside copart ({r.committed[:10]})")
    if r.mode == "bundle-out":
        out.line(f"wrote {r.bundle}: {r.branch} with {plural(r.outgoing_commits, 'commit')}; "
                 f"a partner takes it in with: copart sync --from-bundle FILE")
        return
    source = f"the bundle {r.bundle}" if r.mode == "bundle-in" else r.remote
    if r.incoming:
        by = f" by {', '.join(r.incoming_by)}" if r.incoming_by else ""
        out.line(f"in from {source}: {plural(r.incoming_commits, 'commit')}{by}")
        rows = [[c.change, c.id or c.path, ", ".join(c.by)] for c in r.incoming[:30]]
        out.table(["change", "entry", "by"], rows)
        if len(r.incoming) > 30:
            out.line(f"… and {len(r.incoming) - 30} more files")
    for path in r.merged:
        out.line(f"merged both sides' edits of {path}")
    for path in r.kept:
        out.line(f"kept {path}: edited on one side, removed on the other")
    for a, b in r.renamed:
        out.line(f"your new {a} was renamed {b}: a partner used the same id")
    if r.pushed:
        out.line(f"out to {r.remote}: {plural(r.outgoing_commits, 'commit')}"
                 + (f" ({plural(len(r.outgoing), 'file')})" if r.outgoing else ""))
    for ref in r.extra_refs:
        out.line(f"pushed {ref.rsplit(':', 1)[-1].removeprefix('refs/heads/')}")
    for c in r.new_conflicts:
        out.line(f"conflict: {c.path} keeps the version from {source}; yours is saved in {c.copy}")
    if r.new_conflicts:
        out.line("settle each with: copart resolve ID --keep entry|copy|both")
    if r.offline:
        out.line(offline_message(r))
        if r.offline_reason:
            out.line(f"  ({r.offline_reason})")
    elif not (r.incoming or r.pushed or r.committed or r.new_conflicts):
        if r.mode == "remote" and r.local_commits:  # --no-push
            out.line(f"nothing new from {source}; {plural(r.local_commits, 'local commit')} not sent (--no-push)")
        else:
            out.line(f"up to date with {source}")
    if r.mode == "bundle-in" and r.local_commits:  # a bundle is read, never written into
        out.line(f"{plural(r.local_commits, 'local commit')} not in {r.bundle}; to send them, write a bundle "
                 "for your partners: copart sync --bundle FILE")
    for n in r.for_you:
        out.line(_for_you(n))
    waiting = [c for c in r.waiting if c not in r.new_conflicts]
    if waiting:
        out.line(f"{plural(len(waiting), 'conflict')} still waiting: see copart status")


# -- join ------------------------------------------------------------------------------


def json_JoinResult(r) -> dict[str, Any]:
    return {"path": str(r.path), "url": r.url, "name": r.name, "entries": r.entries, "head": r.head,
            "member": r.member, "email": r.email, "index": r.index}


def text_JoinResult(r, out: Out) -> None:
    out.line(f"joined {r.name}: {plural(r.entries, 'entry', 'entries')} in {r.path}")
    if r.member:
        out.line(f"you are {r.member} (your git email {r.email} is in members/{r.member}.md)")
    elif r.email:
        out.line(f"your git email {r.email} is in no member profile; add yours so partners know who you are:")
        out.line(f'  cd {r.path} && copart new member "Your Name" --field email={r.email}')
    else:
        out.line("no git identity is configured; set one before you write anything:")
        out.line('  git config --global user.name "Your Name" && git config --global user.email you@example.org')
    out.line(f"next: cd {r.path} && copart status")


# -- status ----------------------------------------------------------------------------


def json_StatusResult(r) -> dict[str, Any]:
    return {
        "path": str(r.path),
        "branch": r.branch,
        "head": r.head,
        "operation_in_progress": r.operation,
        "changes": [{"state": s, "path": p} for s, p in r.changes],
        "invalid": [j.problem(p) for p in r.invalid],
        "remotes": [{"name": x.name, "url": x.url, "ahead": x.ahead, "behind": x.behind, "last_fetch": x.last_fetch}
                    for x in r.remotes],
        "conflicts": [_conflict(c) for c in r.conflicts],
        "index": r.index,
        "open_asks": r.open_asks,
        "review": r.review,
    }


def text_StatusResult(r, out: Out) -> None:
    out.line(f"{r.path} on {r.branch or '(detached HEAD)'}" + (f" at {r.head[:10]}" if r.head else ""))
    if r.operation:
        out.line(f"a {r.operation} is in progress (left by another tool): git {r.operation} --continue or --abort")
    if r.changes:
        out.line(f"{plural(len(r.changes), 'uncommitted change')} (copart sync commits the valid ones; "
                 "pending ones wait for review on their contribution branch):")
        out.table(["state", "path"], [[s, p] for s, p in r.changes])
    else:
        out.line("no uncommitted changes")
    for p in r.invalid:
        out.line(f"invalid, will not be synced: {p}")
    if not r.remotes:
        out.line("no remote: add one with git remote add origin URL, or sync by file with --bundle")
    for x in r.remotes:
        if x.ahead is None:
            out.line(f"{x.name}: never synced ({x.url})")
        else:
            when = f", as of {x.last_fetch}" if x.last_fetch else ""
            out.line(f"{x.name}: {x.ahead} to send, {x.behind} to bring in{when}")
    for c in r.conflicts:
        target = c.id if c.path.endswith(".md") else c.path
        out.line(f"conflict waiting: {c.path} — {c.who}'s version from {c.when} is in {c.copy}; "
                 f"copart resolve {target}")
    fresh = r.index.get("fresh")
    out.line("index: " + {True: "up to date", False: "behind (updated at the next search)", None: "not built yet"}[fresh])
    if r.open_asks:
        out.line(f"{plural(r.open_asks, 'open ask')}: copart asks")


# -- resolve ---------------------------------------------------------------------------


def json_ResolveResult(r) -> dict[str, Any]:
    return {"path": r.path, "kept": r.kept, "cleared": r.cleared, "commit": r.commit}


def text_ResolveResult(r, out: Out) -> None:
    out.line(f"resolved {r.path}: kept {r.kept}; cleared {', '.join(r.cleared)} (commit {r.commit[:10] if r.commit else '-'})")
    out.line("share it with: copart sync")
