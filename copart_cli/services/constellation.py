"""The constellation: the communities one person belongs to, asked as one.

The registry is per user, not in any repertoire: `<user config dir>/copart/constellation.json`
(platformdirs; $XDG_CONFIG_HOME on Linux). A community added by URL is cloned (as `join`
does) into `<user data dir>/copart/constellation/<name>`. `ask`, `search` and `who` with
`--constellation` (or `--in a,b`) ask every community's own local index, with the statistics
of all of them (adapters/index/federated.py), so scores compare; a community that is missing
or broken is named and skipped, never fatal.
"""

from __future__ import annotations

import collections
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copart_cli.adapters.files import atomic_write
from copart_cli.core import ids
from copart_cli.core.errors import AlreadyExists, CopartError, NotFound, UsageError
from copart_cli.services.repertoire import Repertoire

REGISTRY = "constellation.json"
VERSION = 1
MAX_COMMUNITIES = 1000


@dataclass
class Community:
    name: str
    path: str
    url: str | None = None
    state: str = ""  # ok | missing | broken: why (status and list)
    entries: int = 0
    archived: bool = False


@dataclass
class ConstellationList:
    view = "constellation"
    registry: str
    communities: list[Community]
    action: str = "list"  # list | status | added | removed


@dataclass
class Synced:
    name: str
    state: str  # synced | offline: why | conflict | skipped: why | failed: why
    incoming_commits: int = 0
    outgoing_commits: int = 0
    pushed: bool = False
    exit_code: int = 0


@dataclass
class ConstellationSync:
    view = "constellation"
    communities: list[Synced]

    @property
    def exit_code(self) -> int:
        """3 when a community was offline or left a conflict (its work is kept), like `sync`."""
        return 3 if any(c.exit_code == 3 for c in self.communities) else 0


@dataclass
class Spanner:
    """A person, once, with what they know in each community (a boundary spanner when several)."""

    id: str
    name: str
    score: float
    communities: list[str]
    evidence: list[str]


@dataclass
class ConstellationAsk:
    view = "constellation"
    question: str
    results: list[tuple[str, Any]]  # (community, search.Result), best first across all
    people: list[Spanner]
    skipped: list[tuple[str, str]]  # (community, why)
    asked: list[str] = field(default_factory=list)
    mode: str = "ask"  # ask | who | search
    total: int = 0  # search: the entries that match, in all the communities asked
    note: str | None = None  # search: why nothing could be searched for (the same in every community)
    corrections: dict[str, str] = field(default_factory=dict)  # search: typo fixes (one vocabulary for all)


def _dirs() -> tuple[Path, Path]:
    import platformdirs

    return Path(platformdirs.user_config_dir("copart")), Path(platformdirs.user_data_dir("copart"))


def _read() -> tuple[Path, dict[str, dict[str, Any]]]:
    path = _dirs()[0] / REGISTRY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return path, {}
    except (OSError, ValueError) as exc:
        raise CopartError(f"cannot read the constellation registry {path}: {exc}",
                          hint="fix or remove the file; copart writes it again") from None
    items = data.get("communities") if isinstance(data, dict) else None
    if not isinstance(items, dict):
        return path, {}
    return path, {k: v for k, v in items.items() if ids.is_valid(str(k)) and isinstance(v, dict)
                  and isinstance(v.get("path"), str)}


def _write(path: Path, items: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"version": VERSION, "communities": items}, indent=2, sort_keys=True) + "\n")


def _name(name: str) -> str:
    if not ids.is_valid(name):
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise UsageError(f"'{shown}' cannot be a community name", hint="use lowercase words joined by hyphens")
    return name


def add(name: str, target: str) -> ConstellationList:
    """Add a local repertoire (PATH) or clone one (URL, or a bare repository) into the managed folder."""
    path, items = _read()
    _name(name)
    if name in items:
        raise AlreadyExists(f"'{name}' is already in your constellation ({items[name]['path']})",
                            hint=f"remove it first: copart constellation remove {name}")
    if len(items) >= MAX_COMMUNITIES:
        raise UsageError(f"a constellation holds at most {MAX_COMMUNITIES} communities")
    local = Path(target).expanduser()
    if local.is_dir() and not (local / "HEAD").is_file():  # a work tree; a bare repository is cloned like a URL
        rep = Repertoire.locate(str(local))
        items[name] = {"path": str(rep.root), "url": None}
    else:
        from copart_cli.services.join import join

        dest = _dirs()[1] / "constellation" / name
        if dest.exists():
            raise AlreadyExists(f"{dest} already exists", hint="remove that folder, or add it by its path")
        dest.parent.mkdir(parents=True, exist_ok=True)
        joined = join(target, dest)
        items[name] = {"path": str(joined.path), "url": target}
    _write(path, items)
    return ConstellationList(str(path), [_described(name, items[name])], "added")


