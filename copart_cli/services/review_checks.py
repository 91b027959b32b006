"""What a coordinator is shown before deciding: `copart check` on the tree main would get,
the paths that change copart's behaviour, and who signed (and who the author fields claim)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import InvalidEntry
from copart_cli.core.model import Entry, Kind, Problem
from copart_cli.services.contributions import Contribution
from copart_cli.services.signing import Roster, classify, main_rev, roster_at, signer

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire


def entry_from(data: bytes, rel: str) -> Entry:
    text = data.decode("utf-8")
    parts = frontmatter.split(text, rel)
    meta = frontmatter.load(parts.frontmatter, rel, first_line=2)
    return Entry(path=rel, meta=meta, body=parts.body, raw_frontmatter=parts.frontmatter, pending=True)


def behaviour_paths(paths: list[str]) -> list[str]:
    """The paths that change how copart behaves on every partner's machine, not what the
    repertoire says: copart.yaml, .copart/ (template overrides are code) and git attributes.
    Accepting them takes --allow-config, never just --ignore-checks (which is about entries)."""
    from copart_cli.services.repertoire import CONFIG_FILE

    return [p for p in paths if p == CONFIG_FILE or p.split("/", 1)[0] == ".copart"
            or p.rsplit("/", 1)[-1] == ".gitattributes"]


def check_tree(git, tree: str, paths: list[str]) -> list[Problem]:
    """`copart check` on the touched paths as they would be in TREE (main with the contribution):
    every one must be a plain file, each entry a valid entry, copart.yaml a valid config."""
    from copart_cli.core.model import KIND_FOLDERS, is_entry_path
    from copart_cli.services.repertoire import CONFIG_FILE
    from copart_cli.services.validate import reference_problems, shared_key_problems, structural_problems

    all_paths = git.paths_at(tree, *KIND_FOLDERS.values())
    stems = lambda folder: {ids.of_path(p) for p in all_paths  # noqa: E731
                            if p.startswith(folder + "/") and p.endswith(".md")}
    known = {ids.of_path(p) for p in all_paths if p.endswith(".md")}
    members, asks = stems(KIND_FOLDERS[Kind.member]), stems(KIND_FOLDERS[Kind.ask])
    problems: list[Problem] = []
    modes = git.modes_at(tree, paths)
    roster = roster_at(git, tree) if any(p.startswith(KIND_FOLDERS[Kind.member] + "/") for p in paths) else None
    for rel in paths:
        mode = modes.get(rel, "100644")
        if mode == "120000":  # never followed: on a partner's machine it would point anywhere
            problems.append(Problem(rel, 1, "is a symbolic link, not a plain file; copart does not follow links"))
            continue
        if mode not in ("100644", "100755"):
            problems.append(Problem(rel, 1, "not a plain file (a submodule)"))
            continue
        data = git.file_at(tree, rel)
        if data is None:
            continue
        if rel == CONFIG_FILE:
            problems.extend(_config_problems(data))
            continue
        if not is_entry_path(rel):  # entries in nested folders too: partners see them as entries
            continue  # not an entry (a pathway, a template, an attachment…): only that it is a plain file
        try:
            entry = entry_from(data, rel)
        except UnicodeDecodeError:
            problems.append(Problem(rel, 1, "not valid UTF-8 text"))
            continue
        except InvalidEntry as exc:
            from copart_cli.services.repertoire import problem_from

            problems.append(problem_from(exc, rel))
            continue
        problems.extend(structural_problems(entry))
        problems.extend(reference_problems(entry, known, members, asks))
        if roster is not None and entry.kind == Kind.member.value:
            problems.extend(shared_key_problems(entry, roster.owners))
    return problems


def _config_problems(data: bytes) -> list[Problem]:
    from copart_cli.services.repertoire import CONFIG_FILE, Config

    try:
        Config.parse(data.decode("utf-8"), "")
    except UnicodeDecodeError:
        return [Problem(CONFIG_FILE, 1, "not valid UTF-8 text")]
    except InvalidEntry as exc:
        return [Problem(CONFIG_FILE, 1, exc.message.split(": ", 1)[-1])]
    return []


def contribution_signatures(rep: Repertoire, c: Contribution, signers: Path) -> list[dict]:
    main_sha = rep.git.rev(main_rev(rep))
    return rep.git.signatures(c.latest.tip, since=main_sha, allowed_signers=signers)


def signature_status(rep: Repertoire, c: Contribution, roster: Roster, signers: Path,
                     sigs: list[dict] | None = None) -> tuple[str, list[str]]:
    """signed | unsigned | unknown-key | duplicate-key | bad-signature | wrong-member | no-key, with details."""
    if c.member not in roster.keys:
        return "no-key", [f"{c.member} has no ssh_keys on main"]
    sigs = contribution_signatures(rep, c, signers) if sigs is None else sigs
    worst, details = "signed", []
    order = ["signed", "wrong-member", "unknown-key", "duplicate-key", "unsigned", "bad-signature"]
    for s in sigs:
        problem = classify(s, roster)
        if problem is None and signer(s, roster) != c.member:
            problem = ("wrong-member", f"signed by {signer(s, roster)}, not {c.member}")
        if problem:
            details.append(f"{s['commit'][:10]} {problem[0]}: {problem[1]}")
            if order.index(problem[0]) > order.index(worst):
                worst = problem[0]
    return worst, details



def authorship(roster: Roster, sigs: list[dict], added: list[Entry]) -> list[str]:
    """Where the author field (a commit's author email, a new entry's `author:`) names another member than
    the one whose key signed: anybody can type any author, so copart credits the signer."""
    by_email = {mail: m.id for m in roster.members.values() for mail in m.emails}
    notes = []
    signers = set()
    for s in sigs:
        who = signer(s, roster)
        claimed = by_email.get(s["email"].lower())
        if who:
            signers.add(who)
        if who and claimed and claimed != who:
            notes.append(f"{s['commit'][:10]}: author email {s['email']} is {claimed}'s, but {who} signed it")
    only = signers.pop() if len(signers) == 1 else None
    if only is None or only in roster.coordinators:  # coordinators may record work on someone's behalf
        return notes
    for e in added:
        if e.author and e.kind != Kind.member.value and e.author != only:
            notes.append(f"{e.path} says author: {e.author}, but {only} signed it; it will be credited to {only}")
    return notes


# -- commands: contribute -------------------------------------------------------------------
