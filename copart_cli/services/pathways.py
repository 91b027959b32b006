"""Learning pathways: ordered, named reading lists that give a newcomer a way in.

A pathway is a small Markdown file `pathways/<name>.md` whose frontmatter lists its steps
(entry ids: practices, stories, asks, member profiles to meet), each with an optional note;
the body is an introduction. `pathway show NAME` walks through it; `pathway suggest TOPIC`
drafts one from what the repertoire holds (practices first, then stories, then the people
to meet) and `--save NAME` commits the draft.

    ---
    title: Pricing your work, a way in
    description: For a partner about to price a workshop or a service.
    author: rlindqvist
    created: 2025-06-02T09:00:00Z
    topics: [pricing, workshops]
    steps:
      - id: costing-checklist-for-a-workshop
        note: Read this before you announce anything.
      - pricing-a-first-workshop
      - rlindqvist
    ---
    Start with the checklist...
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import AlreadyExists, CopartError, InvalidEntry, LinkRefused, NotFound, UsageError
from copart_cli.adapters.files import atomic_write, list_dir, read_text
from copart_cli.core.model import Entry, Kind, Problem, as_list, iso, utcnow
from copart_cli.services.repertoire import PATHWAYS_DIR, Repertoire, require_identity

FOLDER = PATHWAYS_DIR
PER_KIND = 5  # suggested practices, and stories
PEOPLE = 3


@dataclass
class Step:
    id: str
    note: str = ""


@dataclass
class Pathway:
    name: str
    path: str
    title: str
    description: str = ""
    author: str = ""
    created: dt.datetime | None = None
    topics: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    body: str = ""


@dataclass
class ResolvedStep:
    number: int  # 1-based
    step: Step
    entry: Entry | None  # None: the id does not resolve (shown as missing)
    summary: str = ""


@dataclass
class PathwayList:
    view = "publish"
    pathways: list[Pathway]
    problems: list[Problem]


@dataclass
class PathwayShown:
    view = "publish"
    pathway: Pathway
    steps: list[ResolvedStep]
    current: ResolvedStep | None = None  # with --step N


@dataclass
class PathwaySuggestion:
    view = "publish"
    topic: str
    method: str  # "search index" or "topic match"
    pathway: Pathway
    steps: list[ResolvedStep]
    saved: str | None = None  # the path written, with --save
    commit: str | None = None
    unreadable: list[Problem] = field(default_factory=list)  # entries left out (named on stderr)


# -- reading --------------------------------------------------------------------------------


def parse(rel: str, text: str) -> Pathway:
    """A pathway file; InvalidEntry names the file and line when it cannot be read."""
    parts = frontmatter.split(text, rel)
    meta = frontmatter.load(parts.frontmatter, rel, first_line=2)
    name = ids.of_path(rel)
    raw_steps = meta.get("steps") or []
    if not isinstance(raw_steps, list):
        line = frontmatter.key_lines(parts.frontmatter).get("steps", 2)
        raise InvalidEntry(f"{rel}:{line}: steps must be a list of entry ids")
    steps = []
    for item in raw_steps:
        if isinstance(item, dict):
            sid = str(item.get("id") or "").strip()
            note = str(item.get("note") or "").strip()
        else:
            sid, note = str(item).strip(), ""
        if not sid:
            line = frontmatter.key_lines(parts.frontmatter).get("steps", 2)
            raise InvalidEntry(f"{rel}:{line}: a step needs an entry id ('- some-id' or '- id: some-id')")
        steps.append(Step(sid, note))
    return Pathway(
        name=name,
        path=rel,
        title=str(meta.get("title") or name),
        description=str(meta.get("description") or ""),
        author=str(meta.get("author") or ""),
        created=frontmatter_time(meta.get("created")),
        topics=as_list(meta.get("topics")),
        steps=steps,
        body=parts.body,
    )


def frontmatter_time(value: Any) -> dt.datetime | None:
    from copart_cli.core.model import as_datetime

    return as_datetime(value)


def load_all(rep: Repertoire, problems: list[Problem] | None = None) -> list[Pathway]:
    try:
        names = [n for n in list_dir(rep.root / FOLDER, FOLDER) if n.endswith(".md")]
    except LinkRefused as exc:  # a linked pathways/ folder is never read
        if problems is not None:
            problems.append(Problem(exc.rel, 1, exc.REASON))
        return []
    found = []
    for name in names:
        rel = f"{FOLDER}/{name}"
        try:
            found.append(parse(rel, read_text(rep.root / rel, rel)))
        except InvalidEntry as exc:
            if problems is not None:
                from copart_cli.services.repertoire import problem_from

                problems.append(problem_from(exc, rel))
    return found


def check(rep: Repertoire) -> list[Problem]:
    """Problems in pathway files: unreadable files and steps that name no entry."""
    problems: list[Problem] = []
    for p in load_all(rep, problems):
        for step in p.steps:
            if rep.locate_id(step.id) is None:
                problems.append(Problem(p.path, 1, f"step '{step.id}' is not an entry id"))
    return problems


def get(rep: Repertoire, name: str) -> Pathway:
    rel = f"{FOLDER}/{name}.md"
    if not ids.is_valid(name) or not os.path.lexists(rep.root / rel):
        names = [p.name for p in load_all(rep)]
        hint = ("pathways here: " + ", ".join(names)) if names else "draft one with: copart pathway suggest TOPIC --save NAME"
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise NotFound(f"no pathway named '{shown}'", hint=hint)
    return parse(rel, read_text(rep.root / rel, rel))


def _resolve(rep: Repertoire, steps: list[Step]) -> list[ResolvedStep]:
    from copart_cli.services.snapshot import summary

    out = []
    for i, step in enumerate(steps, 1):
        entry = None
        rel = rep.locate_id(step.id)
        if rel:
            try:
                entry = rep.load(rel)
            except InvalidEntry:
                entry = None
        out.append(ResolvedStep(i, step, entry, summary(entry) if entry else ""))
    return out


def list_pathways(rep: Repertoire) -> PathwayList:
    problems: list[Problem] = []
    return PathwayList(load_all(rep, problems), problems)


def show_pathway(rep: Repertoire, name: str, step: int | None = None) -> PathwayShown:
    p = get(rep, name)
    steps = _resolve(rep, p.steps)
    current = None
    if step is not None:
        if not steps:
            raise UsageError(f"pathway '{name}' has no steps yet")
        if not 1 <= step <= len(steps):
            raise UsageError(f"step {step} is out of range: '{name}' has steps 1 to {len(steps)}")
        current = steps[step - 1]
        if current.entry is None:
            raise NotFound(f"step {step} of '{name}' names '{current.step.id}', which is not an entry",
                           hint=f"fix {p.path}, or skip it: copart pathway show {name} --step {step + 1}")
        record_read(rep, p.name, current.step.id)
    return PathwayShown(p, steps, current)


# -- suggesting --------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return ids.slugify(text) or text.strip().lower()


def _topic_scores(rep: Repertoire, entries: list[Entry], topic: str) -> dict[str, float]:
    """Entries scored by how squarely they are about `topic`: topics, tags, title, then the text."""
    want = _norm(topic)
    words = [w for w in re.findall(r"\w{3,}", topic.lower())]
    scores: dict[str, float] = {}
    for e in entries:
        score = 0.0
        if any(_norm(t) == want for t in e.topics):
            score += 10
        if any(_norm(t) == want for t in e.tags):
            score += 5
        title = e.title.lower()
        score += 3 * sum(1 for w in words if w in title)
        if words:
            body = e.body.lower()
            score += min(sum(body.count(w) for w in words), 10) * 0.2
        if score > 0:
            scores[e.id] = score
    return scores


def _search_scores(rep: Repertoire, topic: str, per_kind: int) -> tuple[dict[str, float], list[str]] | None:
    """Practices and stories ranked by the search index (services/search.py), and the people
    `who` ranks for the topic; None when the index fails (then topic matching)."""
    from copart_cli.core.errors import CopartError
    from copart_cli.services import search, who

    scores: dict[str, float] = {}
    try:
        for kind in (Kind.practice, Kind.story):
            found = search.search(rep, topic, kind=kind, limit=per_kind * 3)
            top = max((r.score for r in found.results), default=0) or 1
            for r in found.results:
                if r.score >= 0.3 * top:  # a draft of the clearly relevant, not everything that mentions it
                    scores[r.entry.id] = 10 * r.score / top
        people = [p.id for p in who.who(rep, topic).people if p.member]
    except (CopartError, AttributeError, TypeError):
        return None
    return scores, people


def suggest_pathway(rep: Repertoire, topic: str, save: str | None = None, per_kind: int = PER_KIND,
                    now: dt.datetime | None = None) -> PathwaySuggestion:
    """Draft a pathway on `topic`: the best practices, then stories, then the people to meet."""
    from copart_cli.services.snapshot import Snapshot

    topic = topic.strip()
    if not topic:
        raise UsageError("a topic is needed", hint="copart pathway suggest pricing")
    if save is not None and not ids.is_valid(save):
        raise UsageError(f"'{save}' cannot be a pathway name", hint="use lowercase words joined by hyphens")
    snap = Snapshot(rep)
    entries = snap.entries
    topical = _topic_scores(rep, entries, topic)
    searched = _search_scores(rep, topic, per_kind)
    method, scores, ranked_people = "topic match", topical, []
    if searched:
        method, ranked_people = "search index", searched[1]
        scores = {k: searched[0].get(k, 0.0) + topical.get(k, 0.0) for k in set(searched[0]) | set(topical)}
    if not scores:
        raise NotFound(f"nothing in the repertoire is about '{topic}' yet",
                       hint="see the topics in copart.yaml, or ask the community: copart new ask")
    inbound: Counter = Counter()
    from copart_cli.core.links import outgoing_links

    known = set(snap.by_id)
    for e in entries:
        for target in outgoing_links(e, known):
            inbound[target] += 1

    def best(kind: str) -> list[Entry]:
        picked = [e for e in entries if e.kind == kind and scores.get(e.id, 0) > 0]
        picked.sort(key=lambda e: (-scores[e.id], -inbound[e.id], e.id))
        return picked[:per_kind]

    practices, stories = best(Kind.practice.value), best(Kind.story.value)
    people: Counter = Counter()
    want = _norm(topic)
    for rank, mid in enumerate(ranked_people[:PEOPLE * 2]):
        people[mid] += 6 - rank  # who's evidence: profiles, entries written, answers accepted
    for m in snap.members.values():
        if any(_norm(x) == want for x in m.expertise):
            people[m.id] += 10
    for e in practices + stories:
        if e.author in snap.members and snap.members[e.author].status != "alumni":
            people[e.author] += 3
    for ans in snap.of_kind(Kind.answer.value):
        if ans.meta.get("accepted") and ans.author in snap.members and scores.get(str(ans.meta.get("answers")), 0):
            people[ans.author] += 2
    active = {mid for mid, m in snap.members.items() if m.status != "alumni"}
    meet = [mid for mid, _ in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])) if mid in active][:PEOPLE]

    steps = [Step(e.id) for e in practices] + [Step(e.id) for e in stories]
    for mid in meet:
        shared = [x for x in snap.members[mid].expertise if _norm(x) == want]
        steps.append(Step(mid, f"Someone to meet about {topic}" + (" (listed as expertise)." if shared else ".")))
    name = save or _norm(topic)
    title = f"A way into {topic}"
    pathway = Pathway(
        name=name,
        path=f"{FOLDER}/{name}.md",
        title=title,
        description=f"A reading list for newcomers on {topic}: practices first, then stories, then people to meet.",
        topics=[topic],
        steps=steps,
        body=f"Drafted by `copart pathway suggest {topic}` ({method}). Reorder, trim and add notes, then commit.\n",
    )
    result = PathwaySuggestion(topic, method, pathway, _resolve(rep, steps), unreadable=snap.unreadable)
    if save is not None:
        result.saved, result.commit = _save(rep, pathway, now or utcnow())
    return result


def _save(rep: Repertoire, p: Pathway, now: dt.datetime) -> tuple[str, str]:
    target = rep.root / p.path
    if os.path.lexists(target):
        raise AlreadyExists(f"{p.path} already exists; nothing was changed",
                            hint=f"choose another name, or edit {p.path} by hand")
    identity = require_identity(rep)
    member = rep.member_for_email(identity.email)
    p.author = member.id if member else ids.slugify(identity.name)
    p.created = now
    meta: dict[str, Any] = {
        "title": p.title,
        "description": p.description,
        "author": p.author,
        "created": now,
        "topics": p.topics,
    }
    text = "---\n" + frontmatter.dump(meta) + "steps:\n"
    for step in p.steps:
        text += f"  - id: {step.id}\n"
        if step.note:
            text += f"    note: {frontmatter.inline(step.note)}\n"
    text += "---\n" + p.body
    atomic_write(target, text, p.path)
    commit = rep.commit([p.path], f"pathway: {p.title}")
    return p.path, commit




# -- progress and accreditation ------------------------------------------------------------------

READS = "pathway-reads.json"  # in .git/copart/: which steps someone read here (never shared)
_READS_VERSION = "1"
READ_NOTE = ("copart keeps no shared record of reading: a step counts as read when the member ran "
             "`copart pathway show NAME --step N` in this clone (recorded in .git/copart/)")


@dataclass
class StepProgress:
    number: int
    id: str
    title: str
    kind: str
    read: str | None = None  # when it was read here (ISO), if it was
    wrote: list[str] = field(default_factory=list)  # the member's entries about it (linking to it, or it)
    answered: list[str] = field(default_factory=list)  # the member's answers to it (an ask)

    @property
    def done(self) -> bool:
        return bool(self.read or self.wrote or self.answered)


@dataclass
class PathwayProgress:
    view = "pathway"
    member: str
    member_name: str
    pathway: Pathway
    steps: list[StepProgress]
    read_note: str = READ_NOTE
    accreditation: Any = None  # accreditations.Accreditation, if they hold it


@dataclass
class AccreditResult:
    view = "pathway"
    accreditation: Any  # accreditations.Accreditation
    pathway_title: str
    commit: str


def record_read(rep: Repertoire, name: str, step_id: str, now: dt.datetime | None = None) -> None:
    """Note that the person at the keyboard read a step (best effort: a read is never an error)."""
    from copart_cli.adapters.files import read_cache, write_cache

    try:
        member = rep.member_for_email(rep.git.identity().email)
    except CopartError:  # no identity: nothing to record
        return
    if member is None:
        return
    path = rep.state_dir / READS
    items = read_cache(path, _READS_VERSION)
    mine = items.setdefault(name, {}).setdefault(member.id, {})
    if isinstance(mine, dict):
        mine.setdefault(step_id, iso(now or utcnow()))
        write_cache(path, _READS_VERSION, items)


def _reads(rep: Repertoire, name: str, member: str) -> dict[str, str]:
    from copart_cli.adapters.files import read_cache

    got = read_cache(rep.state_dir / READS, _READS_VERSION).get(name, {})
    got = got.get(member, {}) if isinstance(got, dict) else {}
    return {k: v for k, v in got.items() if isinstance(v, str)} if isinstance(got, dict) else {}


def pathway_progress(rep: Repertoire, member: str, name: str) -> PathwayProgress:
    """Which steps of pathway NAME the member has read (here), written about or answered."""
    from copart_cli.core.links import outgoing_links
    from copart_cli.services import accreditations
    from copart_cli.services.snapshot import Snapshot

    p = get(rep, name)
    snap = Snapshot(rep)
    if member not in snap.members:
        shown = member if len(member) <= 60 else member[:57] + "..."
        raise NotFound(f"no member with id '{shown}'", hint="see the members with: copart list --kind member")
    known = set(snap.by_id)
    theirs = [e for e in (snap.credited(e) for e in snap.entries) if e.author == member]
    reads = _reads(rep, name, member)
    steps = []
    for i, step in enumerate(p.steps, 1):
        target = snap.by_id.get(step.id)
        sp = StepProgress(i, step.id, target.title if target else step.id, target.kind if target else "",
                          reads.get(step.id))
        for e in theirs:
            if e.kind == Kind.answer.value and str(e.meta.get("answers") or "") == step.id:
                sp.answered.append(e.id)
            elif e.id == step.id or step.id in outgoing_links(e, known):
                sp.wrote.append(e.id)
        steps.append(sp)
    held = [a for a in accreditations.held_by(rep, member) if a.pathway == p.name]
    return PathwayProgress(member, snap.member_name(member), p, steps, accreditation=held[0] if held else None)


def accredit(rep: Repertoire, member: str, name: str, now: dt.datetime | None = None) -> AccreditResult:
    """A coordinator records that MEMBER has walked pathway NAME: one signed commit of
    accreditations/<name>/<member>.md naming the pathway's version (see accreditations.py)."""
    from copart_cli.services import accreditations
    from copart_cli.services.contributions import current_member
    from copart_cli.services.signing import main_rev, roster_at

    p = get(rep, name)
    if member not in rep.members():
        shown = member if len(member) <= 60 else member[:57] + "..."
        raise NotFound(f"no member with id '{shown}'", hint="see the members with: copart list --kind member")
    require_identity(rep)
    me = current_member(rep)
    if me not in roster_at(rep.git, main_rev(rep)).coordinators:
        raise CopartError(f"only a coordinator can accredit a member; you are '{me}'",
                          hint="coordinators are members with 'coordinator' in their roles on main")
    if rep.git.dirty_paths(p.path):
        raise UsageError(f"{p.path} has changes that are not committed; an accreditation names a committed version",
                         hint="commit the pathway first (copart sync), then accredit")
    history = rep.git.history(p.path)
    if not history:
        raise UsageError(f"{p.path} is not committed yet", hint="commit the pathway first (copart sync)")
    rel = accreditations.record_path(p.name, member)
    if os.path.lexists(rep.root / rel):
        raise AlreadyExists(f"{member} already holds '{p.name}' ({rel}); nothing was changed")
    when = now or utcnow()
    meta = {"member": member, "pathway": p.name, "pathway_version": history[0].sha, "granted_by": me,
            "granted": when}
    body = f"{rep.members()[member].name} walked the pathway '{p.title}'; accredited by {me}.\n"
    atomic_write(rep.root / rel, "---\n" + frontmatter.dump(meta) + "---\n" + body, rel)
    commit = rep.commit([rel], f"accredit: {member} in {p.name}\n\nPathway version {history[0].sha}.",
                        contribution=f"accredit-{member}-{p.name}"[:80].rstrip("-"))  # under review: its own
    record = accreditations.Accreditation(member, p.name, rel, me, when, history[0].sha, "")
    return AccreditResult(record, p.title, commit)