def remove(name: str) -> ConstellationList:
    path, items = _read()
    if name not in items:
        raise _unknown(name, items)
    gone = items.pop(name)
    _write(path, items)
    return ConstellationList(str(path), [Community(name, gone["path"], gone.get("url"), "removed")], "removed")


def listing(status: bool = False) -> ConstellationList:
    path, items = _read()
    found = [_described(n, items[n], counts=status) for n in sorted(items)]
    return ConstellationList(str(path), found, "status" if status else "list")


def _unknown(name: str, items: dict) -> NotFound:
    shown = name if len(name) <= 60 else name[:57] + "..."
    known = ", ".join(sorted(items)) or "none yet"
    return NotFound(f"no community '{shown}' in your constellation", hint=f"yours: {known}")


def _open(info: dict[str, Any]) -> Repertoire:
    return Repertoire.locate(info["path"])


def _described(name: str, info: dict[str, Any], counts: bool = False) -> Community:
    c = Community(name, info["path"], info.get("url") if isinstance(info.get("url"), str) else None)
    if not Path(c.path).is_dir():
        c.state = "missing"
        return c
    try:
        rep = _open(info)
        c.archived = bool(rep.config.raw.get("archived"))
        if counts:
            c.entries = sum(1 for _ in rep.entry_paths())
        c.state = "ok"
    except CopartError as exc:
        c.state = f"broken: {exc.message}"
    return c


def _chosen(names: list[str] | None) -> list[tuple[str, dict[str, Any]]]:
    _, items = _read()
    if names is None:
        if not items:
            raise NotFound("your constellation is empty", hint="add one: copart constellation add NAME PATH|URL")
        return sorted(items.items())
    for n in names:
        if n not in items:
            raise _unknown(n, items)
    return [(n, items[n]) for n in dict.fromkeys(names)]


AHEAD = 8  # communities whose `git status` already runs while an earlier one's index opens


@contextlib.contextmanager
def _opened(names: list[str] | None, skipped: list[tuple[str, str]]):
    """(name, rep, reading, state) of each chosen community, its snapshot scored with one global
    idf; a missing or broken community goes into SKIPPED."""
    from copart_cli.adapters.index.federated import federate
    from copart_cli.services.search import snapshot

    with contextlib.ExitStack() as stack:
        opened = []
        for name, rep, dirty in _started(_chosen(names), skipped, stack):
            try:
                index, state = stack.enter_context(snapshot(rep, None, dirty))
            except CopartError as exc:
                skipped.append((name, f"broken: {exc.message}"))
                continue
            opened.append((name, rep, index, state))
        readings = federate([o[2] for o in opened])
        yield [(name, rep, reading, state) for (name, rep, _, state), reading in zip(opened, readings)]


