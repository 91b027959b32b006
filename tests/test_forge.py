"""Forges: push options only where the server takes them, and contributions merged by a Merge
button (a plain --no-ff merge) recognised as accepted — "merged outside copart"."""

from __future__ import annotations

from tests.review_helpers import community, refs


def _contribute(c, title: str) -> str:
    r = c.anjali.copart("new", "story", title, "--no-edit", "--body", "From the stall.", "--json", cwd=c.partner_rep)
    assert r.ok, r
    return r.json()["entry"]["id"]


def test_a_gitlab_url_that_does_not_advertise_push_options_still_takes_contributions(world):
    hub = world.base / "gitlab.example.org" / "4xp.git"  # "gitlab" in the URL: copart tries push options
    c = community(world, hub_path=hub)
    c.judith.git("config", "receive.advertisePushOptions", "false", cwd=hub)  # a self-hosted git, not GitLab
    anjali, prep = c.anjali, c.partner_rep
    _contribute(c, "Pricing by the hour")
    r = anjali.copart("sync", cwd=prep)
    assert r.ok and "pushed contrib/apatel/pricing-by-the-hour/v1" in r.stdout, r
    assert "offline" not in r.stdout + r.stderr
    assert "refs/heads/contrib/apatel/pricing-by-the-hour/v1" in refs(c.judith, hub, "refs/heads/contrib/")
    assert anjali.git("config", "--get", "remote.origin.copartPushOptions", cwd=prep).strip() == "false"
    _contribute(c, "Pricing by the day")  # the next sync does not ask again
    r = anjali.copart("sync", cwd=prep)
    assert r.ok and "pushed contrib/apatel/pricing-by-the-day/v1" in r.stdout, r


def test_push_options_reach_a_server_that_advertises_them(world):
    hub = world.base / "gitlab.example.org" / "4xp.git"
    c = community(world, hub_path=hub)  # copart's hub advertises push options
    log = world.base / "push-options.log"
    hook = hub / "hooks" / "post-receive"  # where GitLab would open the merge request
    hook.write_text(f'#!/bin/sh\ni=0\nwhile [ $i -lt "${{GIT_PUSH_OPTION_COUNT:-0}}" ]; do\n'
                    f'  eval "echo \\$GIT_PUSH_OPTION_$i" >> {log}\n  i=$((i+1))\ndone\n')
    hook.chmod(0o755)
    _contribute(c, "Pricing in kind")
    r = c.anjali.copart("sync", cwd=c.partner_rep)
    assert r.ok, r
    assert log.read_text().splitlines() == ["merge_request.create", "merge_request.target=main"]


def test_a_contribution_merged_outside_copart_is_accepted(world):
    c = community(world)
    judith, crep, anjali, prep = c.judith, c.coord_rep, c.anjali, c.partner_rep
    _contribute(c, "Selling at the market")
    assert anjali.copart("sync", cwd=prep).ok
    assert judith.copart("sync", cwd=crep).ok
    # what a forge's Merge button makes: a plain --no-ff merge of the branch (signed: the hub wants that)
    branch = "origin/contrib/apatel/selling-at-the-market/v1"
    judith.git("merge", "-q", "--no-ff", "-S", "-m", "Merge branch 'contrib/apatel/selling-at-the-market/v1'",
               branch, cwd=crep)
    judith.git("push", "-q", "origin", "main", cwd=crep)
    mine = judith.copart("review", "list", "--all", "--json", cwd=crep)
    assert mine.ok, mine
    (got,) = [x for x in mine.json() if x["id"] == "apatel/selling-at-the-market"]
    assert got["state"] == "accepted" and got["merged_outside"] is True
    assert not [x for x in judith.copart("review", "list", "--json", cwd=crep).json()
                if x["id"] == "apatel/selling-at-the-market"]  # no longer waiting for review
    shown = judith.copart("review", "list", "--all", cwd=crep)
    assert "merged outside copart" in shown.stdout, shown
    assert anjali.copart("sync", cwd=prep).ok
    theirs = anjali.copart("contribute", "list", "--json", cwd=prep)
    assert [(x["state"], x["merged_outside"]) for x in theirs.json()] == [("accepted", True)], theirs
    text = anjali.copart("contribute", "list", cwd=prep)
    assert "merged outside copart" in text.stdout, text
    assert (prep / "stories" / "selling-at-the-market.md").is_file()
    assert anjali.git("status", "--porcelain", cwd=prep) == ""
