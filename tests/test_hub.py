"""The hub refuses every push that breaks the policy, from intruders and from members overstepping."""

from __future__ import annotations

import os
import subprocess

from tests.review_helpers import EMPTY_TREE, community, event, join, keygen, person, push, refs, refused


def test_hub_init_sets_policy_and_seeds_main(world):
    c = community(world)
    cfg = lambda key: c.judith.git("config", "--get", key, cwd=c.hub).strip()  # noqa: E731
    assert (cfg("receive.denyNonFastForwards"), cfg("receive.fsckObjects")) == ("true",) * 2
    # deletions reach the hook, which wants a signed push; the nonces are this hub's own
    assert cfg("receive.denyDeletes") == "false" and len(cfg("receive.certNonceSeed")) == 64
    hook = c.hub / "hooks" / "pre-receive"
    assert os.access(hook, os.X_OK) and "copart_cli.hooks.pre_receive" in hook.read_text()
    assert c.judith.git("rev-parse", "main", cwd=c.hub) == c.judith.git("rev-parse", "main", cwd=c.coord_rep)
    again = c.judith.copart("hub", "init", str(c.hub), cwd=c.coord_rep)
    assert again.code == 1 and "already exists" in again.stderr
    outside = c.judith.copart("hub", "init", str(world.base / "x.git"), cwd=world.base)
    assert outside.code == 1 and outside.stderr.startswith("copart: error: not inside a repertoire")


def test_intruders_are_refused(world):
    c = community(world)
    mallory = person(world, "mallory")  # not a member; makes a key of her own
    keygen(mallory)
    mrep = join(mallory, c.hub, world.base / "mallory" / "4xp")
    r = mallory.copart("new", "story", "Buy my course", "--no-edit", "--body", "Spam.", cwd=mrep)
    assert r.ok, r
    branch = "refs/heads/contrib/mallory/buy-my-course/v1"
    refused(mallory, mrep, c.hub, "non-member", "origin", f"{branch}:{branch}")
    # posing as a member: same branch name in anjali's namespace, still her own key
    refused(mallory, mrep, c.hub, "non-member", "origin", f"{branch}:refs/heads/contrib/apatel/buy-my-course/v1")
    # unsigned work, straight onto main
    mallory.git("config", "commit.gpgsign", "false", cwd=mrep)
    (mrep / "stories" / "spam.md").write_text("spam\n")
    mallory.git("add", "stories/spam.md", cwd=mrep)
    mallory.git("commit", "-qm", "spam", cwd=mrep)
    refused(mallory, mrep, c.hub, "unsigned", "origin", "main:main")
    # a tampered commit: anjali's real signed commit with its text changed keeps her signature, which no longer fits
    anjali, prep = c.anjali, c.partner_rep
    assert anjali.copart("new", "story", "Honest story", "--no-edit", "--body", "True.", cwd=prep).ok
    tip = refs(anjali, prep, "refs/heads/contrib/")["refs/heads/contrib/apatel/honest-story/v1"]
    raw = anjali.git("cat-file", "commit", tip, cwd=prep).replace("story: add honest-story", "story: add evil-story")
    forged = subprocess.run(["git", "hash-object", "-w", "-t", "commit", "--stdin"], cwd=prep, input=raw,
                            capture_output=True, text=True, env=anjali.env).stdout.strip()
    refused(anjali, prep, c.hub, "bad-signature", "origin", f"{forged}:refs/heads/contrib/apatel/honest-story/v1")


def test_members_overstepping_are_refused(world):
    c = community(world)
    anjali, prep, hub = c.anjali, c.partner_rep, c.hub
    assert anjali.copart("new", "story", "Pricing a market stall", "--no-edit", "--body", "Hi.", cwd=prep).ok
    mine = "refs/heads/contrib/apatel/pricing-a-market-stall/v1"
    # into another member's namespace
    refused(anjali, prep, hub, "namespace", "origin", f"{mine}:refs/heads/contrib/jfawcett/pricing-a-market-stall/v1")
    # unknown ref names: a feature branch, a tag
    refused(anjali, prep, hub, "unknown-ref", "origin", f"{mine}:refs/heads/feature")
    anjali.git("tag", "v1", mine, cwd=prep)
    refused(anjali, prep, hub, "unknown-ref", "origin", "refs/tags/v1:refs/tags/v1")
    # a signed commit of hers straight onto main's first-parent line
    refused(anjali, prep, hub, "main-needs-coordinator", "origin", f"{mine}:refs/heads/main")
    # her own branch is fine
    code, err = push(anjali, prep, "origin", f"{mine}:{mine}")
    assert code == 0, err
    # deleting it, or rewriting it, is not
    refused(anjali, prep, hub, "deletion", "origin", f":{mine}")
    refused(anjali, prep, hub, "non-fast-forward", "origin", f"+main:{mine}")
    # deciding on her own contribution: an accept event signed by a partner
    key = "apatel/pricing-a-market-stall"
    accept = event(anjali, prep, "accept", key, "apatel")
    refused(anjali, prep, hub, "partner-decision", "origin", f"{accept}:refs/copart/reviews/{key}")
    # claiming to be the coordinator in the event does not help: the signer counts, not the claim
    fake = event(anjali, prep, "comment", key, "jfawcett")
    refused(anjali, prep, hub, "impersonation", "origin", f"{fake}:refs/copart/reviews/{key}")
    # something that is not an event on a review ref
    plain = subprocess.run(["git", "commit-tree", "-S", EMPTY_TREE], cwd=prep, input="just a commit\n",
                           capture_output=True, text=True, env=anjali.env).stdout.strip()
    refused(anjali, prep, hub, "not-an-event", "origin", f"{plain}:refs/copart/reviews/{key}")
    refused(anjali, prep, hub, "refs/copart/reviews", "origin", f"{mine}:refs/copart/reviews/{key}")
    # a comment of her own is fine
    ok = event(anjali, prep, "comment", key, "apatel")
    code, err = push(anjali, prep, "origin", f"{ok}:refs/copart/reviews/{key}")
    assert code == 0, err


