"""`copart config get/set`: copart.yaml's settings read and changed, checked, one commit each."""

from __future__ import annotations


def test_config_get_prints_every_setting_or_one(alice, sample):
    everything = alice.copart("config", "get", "--json", cwd=sample)
    assert everything.ok, everything
    data = everything.json()
    assert set(data) == {"name", "domain", "description", "topics", "review", "default_remote"}
    assert data["review"] == "open" and "pricing" in data["topics"]
    one = alice.copart("config", "get", "review", cwd=sample)
    assert one.stdout == "open\n"  # the value alone, for scripts


def test_turning_review_on_is_one_commit_on_main(alice, sample):
    head = alice.git("rev-parse", "HEAD", cwd=sample).strip()
    r = alice.copart("config", "set", "review", "coordinators", cwd=sample)
    assert r.ok, r
    assert r.stdout.startswith("set review: coordinators (commit ")
    assert alice.git("rev-parse", "HEAD~1", cwd=sample).strip() == head
    assert alice.git("diff", "--name-only", "HEAD~1", "HEAD", cwd=sample).split() == ["copart.yaml"]
    assert "review: coordinators\n" in (sample / "copart.yaml").read_text()
    assert alice.copart("config", "get", "review", cwd=sample).stdout == "coordinators\n"
    # from now on, new work is a contribution: main does not move
    alice.copart("new", "story", "Reviewed first", "--no-edit", "--body", "Text.", "--author", "apatel", cwd=sample)
    assert alice.git("rev-parse", "HEAD~1", cwd=sample).strip() == head
    again = alice.copart("config", "set", "review", "coordinators", cwd=sample)
    assert again.ok and "already coordinators: nothing changed" in again.stdout


def test_topics_take_a_list_and_the_rest_of_the_file_stays_as_it_was(alice, sample):
    before = (sample / "copart.yaml").read_text()
    r = alice.copart("config", "set", "topics", "pricing, vat, cash-flow", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["value"] == ["pricing", "vat", "cash-flow"]
    after = (sample / "copart.yaml").read_text()
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["topics: [pricing, vat, cash-flow]"]


def test_an_unknown_key_or_a_bad_value_is_one_error_and_changes_nothing(alice, sample):
    before = (sample / "copart.yaml").read_text()
    head = alice.git("rev-parse", "HEAD", cwd=sample)
    for args, first in [
        (["set", "colour", "red"], "copart: error: unknown key 'colour' (one of name, domain, description, topics, "
                                   "review, default_remote)"),
        (["get", "colour"], "copart: error: unknown key 'colour' (one of name, domain, description, topics, "
                            "review, default_remote)"),
        (["set", "review", "sometimes"], "copart: error: review: 'sometimes' is not one of open, coordinators"),
        (["set", "name", "   "], "copart: error: name: needs a value"),
        (["set", "topics", "Cash Flow"], "copart: error: topics: 'Cash Flow' is not a topic (lowercase words "
                                         "joined by hyphens, e.g. cash-flow)"),
        (["set", "default_remote", "../../etc"], "copart: error: default_remote: '../../etc' is not a remote name "
                                                 "(letters, digits, '.', '-', '_'; e.g. origin)"),
    ]:
        r = alice.copart("config", *args, cwd=sample)
        assert r.code == 2, (args, r)
        assert r.stderr.splitlines()[0] == first
        assert "Traceback" not in r.stderr
    assert (sample / "copart.yaml").read_text() == before
    assert alice.git("rev-parse", "HEAD", cwd=sample) == head


def test_text_is_kept_as_typed_not_read_as_yaml(alice, sample):
    for value in ["no", "#1 bakers of Leeds", "[draft] name", "-x marks the spot"]:
        r = alice.copart("config", "set", "--json", "name", "--", value, cwd=sample)
        assert r.ok, r
        assert r.json()["value"] == value
        assert alice.copart("config", "get", "name", cwd=sample).stdout == value + "\n"


def test_review_by_coordinators_needs_a_coordinator_first(alice):
    rep = alice.init("young", example=False)
    assert alice.copart("new", "member", "Alice", "--no-edit", cwd=rep).ok  # a partner, no coordinator
    before = (rep / "copart.yaml").read_text()
    r = alice.copart("config", "set", "review", "coordinators", cwd=rep)
    assert r.code == 1, r
    assert r.stderr.splitlines()[0] == ("copart: error: review: coordinators needs a coordinator, "
                                        "and no member profile has that role")
    assert (rep / "copart.yaml").read_text() == before
    assert alice.copart("edit", "alice", "--field", "roles=[coordinator, partner]", cwd=rep).ok
    assert alice.copart("config", "set", "review", "coordinators", cwd=rep).ok
