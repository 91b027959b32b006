"""Crash safety of `import`: SIGKILL at any moment imports a folder completely or not at all.

A killed import may have written some of its entries (or staged them) before the commit:
the next command that writes must roll those back, so that importing the folder again
(what a user does after a crash) gives exactly one import of every file, and nothing is
left behind as stray files or half-written entries. Share: 1/8 of COPART_CRASH_RUNS.
"""

from __future__ import annotations

import random

from tests.reliability.crashkit import (RUNS, CrashReport, corpus_files, half_done, print_summary,
                                        run_and_maybe_kill, typical_duration)

SHARE = 0.125


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
PER_FOLDER = 40


def import_commits(partner, rep, name: str) -> list[str]:
    out = partner.git("log", "--format=%H", f"--grep=from {name}$", "HEAD", cwd=rep)
    return out.split()


def added_by(partner, rep, sha: str) -> list[str]:
    out = partner.git("diff-tree", "--no-commit-id", "-r", "--name-only", "--diff-filter=A", sha, cwd=rep)
    return [p for p in out.splitlines() if p.startswith("practices/")]


def test_sigkill_during_import_imports_all_or_nothing(alice, sample, world, capsys):
    rng = random.Random(23)
    report = CrashReport()
    runs = max(4, int(RUNS * SHARE))
    files = [f for f in corpus_files(PER_FOLDER * (runs + 1) + 50, low=512, high=8192)
             if is_utf8(f[1])]
    each = min(PER_FOLDER, len(files) // (runs + 1))
    sources = []
    for n in range(runs + 1):
        folder = world.base / "imports" / f"batch-{n:03d}"
        folder.mkdir(parents=True)
        for i, (name, data) in enumerate(files[n * each:(n + 1) * each]):
            (folder / f"{i:02d}-{name}").write_bytes(data)
        sources.append(folder)
    span = 1.5 * typical_duration(alice, ["import", str(sources[-1])], sample)
    for n, folder in enumerate(sources[:-1]):
        report.runs += 1
        code = run_and_maybe_kill(alice, ["import", str(folder)], sample, rng, max_delay=span)
        if code is None:
            report.killed += 1
        else:
            assert code == 0
            report.completed += 1
        recovered = code is not None
        if not import_commits(alice, sample, folder.name):
            assert code is None, "an import reported success without its commit"
            # what a user does after a crash: import the folder again; it must just work
            r = alice.copart("import", str(folder), "--json", cwd=sample)
            assert r.ok, r
            assert r.json()["imported"] == each
            recovered = True
        report.recoveries += 1
        commits = import_commits(alice, sample, folder.name)
        if len(commits) != 1 or len(added_by(alice, sample, commits[0])) != each:
            report.losses.append(f"{folder.name}: {len(commits)} import commit(s)")
        leftovers = alice.git("status", "--porcelain", "--untracked-files=all", cwd=sample)
        assert leftovers == "", f"run {n}: a killed import left files behind:\n{leftovers[:2000]}"
        if recovered:  # killed just after its commit, git may leave a lock: the next writer clears it
            assert half_done(sample) == []
    r = alice.copart("import", str(sources[-1]), cwd=sample)  # one more writer after the last kill
    assert r.ok, r
    assert half_done(sample) == []
    # every entry an import reported is readable and valid
    check = alice.copart("check", "--json", cwd=sample)
    # (links and images the source pages name but the corpus slice does not carry are the
    # source's own, not damage from a kill)
    structural = [p for p in check.json()["problems"]
                  if "link" not in p["message"] and "leads to no file" not in p["message"]]
    assert structural == [], structural[:5]
    print_summary(capsys, report.line("import"))
    assert report.losses == []
    assert report.killed > 0


def test_an_import_killed_while_writing_is_rolled_back_by_the_next_writer(alice, sample, world):
    """Regression: a killed import used to leave its files behind; importing again then doubled them."""
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = world.base / "vault"
    folder.mkdir()
    for i, (name, data) in enumerate(corpus_files(120, low=512, high=8192)):
        if is_utf8(data):
            (folder / f"{i:03d}-{name}").write_bytes(data)
    expected = len(list(folder.iterdir()))
    journal = sample / ".git/copart/bulk-write.journal"
    proc = subprocess.Popen([sys.executable, "-m", "copart_cli", "import", str(folder)], cwd=sample, env=alice.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 10:
            break
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert import_commits(alice, sample, "vault") == []
    assert alice.git("status", "--porcelain", cwd=sample) != ""  # the killed import's files
    r = alice.copart("new", "story", "After the crash", "--no-edit", "--body", "x", cwd=sample)
    assert r.ok, r
    assert alice.git("status", "--porcelain", "--untracked-files=all", cwd=sample) == ""
    r = alice.copart("import", str(folder), "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["imported"] == expected
    assert not any(e["id"].endswith("-2") for e in r.json()["entries"])
