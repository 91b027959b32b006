"""A partner commits symbolic links: copart never follows one, at any level of the repertoire.

Each test is one attack: a link pushed (or planted) where copart reads or writes — a template
folder, a kind folder, pathways/, copart.yaml, a contribution — and the check that nothing
outside the work tree was read, published or written.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from tests.synckit import join, start_hub

SECRET = "PRIVATE-KEY-7f3a9c"  # what the victim keeps outside the repertoire


def _secret_ssh_key(partner) -> Path:
    ssh = partner.home / ".ssh"
    ssh.mkdir(exist_ok=True, mode=0o700)
    (ssh / "id_ed25519").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n")
    return ssh


def _leaks(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and SECRET in p.read_text(errors="replace")]


def _push_link(bob, rep_b: Path, link: str, target: str, override: str, text: str) -> None:
    """bob commits a link and an override that includes a file through it, and pushes."""
    (rep_b / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, rep_b / link)
    (rep_b / override).write_text(text)
    bob.git("add", "-A", cwd=rep_b)
    bob.git("commit", "-qm", "nicer templates", cwd=rep_b)
    bob.git("push", "-q", "origin", "main", cwd=rep_b)


@pytest.mark.parametrize("command", ["site", "digest"])
def test_a_linked_template_folder_does_not_leak_a_home_file(world, command):
    """bob pushes .copart/templates/<x>/keys -> the victim's ~/.ssh and an override including
    keys/id_ed25519; alice syncs and publishes: the key is in no output."""
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, url = start_hub(world, alice)
    _secret_ssh_key(alice)
    rep_b = join(bob, url)
    folder = "site" if command == "site" else "digest"
    link = f".copart/templates/{folder}/keys"
    target = os.path.relpath(alice.home / ".ssh", (rep_a / link).parent)  # valid in alice's clone
    if command == "site":
        override, text = ".copart/templates/site/home.html", \
            '{% extends "site/base.html" %}{% block main %}{% include "site/keys/id_ed25519" %}{% endblock %}'
    else:
        override, text = ".copart/templates/digest/digest.md", '{% include "digest/keys/id_ed25519" %}'
    _push_link(bob, rep_b, link, target, override, text)

    synced = alice.copart("sync", cwd=rep_a)
    assert synced.ok, synced
    assert f"{link}:1: is a symbolic link (brought by a partner's commit)" in synced.stderr
    assert (rep_a / link).is_symlink() and (rep_a / link / "id_ed25519").is_file()  # the trap is armed

    out = world.base / "out"
    r = alice.copart("site", str(out), cwd=rep_a) if command == "site" else alice.copart("digest", cwd=rep_a)
    assert r.code == 1, r
    assert r.stderr.startswith(f"copart: error: {link}:1: is a symbolic link; copart does not follow links"), r
    assert SECRET not in r.stdout + r.stderr
    assert not out.exists() or not _leaks(out)
    assert not [p for p in world.base.iterdir() if p.name.startswith(".out.")]  # no half-built site beside it
    checked = alice.copart("check", cwd=rep_a)
    assert checked.code == 4 and f"{link}:1: is a symbolic link" in checked.stdout, checked


def test_a_template_linked_to_proc_self_environ_prints_no_environment(alice, sample):
    os.makedirs(sample / ".copart/templates/digest")
    os.symlink("/proc/self/environ", sample / ".copart/templates/digest/env.md")
    (sample / ".copart/templates/digest/digest.md").write_text('{% include "digest/env.md" %}')
    r = alice.copart("digest", cwd=sample, env={"API_TOKEN": SECRET})
    assert r.code == 1 and "digest/env.md:1: is a symbolic link" in r.stderr, r
    assert SECRET not in r.stdout + r.stderr


@pytest.fixture
def linked_practices(alice, sample, world):
    """practices/ replaced by a link to a private folder outside the repertoire."""
    private = world.base / "private"
    private.mkdir()
    diary = private / "diary.md"
    today = dt.date.today().isoformat()  # new this week: the digest would list it
    diary.write_text(f"---\nid: diary\nkind: practice\ntitle: Diary {SECRET}\nauthor: apatel\ncreated: {today}\n"
                     f"---\nMy {SECRET} notes.\n")
    alice.git("rm", "-rq", "practices", cwd=sample)
    alice.git("commit", "-qm", "practices moved", cwd=sample)
    os.symlink("../../private", sample / "practices")
    return private


@pytest.mark.parametrize("args", [
    ["list"], ["show", "diary"], ["ask", "what do my diary notes say?"], ["search", "diary notes"], ["digest"],
    ["edit", "diary", "--tag", "pwned"], ["new", "practice", "Planted", "--no-edit", "--body", "x"],
    ["rm", "diary", "--force"], ["import"], ["check"], ["site"], ["sync"],
], ids=lambda a: a[0])
def test_a_linked_kind_folder_is_never_read_nor_written(alice, sample, world, linked_practices, args):
    private = linked_practices
    before = {p.name: p.read_bytes() for p in private.iterdir()}
    if args == ["site"]:
        args = ["site", str(world.base / "out")]
    if args == ["sync"]:
        alice.git("remote", "add", "origin", str(world.bare()), cwd=sample)
    if args == ["import"]:
        vault = world.base / "vault"
        vault.mkdir()
        (vault / "planted.md").write_text("# Planted\nwritten where the link points?\n")
        args = ["import", str(vault), "--kind", "practice"]
    r = alice.copart(*args, cwd=sample)
    assert SECRET not in r.stdout + r.stderr, r
    assert r.code in (0, 1, 4), r
    assert "internal error" not in r.stderr
    assert {p.name: p.read_bytes() for p in private.iterdir()} == before  # nothing written, nothing removed
    if args[0] in ("show", "edit", "new", "rm", "import"):
        assert r.code == 1 and "practices:1: is a symbolic link; copart does not follow links" in r.stderr, r
    if args[0] == "check":
        assert r.code == 4 and "practices:1: is a symbolic link" in r.stdout, r
    if args[0] == "site":
        assert r.ok and not _leaks(world.base / "out"), r
    if args[0] == "sync":
        tracked = alice.git("ls-tree", "-r", "HEAD", cwd=sample)
        assert "120000" not in tracked and "diary" not in tracked  # the link is not committed, not pushed
        assert "practices:1: is a symbolic link" in r.stderr


def test_a_linked_pathways_folder_is_never_read(alice, sample, world):
    private = world.base / "private"
    private.mkdir()
    (private / "secret-path.md").write_text(f"---\ntitle: {SECRET}\nsteps:\n  - id: x\n---\n{SECRET}\n")
    alice.git("rm", "-rq", "pathways", cwd=sample)
    alice.git("commit", "-qm", "pathways moved", cwd=sample)
    os.symlink(str(private), sample / "pathways")
    for args in (["pathway", "list"], ["pathway", "show", "secret-path"], ["site", str(world.base / "out")]):
        r = alice.copart(*args, cwd=sample)
        assert SECRET not in r.stdout + r.stderr, r
        assert "internal error" not in r.stderr, r
    assert not _leaks(world.base / "out")
    shown = alice.copart("pathway", "show", "secret-path", cwd=sample)
    assert shown.code == 1 and "pathways:1: is a symbolic link" in shown.stderr, shown
    checked = alice.copart("check", cwd=sample)
    assert checked.code == 4 and "pathways:1: is a symbolic link" in checked.stdout, checked


def test_a_linked_copart_yaml_is_never_read(alice, sample, world):
    private = world.base / "private.yaml"
    private.write_text(f"name: {SECRET}\ndescription: {SECRET}\nreview: open\n")
    (sample / "copart.yaml").unlink()
    os.symlink(str(private), sample / "copart.yaml")
    for args in (["digest"], ["site", str(world.base / "out")], ["status"], ["new", "story", "Hi", "--no-edit"]):
        r = alice.copart(*args, cwd=sample)
        assert SECRET not in r.stdout + r.stderr, r
        assert "internal error" not in r.stderr, r
    assert not (world.base / "out").exists() or not _leaks(world.base / "out")
    r = alice.copart("digest", cwd=sample)
    assert r.code == 1 and "copart.yaml:1: is a symbolic link" in r.stderr, r
    checked = alice.copart("check", cwd=sample)
    assert checked.code == 4 and checked.stdout.count("copart.yaml:1: is a symbolic link") == 1, checked


def _link_blob(partner, rep: Path, target: str) -> str:
    return subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=rep, env=partner.env, input=target,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("path,target", [
    ("stories/sneaky.md", "../../../../homes/judith/.ssh/id_ed25519"),
    (".copart/templates/site/keys", "../../../../../homes/judith/.ssh"),
], ids=["entry", "template-folder"])
def test_a_link_in_a_contribution_fails_the_accept_gate(world, path, target):
    """anjali signs and pushes a contribution holding a link (mode 120000); the coordinator's
    accept refuses it, even with every override."""
    from tests.review_helpers import community, join

    c = community(world, hub=False)
    anjali, judith, crep = c.anjali, c.judith, c.coord_rep
    prep = join(anjali, crep, world.base / "anjali" / "4xp")  # peer to peer: no hub in between
    branch = "contrib/apatel/sneaky/v1"
    anjali.git("checkout", "-q", "-b", branch, cwd=prep)
    anjali.git("update-index", "--add", "--cacheinfo", f"120000,{_link_blob(anjali, prep, target)},{path}", cwd=prep)
    anjali.git("commit", "-q", "-S", "-m", "story: add sneaky", cwd=prep)
    judith.git("fetch", "-q", str(prep), f"{branch}:{branch}", cwd=crep)
    main = judith.git("rev-parse", "main", cwd=crep)
    shown = judith.copart("review", "show", "apatel/sneaky", cwd=crep)
    assert f"{path}:1: is a symbolic link" in shown.stdout, shown
    for extra in ([], ["--ignore-checks", "--allow-config", "--allow-unsigned"]):
        r = judith.copart("review", "accept", "apatel/sneaky", *extra, cwd=crep)
        assert r.code == 4 and "brings a symbolic link" in r.stderr and path in r.stderr, r
    assert judith.git("rev-parse", "main", cwd=crep) == main
