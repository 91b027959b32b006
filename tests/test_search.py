"""`copart search`: fields, phrases, boolean operators, filters, limits, highlights, bad input."""

from __future__ import annotations

import pytest


def ids(result):
    return [r["id"] for r in result.json()["results"]]


def test_search_finds_entries_with_passages_and_the_json_shape(alice, sample):
    r = alice.copart("search", "workshop", "pricing", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["query"] == "workshop pricing"
    first = data["results"][0]
    for key in ("id", "kind", "title", "path", "author", "created", "topics", "tags", "score", "passages"):
        assert key in first
    assert "pricing-a-first-workshop" in ids(r)[:3]
    assert any("workshop" in p.lower() for p in first["passages"])
    # the highlights point at the words that matched
    text, marks = first["passages"][0], first["highlights"][0]
    assert marks and all(text[s:e].lower().startswith(("work", "pric")) for s, e in marks)


def test_fields_phrases_and_boolean_operators(alice, sample):
    r = alice.copart("search", "title:workshop", "--json", cwd=sample)
    assert r.ok and r.json()["results"]
    assert all("workshop" in x["title"].lower() for x in r.json()["results"])
    r = alice.copart("search", '"first workshop"', "--json", cwd=sample)
    assert ids(r)[0] == "pricing-a-first-workshop"
    r = alice.copart("search", "author:jfawcett", "--json", cwd=sample)
    assert r.json()["results"] and all(x["author"] == "jfawcett" for x in r.json()["results"])
    r = alice.copart("search", "kind:ask", "--json", cwd=sample)
    assert {x["kind"] for x in r.json()["results"]} == {"ask"}
    r = alice.copart("search", "topic:vat", "AND", "tag:cafe", "--json", cwd=sample)
    assert r.json()["results"] and all("cafe" in x["tags"] for x in r.json()["results"])
    both = set(ids(alice.copart("search", "workshop", "--limit", "50", "--json", cwd=sample)))
    without = set(ids(alice.copart("search", "workshop", "NOT", "vat", "--limit", "50", "--json", cwd=sample)))
    assert without < both
    dashed = set(ids(alice.copart("search", "workshop -vat", "--limit", "50", "--json", cwd=sample)))
    assert dashed == without  # -word excludes, as NOT word does
    hyphen = ids(alice.copart("search", "self-employed", "--json", cwd=sample))
    assert "is-a-chair-renting-stylist-really-self-employed" in hyphen  # a dash inside a word is part of it


def test_filters_and_limit(alice, sample):
    r = alice.copart("search", "pricing", "--kind", "story", "--json", cwd=sample)
    assert r.ok and {x["kind"] for x in r.json()["results"]} == {"story"}
    r = alice.copart("search", "cash", "--tag", "cafe", "--json", cwd=sample)
    assert r.json()["results"] and all("cafe" in x["tags"] for x in r.json()["results"])
    r = alice.copart("search", "workshop", "--author", "rlindqvist", "--json", cwd=sample)
    assert {x["author"] for x in r.json()["results"]} == {"rlindqvist"}
    r = alice.copart("search", "workshop", "--limit", "1", "--json", cwd=sample)
    assert len(r.json()["results"]) == 1
    r = alice.copart("search", "workshop", "--since", "2026-01-01", "--json", cwd=sample)
    assert all(x["created"] >= "2026-01-01" for x in r.json()["results"])


def test_typo_gets_a_did_you_mean(alice, sample):
    r = alice.copart("search", "wrkshop", "--json", cwd=sample)
    assert r.ok
    assert r.json()["corrections"] == {"wrkshop": "workshop"}
    assert r.json()["results"]
    text = alice.copart("search", "wrkshop", cwd=sample)
    assert "did you mean" in text.stdout


def test_swapped_letters_are_one_typo_and_do_not_sink_a_question(alice, sample):
    r = alice.copart("ask", "how do we prcie a wrokshop", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["corrections"] == {"prcie": "price", "wrokshop": "workshop"}
    # the story or the costing checklist: both answer it (tests/relevance/judged.yaml)
    assert r.json()["answered"] and r.json()["results"][0]["id"] in ("pricing-a-first-workshop",
                                                                      "costing-checklist-for-a-workshop")


@pytest.mark.parametrize("query", [
    '"unbalanced quote', "AND OR NOT", "title:", "((( workshop", "the of and", "x" * 10_000,
    "workshop " * 2000, "☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b ﷺ", "-", "*", "field:value:other", "NOT", '""',
])
def test_odd_queries_are_answered_not_crashed_on(alice, sample, query):
    r = alice.copart("search", query, cwd=sample)
    assert r.code == 0, r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_empty_query_is_a_usage_error(alice, sample):
    r = alice.copart("search", " ", cwd=sample)
    assert r.code == 2 and "copart: error:" in r.stderr


def test_conflict_copies_are_not_search_results(alice, sample):
    original = sample / "stories/pricing-a-first-workshop.md"
    copy = sample / "stories/pricing-a-first-workshop.conflict-bob-20260101T000000Z.md"
    copy.write_text(original.read_text())
    r = alice.copart("search", "pricing workshop", "--json", "--limit", "50", cwd=sample)
    assert r.ok, r
    paths = [x["path"] for x in r.json()["results"]]
    assert "stories/pricing-a-first-workshop.md" in paths
    assert not any(".conflict-" in p for p in paths)
    assert len(paths) == len(set(x["id"] for x in r.json()["results"]))
