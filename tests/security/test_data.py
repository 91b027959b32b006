"""Typed values are data: a date that is no date, or a value of the wrong type, that a partner
pushes is a `check` problem at path:line, and every other command reads the key as missing.

The attacker is a partner who writes files with plain git and pushes them to the shared hub;
the victim is another partner who only runs `copart sync` and then their usual commands.
"""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.synckit import join, start_hub

# Unquoted, so YAML reads each as a timestamp: PyYAML raises ValueError building them.
DATED = {
    "stories/poisoned-date.md": "---\nid: poisoned-date\nkind: story\ntitle: The impossible day\nauthor: jfawcett\n"
                                "created: 2026-02-30\ntopics: [cash-flow]\nupdated: 0001-01-01T00:00:00+05:00\n---\n"
                                "Cash flow on a day that never was.\n",
    "asks/impossible-ask.md": "---\nid: impossible-ask\nkind: ask\ntitle: When was the impossible day?\n"
                              "author: jfawcett\ncreated: 2026-02-30 10:00:00\nstatus: open\n---\nCash flow question.\n",
    "practices/impossible-review.md": "---\nid: impossible-review\nkind: practice\ntitle: Review in month 13\n"
                                      "author: jfawcett\ncreated: 2026-01-05T10:00:00Z\nreview_by: 2026-13-01\n---\n"
                                      "A practice about cash flow.\n",
    "members/dateless.md": "---\nid: dateless\nkind: member\ntitle: Dee Dateless\nname: Dee Dateless\nauthor: dateless\n"
                           "created: 2026-01-05T10:00:00Z\njoined: 0000-01-01\nexpertise: [vat]\n---\nVAT.\n",
    "answers/re-impossible.md": "---\nid: re-impossible\nkind: answer\ntitle: \"Re: the impossible day\"\nauthor: jfawcett\n"
                                "created: 2026-01-06T10:00:00Z\nanswers: impossible-ask\naccepted: true\n"
                                "accepted_at: 2026-01-10T10:00:00+99:00\n---\nNever.\n",
}
DATED_PROBLEMS = [
    "stories/poisoned-date.md:6: 'created' is not a date",
    "stories/poisoned-date.md:8: 'updated' is not a date",
    "asks/impossible-ask.md:6: 'created' is not a date",
    "practices/impossible-review.md:7: 'review_by' is not a date",
    "members/dateless.md:8: 'joined' is not a date",
    "answers/re-impossible.md:9: 'accepted_at' is not a date",
]

MISTYPED = {
    "stories/mistyped.md": "---\nid: mistyped\nkind: story\ntitle: [not, a, title]\nauthor: 42\n"
                           "created: 2026-01-05T10:00:00Z\ntags: {a: 1}\ntopics: [[nested]]\nlinks: {x: y}\n---\n"
                           "Cash flow told with the wrong types.\n",
    "asks/mistyped-ask.md": "---\nid: mistyped-ask\nkind: ask\ntitle: Which type is cash flow?\nauthor: jfawcett\n"
                            "created: 2026-01-05T10:00:00Z\nstatus: [open]\n---\nCash flow question.\n",
    "answers/mistyped-answer.md": "---\nid: mistyped-answer\nkind: answer\ntitle: \"Re: which type\"\nauthor: jfawcett\n"
                                  "created: 2026-01-06T10:00:00Z\nanswers: {mistyped-ask: 1}\naccepted: yes please\n"
                                  "---\nA mapping.\n",
    "members/mallory.md": "---\nid: mallory\nkind: member\ntitle: Mallory\nname: [Mal, Lory]\nauthor: mallory\n"
                          "created: 2026-01-05T10:00:00Z\nemail: {a: b}\nroles: 7\nexpertise: {vat: 1}\n"
                          "status: [active]\n---\nVAT.\n",
}
MISTYPED_PROBLEMS = [
    "stories/mistyped.md:4: 'title' should be text, not a list",
    "stories/mistyped.md:5: 'author' should be text, not a number",
    "stories/mistyped.md:7: 'tags' should be a list of words",
    "stories/mistyped.md:8: 'topics' should be a list of words",
    "stories/mistyped.md:9: 'links' should be a list of words",
    "asks/mistyped-ask.md:7: 'status' should be text, not a list",
    "answers/mistyped-answer.md:7: 'answers' should be text, not a mapping",
    "answers/mistyped-answer.md:8: 'accepted' must be true or false",
    "members/mallory.md:5: 'name' should be text, not a list",
    "members/mallory.md:8: 'email' should be a list of words",
    "members/mallory.md:10: 'expertise' should be a list of words",
    "members/mallory.md:11: 'status' should be text, not a list",
]

# What a victim runs after syncing; `{out}` is a fresh folder.
COMMANDS = [
    ("list",), ("list", "--json"), ("list", "--since", "10y"), ("ask", "cash flow"), ("search", "cash flow"),
    ("who", "vat"), ("who", "@jfawcett"), ("stats",), ("digest", "--since", "10y"), ("digest", "--json"),
    ("asks",), ("asks", "--json"), ("stale",), ("status",), ("index", "--rebuild"), ("site", "{out}"),
    ("sync",), ("pathway", "list"), ("pathway", "suggest", "cash flow"),
]


