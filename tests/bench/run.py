"""copart's benchmarks: one run, one table, copart beside its baselines.

    python tests/bench/run.py            # everything (the corpus and its 10x replica)
    python tests/bench/run.py foundation # only modules whose name contains 'foundation'
    COPART_BENCH_REPEAT=9 python tests/bench/run.py

The copart timed is this checkout's (its root goes first on PYTHONPATH), as installed users
get it (byte-compiled first).

Each `tests/bench/bench_*.py` module has `rows(bench) -> list[Row]`; a Row compares a
copart measurement with a baseline timed in the same run (a bare interpreter, rg, grep,
a naive whoosh build...). Targets are the ratios the issues set.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))  # this checkout's copart_cli and tests, not an installed copy


@dataclass
class Row:
    what: str
    value: float  # seconds (or the unit named)
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""  # e.g. "<= 8x" or "< 0.5 s"
    ok: bool | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline and not math.isnan(self.value) else None


@dataclass
class Proc:
    """One whole process, measured: what a user waits for and what it costs."""
    code: int
    wall: float  # seconds, start to exit
    cpu: float  # user + sys seconds of the process and every descendant it waited for
    rss: int  # bytes: max RSS of the largest single process of the tree
    tree_rss: int | None  # bytes: peak of the tree's summed RSS, sampled, at least `rss` (None: not sampled)
    stdout: str
    stderr: str


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and all its descendants, now."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


class Bench:
    """Shared helpers: timing commands, a scratch folder, the corpus and its replicas."""

    def __init__(self, scratch: Path, repeat: int):
        self.scratch = scratch
        self.repeat = repeat
        self._replicas: dict[int, Path] = {}
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        self.env.setdefault("GIT_AUTHOR_NAME", "bench")
        self.env.setdefault("GIT_AUTHOR_EMAIL", "bench@example.org")
        self.env.setdefault("GIT_COMMITTER_NAME", "bench")
        self.env.setdefault("GIT_COMMITTER_EMAIL", "bench@example.org")

    def time_cmd(self, argv: list[str], cwd: Path | None = None, repeat: int | None = None, warmup: int = 1,
                 ok: tuple[int, ...] = (0,)) -> float:
        """Median wall time of a command, after a warm-up run. Any exit code but `ok` stops
        the bench: a command that fails fast must not pass for a fast one."""
        runs = [self.measure(argv, cwd, ok=ok) for _ in range(warmup + (repeat or self.repeat))]
        return statistics.median(p.wall for p in runs[warmup:])

    def measure(self, argv: list[str], cwd: Path | None = None, tree: bool = False, ok: tuple[int, ...] = (0,),
                env: dict | None = None) -> Proc:
        """Run one whole process and measure it: wall time; CPU and the largest process's max
        RSS from os.wait4 (the kernel sums the CPU of every descendant the process reaped, and
        gives the largest max RSS among them); with `tree`, the peak of the tree's summed RSS,
        sampled every 50 ms, so it can miss a short peak (and it costs a little CPU, so queries
        are timed without it). Output
        goes to files, so a chatty command is not slowed by a pipe. Any exit code but `ok`
        stops the bench."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, env=env or self.env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err)
            peak, done = [0], threading.Event()
            sampler = threading.Thread(target=_sample, args=(proc.pid, peak, done), daemon=True) if tree else None
            if sampler:
                sampler.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            done.set()
            if sampler:
                sampler.join()
            out.seek(0)
            err.seek(0)
            result = Proc(proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
                          max(peak[0], usage.ru_maxrss * 1024) if tree else None, out.read().decode("utf-8", "replace"),
                          err.read().decode("utf-8", "replace"))
        if result.code not in ok:
            raise RuntimeError(f"{argv} exited {result.code}: {result.stderr[-500:]}")
        return result

    def copart(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "copart_cli", *args]

    @property
    def corpus(self) -> Path:
        return CORPUS

    @property
    def replica(self) -> Path:
        """The 10x corpus."""
        return self.replica_of(10)

    def replica_of(self, times: int) -> Path:
        """The corpus `times` over (made once a run): every file as <stem>__r0.md, __r1.md…,
        each with a distinct last line. 1 is the corpus itself."""
        if times == 1:
            return CORPUS
        if times not in self._replicas:
            dest = self.scratch / f"corpus{times}x"
            for src in CORPUS.rglob("*.md"):
                rel = src.relative_to(CORPUS)
                text = src.read_text(encoding="utf-8", errors="replace")
                (dest / rel.parent).mkdir(parents=True, exist_ok=True)
                for k in range(times):
                    (dest / rel.parent / f"{rel.stem}__r{k}.md").write_text(
                        f"{text}\n<!-- replica {k} -->\n", encoding="utf-8"
                    )
            self._replicas[times] = dest
        return self._replicas[times]


def _sample(pid: int, peak: list[int], done: threading.Event) -> None:
    while not done.is_set():
        peak[0] = max(peak[0], tree_rss(pid))
        done.wait(0.05)


def load_modules(selector: str | None):
    for path in sorted(HERE.glob("bench_*.py")):
        if selector and selector not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem.removeprefix("bench_"), module


def fmt(seconds: float, unit: str) -> str:
    if math.isnan(seconds):  # a measure that could not be taken: the row says why
        return "n/a"
    if unit != "s":
        return f"{seconds:.1f} {unit}"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _byte_compile() -> None:
    """Compile copart's modules as installing a wheel does, so start-up is measured as users
    get it (an editable install under PYTHONDONTWRITEBYTECODE=1 would recompile every run)."""
    import compileall

    import copart_cli

    compileall.compile_dir(str(Path(copart_cli.__file__).parent), quiet=1)


def main(argv: list[str]) -> int:
    selector = argv[0] if argv else None
    repeat = int(os.environ.get("COPART_BENCH_REPEAT", "5"))
    _byte_compile()
    scratch = Path(tempfile.mkdtemp(prefix="copart-bench-"))
    bench = Bench(scratch, repeat)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows: list[tuple[str, Row]] = []
    try:
        for name, module in load_modules(selector):
            print(f"running {name}…", file=sys.stderr, flush=True)
            rows.extend((name, row) for row in module.rows(bench))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"load average (1, 5, 15 min) at start: {load}; at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
          f" ({os.cpu_count()} cores)")
    header = f"{'area':<11} {'measure':<52} {'copart':>10} {'baseline':<30} {'ratio':>7} {'target':<12} ok"
    print(header)
    print("-" * len(header))
    failed = 0
    for area, r in rows:
        base = f"{r.baseline_name} {fmt(r.baseline, r.unit)}" if r.baseline is not None else r.baseline_name
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        mark = {True: "yes", False: "NO", None: ""}[r.ok]
        failed += r.ok is False
        print(f"{area:<11} {r.what:<52} {fmt(r.value, r.unit):>10} {base:<30} {ratio:>7} {r.target:<12} {mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
