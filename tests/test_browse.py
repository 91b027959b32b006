"""Reading the repertoire: `copart show` and `copart list`, as text, piped and as JSON."""

from __future__ import annotations

import subprocess
import sys

ENTRY_KEYS = {"id", "kind", "title", "path", "author", "created", "topics", "tags"}


def test_list_is_newest_first_with_the_documented_json_shape(alice, sample):
    r = alice.copart("list", "--json", cwd=sample)
    assert r.ok, r
    items = r.json()
    assert len(items) >= 30
    for item in items:
        assert ENTRY_KEYS <= set(item)
        assert item["created"].endswith("Z")
        assert not item["path"].startswith("/")
    created = [i["created"] for i in items]
    assert created == sorted(created, reverse=True)


def test_list_filters_combine(alice, sample):
    stories = alice.copart("list", "--kind", "story", "--json", cwd=sample).json()
    assert stories and all(i["kind"] == "story" for i in stories)
    pricing = alice.copart("list", "--topic", "pricing", "--kind", "practice", "--json", cwd=sample).json()
    assert pricing and all("pricing" in i["topics"] and i["kind"] == "practice" for i in pricing)
    by = alice.copart("list", "--author", "jfawcett", "--json", cwd=sample).json()
    assert by and all(i["author"] == "jfawcett" for i in by)
    tagged = alice.copart("list", "--tag", "lesson", "--json", cwd=sample).json()
    assert all("lesson" in i["tags"] for i in tagged)
    alice.copart("new", "story", "Fresh today", "--no-edit", "--author", "apatel", cwd=sample)
    recent = alice.copart("list", "--since", "1d", "--json", cwd=sample).json()
    assert [i["id"] for i in recent] == ["fresh-today"]


def test_list_piped_is_tab_separated_rows(alice, sample):
    r = alice.copart("list", "--kind", "member", cwd=sample)
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert len(rows) == 7 and all(len(row) == 6 for row in rows)
    assert {row[1] for row in rows} == {"member"}


def test_list_with_no_match_says_so(alice, sample):
    r = alice.copart("list", "--tag", "no-such-tag", cwd=sample)
    assert r.ok and "no entries match tag=no-such-tag" in r.stdout
    assert alice.copart("list", "--tag", "no-such-tag", "--json", cwd=sample).json() == []


def test_list_rejects_a_bad_since(alice, sample):
    r = alice.copart("list", "--since", "last tuesday-ish", cwd=sample)
    assert r.code == 2 and "cannot read" in r.stderr


def test_show_renders_the_entry_with_backlinks(alice, sample):
    r = alice.copart("show", "costing-checklist-for-a-workshop", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert ENTRY_KEYS <= set(data)
    assert data["body"].lstrip().startswith("## When to use")
    assert "pricing-a-first-workshop" in [b["id"] for b in data["backlinks"]]
    text = alice.copart("show", "costing-checklist-for-a-workshop", cwd=sample).stdout
    assert "Costing checklist" in text and "Linked from" in text


def test_show_an_ask_lists_its_answers_accepted_first(alice, sample):
    asks = alice.copart("list", "--kind", "ask", "--json", cwd=sample).json()
    answered = next(a for a in asks if "price" in a["id"])
    data = alice.copart("show", answered["id"], "--json", cwd=sample).json()
    assert data["answers"] and data["answers"][0]["accepted"] is True
    assert all(not a["accepted"] for a in data["answers"][1:])


def test_show_on_a_terminal_renders_markdown(alice, sample):
    script = ("import pty, sys; pty.spawn([sys.executable, '-m', 'copart_cli', 'show', "
              "'costing-checklist-for-a-workshop'])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=sample, env=alice.env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert "## When to use" not in proc.stdout  # headings are rendered, not shown as source
    assert "When to use" in proc.stdout


def test_json_stdout_is_only_the_payload(alice, sample):
    r = alice.copart("--json", "new", "story", "Warned", "--no-edit", "--body", "see [[nowhere]]", cwd=sample)
    assert r.ok, r
    data = r.json()  # stdout parses as JSON despite the warning
    assert data["action"] == "created" and data["entry"]["id"] == "warned"
    assert any(w["message"].startswith("wiki-link [[nowhere]]") for w in data["warnings"])
