"""Concurrency: 8 partners' processes capturing into one repertoire at once, while another asks.

Sizes: COPART_WRITERS (8) processes × COPART_ENTRIES_EACH (50) entries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

WRITERS = int(os.environ.get("COPART_WRITERS", "8"))
EACH = int(os.environ.get("COPART_ENTRIES_EACH", "50"))

WRITER = r"""
import subprocess, sys
writer, each = int(sys.argv[1]), int(sys.argv[2])
failures = 0
for i in range(each):
    p = subprocess.run([sys.executable, "-m", "copart_cli", "new", "practice", f"Writer {writer} note {i}",
                        "--no-edit", "--author", "apatel", "--topic", "pricing",
                        "--body", f"Concurrent capture {writer}-{i} about workshop pricing.\n"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        failures += 1
        sys.stderr.write(p.stderr)
sys.exit(1 if failures else 0)
"""

ASKER = r"""
import subprocess, sys, time
stop_file = sys.argv[1]
asked = answered = 0
import os
while not os.path.exists(stop_file):
    p = subprocess.run([sys.executable, "-m", "copart_cli", "ask", "how do we price a workshop?", "--json"],
                       capture_output=True, text=True)
    asked += 1
    if p.returncode == 0 and '"results"' in p.stdout:
        answered += 1
    else:
        sys.stderr.write(p.stderr)
print(asked, answered)
"""


@pytest.mark.timeout(1200)
def test_eight_writers_and_an_asker_at_once(alice, sample, capsys):
    stop = sample.parent / "stop"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(w), str(EACH)], cwd=sample, env=alice.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    asker = subprocess.Popen([sys.executable, "-c", ASKER, str(stop)], cwd=sample, env=alice.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    errors = []
    for w in writers:
        out, err = w.communicate(timeout=900)
        if w.returncode != 0:
            errors.append(err)
    stop.write_text("")
    ask_out, ask_err = asker.communicate(timeout=300)
    elapsed = time.monotonic() - t0
    asked, answered = map(int, ask_out.split())
    commits = int(alice.git("rev-list", "--count", "HEAD", cwd=sample))
    files = list((sample / "practices").glob("writer-*.md"))
    with capsys.disabled():
        print(f"\nconcurrency: entries={len(files)} commits={commits} errors={len(errors)} "
              f"asks={asked} answered={answered} in {elapsed:.0f} s")
    assert errors == [], errors[0][:2000]
    assert "lock" not in ask_err.lower()
    assert len(files) == WRITERS * EACH
    assert alice.git("status", "--porcelain", cwd=sample) == ""
    tracked = alice.git("ls-files", "practices", cwd=sample).splitlines()
    assert sum(1 for t in tracked if "/writer-" in t) == WRITERS * EACH
    assert asked > 0 and answered == asked
    # the index agrees with the files afterwards
    found = alice.copart("search", "Concurrent capture", "--limit", str(WRITERS * EACH + 10), "--json", cwd=sample)
    assert found.ok, found
    assert {r["id"] for r in found.json()["results"]} >= {f.stem for f in files}
