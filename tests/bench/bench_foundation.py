"""Start-up and capture: `copart --version`, `--help`, `new story --no-edit`."""

from __future__ import annotations

import subprocess
import sys

from run import Bench, Row


def rows(bench: Bench) -> list[Row]:
    floor = bench.time_cmd([sys.executable, "-c", "pass"], repeat=bench.repeat * 2)
    version = bench.time_cmd(bench.copart("--version"), repeat=bench.repeat * 2)
    help_ = bench.time_cmd(bench.copart("--help"))
    rep = bench.scratch / "sample"
    subprocess.run(bench.copart("init", str(rep), "--example"), env=bench.env, check=True, capture_output=True)
    counter = iter(range(10_000))
    times = []
    import time

    for _ in range(bench.repeat):
        t0 = time.perf_counter()
        subprocess.run(bench.copart("new", "story", f"Bench story {next(counter)}", "--no-edit", "--body", "x",
                                    "--author", "jfawcett"), cwd=rep, env=bench.env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    times.sort()
    new = times[len(times) // 2]
    return [
        Row("copart --version", version, "python -c pass", floor, "<= 8x", version <= 8 * floor),
        Row("copart --help", help_, "python -c pass", floor, ""),
        Row("copart new story --no-edit (sample)", new, "", None, "< 0.5 s", new < 0.5),
    ]
