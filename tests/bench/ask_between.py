"""`copart ask` and `copart new` timed in two checkouts in one run, the runs interleaved, so a
change of load on the shared machine stretches both sides alike (issue 11: "`ask` stays within
today's speed"; issue 12: "`ask` and `new` are no slower").

    python3 tests/bench/ask_between.py OLD_CHECKOUT [NEW_CHECKOUT]   # NEW: this checkout
    COPART_BENCH_REPEAT=21 python3 tests/bench/ask_between.py /work/wt/old

Each checkout makes its own repertoires with its own copart (`init --example`, the bundled
sample; `init` + `import` of tests/data/corpus, the corpus slice, and of the shared corpus) and builds its index once; then every round
runs `ask QUESTION` once per checkout per repertoire (old, new, old, new...), and `new story
TITLE --no-edit` once per checkout in its own sample (a fresh title each round: a real
capture, validated and committed), after one warm-up each. Printed: median wall and CPU
(user+sys, os.wait4) of each, and new/old.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import ROOT, Bench

SLICE = ROOT / "tests" / "data" / "corpus"  # the corpus slice the clone carries
WHERE = ("sample", "slice", "corpus")
QUESTIONS = ["how do we onboard a new engineer?", "how do we run a retrospective?"]


def _env(bench: Bench, checkout: Path) -> dict:
    env = dict(bench.env)
    env["PYTHONPATH"] = str(checkout)
    return env


def _run(bench: Bench, env: dict, *argv: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(bench.copart(*argv), cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-800:]}")


def _repertoires(bench: Bench, tag: str, env: dict) -> dict[str, Path]:
    sample = bench.scratch / f"{tag}-sample"
    _run(bench, env, "init", str(sample), "--example")
    corpus = bench.scratch / f"{tag}-corpus"
    _run(bench, env, "init", str(corpus), "--name", "corpus")
    _run(bench, env, "import", str(bench.corpus), cwd=corpus)
    slice_ = bench.scratch / f"{tag}-slice"
    _run(bench, env, "init", str(slice_), "--name", "slice")
    _run(bench, env, "import", str(SLICE), cwd=slice_)
    reps = {"sample": sample, "slice": slice_, "corpus": corpus}
    for rep in reps.values():
        _run(bench, env, "index", "--rebuild", cwd=rep)
    return reps


def main(argv: list[str]) -> int:
    old = Path(argv[0]).resolve()
    new = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    repeat = int(os.environ.get("COPART_BENCH_REPEAT", "11"))
    for checkout in (old, new):
        compileall.compile_dir(str(checkout / "copart_cli"), quiet=1)
    bench = Bench(Path(tempfile.mkdtemp(prefix="copart-ask-between-")), repeat)
    sides = {"old": (old, _env(bench, old)), "new": (new, _env(bench, new))}
    try:
        return _compare(bench, sides, old, new, repeat)
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)


def _compare(bench: Bench, sides: dict, old: Path, new: Path, repeat: int) -> int:
    reps = {tag: _repertoires(bench, tag, env) for tag, (_, env) in sides.items()}
    start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: dict[tuple[str, str, str], list] = {}
    for round_ in range(repeat + 1):  # round 0 is the warm-up
        for where in WHERE:
            for question in QUESTIONS:
                for tag, (_, env) in sides.items():
                    proc = bench.measure(bench.copart("ask", question), reps[tag][where], env=env)
                    if round_:
                        runs.setdefault((where, question, tag), []).append(proc)
        for tag, (_, env) in sides.items():
            argv = bench.copart("new", "story", f"Bench capture {round_}", "--no-edit", "--body", "A line.")
            proc = bench.measure(argv, reps[tag]["sample"], env=env)
            if round_:
                runs.setdefault(("sample", "new story --no-edit", tag), []).append(proc)
    end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"old: {old}\nnew: {new}\nrepeat {repeat} (+1 warm-up), interleaved; load average (1, 5, 15 min)"
          f" at start: {start}; at end: {end} ({os.cpu_count()} cores)")
    print(f"{'repertoire':<8} {'command':<40} {'old wall':>9} {'new wall':>9} {'new/old':>8}"
          f" {'old cpu':>9} {'new cpu':>9} {'new/old':>8}")
    rows = [(where, f"ask {question}") for where in WHERE for question in QUESTIONS]
    for where, what in rows + [("sample", "new story --no-edit")]:
        o, n = runs[(where, what.removeprefix("ask "), "old")], runs[(where, what.removeprefix("ask "), "new")]
        ow, nw = statistics.median(p.wall for p in o), statistics.median(p.wall for p in n)
        oc, nc = statistics.median(p.cpu for p in o), statistics.median(p.cpu for p in n)
        print(f"{where:<8} {what:<40} {ow * 1000:>6.0f} ms {nw * 1000:>6.0f} ms {nw / ow:>7.2f}x"
              f" {oc * 1000:>6.0f} ms {nc * 1000:>6.0f} ms {nc / oc:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
