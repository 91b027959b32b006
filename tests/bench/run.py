"""copart's benchmarks: one run, one table, copart beside its baselines.

    python tests/bench/run.py            # everything (the corpus and its 10x replica)
    python tests/bench/run.py foundation # only modules whose name contains 'foundation'
    COPART_BENCH_REPEAT=9 python tests/bench/run.py

Each `tests/bench/bench_*.py` module has `rows(bench) -> list[Row]`; a Row compares a
copart measurement with a baseline timed in the same run (a bare interpreter, rg, grep,
a naive whoosh build...). Targets are the ratios the issues set.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


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
        return self.value / self.baseline if self.baseline else None


class Bench:
    """Shared helpers: timing commands, a scratch folder, the corpus and its replica."""

    def __init__(self, scratch: Path, repeat: int):
        self.scratch = scratch
        self.repeat = repeat
        self._replica: Path | None = None
        self.env = dict(os.environ)
        self.env.setdefault("GIT_AUTHOR_NAME", "bench")
        self.env.setdefault("GIT_AUTHOR_EMAIL", "bench@example.org")
        self.env.setdefault("GIT_COMMITTER_NAME", "bench")
        self.env.setdefault("GIT_COMMITTER_EMAIL", "bench@example.org")

    def time_cmd(self, argv: list[str], cwd: Path | None = None, repeat: int | None = None, warmup: int = 1,
                 input: str | None = None, ok: tuple[int, ...] = (0,)) -> float:
        """Median wall time of a command, after a warm-up run. Any exit code but `ok` stops
        the bench: a command that fails fast must not pass for a fast one."""
        times = []
        for i in range(warmup + (repeat or self.repeat)):
            t0 = time.perf_counter()
            proc = subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True, text=True, input=input)
            elapsed = time.perf_counter() - t0
            if proc.returncode not in ok:
                raise RuntimeError(f"{argv} exited {proc.returncode}: {proc.stderr[-500:]}")
            if i >= warmup:
                times.append(elapsed)
        return statistics.median(times)

    def copart(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "copart_cli", *args]

    @property
    def corpus(self) -> Path:
        return CORPUS

    @property
    def replica(self) -> Path:
        """The 10x corpus: every file as <stem>__r0.md … __r9.md, each with a distinct last line."""
        if self._replica is None:
            dest = self.scratch / "corpus10x"
            for src in CORPUS.rglob("*.md"):
                rel = src.relative_to(CORPUS)
                text = src.read_text(encoding="utf-8", errors="replace")
                (dest / rel.parent).mkdir(parents=True, exist_ok=True)
                for k in range(10):
                    (dest / rel.parent / f"{rel.stem}__r{k}.md").write_text(
                        f"{text}\n<!-- replica {k} -->\n", encoding="utf-8"
                    )
            self._replica = dest
        return self._replica


def load_modules(selector: str | None):
    for path in sorted(HERE.glob("bench_*.py")):
        if selector and selector not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem.removeprefix("bench_"), module


def fmt(seconds: float, unit: str) -> str:
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
    rows: list[tuple[str, Row]] = []
    try:
        for name, module in load_modules(selector):
            print(f"running {name}…", file=sys.stderr, flush=True)
            rows.extend((name, row) for row in module.rows(bench))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
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
