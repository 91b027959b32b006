"""Speed at every size (issue 16): what a user waits for, beside the engines people would
pick instead, on the shared corpus (1x) and its replicas, all in one run.

    python3 tests/bench/run.py scale
    COPART_BENCH_SCALES=1,10,30 python3 tests/bench/run.py scale     # default: 1,10

Everything timed is a whole process (copart is the real CLI, `python3 -m copart_cli`):
wall time, CPU (user+sys of the process and every descendant, from os.wait4), the max RSS
of the largest process and, for builds, the sampled peak of the whole tree's RSS. At each
size, on the repertoire that `copart import` makes of the replica:
- builds: `copart import`, `copart index --rebuild`, `copart site` (cold), and the SQLite
  FTS5 and tantivy build scripts of peers.py over the same entry files;
- queries: the first COPART_BENCH_QUESTIONS (10) dev `sentence` questions over the corpus
  in tests/relevance/judged.yaml; per command, the median over the questions of each one's
  median over COPART_BENCH_REPEAT runs (after a warm-up), the commands interleaved:
  `copart ask QUESTION`; `copart search` of the question's words OR-ed; the FTS5 and
  tantivy query scripts (the same words OR-ed); `rg -l -i -w` for the same words over the
  same folders. MRR@10 beside (a replica's copy counts as its original);
- once: `copart --help` against a bare interpreter;
- change, at 10x (or the largest size below it): the next `ask` after 100 changed files
  (committed) against a warm one; a partner `copart join`s a bare hub, then its `copart
  sync` with nothing to do against `git fetch`, and a sync bringing 1,000 changed files
  plus the next `ask` against `copart index --rebuild`.
tantivy goes into the bench's own venv (COPART_BENCH_VENV, default
~/.cache/copart-bench/venv, --system-site-packages so it reads YAML as the FTS5 script
does), never the project's dependencies; without it (or rg) its rows say n/a and why.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from peers import FOLDERS, words
from run import ROOT, Bench, Proc, Row, fmt

sys.path.insert(0, str(ROOT))
from tests.relevance.evaluate import judge, load, scores  # noqa: E402

SCALES = sorted({int(s) for s in os.environ.get("COPART_BENCH_SCALES", "1,10").split(",") if s.strip()})
N_QUESTIONS = int(os.environ.get("COPART_BENCH_QUESTIONS", "10"))
PEERS = str(Path(__file__).with_name("peers.py"))
COPY = re.compile(r"__r\d+(?=\.md$)")  # a replica's file name suffix
ASK, SEARCH, FTS5, TANTIVY, RG = ("copart ask", "copart search", "SQLite FTS5 query script",
                                  "tantivy query script", "rg -l -i -w (same words)")
NA = float("nan")


class Report:
    """The side-by-side table printed before run.py's: (section, label) x column -> text."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], dict[str, str]] = {}
        self.notes: list[str] = []

    def put(self, section: str, label: str, column: str, text: str) -> None:
        self.cells.setdefault((section, label), {})[column] = text

    def render(self, columns: list[str]) -> str:
        """Sections in the order they were first written to, each with the columns it uses."""
        width = max(len(label) for _, label in self.cells) + 4
        lines = []
        for section in dict.fromkeys(sec for sec, _ in self.cells):
            mine = {key: by for key, by in self.cells.items() if key[0] == section}
            used = [c for c in columns if any(c in by for by in mine.values())]
            lines.append((f"{section:<{width}}" + "".join(f"{c:<36}" for c in used)).rstrip())
            for (_, label), by in mine.items():
                lines.append(f"  {label:<{width - 2}}" + "".join(f"{by.get(c, ''):<36}" for c in used).rstrip())
        return "\n".join(lines + self.notes)


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.0f} MB"