def test_the_hook_refuses_garbage_on_stdin(world):
    c = community(world)
    hook = c.hub / "hooks" / "pre-receive"
    zero, main = "0" * 40, c.judith.git("rev-parse", "main", cwd=c.hub).strip()
    for garbage in (b"hello\n", b"\xff\xfe\x00\x01", f"{zero} {main}\n".encode(), b"x" * 2_000_000,
                    f"{zero} {'f' * 40} refs/heads/main\n".encode()):
        proc = subprocess.run([str(hook)], cwd=c.hub, input=garbage, capture_output=True, env=c.judith.env)
        assert proc.returncode == 1, garbage[:40]
        err = proc.stderr.decode()
        assert err.startswith("copart hub: refused") and "Traceback" not in err, err
    # a well-formed line for a good update passes
    proc = subprocess.run([str(hook)], cwd=c.hub, input=f"{main} {main} refs/heads/main\n".encode(),
                          capture_output=True, env=c.judith.env)
    assert proc.returncode == 0, proc.stderr


def test_a_push_to_main_another_push_overtook_is_refused_before_it_is_judged(world):
    # fifty partners pushing at once would otherwise each pay a whole judgement for a race
    # git refuses at the end anyway (it checks main's old value last)
    c = community(world)
    hook = c.hub / "hooks" / "pre-receive"
    before = c.judith.git("rev-parse", "main", cwd=c.hub).strip()
    (c.coord_rep / "stories" / "market-day.md").write_text("---\nid: market-day\nkind: story\ntitle: Market day\n---\nSold out.\n")
    c.judith.git("add", "-A", cwd=c.coord_rep)
    c.judith.git("commit", "-qm", "story: market day", cwd=c.coord_rep)  # signed: setup-signing set commit.gpgsign
    code, err = push(c.judith, c.coord_rep, "origin", "main:main")
    assert code == 0, err
    now = c.judith.git("rev-parse", "main", cwd=c.hub).strip()
    assert now != before
    stale = subprocess.run([str(hook)], cwd=c.hub, input=f"{before} {now} refs/heads/main\n".encode(),
                           capture_output=True, env=c.judith.env)
    assert proc_says(stale, "refused refs/heads/main: main-moved:")
    # the same update from main's real value is judged, and passes
    fresh = subprocess.run([str(hook)], cwd=c.hub, input=f"{now} {now} refs/heads/main\n".encode(),
                           capture_output=True, env=c.judith.env)
    assert fresh.returncode == 0, fresh.stderr
    # a main git cannot read is no lost race (sync would retry it for nothing): the judgement names it
    (c.hub / "refs" / "heads" / "main").write_text("b" * 40 + "\n")
    broken = subprocess.run([str(hook)], cwd=c.hub, input=f"{before} {now} refs/heads/main\n".encode(),
                            capture_output=True, env=c.judith.env)
    assert broken.returncode == 1 and "main-moved" not in broken.stderr.decode(), broken.stderr


def proc_says(proc, text: str) -> bool:
    return proc.returncode == 1 and text in proc.stderr.decode()


def test_members_delete_their_own_contributions_and_coordinators_any_in_a_signed_push(world):
    c = community(world)
    anjali, prep, judith, crep = c.anjali, c.partner_rep, c.judith, c.coord_rep
    for title in ("First try", "Second try"):
        assert anjali.copart("new", "story", title, "--no-edit", "--body", "Hm.", cwd=prep).ok
    assert anjali.copart("sync", cwd=prep).ok
    first, second = "refs/heads/contrib/apatel/first-try/v1", "refs/heads/contrib/apatel/second-try/v1"
    code, err = push(anjali, prep, "--signed", "origin", f":{first}")
    assert code == 0, err
    assert judith.copart("sync", cwd=crep).ok
    code, err = push(judith, crep, "--signed", "origin", f":{second}")
    assert code == 0, err
    assert not refs(judith, c.hub, "refs/heads/contrib/")