def _victim(tmp_path_factory, files: dict[str, str]):
    """A partner pushes `files` with plain git; bob, who joined before, syncs them in."""
    world = World(tmp_path_factory.mktemp("data"))
    mallory, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, mallory)
    rep_b = join(bob, hub)
    for rel, text in files.items():
        (rep_a / rel).write_text(text, encoding="utf-8")
    mallory.git("add", "-A", cwd=rep_a)
    mallory.git("commit", "-q", "-m", "values of the wrong kind", cwd=rep_a)
    mallory.git("push", "-q", "origin", "main", cwd=rep_a)
    r = bob.copart("sync", cwd=rep_b)
    assert r.ok, r  # syncing the poison in is the first command that must not stop
    return bob, rep_b


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    return _victim(tmp_path_factory, DATED)


@pytest.fixture(scope="module")
def mistyped(tmp_path_factory):
    return _victim(tmp_path_factory, MISTYPED)


def _carries_on(r) -> bool:
    return r.ok and "internal error" not in r.stderr and "Traceback" not in r.stderr


def _one_error_line(r, code: int) -> bool:
    lines = r.stderr.strip().splitlines()
    return (r.code == code and len(lines) <= 2 and lines[0].startswith("copart: error: ")
            and "internal error" not in r.stderr)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_impossible_date_a_partner_pushed_stops_no_command(dated, tmp_path, args):
    bob, rep = dated
    r = bob.copart(*(a.format(out=tmp_path / "site") for a in args), cwd=rep)
    assert _carries_on(r), r


def test_an_impossible_date_is_read_as_missing(dated):
    bob, rep = dated
    listed = {e["id"]: e for e in bob.copart("list", "--json", cwd=rep).json()}
    assert listed["poisoned-date"]["title"] == "The impossible day" and listed["poisoned-date"]["created"] is None
    r = bob.copart("show", "poisoned-date", cwd=rep)
    assert _carries_on(r) and "Cash flow on a day that never was." in r.stdout, r
    r = bob.copart("show", "impossible-ask", "--json", cwd=rep)
    assert _carries_on(r) and r.json()["created"] is None, r


def test_check_names_each_impossible_date_at_its_line(dated):
    bob, rep = dated
    r = bob.copart("check", cwd=rep)
    assert r.code == 4 and "internal error" not in r.stderr, r
    for problem in DATED_PROBLEMS:
        assert problem in r.stdout, r


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_values_of_the_wrong_type_stop_no_command(mistyped, tmp_path, args):
    bob, rep = mistyped
    r = bob.copart(*(a.format(out=tmp_path / "site") for a in args), cwd=rep)
    assert _carries_on(r), r


def test_values_of_the_wrong_type_are_read_as_missing(mistyped):
    bob, rep = mistyped
    listed = {e["id"]: e for e in bob.copart("list", "--json", cwd=rep).json()}
    story = listed["mistyped"]
    assert story["title"] == "mistyped" and story["author"] == "" and story["tags"] == [] and story["topics"] == []
    r = bob.copart("show", "mallory", cwd=rep)
    assert _carries_on(r) and "['Mal', 'Lory']" not in r.stdout, r
    r = bob.copart("asks", "--status", "all", "--json", cwd=rep)
    assert _carries_on(r), r


def test_check_names_each_value_of_the_wrong_type_at_its_line(mistyped):
    bob, rep = mistyped
    r = bob.copart("check", cwd=rep)
    assert r.code == 4 and "internal error" not in r.stderr, r
    for problem in MISTYPED_PROBLEMS:
        assert problem in r.stdout, r


@pytest.mark.parametrize("field", ["created=2026-02-30", "review_by=2026-13-01", "updated=0000-01-01",
                                   "created=2026-01-01T00:00:00+99:00", "title=[a, b]", "tags={a: 1}"])
def test_a_field_of_the_wrong_type_is_a_usage_error(alice, sample, field):
    path = sample / "practices" / "vat-quarter-cash-flow-check.md"
    before, head = path.read_bytes(), alice.git("rev-parse", "HEAD", cwd=sample)
    r = alice.copart("edit", "vat-quarter-cash-flow-check", "--field", field, cwd=sample)
    assert _one_error_line(r, 2) and f"--field {field.split('=')[0]}:" in r.stderr, r
    r = alice.copart("new", "story", "Another day", "--no-edit", "--body", "x", "--field", field, cwd=sample)
    assert _one_error_line(r, 2), r
    assert path.read_bytes() == before and alice.git("rev-parse", "HEAD", cwd=sample) == head
    assert not (sample / "stories" / "another-day.md").exists()


def test_import_takes_a_file_with_an_impossible_date_and_says_so(alice, sample, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "odd.md").write_text("---\ntitle: Odd dates\ncreated: 2026-02-30\nreview_by: 2026-13-01\n"
                                  "tags: {a: 1}\n---\nStill worth keeping.\n")
    (notes / "fine.md").write_text("# Fine\nNothing odd.\n")
    r = alice.copart("import", str(notes), cwd=sample)
    assert _carries_on(r) and "imported 2" in r.stdout, r
    assert "odd.md ('created' is not a date, 'review_by' is not a date, 'tags' should be a list of words)" in r.stderr
    listed = {e["id"]: e for e in alice.copart("list", "--json", cwd=sample).json()}
    assert listed["odd"]["title"] == "Odd dates"
    r = alice.copart("check", cwd=sample)
    assert r.code == 4 and "practices/odd.md:9: 'review_by' is not a date" in r.stdout, r
