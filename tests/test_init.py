"""Starting a repertoire: `copart init` and `copart demo`."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path


def test_init_creates_a_committed_repertoire(alice, world):
    path = world.base / "new"
    r = alice.copart("init", str(path), "--name", "4XP", "--domain", "Supporting local business")
    assert r.ok, r
    assert "created the 4XP repertoire" in r.stdout
    for folder in ("stories", "practices", "members", "asks", "answers"):
        assert (path / folder).is_dir()
    assert (path / ".gitignore").is_file()
    config = (path / "copart.yaml").read_text()
    assert "name: 4XP" in config and "Supporting local business" in config
    log = alice.git("log", "--format=%an <%ae>|%s", cwd=path).strip().splitlines()
    assert log == ["Alice <alice@example.org>|copart: start the 4XP repertoire"]
    assert alice.git("status", "--porcelain", cwd=path) == ""


def test_init_refuses_an_existing_repertoire_and_changes_nothing(alice, world):
    path = world.base / "twice"
    assert alice.copart("init", str(path), "--name", "A").ok
    (path / "copart.yaml").write_text("name: Mine\n")
    r = alice.copart("init", str(path), "--name", "B")
    assert r.code == 1
    assert r.stderr.startswith("copart: error:") and "already a repertoire" in r.stderr
    assert (path / "copart.yaml").read_text() == "name: Mine\n"
    assert len(alice.git("log", "--oneline", cwd=path).splitlines()) == 1


def test_init_without_a_name_is_a_usage_error(alice, world):
    r = alice.copart("init", str(world.base / "x"))
    assert r.code == 2
    assert "name is needed" in r.stderr
    assert not (world.base / "x" / "copart.yaml").exists()


def test_init_example_seeds_the_sample_which_passes_check(alice, world):
    path = alice.init("seeded", example=True)
    stories = list((path / "stories").glob("*.md"))
    assert len(stories) >= 8
    assert len(list((path / "practices").glob("*.md"))) >= 6
    assert len(list((path / "members").glob("*.md"))) >= 6
    r = alice.copart("check", cwd=path)
    assert r.ok, r
    assert "no problems" in r.stdout


def test_init_without_git_identity_writes_nothing(world):
    nobody = world.partner("nobody")
    (nobody.home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    path = world.base / "noid"
    r = nobody.copart("init", str(path), "--name", "X", env={"GIT_AUTHOR_NAME": "", "EMAIL": ""})
    assert r.code == 1
    assert "no git identity" in r.stderr and "hint: git config" in r.stderr
    assert not (path / "copart.yaml").exists()


def test_demo_shows_what_the_sample_community_knows(alice):
    r = alice.copart("demo")
    assert r.ok, r
    assert "4XP" in r.stdout
    assert "Judith Fawcett" in r.stdout  # know-who
    assert "Pricing" in r.stdout or "pricing" in r.stdout
    r = alice.copart("demo", "--json")
    data = r.json()
    path = Path(data["path"])
    assert (path / ".git").is_dir() and data["counts"]["story"] >= 8
    assert alice.copart("check", cwd=path).ok


def test_demo_works_without_a_git_identity(world):
    nobody = world.partner("nobody")
    (nobody.home / ".gitconfig").write_text("")
    r = nobody.copart("demo", "--json")
    assert r.ok, r
    assert r.json()["counts"]["member"] >= 6
    copy = Path(r.json()["path"])
    by = nobody.git("log", "-1", "--format=%an <%ae> / %cn <%ce>", cwd=copy).strip()
    assert by == "copart demo <demo@copart.invalid> / copart demo <demo@copart.invalid>"


def test_the_demo_identity_is_passed_down_not_set_in_the_environment(world, monkeypatch):
    """No global state: after demo() the process environment is as it was (a later commit in the
    same process must not be made as "copart demo")."""
    from copart_cli.services.community import demo

    nobody = world.partner("nobody")
    (nobody.home / ".gitconfig").write_text("")
    for key in [k for k in os.environ if k.startswith(("GIT_", "XDG_"))]:
        monkeypatch.delenv(key)
    for key, value in nobody.env.items():
        monkeypatch.setenv(key, value)
    before = dict(os.environ)
    shown = demo()
    assert dict(os.environ) == before
    assert shown.counts["member"] >= 6


def _copy_in(text: str) -> Path:
    return Path(re.search(r"This is a throwaway copy in (\S+) ", text).group(1))


def test_demo_says_where_its_copy_is_and_removes_the_ones_earlier_runs_left(alice):
    tmp = alice.home / "tmp"  # the partner's TMPDIR
    first = _copy_in(alice.copart("demo").stdout)
    assert first.parent.parent == tmp and (first / ".git").is_dir()
    second = _copy_in(alice.copart("demo").stdout)
    assert not first.parent.exists()  # the second run removed the first copy, folder and all
    assert (second / ".git").is_dir() and alice.copart("check", cwd=second).ok
    r = alice.copart("demo", "--json")
    third = Path(r.json()["path"])
    assert r.json()["removed"] == [str(second.parent)]
    assert [p.name for p in tmp.iterdir()] == [third.parent.name]  # every run leaves one copy behind
    r = alice.copart("demo")
    assert f"removed 1 older demo copy from {tmp}" in r.stdout
    assert "(the next copart demo removes it)" in r.stdout


def test_demo_keeps_a_copy_someone_is_still_exploring_in_another_shell(alice):
    explored = Path(alice.copart("demo", "--json").json()["path"])
    shell = subprocess.Popen(["sleep", "120"], cwd=explored / "stories")  # a shell sitting in the first copy
    try:
        r = alice.copart("demo", "--json")
        assert r.json()["removed"] == [] and (explored / ".git").is_dir()
    finally:
        shell.kill()
        shell.wait()
    r = alice.copart("demo", "--json")  # nobody is in it any more
    assert str(explored.parent) in r.json()["removed"] and not explored.exists()


def test_demo_never_removes_what_it_did_not_make_or_what_is_in_use(alice, world):
    tmp = alice.home / "tmp"
    made = Path(alice.copart("demo", "--json").json()["path"]).parent
    # look-alikes: a folder of notes with the prefix, a marker with other words in it, a marker
    # that is a symlink to a real one, a symlink to a folder holding a real marker, a FIFO marker
    outside = world.base / "precious"
    outside.mkdir()
    shutil.copyfile(made / ".copart-demo", outside / ".copart-demo")
    notes = tmp / "copart-demo-notes"
    (notes / "4xp").mkdir(parents=True)
    (notes / "4xp" / "mine.md").write_text("my own notes\n")
    other = tmp / "copart-demo-other"
    other.mkdir()
    (other / ".copart-demo").write_text("not copart's\n")
    linked = tmp / "copart-demo-linked"
    linked.mkdir()
    (linked / ".copart-demo").symlink_to(outside / ".copart-demo")
    (tmp / "copart-demo-elsewhere").symlink_to(outside)
    fifo = tmp / "copart-demo-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / ".copart-demo")
    r = alice.copart("demo", "--json", timeout=60)
    assert r.json()["removed"] == [str(made)]  # the only folder demo made
    here = Path(r.json()["path"])
    # copies in use: the current directory, and one whose demo is still running (its marker locked)
    r = alice.copart("demo", "--json", cwd=here)
    assert r.json()["removed"] == []
    busy = Path(r.json()["path"]).parent
    with open(busy / ".copart-demo", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = alice.copart("demo", "--json", cwd=here, timeout=60)
    assert r.ok, r
    assert r.json()["removed"] == []
    for kept in (notes / "4xp" / "mine.md", other / ".copart-demo", linked / ".copart-demo",
                 outside / ".copart-demo", tmp / "copart-demo-elsewhere", fifo / ".copart-demo",
                 busy / "4xp" / ".git", here / ".git"):
        assert os.path.lexists(kept), kept
