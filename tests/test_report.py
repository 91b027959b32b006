"""`copart stats --report`: what the community is worth, in Markdown, HTML or JSON, for management."""

from __future__ import annotations

import re

NOW = {"COPART_NOW": "2026-01-15T12:00:00Z"}


def _config(sample, line: str) -> None:
    path = sample / "copart.yaml"
    path.write_text(path.read_text() + line + "\n")


def test_report_json_has_the_figures_management_asks_for(alice, sample):
    _config(sample, "critical_mass: 5")
    r = alice.copart("stats", "--report", "--json", cwd=sample, env=NOW)
    assert r.ok, r
    d = r.json()
    assert d["questions"]["asked"] == 3 and d["questions"]["answered"] == 3 and d["questions"]["open"] == 1
    assert d["questions"]["median_hours_to_first_answer"] > 0
    reused = {e["id"]: e["linked_from"] for e in d["answers_reused"]["entries"]}
    assert d["answers_reused"]["count"] == len(reused) > 0 and all(n >= 1 for n in reused.values())
    assert d["members"]["critical_mass"] == 5 and d["members"]["critical_mass_note"] is None
    # copart.yaml's topics that no active member lists as expertise
    assert "pricing" not in d["topics_no_expert"] and "referrals" in d["topics_no_expert"]
    assert [q["quarter"] for q in d["quarters"]] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert sum(q["asks"] for q in d["quarters"]) <= 3
    assert any(a["member"] == "jfawcett" for a in d["at_risk"])
    assert alice.copart("stats", "--report", "--format", "json", cwd=sample, env=NOW).json() == d


def test_report_markdown_is_ready_to_hand_over(alice, sample):
    _config(sample, "critical_mass: 50")
    r = alice.copart("stats", "--report", cwd=sample, env=NOW)
    assert r.ok, r
    assert r.stdout.startswith("# 4XP: what the community is worth\n")
    assert "below the critical mass of 50" in r.stdout
    assert "| quarter | new entries | asks | answers | active members |" in r.stdout
    assert "## Topics with no expert" in r.stdout and "## Knowledge at risk" in r.stdout


def test_report_html_has_charts_and_nothing_that_runs(alice, sample):
    _config(sample, "critical_mass: 3")
    r = alice.copart("stats", "--report", "--format", "html", cwd=sample, env=NOW)
    assert r.ok, r
    page = r.stdout
    assert page.count("<svg") == 3 and "critical mass 3" in page
    assert "<script" not in page.lower() and "default-src 'none'" in page


def test_partner_text_cannot_inject_into_a_report(alice, sample):
    """The attack: a pushed title and community name carrying HTML, an image that calls home, an SVG break-out."""
    config = sample / "copart.yaml"
    config.write_text(config.read_text().replace("name: 4XP", 'name: "4XP</title><script>alert(1)</script>"'))
    ask = sample / "asks" / "is-a-chair-renting-stylist-really-self-employed.md"
    ask.write_text(re.sub(r"^title: .*$", 'title: "</svg><img src=x onerror=alert(1)> ![t](http://evil.example/p.png)"',
                          ask.read_text(), count=1, flags=re.M))
    html = alice.copart("stats", "--report", "-f", "html", cwd=sample, env=NOW).stdout
    assert "<script>" not in html and "<img" not in html and "&lt;/svg&gt;&lt;img" in html
    md = alice.copart("stats", "--report", cwd=sample, env=NOW).stdout
    assert "\\<img src=x onerror=alert(1)\\> \\!\\[t\\](http://evil.example/p.png)" in md  # inert text
    assert not re.search(r"(?<!\\)(<img|!\[)", md)


def test_report_bad_input(alice, sample):
    r = alice.copart("stats", "--report", "--format", "pdf", cwd=sample)
    assert r.code == 2 and r.stderr.splitlines()[0] == "copart: error: unknown format 'pdf'"
    for bad in ("critical_mass: lots", "critical_mass: -3", "critical_mass: true", "critical_mass: [1]"):
        config = sample / "copart.yaml"
        config.write_text(re.sub(r"\ncritical_mass:.*", "", config.read_text()) + bad + "\n")
        r = alice.copart("stats", "--report", "--json", cwd=sample)
        assert r.ok, r
        m = r.json()["members"]
        assert m["critical_mass"] is None and "whole number" in m["critical_mass_note"]
