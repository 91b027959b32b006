"""Signed membership: setup-signing, allowed_signers from the profiles on main, copart verify."""

from __future__ import annotations

import subprocess

from tests.review_helpers import community, keygen, person, public_key, set_frontmatter


def test_setup_signing_configures_git_and_renders_allowed_signers(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    r = judith.copart("setup-signing", "--json", cwd=rep)
    assert r.ok, r
    info = r.json()
    assert info["member"] == "jfawcett" and info["in_profile"] is True
    assert info["fingerprint"].startswith("SHA256:")
    get = lambda key: judith.git("config", "--get", key, cwd=rep).strip()  # noqa: E731
    assert get("gpg.format") == "ssh" and get("commit.gpgsign") == "true"
    assert get("user.signingkey") == str(judith.home / ".ssh" / "id_ed25519")
    signers = open(get("gpg.ssh.allowedSignersFile")).read().splitlines()
    assert f'jfawcett namespaces="git" {public_key(judith)}' in signers
    assert f'apatel namespaces="git" {public_key(person(world, "anjali"))}' in signers
    assert len(signers) == 2  # members without keys are not there
    # git itself now verifies her commits and names the member
    assert judith.git("log", "-1", "--format=%G? %GS", cwd=rep).strip() == "G jfawcett"


def test_a_key_not_in_the_profile_is_warned_about(world):
    c = community(world, hub=False)
    judith = c.judith
    keygen(judith, "other")
    r = judith.copart("setup-signing", "--key", str(judith.home / ".ssh" / "other.pub"), cwd=c.coord_rep)
    assert r.ok, r
    assert "not in jfawcett's profile" in r.stderr and "ssh_keys" in r.stderr


def test_setup_signing_bad_input(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    r = judith.copart("setup-signing", "--key", str(world.base / "missing"), cwd=rep)
    assert r.code == 1 and r.stderr.startswith("copart: error: no public key at") and "ssh-keygen" in r.stderr
    bad = world.base / "bad.pub"
    bad.write_text("ssh-ed25519 not*base64 me\n")
    r = judith.copart("setup-signing", "--key", str(bad), cwd=rep)
    assert r.code == 1 and "is not an SSH public key" in r.stderr and "Traceback" not in r.stderr
    rosa = person(world, "rosa")  # no ~/.ssh at all
    r = rosa.copart("setup-signing", cwd=rep)
    assert r.code == 1 and "no SSH key found" in r.stderr


def test_verify_reports_unsigned_unknown_wrong_member_and_tampered_commits(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    # the first commit (copart init) predates signing; the one that brought the keys is signed by a
    # key that its parent did not list: verify trusts it only when told to (--since it)
    r = judith.copart("verify", "--json", cwd=rep)
    assert r.code == 4
    problems = {p["commit"]: p for p in r.json()["problems"]}
    assert [p["problem"] for p in problems.values()] == ["unknown-key", "unsigned"]
    assert "start the 4XP" in problems[judith.git("rev-parse", f"{seed}~1", cwd=rep).strip()]["subject"]
    assert "no member profile on its first parent" in problems[seed]["detail"]
    assert judith.copart("verify", "--since", seed, cwd=rep).ok

    def commit_on_main(message, *config):
        (rep / "stories" / f"{message}.md").write_text("x\n")
        judith.git("add", "-A", cwd=rep)
        judith.git(*config, "commit", "-qm", message, cwd=rep)
        return judith.git("rev-parse", "HEAD", cwd=rep).strip()

    anjali = person(world, "anjali")
    wrong = commit_on_main("signed-by-anjali", "-c", f"user.signingkey={anjali.home / '.ssh' / 'id_ed25519'}")
    mallory = person(world, "mallory")
    keygen(mallory)
    unknown = commit_on_main("signed-by-mallory", "-c", f"user.signingkey={mallory.home / '.ssh' / 'id_ed25519'}")
    unsigned = commit_on_main("not-signed", "-c", "commit.gpgsign=false")
    good = commit_on_main("signed-by-judith")
    # a tampered commit: judith's signed commit with a changed message, keeping her signature
    raw = judith.git("cat-file", "commit", good, cwd=rep).replace("signed-by-judith", "signed-by-judith!")
    forged = subprocess.run(["git", "hash-object", "-w", "-t", "commit", "--stdin"], cwd=rep, input=raw,
                            capture_output=True, text=True, env=judith.env).stdout.strip()
    judith.git("update-ref", "refs/heads/main", forged, cwd=rep)

    r = judith.copart("verify", "--since", seed, "--json", cwd=rep)
    assert r.code == 4, r
    found = {p["commit"]: p["problem"] for p in r.json()["problems"]}
    assert found == {wrong: "wrong-member", unknown: "unknown-key", unsigned: "unsigned", forged: "bad-signature"}
    text = judith.copart("verify", "--since", seed, cwd=rep)
    assert "signed by apatel, not a coordinator" in text.stdout
    assert text.stderr.strip() == "copart: error: 4 problems in 4 commits on main"
    # the author field is never trusted: judith's own name on anjali's signature is still wrong-member
    assert judith.git("log", "-1", "--format=%an", wrong, cwd=rep).strip() == "Judith"


def test_a_malformed_key_in_a_profile(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    set_frontmatter(rep / "members" / "mokafor.md", "ssh_keys", '["ssh-ed25519 AAAAnot-a-key"]')
    judith.git("commit", "-qam", "michael's key (mistyped)", cwd=rep)
    r = judith.copart("verify", "--since", seed, cwd=rep)
    assert r.code == 4, r
    assert "malformed-key: members/mokafor.md: ssh_keys item 1 is not an SSH public key" in r.stdout
    assert "Traceback" not in r.stderr
    # everyone else still verifies
    assert judith.copart("review", "list", cwd=rep).ok