def _cost(p: Proc) -> str:
    return f"{fmt(p.wall, 's')} / {fmt(p.cpu, 's')} / {_mb(p.rss)} / {_mb(p.tree_rss)}"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def tantivy_python() -> tuple[str | None, str]:
    """A Python that imports tantivy (the bench's venv, made on first use), or why not."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = Path(os.environ.get("COPART_BENCH_VENV") or cache / "copart-bench" / "venv")
    py = venv / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import tantivy"], capture_output=True).returncode == 0:
        return str(py), ""
    for step in ([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                 [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "tantivy"]):
        try:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"n/a ({step[2]} failed: {exc})"
        if proc.returncode:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            return None, f"n/a ({step[2]} failed: {last[:90]})"
    return str(py), ""


def _git(bench: Bench, cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=bench.env, check=True, capture_output=True)


def _change(bench: Bench, rep: Path, files: list[Path], tag: str) -> None:
    """Append a line to each file and commit, as a partner's edits arrive."""
    for f in files:
        with open(f, "a", encoding="utf-8") as fh:
            fh.write(f"\nbench change {tag}\n")
    _git(bench, rep, "commit", "-q", "-am", f"bench: {len(files)} changed files ({tag})")


def _median(runs: dict[int, list[Proc]], what: str) -> float:
    return statistics.median(statistics.median(getattr(p, what) for p in ps) for ps in runs.values())


class Scale:
    """One size: its repertoire, builds and queries."""

    def __init__(self, bench: Bench, times: int, tantivy: tuple[str | None, str], report: Report):
        self.bench, self.times, self.report = bench, times, report
        self.tantivy, self.tantivy_reason = tantivy  # a Python with tantivy, or why there is none
        self.col = f"{times}x"
        self.dir = bench.scratch / f"scale-{times}x"
        self.rep = self.dir / "rep"
        self.builds: dict[str, Proc] = {}
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.rg = shutil.which("rg")

    def build(self) -> None:
        b, rep = self.bench, self.rep
        b.measure(b.copart("init", str(rep), "--name", f"Scale {self.col}"))
        steps = {
            "copart import": b.copart("import", str(b.replica_of(self.times))),
            "copart index --rebuild": b.copart("index", "--rebuild"),
            "copart site (cold)": b.copart("site", str(self.dir / "site")),
            "SQLite FTS5 build script": [sys.executable, PEERS, "fts5-build", str(rep), str(self.dir / "fts5.db")],
        }
        if self.tantivy:
            steps["tantivy build script"] = [self.tantivy, PEERS, "tantivy-build", str(rep), str(self.dir / "tv")]
        for name, argv in steps.items():
            self.builds[name] = p = b.measure(argv, cwd=rep, tree=True)
            self.report.put("build: wall / CPU / max RSS largest process / all", name, self.col, _cost(p))
        shutil.rmtree(self.dir / "site")
        n = sum(1 for f in FOLDERS for _ in (rep / f).glob("*.md"))
        self.report.put("build: wall / CPU / max RSS largest process / all", "entries", self.col, f"{n:,}")

    def _argvs(self, q: str) -> dict[str, tuple[list[str], tuple[int, ...]]]:
        found = words(q)
        argvs = {ASK: (self.bench.copart("ask", q), (0,)),
                 SEARCH: (self.bench.copart("search", *" OR ".join(found).split()), (0,)),
                 FTS5: ([sys.executable, PEERS, "fts5-query", str(self.dir / "fts5.db"), q], (0,))}
        if self.tantivy:
            argvs[TANTIVY] = ([self.tantivy, PEERS, "tantivy-query", str(self.dir / "tv"), q], (0,))
        if self.rg:  # rg exits 1 when nothing matches
            argvs[RG] = ([self.rg, "-l", "-i", "-w", *(a for w in found for a in ("-e", w)), "--", *FOLDERS], (0, 1))
        return argvs

    def _found(self, name: str, q: str, out: str) -> tuple[list[str], bool]:
        """The sources a command ranked (a replica's copy named as its original), declined?"""
        if name in (ASK, SEARCH):
            got = json.loads(out)
            keys = [r.get("source") or "" for r in got["results"]]
            declined = not got.get("answered", True)
        else:
            keys = [line.split("\t", 1)[0] for line in out.splitlines() if line]
            declined = False
        keys = [COPY.sub("", k) for k in keys]
        return keys, declined or not keys

    def queries(self, questions) -> None:
        b, sec = self.bench, f"end to end, median of {len(questions)} questions: wall / CPU"
        argvs = [self._argvs(q.q) for q in questions]
        judged: dict[str, list[dict]] = {}
        for q, by in zip(questions, argvs):  # the warm-up run, and what each ranks
            for name, (argv, ok) in by.items():
                if name == RG:
                    b.measure(argv, cwd=self.rep, ok=ok)
                    continue
                json_ = ["--limit", "10", "--json"] if name in (ASK, SEARCH) else []  # ask shows 5 by default
                p = b.measure(argv + json_, cwd=self.rep, ok=ok)
                judged.setdefault(name, []).append(judge(name, q, *self._found(name, q, p.stdout)))
        runs: dict[str, dict[int, list[Proc]]] = {name: {} for name in argvs[0]}
        for _ in range(b.repeat):
            for i, by in enumerate(argvs):
                for name, (argv, ok) in by.items():
                    runs[name].setdefault(i, []).append(b.measure(argv, cwd=self.rep, ok=ok))
        for name in (ASK, SEARCH, FTS5, TANTIVY, RG):
            if name in runs:
                self.wall[name], self.cpu[name] = _median(runs[name], "wall"), _median(runs[name], "cpu")
                self.report.put(sec, name, self.col, f"{fmt(self.wall[name], 's')} / {fmt(self.cpu[name], 's')}")
            else:
                self.wall[name] = NA
                self.report.put(sec, name, self.col,
                                self.tantivy_reason if name == TANTIVY else "n/a (rg not installed)")
            if name in judged:
                self.report.put("MRR@10 on the same questions", name, self.col, f"{scores(judged[name])['mrr@10']:.3f}")


