"""`copart digest`: what is new and changed, who contributed, open asks, accepted answers.

The repertoire is built in the test with known dates and authors: entries carry their
`created` frontmatter, and each commit its own author and dates (GIT_AUTHOR_DATE,
GIT_COMMITTER_DATE), so the expected digest is known exactly.
"""

from __future__ import annotations

import json
import subprocess

FOLDERS = {"story": "stories", "practice": "practices", "member": "members", "ask": "asks", "answer": "answers"}
PEOPLE = {
    "alice": ("Alice Archer", "alice@example.org"),
    "bob": ("Bob Baker", "bob@example.org"),
    "carol": ("Carol Cook", "carol@example.org"),
    "dave": ("Dave Dyer", "dave@example.org"),
}


class Community:
    """A repertoire written file by file, committed with chosen authors and dates."""

    def __init__(self, partner, name: str = "team"):
        self.partner = partner
        self.root = partner.init(name, example=False, community="Team")

    def entry(self, kind: str, entry_id: str, author: str, created: str, body: str | None = None, **meta) -> str:
        rel = f"{FOLDERS[kind]}/{entry_id}.md"
        fields = {"id": entry_id, "kind": kind, "title": meta.pop("title", entry_id.replace("-", " ").capitalize()),
                  "author": author, "created": created, **meta}
        lines = [f"{k}: {json.dumps(v)}" for k, v in fields.items()]
        text = "---\n" + "\n".join(lines) + "\n---\n" + (body or f"Some words about {entry_id}, long enough to summarise.\n")
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return rel

    def member(self, member_id: str, created: str, **meta) -> str:
        name, email = PEOPLE[member_id]
        return self.entry("member", member_id, member_id, created, title=name, name=name, email=[email], **meta)

    def commit(self, message: str, when: str, who: str = "alice") -> None:
        name, email = PEOPLE[who]
        env = {**self.partner.env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when}
        for args in (["add", "-A"], ["commit", "-qm", message]):
            subprocess.run(["git", *args], cwd=self.root, env=env, check=True, capture_output=True)

    def edit(self, rel: str, extra: str, when: str, who: str) -> None:
        path = self.root / rel
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
        self.commit(f"edit {rel}", when, who)

    def copart(self, *args: str, **kw):
        return self.partner.copart(*args, cwd=self.root, **kw)


def build_week(alice) -> Community:
    """Before 2026-02-01: the old stuff. 2026-02-01..08: the week. After: too late for the digest."""
    c = Community(alice)
    for who in ("alice", "bob", "carol"):
        c.member(who, "2026-01-02T09:00:00Z")
    c.entry("story", "old-story", "bob", "2026-01-05T10:00:00Z")
    c.entry("practice", "old-practice", "carol", "2026-01-06T10:00:00Z", title="Old practice")
    c.entry("ask", "old-ask", "carol", "2026-01-07T10:00:00Z", title="Anyone know about VAT?", status="open")
    c.entry("ask", "answered-ask", "alice", "2026-01-08T10:00:00Z", title="How to price a workshop?", status="open")
    c.entry("ask", "closed-ask", "bob", "2026-01-09T10:00:00Z", status="closed")
    c.commit("the old stuff", "2026-01-10T12:00:00Z", "alice")
    # the week
    c.entry("story", "new-story", "alice", "2026-02-03T09:00:00Z", title="A new story <b>bold</b>",
            topics=["pricing"], body="## Context\n![[receipt.png]] We priced a workshop too low and learned to cost "
                                     "it properly ([[old-practice|the old checklist]], [[old-story]]).\n")
    c.commit("new story", "2026-02-03T09:05:00Z", "alice")
    c.edit("practices/old-practice.md", "\nOne more step.\n", "2026-02-04T15:00:00Z", "bob")
    c.entry("answer", "re-answered-ask-bob", "bob", "2026-02-05T11:00:00Z", title="Re: How to price a workshop?",
            answers="answered-ask", accepted=True)
    c.commit("answer", "2026-02-05T11:05:00Z", "bob")
    c.member("dave", "2026-02-06T08:00:00Z")
    c.commit("dave joins", "2026-02-06T08:05:00Z", "dave")
    # after the week
    c.entry("story", "late-story", "carol", "2026-02-20T09:00:00Z")
    c.commit("late", "2026-02-20T09:05:00Z", "carol")
    c.edit("stories/old-story.md", "\nLate edit.\n", "2026-02-21T10:00:00Z", "carol")
    return c


