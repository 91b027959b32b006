"""`copart stats` and `copart stale`: community health, checked against a repertoire built
in the test with known dates and authors ("now" pinned with COPART_NOW)."""

from __future__ import annotations

from tests.test_digest import Community

NOW = {"COPART_NOW": "2026-06-15T12:00:00Z"}


def build_half_year(alice) -> Community:
    c = Community(alice, "health")
    c.member("alice", "2026-01-10T09:00:00Z", expertise=["pricing", "vat"])
    c.member("bob", "2026-01-10T09:00:00Z", expertise=["pricing", "hiring"])
    c.member("carol", "2026-01-10T09:00:00Z", expertise=["grants"])
    c.member("dave", "2026-01-10T09:00:00Z", expertise=["websites"], status="alumni")
    c.entry("practice", "old-practice", "bob", "2025-01-01T09:00:00Z", topics=["pricing"])
    c.entry("practice", "overdue-practice", "bob", "2026-01-05T09:00:00Z", review_by="2026-06-01")
    c.entry("practice", "planned-practice", "carol", "2025-02-01T09:00:00Z", review_by="2027-01-01")
    c.entry("practice", "touched-practice", "carol", "2025-01-01T09:00:00Z")
    c.commit("the founding entries", "2026-01-10T10:00:00Z", "alice")
    c.edit("practices/touched-practice.md", "\nChecked again.\n", "2026-03-01T10:00:00Z", "carol")
    # April: a story and a practice
    c.entry("story", "april-story", "alice", "2026-04-03T09:00:00Z", topics=["vat"])
    c.entry("practice", "april-practice", "bob", "2026-04-20T09:00:00Z", topics=["pricing"])
    c.commit("april", "2026-04-20T10:00:00Z", "alice")
    # May: three asks, two answered (after 12 and 36 hours), and an edit by carol
    c.entry("ask", "alice-ask", "alice", "2026-05-02T09:00:00Z", topics=["vat"], status="open")
    c.entry("ask", "carol-ask", "carol", "2026-05-04T08:00:00Z", topics=["vat"], status="answered")
    c.entry("answer", "re-carol-ask", "bob", "2026-05-04T20:00:00Z", answers="carol-ask", accepted=True)
    c.entry("ask", "bob-ask", "bob", "2026-05-10T00:00:00Z", topics=["pricing"], status="open")
    c.entry("answer", "re-bob-ask", "alice", "2026-05-11T12:00:00Z", answers="bob-ask")
    c.commit("may", "2026-05-11T13:00:00Z", "alice")
    c.edit("stories/april-story.md", "\nA follow-up.\n", "2026-05-20T10:00:00Z", "carol")
    # June: carol's story
    c.entry("story", "june-story", "carol", "2026-06-02T09:00:00Z")
    c.commit("june", "2026-06-02T10:00:00Z", "carol")
    return c


def test_stats_json_has_every_figure(alice):
    c = build_half_year(alice)
    r = c.copart("stats", "--months", "3", "--json", env=NOW)
    assert r.ok, r
    s = r.json()
    assert s["as_of"] == "2026-06-15T12:00:00Z"
    assert s["members"] == {"total": 4, "active": 3, "contributed_last_90_days": 3}
    months = {m["month"]: m for m in s["months"]}
    assert list(months) == ["2026-04", "2026-05", "2026-06"]
    assert months["2026-04"]["active_members"] == 2
    assert months["2026-04"]["contributions"] == {"story": 1, "practice": 1, "ask": 0, "answer": 0, "member": 0}
    assert months["2026-05"]["active_members"] == 3
    assert months["2026-05"]["contributions"]["ask"] == 3 and months["2026-05"]["contributions"]["answer"] == 2
    assert months["2026-05"]["edits"] == 1
    assert months["2026-06"]["active_members"] == 1 and months["2026-06"]["members"] == 4
    # gaps: vat is asked about twice and has no practice note; pricing has one of each
    assert s["gaps"] == [{"topic": "vat", "asks": 2, "practices": 0, "stories": 1}]
    asks = s["asks"]
    assert (asks["total"], asks["open"], asks["answered"]) == (3, 2, 2)
    assert asks["median_hours_to_first_answer"] == 24.0  # 12 h and 36 h
    assert [a["id"] for a in asks["unanswered"]] == ["alice-ask"]
    assert asks["unanswered"][0]["age_days"] == 44
    stale = {e["id"]: e for e in s["stale"]["entries"]}
    assert set(stale) == {"old-practice", "overdue-practice"}
    assert stale["overdue-practice"]["reason"] == "review_by 2026-06-01 has passed"
    assert stale["old-practice"]["last_reviewed"] == "2025-01-01T09:00:00Z"
    # at risk: expertise held by one active member (dave is alumni; pricing is shared)
    assert {a["member"]: a["topics"] for a in s["at_risk"]} == {"alice": ["vat"], "bob": ["hiring"],
                                                                "carol": ["grants"]}
    assert s["counts"]["practice"] == 5


