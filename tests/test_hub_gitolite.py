"""A copart hub served by gitolite3 and by a plain ssh account, over a real sshd on 127.0.0.1.

gitolite runs as the current user with a HOME of its own (tests/servers.py: Gitolite), the
way Debian's gitolite3 package runs it as the `gitolite3` account: sshd starts gitolite-shell
with gitolite's HOME and the bare environment of an ssh login, so copart's hook runs
without the PATH, PYTHONPATH or virtualenv of whoever made the hub.
"""

from __future__ import annotations

from tests.review_helpers import community, person, push, refs
from tests.servers import gitolite, ssh_client, sshd  # noqa: F401  (fixtures)

# docs/review.md, "A hub on gitolite": the rules that mirror copart's
CONF = """repo gitolite-admin
    RW+     =   admin

@coordinators   =   jfawcett
@members        =   jfawcett apatel

repo 4xp
    RW      main                    =   @coordinators
    RW+     contrib/USER/           =   @members
    RW      refs/copart/reviews/    =   @members
    R                               =   @members
"""


def _said(r) -> tuple[str, str]:
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("copart: error: ") and lines[1].startswith("hint: "), r
    return lines[0], lines[1]


def _clients(world, sshd, *who):
    people = [person(world, w) for w in who]
    for p in people:
        ssh_client(p)
        sshd.trust(p)
    return people


def test_gitolite_rules_mirror_copart_and_the_hook_runs_under_gitolite(world, gitolite):
    judith, anjali, tom = _clients(world, gitolite.sshd, "judith", "anjali", "tom")
    c = community(world, hub=False)
    hub = gitolite.repositories / "4xp.git"
    r = judith.copart("hub", "init", str(hub), cwd=c.coord_rep)  # as the gitolite account, into its repositories
    assert r.ok, r
    keys = {"jfawcett": judith, "apatel": anjali, "tbrennan": tom}  # tom has a key, but no rule lets him in yet
    gitolite.configure(CONF, {m: p.home / ".ssh" / "id_ed25519.pub" for m, p in keys.items()})
    assert "gitolite" in (hub / "hooks" / "update").read_text(errors="replace") or (hub / "hooks" / "update").is_symlink()
    # gitolite's own verdicts: coordinators write main, each member their own contrib/<member>/, everyone reviews
    allows = gitolite.allows
    assert allows("4xp", "jfawcett", "W", "refs/heads/main") and not allows("4xp", "apatel", "W", "refs/heads/main")
    assert allows("4xp", "apatel", "W", "refs/heads/contrib/apatel/a-story/v1")
    assert not allows("4xp", "apatel", "W", "refs/heads/contrib/jfawcett/a-story/v1")
    assert allows("4xp", "apatel", "W", "refs/copart/reviews/jfawcett/a-story")
    assert not allows("4xp", "apatel", "W", "refs/heads/feature") and not allows("4xp", "apatel", "W", "refs/tags/v1")
    check = judith.copart("hub", "check", str(hub), "--json")
    assert check.ok and check.json()["runs"], check
    assert any("gitolite's update hook" in n for n in check.json()["notes"]), check

    url = gitolite.url("4xp")
    judith.git("remote", "add", "origin", url, cwd=c.coord_rep)
    assert judith.copart("sync", cwd=c.coord_rep).ok
    dest = world.base / "anjali" / "4xp"
    assert anjali.copart("join", url, str(dest)).ok
    assert anjali.copart("setup-signing", cwd=dest).ok
    assert anjali.copart("new", "story", "Through gitolite", "--no-edit", "--body", "It works.", cwd=dest).ok
    s = anjali.copart("sync", cwd=dest)
    assert s.ok and "pushed contrib/apatel/through-gitolite/v1" in s.stdout, s
    assert judith.copart("sync", cwd=c.coord_rep).ok
    assert judith.copart("review", "accept", "apatel/through-gitolite", cwd=c.coord_rep).ok
    assert judith.copart("sync", cwd=c.coord_rep).ok
    got = anjali.copart("sync", "--json", cwd=dest)
    assert got.ok and "stories/through-gitolite.md" in [f["path"] for f in got.json()["incoming"]["files"]], got

    # copart's hook judges behind gitolite: an unsigned commit on her own branch is one gitolite lets through
    anjali.git("config", "commit.gpgsign", "false", cwd=dest)
    tip = anjali.git("commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "unsigned", cwd=dest).strip()
    before = refs(judith, hub, "refs/")
    code, err = push(anjali, dest, "origin", f"{tip}:refs/heads/contrib/apatel/sneaky/v1")
    assert code != 0 and "copart hub: refused refs/heads/contrib/apatel/sneaky/v1: unsigned" in err, err
    assert refs(judith, hub, "refs/") == before
    # and gitolite's rules stand on their own: tom's key is known, but no rule gives him the repository
    r = tom.copart("join", url, str(world.base / "tom" / "4xp"))
    assert r.code == 1, r
    line, hint = _said(r)
    assert line == f"copart: error: cannot clone {url}: the server refused this by its rules: " \
                   "FATAL: R any 4xp tbrennan DENIED by fallthru; (or you mis-spelled the reponame)"
    assert "coordinators" in hint and not (world.base / "tom" / "4xp").exists()


def test_a_plain_ssh_account_serves_a_guarded_hub(world, sshd):
    judith, anjali = _clients(world, sshd, "judith", "anjali")
    for p in (judith, anjali):
        sshd.authorize(p)
    hub = sshd.repos / "4xp.git"
    c = community(world, hub_path=hub, url=sshd.url("4xp.git"))  # hub init, then everyone over ssh
    prep = c.partner_rep
    assert anjali.copart("new", "story", "Over plain ssh", "--no-edit", "--body", "Fine.", cwd=prep).ok
    s = anjali.copart("sync", cwd=prep)
    assert s.ok and "pushed contrib/apatel/over-plain-ssh/v1" in s.stdout, s
    # the hook ran in sshd's bare environment, and judges: her signed commit straight onto main is refused
    mine = "refs/heads/contrib/apatel/over-plain-ssh/v1"
    before = refs(judith, hub, "refs/")
    code, err = push(anjali, prep, "origin", f"{mine}:refs/heads/main")
    assert code != 0 and "copart hub: refused refs/heads/main: main-needs-coordinator" in err, err
    assert refs(judith, hub, "refs/") == before