WEEK = ("--since", "2026-02-01", "--until", "2026-02-08")


def test_digest_json_lists_exactly_what_happened_in_the_week(alice):
    c = build_week(alice)
    r = c.copart("digest", *WEEK, "--json")
    assert r.ok, r
    d = r.json()
    assert d["since"] == "2026-02-01T00:00:00Z" and d["until"] == "2026-02-08T00:00:00Z"
    assert [e["id"] for e in d["new"]] == ["dave", "re-answered-ask-bob", "new-story"]  # newest first
    assert {e["kind"] for e in d["new"]} == {"member", "answer", "story"}
    assert [(e["id"], e["by"], e["changed"]) for e in d["changed"]] == [
        ("old-practice", ["bob"], "2026-02-04T15:00:00Z")]
    people = {p["id"]: p for p in d["contributors"]}
    assert people["alice"] == {"id": "alice", "name": "Alice Archer", "new": 1, "answers": 0, "edits": 0}
    assert people["bob"] == {"id": "bob", "name": "Bob Baker", "new": 0, "answers": 1, "edits": 1}
    assert people["dave"]["new"] == 1 and "carol" not in people
    assert d["contributors"][0]["id"] == "bob"  # most active first
    asks = {a["id"]: a for a in d["open_asks"]}
    assert set(asks) == {"old-ask", "answered-ask"}  # the closed one waits for nobody
    assert asks["old-ask"]["answers"] == 0 and asks["answered-ask"]["answers"] == 1
    assert asks["old-ask"]["age_days"] == 31
    assert d["open_asks"][0]["id"] == "old-ask"  # unanswered first
    [acc] = d["accepted_answers"]
    assert acc["id"] == "re-answered-ask-bob" and acc["ask"]["id"] == "answered-ask"


def test_digest_markdown_is_ready_to_paste(alice):
    c = build_week(alice)
    r = c.copart("digest", *WEEK)
    assert r.ok, r
    md = r.stdout
    assert md.startswith("# Team: what's new, 2026-02-01 to 2026-02-08\n")
    assert "## New stories (1)" in md and "**A new story <b>bold</b>** by Alice Archer (2026-02-03)" in md
    # a one-line summary under a story, its links as words (no Obsidian syntax in an email)
    assert "We priced a workshop too low and learned to cost it properly (the old checklist, old-story)." in md
    assert "[[" not in md and "receipt.png" not in md
    assert "## Welcome to new members (1)" in md and "Dave Dyer" in md
    assert "## Updated (1)" in md and "updated 2026-02-04 by Bob Baker" in md
    assert "## Newly accepted answers (1)" in md and "How to price a workshop?: answered by Bob Baker" in md
    assert "## Open asks waiting for an answer (2)" in md
    assert "Anyone know about VAT?** by Carol Cook" in md and "**no answer yet**" in md
    assert "- Bob Baker: 1 answer, 1 edit" in md
    assert "late-story" not in md and "Late edit" not in md
    assert "\n\n\n" not in md
    # with a published site, entries link to its pages
    r = c.copart("digest", *WEEK, "--base-url", "https://team.example.org/kb/")
    assert "[A new story <b>bold</b>](https://team.example.org/kb/stories/new-story.html)" in r.stdout


def test_digest_html_escapes_what_people_wrote(alice):
    c = build_week(alice)
    r = c.copart("digest", *WEEK, "--format", "html")
    assert r.ok, r
    html = r.stdout
    assert html.lstrip().startswith('<div class="copart-digest"')
    assert "A new story &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "<h2" in html and "Newly accepted answers" in html