def _across(names: list[str] | None, run, skipped: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """RUN(rep, reading, state) in each chosen community (_opened)."""
    with _opened(names, skipped) as opened:
        return [(name, run(rep, reading, state)) for name, rep, reading, state in opened]


def _started(chosen: list[tuple[str, dict[str, Any]]], skipped: list[tuple[str, str]], stack: contextlib.ExitStack):
    """Each community that is there, with its dirty check started AHEAD of its turn: a hundred
    small communities would otherwise each wait for their own git in turn."""
    from copart_cli.services.search import dirty_check

    pending: collections.deque = collections.deque()

    def drain() -> None:  # checks started for communities never reached (an error, Ctrl-C): wait for git
        for *_, dirty in pending:
            with contextlib.suppress(Exception):
                dirty()

    stack.callback(drain)
    for name, info in chosen:
        if not Path(info["path"]).is_dir():
            skipped.append((name, f"missing: {info['path']}"))
            continue
        try:
            rep = _open(info)
            pending.append((name, rep, dirty_check(rep)))
        except CopartError as exc:
            skipped.append((name, f"broken: {exc.message}"))
            continue
        if len(pending) > AHEAD:
            yield pending.popleft()
    while pending:
        yield pending.popleft()


def ask(question: str, names: list[str] | None = None, *, limit: int = 5) -> ConstellationAsk:
    """Ask every chosen community at once, with scores that compare (one global idf)."""
    from copart_cli.services.ask import RESULT_CUT, ask_across, with_passages
    from copart_cli.services.search import check_query

    question = check_query(question, 'copart ask "how do we price a first workshop?" --constellation')
    result = ConstellationAsk(question, [], [], [])
    with _opened(names, result.skipped) as opened:
        answers = list(zip([o[0] for o in opened], ask_across([o[1:] for o in opened], question, limit)))
        roots = {name: rep.root for name, rep, _, _ in opened}
        result.asked = [name for name, _ in answers]
        merged = [(name, r, a.terms) for name, a in answers for r in a.results]
        merged.sort(key=lambda x: (-x[1].score, x[1].entry.path, x[0]))  # ties as one index orders them: by path
        # each community cut its answers at a share of its own best; the constellation's best decides
        floor = RESULT_CUT * merged[0][1].score if merged else 0.0
        shown = [m for m in merged if m[1].score >= floor][:limit]
        result.results = [(name, with_passages(roots[name], r, terms)) for name, r, terms in shown]
    result.people = _spanners(answers)
    return result


def search(text: str, names: list[str] | None = None, **filters) -> ConstellationAsk:
    """`search` in every chosen community at once, merged by scores that compare (one global
    idf); FILTERS are search's own (kind, tag, topic, author, since, limit)."""
    from copart_cli.services.search import search_in, typed_query

    q = typed_query(text, **filters)
    result = ConstellationAsk(q.text, [], [], [], mode="search")
    found = _across(names, lambda rep, reading, state: search_in(rep, reading, q, state), result.skipped)
    result.asked = [name for name, _ in found]
    result.total = sum(f.total for _, f in found)
    result.note = next((f.note for _, f in found if f.note), None)
    result.corrections = next((f.corrections for _, f in found if f.corrections), {})
    merged = [(name, r) for name, f in found for r in f.results]
    merged.sort(key=lambda x: (-x[1].score, x[1].entry.path, x[0]))  # ties as one index orders them: by path
    result.results = merged[:q.limit]
    return result


def who(topic: str, names: list[str] | None = None, *, limit: int = 5) -> ConstellationAsk:
    """`who TOPIC` in every chosen community; each person once, with the evidence of each."""
    from copart_cli.services.search import check_query
    from copart_cli.services.who import who_in

    topic = check_query(topic, "copart who pricing --constellation")
    result = ConstellationAsk(topic, [], [], [], mode="who")
    found = _across(names, lambda rep, reading, state: who_in(rep, reading, topic, limit, state), result.skipped)
    result.asked = [name for name, _ in found]
    result.people = _spanners(found, limit)
    return result


def _spanners(answers: list[tuple[str, Any]], limit: int = 5) -> list[Spanner]:
    """People by member id, each once, with the communities and evidence from each."""
    people: dict[str, Spanner] = {}
    for name, a in answers:
        for p in a.people:
            s = people.setdefault(p.id, Spanner(p.id, p.name, 0.0, [], []))
            s.score = round(s.score + p.score, 3)
            s.communities.append(name)
            s.evidence.extend(f"{name}: {e}" for e in p.evidence)
    return sorted(people.values(), key=lambda s: (-s.score, s.id))[:limit]


def sync(*, push: bool = True, warn=None) -> ConstellationSync:
    """`sync --constellation`: sync every community in turn, each reported; a failure never stops the rest."""
    from copart_cli.services.sync import quiet
    from copart_cli.services.sync import sync as sync_one

    found = []
    for name, info in _chosen(None):
        if not Path(info["path"]).is_dir():
            found.append(Synced(name, f"skipped: missing ({info['path']})"))
            continue
        try:
            r = sync_one(_open(info), push=push, warn=warn or quiet)
        except CopartError as exc:
            found.append(Synced(name, f"failed: {exc.message}", exit_code=int(exc.exit_code)))
            continue
        state = f"offline: {r.offline_reason}" if r.offline else ("conflict" if r.new_conflicts else "synced")
        found.append(Synced(name, state, r.incoming_commits, r.outgoing_commits, r.pushed, r.exit_code))
    return ConstellationSync(found)