def test_stats_as_terminal_charts(alice):
    c = build_half_year(alice)
    r = c.copart("stats", "--months", "3", env=NOW)
    assert r.ok, r
    out = r.stdout
    assert "community health on 2026-06-15" in out
    assert "Active members per month" in out
    may = next(line for line in out.splitlines() if line.startswith("2026-05") and " of " in line)
    assert "█" in may and may.rstrip().endswith("3 of 4")
    assert "median time to a first answer: 24.0 hours" in out
    assert "vat\t2\t0\t1" in out  # the gaps table, tab-separated when piped
    assert "Knowledge at risk" in out


def test_stale_lists_what_to_review(alice):
    c = build_half_year(alice)
    r = c.copart("stale", "--json", env=NOW)
    assert r.ok, r
    data = r.json()
    assert [e["id"] for e in data["entries"]] == ["old-practice", "overdue-practice"]
    assert data["checked"] == 8  # 5 practice notes and 3 active member profiles (alumni are not checked)
    r = c.copart("stale", "--older-than", "60d", "--json", env=NOW)
    ids = [e["id"] for e in r.json()["entries"]]
    assert "touched-practice" in ids and "april-practice" not in ids
    r = c.copart("stale", env=NOW)
    assert r.ok and r.stdout.splitlines()[0].startswith("old-practice\tpractice\tbob\t2025-01-01\t"), r
    r = c.copart("stale", "--older-than", "soon", env=NOW)
    assert r.code == 2 and r.stderr.startswith("copart: error: cannot read 'soon'"), r


def test_stats_reads_git_history_once(alice, tmp_path):
    c = build_half_year(alice)
    log = tmp_path / "trace.log"
    r = c.copart("stats", "--json", env={**NOW, "GIT_TRACE": str(log)})
    assert r.ok, r
    calls = [line for line in log.read_text().splitlines() if "trace: built-in: git log" in line]
    assert len(calls) == 1, calls


def test_stats_on_an_empty_repertoire(alice):
    c = Community(alice, "empty")
    r = c.copart("stats", "--json", env=NOW)
    assert r.ok, r
    s = r.json()
    assert s["asks"]["median_hours_to_first_answer"] is None and s["gaps"] == [] and s["at_risk"] == []
    assert len(s["months"]) == 1 and all(m["active_members"] == 0 for m in s["months"])
    r = c.copart("stats", env=NOW)
    assert r.ok and "n/a (no answered asks)" in r.stdout, r
    assert c.copart("stats", "--months", "0").code == 2


def test_a_changed_file_is_read_again_not_served_from_the_cache(alice):
    c = build_half_year(alice)
    first = c.copart("stats", "--json", env=NOW).json()
    assert first["asks"]["open"] == 2
    ask = c.root / "asks" / "alice-ask.md"
    ask.write_text(ask.read_text().replace('status: "open"', 'status: "closed"'))
    (c.root / "practices" / "old-practice.md").unlink()
    again = c.copart("stats", "--json", env=NOW).json()
    assert again["asks"]["open"] == 1 and [a["id"] for a in again["asks"]["unanswered"]] == []
    assert again["counts"]["practice"] == 4
    assert "old-practice" not in {e["id"] for e in again["stale"]["entries"]}


def test_a_repertoire_made_today_has_one_month_of_figures_not_a_year_of_empty_ones(alice):
    rep = alice.init("young", example=False)
    assert alice.copart("new", "story", "First story", "--body", "We began.", cwd=rep).ok
    months = alice.copart("stats", "--json", cwd=rep).json()["months"]
    assert len(months) == 1 and months[0]["contributions"]["story"] == 1