def test_an_empty_week_says_so(alice):
    c = build_week(alice)
    r = c.copart("digest", "--since", "2025-06-01", "--until", "2025-06-08")
    assert r.ok, r
    assert "Nothing new or changed since 2025-06-01." in r.stdout
    r = c.copart("digest", "--since", "2025-06-01", "--until", "2025-06-08", "--json")
    assert r.json()["new"] == [] and r.json()["contributors"] == []


def test_since_last_sync(alice, world):
    c = build_week(alice)
    r = c.copart("digest", "--since", "last sync")
    assert r.code == 2, r
    assert r.stderr.splitlines()[0] == "copart: error: no sync recorded in this clone yet"
    hub = world.bare()
    alice.git("remote", "add", "origin", str(hub), cwd=c.root)
    alice.git("push", "-q", "origin", "main", cwd=c.root)
    alice.git("fetch", "-q", "origin", cwd=c.root)
    c.entry("story", "after-sync", "alice", "2099-01-01T00:00:00Z")  # created "in the future": after the fetch
    c.commit("after sync", "2026-03-01T00:00:00Z", "alice")
    r = c.copart("digest", "--since", "last sync", "--until", "2100-01-01", "--json")
    assert r.ok, r
    assert [e["id"] for e in r.json()["new"]] == ["after-sync"]


def test_bad_input_gets_one_clear_line(alice):
    c = build_week(alice)
    for args, code, words in [
        (("--since", "last tuesday-ish"), 2, "cannot read 'last tuesday-ish' as a time"),
        (("--format", "pdf"), 2, "unknown format 'pdf'"),
        (("--since", "2026-02-08", "--until", "2026-02-01"), 2, "is before --since"),
    ]:
        r = c.copart("digest", *args)
        assert r.code == code, r
        assert r.stderr.startswith("copart: error: ") and words in r.stderr, r
        assert "Traceback" not in r.stderr and r.stdout == ""


def test_a_broken_digest_template_names_its_file_and_line(alice):
    c = build_week(alice)
    override = c.root / ".copart" / "templates" / "digest"
    override.mkdir(parents=True)
    (override / "digest.md").write_text("# {{ community }}\n\n{% for e in groups %}\n{{ e.nope }}\n{% endfor %}\n")
    r = c.copart("digest", *WEEK)
    assert r.code == 1, r
    first = r.stderr.splitlines()[0]
    assert first.startswith("copart: error: ") and "digest.md:4" in first and "nope" in first, r
    (override / "digest.md").write_text("Custom digest for {{ community }}: {{ new_count }} new\n")
    r = c.copart("digest", *WEEK)
    assert r.ok and r.stdout == "Custom digest for Team: 3 new\n", r


def test_digest_on_the_sample_repertoire(alice, sample):
    r = alice.copart("digest", "--since", "2025-11-01", "--until", "2026-01-01", "--json", cwd=sample)
    assert r.ok, r
    ids = [e["id"] for e in r.json()["new"]]
    assert "how-should-i-price-a-half-day-workshop-for-a-traders-group" in ids
    assert "writing-a-small-grant-application" in ids
    assert [a["id"] for a in r.json()["accepted_answers"]] == ["re-price-half-day-workshop-rlindqvist"]


def test_digest_lists_needs_someone_here_could_meet(alice, sample):
    r = alice.copart("digest", "--since", "7d", "--json", cwd=sample)
    assert r.ok, r
    met = {(n["member"], n["need"]): n["providers"] for n in r.json()["needs_met"]}
    assert met[("rlindqvist", "a simple booking system that takes payment")][0] == "tbrennan"
    assert ("rlindqvist", "affordable accessible venues") not in met  # nobody here offers venues
    md = alice.copart("digest", "--since", "7d", cwd=sample).stdout
    assert "## Needs someone here could meet" in md
    assert "- Rosa Lindqvist needs a simple booking system that takes payment: Tom Brennan (offers: booking" in md
    html = alice.copart("digest", "--since", "7d", "--format", "html", cwd=sample).stdout
    assert "Needs someone here could meet" in html
