"""Clean edges: a failed editor leaves no template behind, empty values are refused, skipped
files are named, Ctrl-C is one line and exit 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import on_terminal


@pytest.mark.parametrize("editor", ["false", "/nowhere/no-such-editor"])
def test_a_failed_or_missing_editor_discards_the_untouched_template(alice, sample, editor):
    r = on_terminal(alice, "new", "story", "Never written", "--author", "apatel", cwd=sample, env={"EDITOR": editor})
    assert r.code == 1, r
    assert "copart: error: editor" in r.stdout and "Traceback" not in r.stdout
    assert "the untouched template was removed and nothing was committed" in r.stdout
    assert not (sample / "stories/never-written.md").exists()
    assert alice.git("status", "--porcelain", cwd=sample) == ""
    listed = alice.copart("list", "--json", cwd=sample).json()
    assert "never-written" not in {e["id"] for e in listed}


def test_text_typed_before_the_editor_failed_is_a_draft_that_sync_never_sends(alice, sample, world, tmp_path):
    hub = world.bare()
    alice.git("remote", "add", "origin", str(hub), cwd=sample)
    assert alice.copart("sync", cwd=sample).ok
    crashing = tmp_path / "crashing-editor"  # saves what was typed, then dies
    crashing.write_text("#!/bin/sh\nprintf 'Half a thought, xyzzy-unfinished\\n' >> \"$1\"\nexit 3\n")
    crashing.chmod(0o755)
    entry = sample / "stories/pricing-a-first-workshop.md"
    before = entry.read_text()
    for args in (["new", "story", "Half typed", "--author", "apatel"], ["edit", "pricing-a-first-workshop"]):
        r = on_terminal(alice, *args, cwd=sample, env={"EDITOR": str(crashing)})
        assert r.code == 1 and "copart: error: editor exited with status 3" in r.stdout, r
        draft = Path(r.stdout.split("what you typed is kept at ", 1)[1].split(" (a draft", 1)[0])
        assert draft.read_text().endswith("Half a thought, xyzzy-unfinished\n")
    assert not (sample / "stories/half-typed.md").exists() and entry.read_text() == before  # as they were
    assert f"mv {draft} {sample / 'stories/pricing-a-first-workshop.md'} && copart edit" in r.stdout  # from anywhere
    removing = tmp_path / "removing-editor"  # deletes the file, then fails: nothing typed, nothing lost
    removing.write_text('#!/bin/sh\nrm -f "$1"\nexit 1\n')
    removing.chmod(0o755)
    for args in (["new", "story", "Gone again", "--author", "apatel"], ["edit", "pricing-a-first-workshop"]):
        r = on_terminal(alice, *args, cwd=sample, env={"EDITOR": str(removing)})
        assert r.code == 1 and "copart: error: editor exited with status 1" in r.stdout, r
        assert "Traceback" not in r.stdout and "internal error" not in r.stdout
    assert not (sample / "stories/gone-again.md").exists() and entry.read_text() == before
    assert alice.copart("sync", cwd=sample).ok
    assert "xyzzy-unfinished" not in alice.git("log", "-p", "--all", cwd=hub)  # nothing half-typed went out


def test_sync_will_not_publish_a_template_nobody_filled(alice, sample, world):
    hub = world.bare()
    alice.git("remote", "add", "origin", str(hub), cwd=sample)
    assert alice.copart("sync", cwd=sample).ok
    template = (sample / "stories/pricing-a-first-workshop.md").read_text().split("---\n", 2)[1]
    stray = "---\n" + template.replace("pricing-a-first-workshop", "left-behind") + "---\n## Context\n\n" \
            "<!-- Who, where, when: what was the situation? -->\n\n## What happened\n\n## What we learned\n"
    (sample / "stories/left-behind.md").write_text(stray)
    checked = alice.copart("check", cwd=sample)
    assert checked.code == 4 and "stories/left-behind.md:1: still the empty template" in checked.stdout, checked
    r = alice.copart("sync", cwd=sample)
    assert r.ok, r
    assert "stories/left-behind.md:1: still the empty template" in r.stderr
    assert "stories/left-behind.md" not in alice.git("ls-tree", "-r", "--name-only", "main", cwd=hub)
    (sample / "stories/left-behind.md").write_text(stray + "We did write something after all.\n")
    # a profile says what its member knows in its frontmatter: headings alone below are no template
    (sample / "members/zed.md").write_text("---\nid: zed\nkind: member\ntitle: Zed\nname: Zed\nauthor: zed\n"
                                           "created: 2026-01-01T00:00:00Z\nexpertise: [payroll]\n---\n## About\n")
    assert alice.copart("check", cwd=sample).ok
    assert alice.copart("sync", cwd=sample).ok
    published = alice.git("ls-tree", "-r", "--name-only", "main", cwd=hub)
    assert "stories/left-behind.md" in published and "members/zed.md" in published


def test_empty_values_are_refused_where_a_key_needs_content(alice, sample):
    before = (sample / "stories/pricing-a-first-workshop.md").read_text()
    r = alice.copart("edit", "pricing-a-first-workshop", "--field", "tags=", cwd=sample)
    assert r.code == 2, r
    assert r.stderr.splitlines()[0] == "copart: error: --field tags: a value is needed"
    assert (sample / "stories/pricing-a-first-workshop.md").read_text() == before
    empty = alice.copart("answer", "is-a-chair-renting-stylist-really-self-employed", "--body", "  ", cwd=sample)
    assert empty.code == 2, empty
    assert empty.stderr.splitlines()[0] == "copart: error: the answer's text is empty"
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_an_unreadable_entry_is_named_on_stderr_not_dropped_silently(alice, sample, tmp_path):
    (sample / "stories/broken.md").write_text("---\nid: broken\nkind: story\ntitle: [oops\n---\ntext\n")
    (sample / "practices/scan.md").write_bytes(b"---\nkind: practice\n\x00\x01 a scanned page\n")
    for args in (["list"], ["list", "--json"], ["tags"], ["asks"], ["show", "pricing-a-first-workshop"],
                 ["digest", "--since", "3650d"], ["digest", "--json"], ["stats"], ["stats", "--report"], ["stale"],
                 ["site", str(tmp_path / "site")], ["pathway", "suggest", "pricing"]):
        r = alice.copart(*args, cwd=sample)
        assert r.ok, r
        assert "copart: warning: skipped stories/broken.md:5: malformed frontmatter" in r.stderr, args
        assert "copart: warning: skipped practices/scan.md:1: binary file (contains NUL bytes)" in r.stderr, args


def _workers(pid: int) -> list[str]:
    """The pool's worker processes under `pid` (forks of copart itself, not git children)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [c for c in children if b"copart_cli" in Path(f"/proc/{c}/cmdline").read_bytes()]
    except OSError:
        return []


