"""Views of contributions, review actions, signing, verify and the hub (shapes in docs/review.md)."""

from __future__ import annotations

from typing import Any

from copart_cli.core.model import iso, plural, utcnow
from copart_cli.ui import Out, note, warn
from copart_cli.ui import jsonout as j


def _age(when) -> str:
    if when is None:
        return ""
    seconds = max(0, int((utcnow() - when).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _event(e) -> dict[str, Any]:
    return {"commit": e.commit, "type": e.type, "by": e.by, "at": iso(e.at), "version": e.version,
            "text": e.text, "target": e.target, "merge": e.merge, "doubt": e.doubt or None}


def _state(c) -> str:
    return "merged outside copart" if c.merged_outside else c.state.replace("_", " ")


def _contribution(c, checks=None, signatures=None) -> dict[str, Any]:
    data = {
        "id": c.key,
        "member": c.member,
        "name": c.id,
        "state": c.state,
        "merged_outside": c.merged_outside,
        "version": c.latest.n,
        "branch": f"contrib/{c.member}/{c.id}/v{c.latest.n}",
        "commit": c.latest.tip,
        "versions": [{"version": v.n, "commit": v.tip} for v in c.versions],
        "paths": c.paths,
        "entries": c.entry_ids,
        "created": iso(c.created),
        "updated": iso(c.updated),
        "events": [_event(e) for e in c.events],
    }
    if checks is not None:
        data["checks"] = checks.get(c.key)
    if signatures is not None:
        data["signature"] = signatures.get(c.key)
    return data


# -- lists ------------------------------------------------------------------------------


def json_ContributionList(r) -> list[dict[str, Any]]:
    if r.mine:
        return [_contribution(c) for c in r.contributions]
    return [_contribution(c, r.checks, r.signatures) for c in r.contributions]


def text_ContributionList(r, out: Out) -> None:
    if not r.contributions:
        out.line("no contributions" if r.mine else "no open contributions")
        return
    if r.mine:
        rows = []
        for c in r.contributions:
            last = next((e for e in reversed(c.events) if e.type != "revise"), None)
            said = f"{last.by}: {last.text or last.type.replace('_', ' ')}" if last else ""
            rows.append([c.key, _state(c), f"v{c.latest.n}", ", ".join(c.entry_ids),
                         _age(c.updated), said.replace("\n", " ")[:100]])
        out.table(["id", "state", "version", "entries", "age", "last word"], rows)
        return
    rows = [[c.key, c.member, ", ".join(c.entry_ids), f"v{c.latest.n}", _age(c.created), _state(c),
             r.checks.get(c.key, ""), r.signatures.get(c.key, "")] for c in r.contributions]
    out.table(["id", "author", "entries", "version", "age", "state", "checks", "signature"], rows)


# -- detail -------------------------------------------------------------------------------


def json_ContributionDetail(r) -> dict[str, Any]:
    return {
        **_contribution(r.contribution),
        "entries_shown": [{**j.entry(e), "body": e.body} for e in r.entries],
        "removed": r.removed,
        "diff": r.diff,
        "checks": {"ok": not r.problems, "problems": [j.problem(p) for p in r.problems]},
        "mergeable": r.mergeable,
        "conflicts": r.conflicts,
        "signature": r.signature,
        "signature_problems": r.signature_detail,
        "behaviour": r.behaviour,
        "authorship": r.authorship,
    }


def text_ContributionDetail(r, out: Out) -> None:
    c = r.contribution
    out.heading(f"{c.key} v{c.latest.n} · {_state(c)}")
    out.line(f"by {c.member} · opened {_age(c.created)} ago · branch contrib/{c.member}/{c.id}/v{c.latest.n}", style="dim")
    merge = "merges cleanly into main" if r.mergeable else "CONFLICTS with main: " + ", ".join(r.conflicts)
    checks = "checks ok" if not r.problems else f"{plural(len(r.problems), 'check problem')}"
    out.line(f"{merge} · {checks} · signature: {r.signature}")
    for p in r.problems:
        out.line(f"  {p}")
    for d in r.signature_detail:
        out.line(f"  {d}")
    if r.behaviour:
        out.line("changes to how copart behaves (code every partner runs; accept needs --allow-config):", style="bold")
        for path in r.behaviour:
            out.line(f"  {path}")
    for mismatch in r.authorship:
        out.line(f"  author mismatch: {mismatch}")
    for e in r.entries:
        out.line()
        out.heading(f"{e.title} ({e.path})")
        out.markdown(e.body.strip() or "_(no text)_")
    for path in r.removed:
        out.line(f"removes {path}")
    if r.diff:
        out.line()
        out.heading("Diff against main")
        if out.rich:
            out.console.print(r.diff, markup=False, highlight=False)
        else:
            out.stream.write(r.diff if r.diff.endswith("\n") else r.diff + "\n")
    out.line()
    out.heading(f"Thread ({len(c.events)})")
    if not c.events:
        out.line("no comments yet")
    for e in c.events:
        what = e.type.replace("_", " ")
        out.line(f"{iso(e.at) or ''} · {e.by} · {what} (v{e.version or '?'})", style="bold")
        if e.doubt:
            out.line(f"  ignored: {e.doubt}", style="yellow")
        if e.text:
            out.line("  " + e.text.replace("\n", "\n  "))


# -- actions ------------------------------------------------------------------------------


def json_ReviewAction(r) -> dict[str, Any]:
    return {"action": r.action, "contribution": _contribution(r.contribution), "event": r.event,
            "commit": r.commit, "version": r.version}


def text_ReviewAction(r, out: Out) -> None:
    c = r.contribution
    if r.action == "accepted":
        out.line(f"accepted {c.key} v{r.version}: merged into main (commit {r.commit[:10]})")
        note("hint: copart sync shares the decision and main")
    elif r.action == "revised":
        out.line(f"revised {c.key}: now v{r.version} (commit {r.commit[:10]})")
    else:
        verb = {"commented": "commented on", "changes_requested": "requested changes to",
                "rejected": "rejected", "withdrawn": "withdrew"}[r.action]
        out.line(f"{verb} {c.key}")


def json_SigningSetup(r) -> dict[str, Any]:
    return {"member": r.member, "key": r.key, "public_key": r.public_key, "fingerprint": r.fingerprint,
            "in_profile": r.in_profile, "allowed_signers": r.allowed_signers}


def text_SigningSetup(r, out: Out) -> None:
    out.line(f"signing as {r.member} with {r.fingerprint} ({r.key})")
    if not r.in_profile:
        warn(f"this key is not in {r.member}'s profile on main yet, so nobody can verify your commits")
        note(f"hint: a coordinator adds it to members/{r.member}.md under ssh_keys: [\"{r.public_key}\"]")


def json_VerifyResult(r) -> dict[str, Any]:
    return {"ok": r.ok, "checked": r.checked,
            "problems": [{"commit": p.commit, "subject": p.subject, "problem": p.problem, "detail": p.detail}
                         for p in r.problems]}


def text_VerifyResult(r, out: Out) -> None:
    for p in r.problems:
        where = f"{p.commit[:10]} {p.subject}: " if p.commit else ""
        out.line(f"{where}{p.problem}: {p.detail}")
    if r.ok:
        out.line(f"ok: {r.checked} commits on main, all signed as the policy asks")


def json_HubResult(r) -> dict[str, Any]:
    return {"path": r.path, "main": r.main, "members": r.members, "coordinators": r.coordinators,
            "keys": r.keys, "warnings": r.warnings, "python": r.python, "remote": r.remote}


def text_HubResult(r, out: Out) -> None:
    for w in r.warnings:
        warn(w)
    out.line(f"hub created at {r.path}: main {r.main[:10] if r.main else '-'}, {plural(r.members, 'member')}, "
             f"{plural(r.keys, 'key')}, coordinators: {', '.join(r.coordinators) or 'none'}")
    if r.remote:
        out.line(f"added it as the remote {r.remote}: copart sync shares with it")
    note(f"hint: partners join with: copart join {r.path}  (served by another account? copart hub check {r.path})")


def json_HubCheck(r) -> dict[str, Any]:
    return {"path": r.path, "ok": r.ok, "hook": r.hook, "interpreter": r.interpreter, "mode": r.mode,
            "owner": r.owner, "runs": r.runs, "runs_detail": r.runs_detail, "main": r.main, "members": r.members,
            "coordinators": r.coordinators, "coordinators_with_keys": r.coordinators_with_keys, "keys": r.keys,
            "policy": r.policy, "problems": r.problems, "notes": r.notes}


def text_HubCheck(r, out: Out) -> None:
    out.line(f"{'guarded' if r.ok else 'NOT guarded'}: {r.path}")
    state = f"runs: {r.runs_detail}" if r.runs else f"does not run: {r.runs_detail}"
    out.line(f"hook {r.hook} ({r.mode}, owner {r.owner}, #!{r.interpreter or '?'}) {state}")
    out.line(f"main {r.main[:10] if r.main else '-'}: {plural(r.members, 'member')}, {plural(r.keys, 'key')}, coordinators with a key: "
             f"{', '.join(r.coordinators_with_keys) or 'none'}")
    if r.runs:
        out.line("it enforces:")
        for rule in r.policy:
            out.line(f"  {rule}")
    for p in r.problems:
        warn(p)
    for n in r.notes:
        note(f"note: {n}")