def change(bench: Bench, scale: Scale, questions, report: Report) -> list[Row]:
    """What a change costs the next user, at one size."""
    rep, col, q = scale.rep, scale.col, questions[0].q
    sec = f"change ({col}): wall"
    files = sorted((rep / "practices").glob("*.md"))
    picks = random.Random(16).sample(files, min(len(files), 1300))
    nexts, warms = [], []
    for r in range(3):
        _change(bench, rep, picks[r * 100:(r + 1) * 100], f"100, round {r}")
        question = questions[r % len(questions)].q
        nexts.append(bench.measure(bench.copart("ask", question), cwd=rep).wall)
        warms.append(bench.measure(bench.copart("ask", question), cwd=rep).wall)
    nxt, warm = statistics.median(nexts), statistics.median(warms)
    report.put(sec, "copart ask, warm (median of 3 questions)", col, fmt(warm, "s"))
    report.put(sec, "the next copart ask after 100 changed files (committed)", col, fmt(nxt, "s"))

    hub, partner = scale.dir / "hub.git", scale.dir / "partner"
    _git(bench, scale.dir, "clone", "-q", "--bare", str(rep), str(hub))
    _git(bench, rep, "remote", "add", "origin", str(hub))
    _git(bench, rep, "fetch", "-q", "origin")
    bench.measure(bench.copart("join", str(hub), str(partner)))
    fetch_argv = ["git", "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*",
                  "+refs/copart/*:refs/copart-remote/origin/*"]
    fetches, idles = [], []
    for i in range(1 + bench.repeat):  # the first of each is a warm-up
        fetches.append(bench.measure(fetch_argv, cwd=partner).wall)
        idles.append(bench.measure(bench.copart("sync"), cwd=partner).wall)
    fetch, idle = statistics.median(fetches[1:]), statistics.median(idles[1:])
    report.put(sec, "git fetch, nothing new", col, fmt(fetch, "s"))
    report.put(sec, "copart sync, nothing to do", col, fmt(idle, "s"))

    bench.measure(bench.copart("ask", q), cwd=partner)  # the partner's index is current
    _change(bench, rep, picks[300:1300], "1000")
    _git(bench, rep, "push", "-q", "origin", "main")
    sync = bench.measure(bench.copart("sync"), cwd=partner, tree=True)
    after = bench.measure(bench.copart("ask", q), cwd=partner)
    rebuild = scale.builds["copart index --rebuild"]
    report.put(sec, "copart sync bringing 1,000 changed files: wall / CPU / RSS", col,
               f"{fmt(sync.wall, 's')} / {fmt(sync.cpu, 's')} / {_mb(sync.rss)} / {_mb(sync.tree_rss)}")
    report.put(sec, "the next copart ask after it", col, fmt(after.wall, "s"))
    report.put(sec, "copart index --rebuild, for scale", col, fmt(rebuild.wall, "s"))
    both = sync.wall + after.wall
    return [
        Row(f"next ask after 100 changed files ({col})", nxt, "warm ask", warm, "<= warm+0.3 s", nxt - warm <= 0.3),
        Row(f"sync bringing 1,000 changed files + next ask ({col})", both, "index --rebuild", rebuild.wall,
            "<= 0.1x", both <= 0.1 * rebuild.wall),
        Row(f"sync, nothing to do ({col})", idle, "git fetch", fetch, "<= fetch+0.1 s", idle - fetch <= 0.1),
    ]