def _ctrl_c_as_in_a_terminal() -> None:
    """Run before exec: Ctrl-C back to its default, as in a terminal. A test run started in the
    background by a shell without job control (`bash .ci/run &`) inherits SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _left_in(group: int) -> bool:
    """Whether any process of this process group is still alive (an orphaned worker)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("settle", [0.2, 0.0], ids=["while-the-workers-index", "as-the-workers-start"])
def test_ctrl_c_during_an_index_rebuild_is_one_line_and_exit_130(alice, sample, settle):
    for i in range(400):  # enough entries for the index to be built by worker processes
        (sample / f"stories/filler-{i}.md").write_text(
            f"---\nid: filler-{i}\nkind: story\ntitle: Filler {i}\nauthor: apatel\n"
            f"created: 2025-01-01T00:00:00Z\n---\n" + "Words about pricing and workshops. " * 200 + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "copart_cli", "index", "--rebuild"], cwd=sample, env=alice.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not _workers(proc.pid):
        time.sleep(0.02)
    assert proc.poll() is None, "the rebuild ended before its workers were seen"
    time.sleep(settle)  # at it, or still being forked
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: the whole foreground group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["copart: interrupted"]
    deadline = time.monotonic() + 10
    while _left_in(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _left_in(proc.pid), "a worker outlived the interrupted rebuild"


def test_ctrl_c_in_the_editor_discards_the_template_and_is_exit_130(alice, sample):
    from tests.terminal import SPAWN

    # the editor, like vi or nano, takes no notice of Ctrl-C: copart gets it, stops the editor, cleans up

    proc = subprocess.Popen([sys.executable, "-c", SPAWN, "new", "story", "Interrupted", "--author", "apatel"],
                            cwd=sample, env={**alice.env, "EDITOR": "sh -c 'trap \"\" INT; sleep 60' editor", "TERM": "xterm"},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_as_in_a_terminal)
    entry = sample / "stories/interrupted.md"
    deadline = time.monotonic() + 30
    while not entry.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert entry.exists()  # the template is written and the editor is open
    time.sleep(0.3)
    out, _ = proc.communicate(b"\x03", timeout=60)  # Ctrl-C typed at the terminal
    shown = out.decode().replace("\r\n", "\n")
    assert proc.returncode == 130, shown
    assert "copart: interrupted" in shown and "Traceback" not in shown
    assert not entry.exists()
    assert alice.git("status", "--porcelain", cwd=sample) == ""
