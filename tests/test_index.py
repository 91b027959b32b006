"""The local index: built on first use, caught up incrementally, rebuilt when broken."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import corpus_stream


def found(partner, rep, query, *options):
    r = partner.copart("search", query, "--json", *options, cwd=rep)
    assert r.ok, r
    return [x["id"] for x in r.json()["results"]]


def index_dir(rep: Path) -> Path:
    return rep / ".git" / "copart" / "index"


def test_first_query_builds_then_catches_up_with_commits_and_edits(alice, sample):
    r = alice.copart("index", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["action"] == "rebuilt" and r.json()["documents"] == 32
    assert alice.copart("index", "--json", cwd=sample).json()["action"] == "current"
    # a committed new entry
    assert alice.copart("new", "story", "Zebra crossing lesson", "--no-edit", "--body", "quagga", "--author",
                        "apatel", cwd=sample).ok
    assert found(alice, sample, "quagga") == ["zebra-crossing-lesson"]
    # an uncommitted edit is searchable, and so is its undoing
    path = sample / "stories" / "pricing-a-first-workshop.md"
    original = path.read_text()
    path.write_text(original + "\nokapi\n")
    assert found(alice, sample, "okapi") == ["pricing-a-first-workshop"]
    state = alice.copart("index", "--json", cwd=sample).json()
    assert state["action"] == "current"
    path.write_text(original)
    assert found(alice, sample, "okapi") == []
    # an untracked new file, then its removal
    (sample / "practices" / "draft-note.md").write_text(
        "---\nid: draft-note\nkind: practice\ntitle: Draft\nauthor: apatel\ncreated: 2026-01-01T00:00:00Z\n---\nwombat\n")
    assert found(alice, sample, "wombat") == ["draft-note"]
    (sample / "practices" / "draft-note.md").unlink()
    assert found(alice, sample, "wombat") == []
    # removal through copart
    assert alice.copart("rm", "zebra-crossing-lesson", cwd=sample).ok
    assert found(alice, sample, "quagga") == []
    # a commit made with plain git
    path.write_text(original.replace("Corn Exchange", "Corn Exchange capybara"))
    alice.git("commit", "-qam", "edit", cwd=sample)
    r = alice.copart("index", "--json", cwd=sample).json()
    assert r["action"] == "updated" and r["changed"] == 1
    assert found(alice, sample, "capybara") == ["pricing-a-first-workshop"]


def test_a_small_repertoire_left_alone_is_searched_without_asking_git_but_every_edit_is_seen(alice, sample, tmp_path):
    """Up to QUIET_FILES files, a query stats them rather than start `git status`; any change
    to a file's size, time or place brings git back, and so does a file changed moments ago."""
    log = tmp_path / "git.log"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1 $2" >> {log}\nexec {shutil.which("git")} "$@"\n')
    wrapper.chmod(0o755)
    env = {"PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    entries = [f for folder in ("stories", "practices", "members", "asks", "answers") for f in (sample / folder).rglob("*")]
    an_hour_ago = time.time() - 3600
    for f in entries:  # written a while ago, as a repertoire usually is (nothing racily new)
        os.utime(f, (an_hour_ago, an_hour_ago))

    def statuses(*words: str) -> tuple[list[str], int]:
        log.write_text("")
        r = alice.copart("search", *words, "--json", cwd=sample, env=env)
        assert r.ok, r
        return [x["id"] for x in r.json()["results"]], log.read_text().count("status")

    ids, _ = statuses("pricing")  # builds the index, recording how the files look
    assert ids and statuses("pricing") == (ids, 0)  # ...so the next query asks git nothing
    # an edit in place, the same size, an older time than the recording but not the same one
    path = sample / "stories" / "pricing-a-first-workshop.md"
    text = path.read_text()
    path.write_text(text.replace("Fourteen", "Okapiteen"))
    os.utime(path, (an_hour_ago + 1, an_hour_ago + 1))
    assert statuses("okapiteen") == (["pricing-a-first-workshop"], 1)
    assert statuses("okapiteen")[1] == 0
    # a file changed a moment ago could change again within one tick of the clock: git decides
    path.write_text(text.replace("Fourteen", "Capybara"))
    assert statuses("capybara") == (["pricing-a-first-workshop"], 1)
    assert statuses("capybara")[1] == 1  # still too recent to trust its look
    # a new file, then a removed one
    (sample / "practices" / "draft-note.md").write_text(
        "---\nid: draft-note\nkind: practice\ntitle: Draft\nauthor: apatel\ncreated: 2026-01-01T00:00:00Z\n---\nwombat\n")
    os.utime(sample / "practices" / "draft-note.md", (an_hour_ago, an_hour_ago))
    assert statuses("wombat") == (["draft-note"], 1)
    (sample / "practices" / "draft-note.md").unlink()
    assert statuses("wombat") == ([], 1)


def test_a_large_catch_up_gives_the_answers_a_rebuild_gives(alice, sample):
    """A sync that brings hundreds of files is caught up by build workers, as a full build is
    (one new segment each, committed with the old entries' deletions in one go)."""
    def write(name, body):
        (sample / "practices" / f"{name}.md").write_text(
            f"---\nid: {name}\nkind: practice\ntitle: {name}\nauthor: apatel\ncreated: 2026-01-01T00:00:00Z\n---\n{body}\n")

    def answers():  # what each finds (the order: tests/test_ranking.py; whoosh's own search counts removed
        # versions in its statistics until a merge, so a rebuild may order equal matches differently)
        return {q: set(found(alice, sample, q, "-n", "1000"))
                for q in ["wombat", "quokka", "numbat3", "ledger", "Corn Exchange", "workshop pricing"]}

    write("draft-note", "wombat")
    alice.git("add", "-A", cwd=sample)
    alice.git("commit", "-qm", "draft", cwd=sample)
    before = alice.copart("index", "--json", cwd=sample).json()
    assert found(alice, sample, "wombat") == ["draft-note"]
    write("draft-note", "quokka")  # an entry changed in the same sync
    for n in range(240):
        write(f"bulk-{n}", f"numbat{n % 7} ledger")
    alice.git("rm", "-q", "stories/pricing-a-first-workshop.md", cwd=sample)
    alice.git("add", "-A", cwd=sample)
    alice.git("commit", "-qm", "a big sync", cwd=sample)
    r = alice.copart("index", "--json", cwd=sample).json()
    assert r["action"] == "updated" and r["changed"] == 242
    grown = alice.copart("index", "--json", cwd=sample).json()
    assert grown["documents"] == before["documents"] + 240 - 1
    if (os.cpu_count() or 1) > 1:  # the workers' segments: evidence the parallel path ran
        assert grown["segments"] >= before["segments"] + 2
    caught_up = answers()
    assert caught_up["wombat"] == set() and caught_up["quokka"] == {"draft-note"}
    assert caught_up["numbat3"] == {f"bulk-{n}" for n in range(3, 240, 7)} and len(caught_up["ledger"]) == 240
    # a sync that takes most of them away again: a worker may get only files that are gone,
    # and a segment left with nothing live is dropped, not kept for ever
    write("bulk-3", "numbat3 quoll")
    alice.git("rm", "-q", *[f"practices/bulk-{n}.md" for n in range(240) if n != 3], cwd=sample)
    alice.git("commit", "-qam", "most of them gone", cwd=sample)
    assert alice.copart("index", "--json", cwd=sample).json()["changed"] == 240
    shrunk = alice.copart("index", "--json", cwd=sample).json()
    assert shrunk["documents"] == grown["documents"] - 239 and shrunk["segments"] <= grown["segments"]
    caught_up = answers()
    assert caught_up["numbat3"] == {"bulk-3"} and caught_up["ledger"] == set() and found(alice, sample, "quoll") == ["bulk-3"]
    assert alice.copart("index", "--rebuild", cwd=sample).ok
    assert answers() == caught_up


def test_rebuild_and_state(alice, sample):
    r = alice.copart("index", "--rebuild", cwd=sample)
    assert r.ok and "rebuilt" in r.stdout and "32 entries" in r.stdout


def test_corrupt_missing_or_old_index_rebuilds_itself(alice, sample):
    assert found(alice, sample, "workshop")
    cur = index_dir(sample) / (index_dir(sample) / "CURRENT").read_text().strip()
    for f in cur.iterdir():  # corrupt every whoosh file
        if f.name != "stamp.json":
            f.write_bytes(b"garbage")
    assert "pricing-a-first-workshop" in found(alice, sample, "workshop")
    # an index stamped by an older schema
    cur = index_dir(sample) / (index_dir(sample) / "CURRENT").read_text().strip()
    stamp = json.loads((cur / "stamp.json").read_text())
    stamp["schema"] = 0
    (cur / "stamp.json").write_text(json.dumps(stamp))
    r = alice.copart("index", "--json", cwd=sample)
    assert r.json()["action"] == "rebuilt"
    shutil.rmtree(index_dir(sample))
    assert "pricing-a-first-workshop" in found(alice, sample, "workshop")
    # a stamped commit that no longer exists (history rewritten)
    cur = index_dir(sample) / (index_dir(sample) / "CURRENT").read_text().strip()
    stamp = json.loads((cur / "stamp.json").read_text())
    stamp["commit"] = "0" * 40
    (cur / "stamp.json").write_text(json.dumps(stamp))
    assert "pricing-a-first-workshop" in found(alice, sample, "workshop")


def _bigger(alice, world) -> Path:
    """The sample plus 400 real handbook pages in nested folders: a build long enough to kill midway."""
    rep = alice.init("big", example=True)
    src = world.base / "handbook"
    for rel, data in itertools.islice(corpus_stream(), 400):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    assert alice.copart("import", str(src), cwd=rep).ok
    return rep


def test_a_killed_build_leaves_a_usable_state(world, alice):
    rep = _bigger(alice, world)
    assert found(alice, rep, "onboarding")
    # kill at a quarter, a half and three quarters of what a whole build takes here; on a busy
    # machine a later build may finish first: then it must have switched to its new generation
    t0 = time.perf_counter()
    assert alice.copart("index", "--rebuild", cwd=rep).ok
    took = time.perf_counter() - t0
    killed = 0
    for delay in (took / 4, took / 2, took * 3 / 4):
        before = (index_dir(rep) / "CURRENT").read_text()
        proc = subprocess.Popen([sys.executable, "-m", "copart_cli", "index", "--rebuild"], cwd=rep,
                                env=alice.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.wait() == -signal.SIGKILL:
            killed += 1
            assert (index_dir(rep) / "CURRENT").read_text() == before  # the old generation still serves
        else:
            assert proc.returncode == 0 and (index_dir(rep) / "CURRENT").read_text() != before
        hits = found(alice, rep, "onboarding")
        assert hits
    assert killed >= 1  # at least one build was cut midway
    r = alice.copart("index", "--rebuild", "--json", cwd=rep)
    assert r.ok
    leftovers = [p.name for p in index_dir(rep).iterdir() if p.name.startswith("g-")]
    assert len(leftovers) == 1  # the killed builds' folders were cleaned up


def test_a_build_worker_killed_midway_is_one_error_not_a_hang(world, alice):
    """multiprocessing replaces a killed worker and forgets its part: the build must notice,
    say so in one line, and leave the index as it was (an out-of-memory kill, say)."""
    rep = _bigger(alice, world)
    assert alice.copart("index", cwd=rep).ok
    before = (index_dir(rep) / "CURRENT").read_text()
    proc = subprocess.Popen([sys.executable, "-m", "copart_cli", "index", "--rebuild"], cwd=rep, env=alice.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # the build's workers: its children that are python too
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            workers = [int(k) for k in kids if "python" in Path(f"/proc/{k}/cmdline").read_bytes().decode(errors="replace")]
        time.sleep(0.02)
    if not workers:
        proc.wait(timeout=120)
        pytest.skip("the build finished before a worker could be caught")
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)  # never a hang
    assert proc.returncode == 1, err
    assert err.startswith("copart: error: an index build worker stopped") and "Traceback" not in err
    assert (index_dir(rep) / "CURRENT").read_text() == before
    assert found(alice, rep, "onboarding")


def test_concurrent_processes_never_corrupt_the_index(world, alice, sample):
    procs = []
    for i in range(6):
        args = ["index", "--rebuild"] if i % 3 == 0 else ["search", "workshop", "--json"]
        procs.append(subprocess.Popen([sys.executable, "-m", "copart_cli", *args], cwd=sample, env=alice.env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        if i == 2:
            (sample / "stories" / "pricing-a-first-workshop.md").open("a").write("\nplatypus\n")
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert found(alice, sample, "platypus") == ["pricing-a-first-workshop"]
    assert alice.copart("index", "--json", cwd=sample).json()["documents"] == 32


def test_huge_and_binary_files_are_skipped_with_a_note(alice, sample):
    big = sample / "practices" / "huge.md"
    big.write_text("---\nid: huge\nkind: practice\ntitle: Huge\nauthor: apatel\ncreated: 2026-01-01T00:00:00Z\n---\n"
                   + ("aardvark words here\n" * 20_000) + "zzyzx\n" * 10)
    (sample / "practices" / "blob.md").write_bytes(b"\x00\x01binary" * 1000)
    r = alice.copart("index", "--rebuild", "--json", cwd=sample)
    assert r.ok, r
    notes = {n["path"]: n["note"] for n in r.json()["notes"]}
    assert notes["practices/blob.md"] == "binary"
    assert "KiB indexed" in notes["practices/huge.md"]
    assert found(alice, sample, "aardvark") == ["huge"]
    assert found(alice, sample, "zzyzx") == []  # beyond the indexed part
    huge = sample / "practices" / "enormous.md"
    with huge.open("wb") as fh:
        fh.write(b"x" * (9 * 1024 * 1024))
    r = alice.copart("search", "workshop", cwd=sample)
    assert r.ok and "too large" in r.stderr


def test_help_does_not_load_whoosh(alice):
    code = ("import sys, runpy; sys.argv=['copart','--help'];\n"
            "try:\n runpy.run_module('copart_cli', run_name='__main__')\nexcept SystemExit: pass\n"
            "assert 'whoosh' not in sys.modules, 'whoosh imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], env=alice.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_an_open_snapshot_survives_a_rebuild_by_another_process(alice, sample):
    """A query holds one snapshot while another copart rebuilds, which deletes that
    snapshot's files: the query still answers from what it opened."""
    from copart_cli.adapters import index as ixs

    assert alice.copart("index", cwd=sample).ok
    store = ixs.IndexStore(index_dir(sample))
    with store.reading() as index:
        opened = store.current_dir()
        assert alice.copart("index", "--rebuild", cwd=sample).ok
        assert not opened.exists()  # the rebuild removed the generation this snapshot reads
        found = index.search(ixs.Query("how do we price a first workshop?", "ask"), pool=60)
        assert found.hits and all(h.path.endswith(".md") for h in found.hits)
        assert "rlindqvist" in index.members()
        assert index.search(ixs.Query("workshop", "search")).hits
