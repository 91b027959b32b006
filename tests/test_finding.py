"""Finding things: an id's start or a title instead of the whole id, "did you mean", tags,
`list --limit --sort`."""

from __future__ import annotations

from tests.terminal import lines, on_terminal


def test_a_prefix_or_a_title_names_an_entry_in_every_command(alice, sample):
    r = alice.copart("show", "pricing-a-first-worksho", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["id"] == "pricing-a-first-workshop"
    by_title = alice.copart("show", "pricing A first   Workshop", "--json", cwd=sample)
    assert by_title.json()["id"] == "pricing-a-first-workshop"
    edited = alice.copart("edit", "pricing-a-first-w", "--tag", "found", "--json", cwd=sample)
    assert edited.ok, edited
    assert edited.json()["entry"]["id"] == "pricing-a-first-workshop" and "found" in edited.json()["entry"]["tags"]
    ask = alice.copart("answer", "is-a-chair-renting", "--body", "Ask HMRC.", "--author", "apatel", "--json",
                       cwd=sample)
    assert ask.ok, ask
    assert ask.json()["entry"]["id"].startswith("re-is-a-chair-renting-stylist-really-self-employed")
    member = alice.copart("who", "--member", "apat", "--json", cwd=sample)
    assert member.ok, member
    assert member.json()["topic"] == "@apatel" and member.json()["people"][0]["id"] == "apatel"
    removed = alice.copart("rm", "A website migration that lost online orders", "--json", cwd=sample)
    assert removed.ok, removed
    assert removed.json()["entry"]["id"] == "a-website-migration-that-lost-online-orders"


def test_a_miss_suggests_the_nearest_ids(alice, sample):
    r = alice.copart("show", "pricng-a-first-workshop", cwd=sample)
    assert r.code == 1
    assert r.stderr.splitlines() == ["copart: error: no entry with id 'pricng-a-first-workshop'",
                                     "hint: did you mean: pricing-a-first-workshop?"]
    ask = alice.copart("answer", "is-a-chair-rentng-stylist-really-self-employed", "--body", "x", cwd=sample)
    assert ask.code == 1 and "did you mean: is-a-chair-renting-stylist-really-self-employed?" in ask.stderr
    short = alice.copart("show", "pricng", cwd=sample)  # a typo in the first word alone
    assert short.code == 1 and "hint: did you mean: pricing-a-first-workshop?" in short.stderr
    nothing = alice.copart("show", "zzzz-qqqq", cwd=sample)
    assert nothing.code == 1 and "hint: see the ids with: copart list" in nothing.stderr


def test_an_ambiguous_prefix_lists_what_it_could_be_and_changes_nothing(alice, sample):
    r = alice.copart("rm", "re-", cwd=sample)
    assert r.code == 2, r
    assert r.stderr.startswith("copart: error: 're-' matches ") and "give more of the id" in r.stderr
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_a_prefix_only_finds_an_entry_of_the_kind_asked_for(alice, sample):
    # `answer` takes an ask: the start of an answer's id is not an ask
    r = alice.copart("answer", "re-chair-renting", "--body", "x", cwd=sample)
    assert r.code == 1 and "no ask with id" in r.stderr


def test_list_limit_and_sort(alice, sample):
    everything = alice.copart("list", "--json", cwd=sample).json()
    newest = alice.copart("list", "--limit", "3", "--json", cwd=sample).json()
    assert newest == everything[:3]
    by_title = alice.copart("list", "--sort", "title", "-n", "5", "--json", cwd=sample).json()
    titles = [e["title"].casefold() for e in everything]
    assert [e["title"].casefold() for e in by_title] == sorted(titles)[:5]
    by_author = [e["author"] for e in alice.copart("list", "--sort", "author", "--json", cwd=sample).json()]
    assert by_author == sorted(by_author)
    bad = alice.copart("list", "--sort", "colour", cwd=sample)
    assert bad.code == 2 and bad.stderr.splitlines() == ["copart: error: unknown sort 'colour'",
                                                         "hint: one of created, title, id, kind, author"]


def test_tags_counts_tags_and_topics(alice, sample):
    r = alice.copart("tags", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    entries = alice.copart("list", "--json", cwd=sample).json()
    lesson = next(t for t in data["tags"] if t["name"] == "lesson")
    assert lesson["count"] == sum("lesson" in e["tags"] for e in entries)
    pricing = next(t for t in data["topics"] if t["name"] == "pricing")
    assert pricing["count"] == sum("pricing" in e["topics"] for e in entries) and pricing["declared"] is True
    counts = [t["count"] for t in data["tags"]]
    assert counts == sorted(counts, reverse=True)  # most used first
    piped = alice.copart("tags", cwd=sample).stdout.splitlines()
    assert f"tag\tlesson\t{lesson['count']}" in piped and f"topic\tpricing\t{pricing['count']}" in piped


def test_on_an_80_column_terminal_list_keeps_every_id_whole(alice, sample):
    ids = [e["id"] for e in alice.copart("list", "--json", cwd=sample).json()]
    r = on_terminal(alice, "list", cwd=sample, env={"COLUMNS": "80", "LINES": "1000"})
    assert r.code == 0, r
    shown = lines(r.stdout)
    assert all(len(line) <= 80 for line in shown)
    firsts = {line.split()[0] for line in shown if line and not line.startswith(" ")}
    assert set(ids) <= firsts  # each id whole, at the start of its row
    assert "title" in shown[0] and "topics" not in shown[0]  # the last columns gave way


def test_on_a_40_column_terminal_each_id_stands_whole_on_its_own_line(alice, sample):
    ids = [e["id"] for e in alice.copart("list", "--json", cwd=sample).json()]
    assert max(map(len, ids)) > 40  # longer than the terminal is wide
    r = on_terminal(alice, "list", cwd=sample, env={"COLUMNS": "40", "LINES": "1000"})
    assert r.code == 0, r
    shown = lines(r.stdout)
    assert set(ids) <= set(shown)  # the terminal wraps a long one: a copy is still the whole id
    assert "  story · Pricing a first workshop" in "\n".join(shown)  # the other columns below it


def test_long_output_on_a_terminal_goes_through_the_pager(alice, sample, tmp_path):
    paged = tmp_path / "paged.txt"
    env = {"PAGER": f"cat > {paged}", "LINES": "10", "COLUMNS": "100"}
    r = on_terminal(alice, "show", "pricing-a-first-workshop", cwd=sample, env=env)
    assert r.code == 0, r
    assert "Fourteen people booked" in paged.read_text()  # the pager got the entry
    assert "Fourteen people booked" not in r.stdout  # and the terminal only what the pager showed
    paged.unlink()
    short = on_terminal(alice, "show", "pricing-a-first-workshop", cwd=sample, env={**env, "LINES": "500"})
    assert "Fourteen people booked" in short.stdout and not paged.exists()  # it fits: no pager
    none = on_terminal(alice, "show", "pricing-a-first-workshop", cwd=sample, env={**env, "PAGER": ""})
    assert "Fourteen people booked" in none.stdout and not paged.exists()  # PAGER= turns it off
    for piped in (["show", "pricing-a-first-workshop"], ["show", "pricing-a-first-workshop", "--json"]):
        assert "Fourteen people booked" in alice.copart(*piped, cwd=sample, env=env).stdout
        assert not paged.exists()  # never when piped or with --json


def test_a_pager_that_fails_loses_no_output(alice, sample):
    r = on_terminal(alice, "show", "pricing-a-first-workshop", cwd=sample,
                    env={"PAGER": "false", "LINES": "10", "COLUMNS": "100"})
    assert r.code == 0, r
    assert "Fourteen people booked" in r.stdout
    assert "copart: warning: the pager 'false' failed, so the output is shown here" in r.stdout


def test_a_pager_that_is_not_installed_loses_no_output(alice, sample):
    r = on_terminal(alice, "show", "pricing-a-first-workshop", cwd=sample,
                    env={"PAGER": "no-such-pager -R", "LINES": "10", "COLUMNS": "100"})
    assert r.code == 0, r
    assert "Fourteen people booked" in r.stdout and "not found" not in r.stdout
