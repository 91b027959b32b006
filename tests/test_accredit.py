"""`copart accredit`: a coordinator's signed record that a member walked a pathway, which
`check` and `verify` prove, `who`, `stats` and the site show, and nobody else can make."""

from __future__ import annotations

import subprocess

from tests.review_helpers import community, person, refused

RECORD = "accreditations/pricing-your-work/mokafor.md"


def _granted(c):
    """judith accredits mokafor; under review she accepts her own contribution onto main."""
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    r = judith.copart("accredit", "mokafor", "pricing-your-work", "--json", cwd=rep)
    assert r.ok, r
    got = r.json()
    r = judith.copart("review", "accept", "jfawcett/accredit-mokafor-pricing-your-work", cwd=rep)
    assert r.ok, r
    return seed, got


def test_a_coordinator_accredits_and_check_and_verify_prove_it(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed, got = _granted(c)
    pathway_commit = judith.git("log", "-1", "--format=%H", "--", "pathways/pricing-your-work.md", cwd=rep).strip()
    assert got["member"] == "mokafor" and got["pathway"] == "pricing-your-work" and got["granted_by"] == "jfawcett"
    assert got["pathway_version"] == pathway_commit and got["granted"].endswith("Z") and got["path"] == RECORD
    assert "pathway_version: " + pathway_commit in (rep / RECORD).read_text()
    assert judith.copart("check", cwd=rep).ok
    r = judith.copart("verify", "--since", seed, cwd=rep)
    assert r.ok, r
    who = judith.copart("who", "@mokafor", "--json", cwd=rep).json()
    [acc] = who["accreditations"]
    assert acc["pathway"] == "pricing-your-work" and acc["status"] == "proven" and acc["granted_by"] == "jfawcett"
    assert "accredited in pricing-your-work by jfawcett (proven)" in judith.copart("who", "@mokafor", cwd=rep).stdout
    stats = judith.copart("stats", "--json", cwd=rep).json()
    assert stats["accredited"] == {"new-partner-welcome": 0, "pricing-your-work": 1}
    site = world.base / "site"
    assert judith.copart("site", str(site), cwd=rep).ok
    page = (site / "members" / "mokafor.html").read_text()
    assert 'class="accredited"' in page and "Pricing your work, a way in" in page
    r = judith.copart("accredit", "mokafor", "pricing-your-work", cwd=rep)
    assert r.code == 1 and "already holds 'pricing-your-work'" in r.stderr


def test_a_member_who_is_no_coordinator_is_refused(world):
    c = community(world, hub=False)
    anjali = person(world, "anjali")
    r = anjali.copart("accredit", "apatel", "pricing-your-work", cwd=c.coord_rep)
    assert r.code == 1
    assert r.stderr.splitlines()[0] == "copart: error: only a coordinator can accredit a member; you are 'apatel'"
    assert not (c.coord_rep / "accreditations").exists()


def test_bad_input(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    r = judith.copart("accredit", "mokafor", "no-such-pathway", cwd=rep)
    assert r.code == 1 and r.stderr.startswith("copart: error: no pathway named 'no-such-pathway'")
    r = judith.copart("accredit", "nobody", "pricing-your-work", cwd=rep)
    assert r.code == 1 and r.stderr.startswith("copart: error: no member with id 'nobody'")
    r = judith.copart("accredit", "mokafor", "../../etc/passwd", cwd=rep)
    assert r.code == 1 and "Traceback" not in r.stderr
    (rep / "pathways" / "pricing-your-work.md").write_text((rep / "pathways" / "pricing-your-work.md").read_text() + "x\n")
    r = judith.copart("accredit", "mokafor", "pricing-your-work", cwd=rep)
    assert r.code == 2 and "has changes that are not committed" in r.stderr


def test_a_record_a_member_wrote_for_themselves_is_caught(world):
    """The attack: anjali writes her own accreditation naming judith, and signs it herself."""
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    seed = judith.git("rev-parse", "main", cwd=rep).strip()
    forged = rep / "accreditations" / "pricing-your-work" / "apatel.md"
    forged.parent.mkdir(parents=True)
    forged.write_text("---\nmember: apatel\npathway: pricing-your-work\ngranted_by: jfawcett\n"
                      "granted: 2026-01-01T00:00:00Z\n---\n")
    anjali_key = person(world, "anjali").home / ".ssh" / "id_ed25519"
    judith.git("add", "-A", cwd=rep)
    judith.git("-c", f"user.signingkey={anjali_key}", "commit", "-qm", "accredit: apatel", cwd=rep)
    r = judith.copart("check", cwd=rep)
    assert r.code == 4
    assert ("accreditations/pricing-your-work/apatel.md:1: not proven to be granted by a coordinator: "
            "its last change was signed by apatel, not a coordinator") in r.stdout
    r = judith.copart("verify", "--since", seed, "--json", cwd=rep)
    assert r.code == 4
    problems = [p for p in r.json()["problems"] if p["problem"] == "accreditation"]
    assert len(problems) == 1 and problems[0]["detail"].startswith("accreditations/pricing-your-work/apatel.md")
    assert judith.copart("who", "@apatel", "--json", cwd=rep).json()["accreditations"][0]["status"] != "proven"
    assert judith.copart("stats", "--json", cwd=rep).json()["accredited"]["pricing-your-work"] == 0


def test_the_hub_takes_a_granted_record_and_refuses_one_merged_from_its_own_member(world):
    c = community(world)
    judith, rep = c.judith, c.coord_rep
    _granted(c)
    assert judith.copart("sync", cwd=rep).ok  # a coordinator's signed grant goes in
    assert RECORD in judith.git("ls-tree", "-r", "--name-only", "main", cwd=c.hub)
    # anjali signs a record for herself on a side line; judith merges it with her own signed
    # merge, so every first-parent commit on main is a coordinator's, as the hub asks
    judith.git("switch", "-qc", "side", cwd=rep)
    forged = rep / "accreditations" / "pricing-your-work" / "apatel.md"
    forged.write_text("---\nmember: apatel\npathway: pricing-your-work\ngranted_by: jfawcett\n"
                      "granted: 2026-01-01T00:00:00Z\n---\n")
    anjali_key = person(world, "anjali").home / ".ssh" / "id_ed25519"
    judith.git("add", "-A", cwd=rep)
    judith.git("-c", f"user.signingkey={anjali_key}", "commit", "-qm", "accredit: apatel", cwd=rep)
    judith.git("switch", "-q", "main", cwd=rep)
    judith.git("merge", "-q", "--no-ff", "-m", "merge side", "side", cwd=rep)
    detail = refused(judith, rep, c.hub, "unproven-accreditation", "origin", "main:main")
    assert "changes an accreditation and is signed by apatel, not a coordinator" in detail
    assert "accreditations/pricing-your-work/apatel.md" not in judith.git("ls-tree", "-r", "--name-only", "main", cwd=c.hub)


def test_the_hub_refuses_a_backdated_edit_of_a_granted_record_merged_in(world):
    """The attack: anjali edits a proven record on a side line and dates her commit 2001, so a
    coordinator's later grant of another record looks like the last change; judith merges it."""
    c = community(world)
    judith, rep = c.judith, c.coord_rep
    _granted(c)
    assert judith.copart("sync", cwd=rep).ok
    judith.git("switch", "-qc", "side", cwd=rep)
    record = rep / RECORD
    record.write_text(record.read_text().replace("granted: ", "granted: 2020-01-01T00:00:00Z\nold: "))
    anjali_key = person(world, "anjali").home / ".ssh" / "id_ed25519"
    judith.git("add", "-A", cwd=rep)
    old = {"GIT_AUTHOR_DATE": "2001-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2001-01-01T00:00:00Z"}
    subprocess.run(["git", "-c", f"user.signingkey={anjali_key}", "commit", "-qm", "touch up"], cwd=rep,
                   env={**judith.env, **old}, check=True, capture_output=True)
    judith.git("switch", "-q", "main", cwd=rep)
    other = rep / "accreditations" / "pricing-your-work" / "gwozniak.md"  # judith's own grant, by hand, signed
    other.write_text("---\nmember: gwozniak\npathway: pricing-your-work\ngranted_by: jfawcett\n"
                     "granted: 2026-01-01T00:00:00Z\n---\n")
    judith.git("add", "-A", cwd=rep)
    judith.git("commit", "-qm", "accredit: gwozniak", cwd=rep)
    judith.git("merge", "-q", "--no-ff", "-m", "merge side", "side", cwd=rep)
    detail = refused(judith, rep, c.hub, "unproven-accreditation", "origin", "main:main")
    assert "changes an accreditation and is signed by apatel, not a coordinator" in detail


def test_a_granted_record_edited_afterwards_is_no_longer_proven(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    _granted(c)
    record = rep / RECORD
    record.write_text(record.read_text().replace("granted: ", "granted: 2020-01-01T00:00:00Z\nold: "))
    anjali_key = person(world, "anjali").home / ".ssh" / "id_ed25519"
    judith.git("add", "-A", cwd=rep)
    judith.git("-c", f"user.signingkey={anjali_key}", "commit", "-qm", "touch up", cwd=rep)
    r = judith.copart("check", cwd=rep)
    assert r.code == 4 and "signed by apatel, not a coordinator" in r.stdout


def test_a_linked_accreditations_folder_is_never_read(alice, sample):
    """The attack: accreditations/ pushed as a symbolic link to records kept somewhere else."""
    elsewhere = sample.parent / "elsewhere" / "pricing-your-work"
    elsewhere.mkdir(parents=True)
    (elsewhere / "mokafor.md").write_text("---\ngranted_by: jfawcett\n---\n")
    (sample / "accreditations").symlink_to(sample.parent / "elsewhere")
    r = alice.copart("check", cwd=sample)
    assert r.code == 4 and "accreditations:1:" in r.stdout
    assert alice.copart("who", "@mokafor", "--json", cwd=sample).json()["accreditations"] == []
    assert alice.copart("stats", "--json", cwd=sample).json()["accredited"]["pricing-your-work"] == 0


def test_in_a_community_that_does_not_sign_the_author_email_must_be_the_coordinators(world):
    judith = world.partner("judith", "judith.fawcett@example.org")
    rep = judith.init("4xp", example=True)  # nobody has ssh_keys: nothing can be proven
    r = judith.copart("accredit", "mokafor", "pricing-your-work", cwd=rep)
    assert r.ok, r
    [acc] = judith.copart("who", "@mokafor", "--json", cwd=rep).json()["accreditations"]
    assert acc["status"].startswith("unsigned")
    assert judith.copart("stats", "--json", cwd=rep).json()["accredited"]["pricing-your-work"] == 1
    assert judith.copart("check", cwd=rep).ok
    forged = rep / "accreditations" / "pricing-your-work" / "apatel.md"
    forged.write_text("---\ngranted_by: jfawcett\n---\n")
    judith.git("add", "-A", cwd=rep)
    judith.git("-c", "user.email=anjali.patel@example.org", "commit", "-qm", "accredit: apatel", cwd=rep)
    r = judith.copart("check", cwd=rep)
    assert r.code == 4
    assert "made by anjali.patel@example.org, not by jfawcett" in r.stdout
    assert judith.copart("stats", "--json", cwd=rep).json()["accredited"]["pricing-your-work"] == 1
