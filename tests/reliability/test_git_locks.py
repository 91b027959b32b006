"""A partner's own git at work in the repertoire: copart waits for it and never breaks its lock.

`git commit PATH` holds index.lock (and a next-index-*.lock) for as long as its editor is
open. copart clears locks that killed gits leave behind; these tests check that it tells
a leftover from a lock in use.
"""

from __future__ import annotations

import subprocess
import time

import pytest


@pytest.fixture
def hand_commit(alice, sample):
    """Start `git commit stories/<x>.md` whose editor takes the given seconds."""
    started: list[subprocess.Popen] = []

    def start(seconds: float) -> subprocess.Popen:
        note = sample / "stories" / "hand-written.md"
        note.write_text("---\nid: hand-written\nkind: story\ntitle: Hand written\n---\nTyped in vim.\n")
        alice.git("add", "stories/hand-written.md", cwd=sample)
        env = {**alice.env, "GIT_EDITOR": f"sleep {seconds}; echo 'story: hand written' >"}
        proc = subprocess.Popen(["git", "commit", "-q", "stories/hand-written.md"], cwd=sample, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(proc)
        deadline = time.monotonic() + 10
        while not (sample / ".git" / "index.lock").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "git never took its lock"
            time.sleep(0.02)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def subjects(alice, sample) -> list[str]:
    return alice.git("log", "--format=%s", cwd=sample).splitlines()


def test_copart_waits_for_a_partners_git_commit_and_both_land(alice, sample, hand_commit):
    git = hand_commit(2)
    r = alice.copart("new", "story", "Written meanwhile", "--no-edit", "--body", "While vim was open.\n", cwd=sample)
    assert r.ok, r
    out, err = git.communicate(timeout=30)
    assert git.returncode == 0, f"the partner's own commit broke: {err}"
    assert subjects(alice, sample)[:2] == ["story: add written-meanwhile", "story: hand written"]
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_a_git_that_stays_busy_is_reported_and_nothing_is_lost(alice, sample, hand_commit, tmp_path):
    git = hand_commit(60)
    r = alice.copart("new", "story", "Written meanwhile", "--no-edit", "--body", "While vim was open.\n",
                     cwd=sample, env={"COPART_GIT_WAIT": "1"})
    assert r.code == 1, r
    lines = r.stderr.strip().splitlines()
    assert "git is busy in this repository" in lines[0] and "git commit" in lines[0]
    assert "stories/written-meanwhile.md" in r.stderr  # where the typed text is kept
    assert (sample / "stories/written-meanwhile.md").read_text().endswith("While vim was open.\n")
    assert (sample / ".git/index.lock").exists() and git.poll() is None  # its lock was left alone

    git.kill()  # the partner's git dies: now its lock is a leftover, and copart clears it
    git.wait()
    r = alice.copart("sync", "--bundle", str(tmp_path / "out.bundle"), cwd=sample)  # commits hand edits first
    assert r.ok, r
    assert "written-meanwhile" in alice.git("ls-files", "stories", cwd=sample)
    assert not (sample / ".git/index.lock").exists()


def test_a_leftover_lock_is_cleared_while_an_ide_keeps_a_reading_git_open(alice, sample, tmp_path):
    """Editors keep `git cat-file --batch` running; it never holds a lock, so it must not block."""
    reader = subprocess.Popen(["git", "cat-file", "--batch"], cwd=sample, env=alice.env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        lock = sample / ".git" / "index.lock"
        lock.write_text("")  # what a git killed mid-write leaves behind
        r = alice.copart("new", "story", "After a crash", "--no-edit", "--body", "Still here.\n", cwd=sample)
        assert r.ok, r
        assert not lock.exists()

        notes = tmp_path / "wiki"
        notes.mkdir()
        (notes / "pricing.md").write_text("# Pricing a first workshop\nStart low.\n")
        lock.write_text("")
        r = alice.copart("import", str(notes), cwd=sample)
        assert r.ok, r
        assert alice.git("status", "--porcelain", cwd=sample) == ""
        assert reader.poll() is None
    finally:
        reader.kill()
        reader.wait()