def _size_rows(s: Scale, first: Scale | None) -> list[Row]:
    col, at30 = s.col, s.times == 30
    out = []
    for name in (ASK, SEARCH):
        short = name.removeprefix("copart ")
        out.append(Row(f"{short} end to end ({col})", s.wall[name], "FTS5 query", s.wall[FTS5], "<= 2x",
                       s.wall[name] <= 2 * s.wall[FTS5]))
        if s.times >= 10:
            if math.isnan(s.wall[RG]):
                out.append(Row(f"{short} end to end ({col})", s.wall[name], "rg: n/a (not installed)"))
            else:
                out.append(Row(f"{short} end to end ({col})", s.wall[name], "rg -l -i -w", s.wall[RG], "< 1x",
                               s.wall[name] < s.wall[RG]))
        if first is not None and s is not first:
            ratio = s.wall[name] / first.wall[name]
            out.append(Row(f"{short} end to end ({col})", s.wall[name], f"{short} 1x", first.wall[name],
                           "<= 1.3x @30x", ratio <= 1.3 if at30 else None))
    build, fts = s.builds["copart index --rebuild"], s.builds["SQLite FTS5 build script"]
    out.append(Row(f"index --rebuild CPU ({col})", build.cpu, "FTS5 build CPU", fts.cpu, "<= 3x",
                   build.cpu <= 3 * fts.cpu))
    imp = s.builds["copart import"]
    out.append(Row(f"import wall ({col})", imp.wall, "FTS5 build", fts.wall, "<= 3x @30x",
                   imp.wall <= 3 * fts.wall if at30 else None))
    for name in ("copart import", "copart index --rebuild", "copart site (cold)"):
        mb = s.builds[name].rss / 1e6
        out.append(Row(f"{name.removeprefix('copart ')} max RSS, largest process ({col})", mb, "", None,
                       "<= 300 MB @30x", mb <= 300 if at30 else None, unit="MB"))
    return out


def _help_rows(bench: Bench, report: Report) -> list[Row]:
    bare, helps = [], []
    for _ in range(1 + 2 * bench.repeat):  # the first of each is a warm-up
        bare.append(bench.measure([sys.executable, "-c", "pass"]))
        helps.append(bench.measure(bench.copart("--help")))
    floor, cost = statistics.median(p.wall for p in bare[1:]), statistics.median(p.wall for p in helps[1:])
    cpu = {k: statistics.median(p.cpu for p in v[1:]) for k, v in (("bare", bare), ("help", helps))}
    report.put("start-up: wall / CPU", "python3 -c pass", "", f"{fmt(floor, 's')} / {fmt(cpu['bare'], 's')}")
    report.put("start-up: wall / CPU", "copart --help", "", f"{fmt(cost, 's')} / {fmt(cpu['help'], 's')}")
    return [Row("copart --help", cost, "python3 -c pass", floor, "<= 4x", cost <= 4 * floor)]


def rows(bench: Bench) -> list[Row]:
    start = _load()
    questions = [q for q in load() if q.where == "corpus" and q.kind == "sentence" and q.split == "dev"][:N_QUESTIONS]
    tantivy = tantivy_python()
    report = Report()
    out = _help_rows(bench, report)
    at = 10 if 10 in SCALES else max(SCALES)
    done: dict[int, Scale] = {}
    for times in SCALES:
        print(f"  scale {times}x…", file=sys.stderr, flush=True)
        s = Scale(bench, times, tantivy, report)
        s.build()
        s.queries(questions)
        out += _size_rows(s, done.get(1))
        done[times] = s
        if times == at:
            out += change(bench, s, questions, report)
        shutil.rmtree(s.dir, ignore_errors=True)
    if 30 not in SCALES:
        out.append(Row("30x targets (memory, import, 30x vs 1x)", NA, "not run: COPART_BENCH_SCALES=1,10,30"))
    report.notes.append(f"load average (1, 5, 15 min): {start} at the start of this area, {_load()} at its end; "
                        f"{os.cpu_count()} cores")
    print(report.render([""] + [f"{t}x" for t in SCALES]) + "\n", flush=True)
    return out
