"""Search: `copart ask` end to end, full index build, catch-up, on the corpus and its 10x replica.

Rows (targets from issue 3):
- ask end to end (process start to printed answer), median, against the unavoidable floor
  `python3 -c "import typer, whoosh.index, whoosh.searching"` timed in the same run:
  <= 1.3x on the corpus, <= 1.6x on the 10x replica; beside it the ratio to
  `rg -l -i -w` for the same words over the same files (no target, for scale);
- full index build (in-process time reported by `copart index --rebuild --json`) against a
  naive single-process whoosh build of the same files (body stored, positions on every
  text field, StemmingAnalyzer), also timed in-process: >= 2.5x faster;
- peak memory (RSS of copart and its worker processes together, sampled) of the build on
  the 10x replica: < 400 MB; beside it the max RSS of the largest process (no target here:
  bench_scale has the issue 16 rows);
- catching up after 10 changed files on the 10x replica (in-process time reported by
  `copart index --json`): < 0.3 s. The ten files are spread over the repertoire; on the
  corpus a second row (no target) edits the ten largest notes, to show the cost follows
  the amount of text changed, not the size of the repertoire.

COPART_BENCH_SEARCH_SCALE=1 skips the 10x replica rows (they import 18,540 files and run
the naive build over them, which takes minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from run import Bench, Row

QUESTION = "how do we onboard a new engineer?"
WORDS = ["onboard", "engineer"]
FLOOR = [sys.executable, "-c", "import typer, whoosh.index, whoosh.searching"]

NAIVE = r'''
import os, sys, time
from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
root, out = sys.argv[1], sys.argv[2]
ana = StemmingAnalyzer()
schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True, analyzer=ana),
                body=TEXT(stored=True, analyzer=ana))
t0 = time.perf_counter()
ix = index.create_in(out, schema)
w = ix.writer()
for name in sorted(os.listdir(root)):
    if name.endswith(".md"):
        with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        w.add_document(path=name, title=text.split("\n", 1)[0], body=text)
w.commit()
print(time.perf_counter() - t0)
'''


def _copart_json(bench: Bench, rep: Path, *args: str) -> dict:
    proc = subprocess.run(bench.copart(*args, "--json"), cwd=rep, env=bench.env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"copart {args} failed: {proc.stderr[-800:]}")
    return json.loads(proc.stdout)


def _repertoire(bench: Bench, name: str, source: Path) -> Path:
    rep = bench.scratch / name
    subprocess.run(bench.copart("init", str(rep), "--name", name), env=bench.env, check=True, capture_output=True)
    proc = subprocess.run(bench.copart("import", str(source)), cwd=rep, env=bench.env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed: {proc.stderr[-800:]}")
    return rep


def _naive(bench: Bench, folder: Path) -> tuple[float, float]:
    """The naive build's in-process time and its process's CPU time."""
    out = bench.scratch / "naive-index"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    proc = bench.measure([sys.executable, "-c", NAIVE, str(folder), str(out)])
    shutil.rmtree(out, ignore_errors=True)
    return float(proc.stdout.strip()), proc.cpu


def _rows_for(bench: Bench, label: str, rep: Path, ask_target: float, with_catchup: bool) -> list[Row]:
    rows: list[Row] = []
    proc = bench.measure(bench.copart("index", "--rebuild", "--json"), rep, tree=True)
    build = json.loads(proc.stdout)["seconds"]
    naive, naive_cpu = _naive(bench, rep / "practices")
    peak = proc.tree_rss
    rows.append(Row(f"index build ({label})", build, "naive whoosh", naive, "<= 0.4x", build * 2.5 <= naive))
    rows.append(Row(f"index build, CPU time all processes ({label})", proc.cpu, "naive whoosh", naive_cpu, ""))
    rows.append(Row(f"index build peak memory, all processes ({label})", peak / 1e6, "", None, "< 400 MB",
                    peak < 400e6, unit="MB"))
    rows.append(Row(f"index build max RSS, largest process ({label})", proc.rss / 1e6, "", None, "", unit="MB"))
    floor = bench.time_cmd(FLOOR)
    ask = bench.time_cmd(bench.copart("ask", QUESTION), cwd=rep)
    rows.append(Row(f"ask end to end ({label})", ask, "import typer+whoosh", floor, f"<= {ask_target}x",
                    ask <= ask_target * floor))
    rg = shutil.which("rg")
    if rg:
        base = [rg, "-l", "-i", "-w", *sum((["-e", w] for w in WORDS), []), str(rep / "practices")]
        name = "rg -l -i -w"
    else:
        base = ["grep", "-r", "-l", "-i", "-w", *sum((["-e", w] for w in WORDS), []), str(rep / "practices")]
        name = "grep -rliw (no rg)"
    grep = bench.time_cmd(base, ok=(0, 1))  # rg/grep exit 1 when nothing matches
    rows.append(Row(f"ask end to end ({label})", ask, name, grep, ""))
    if with_catchup:
        notes = sorted((rep / "practices").glob("*.md"))
        # Ten files spread over the repertoire, as partners' edits are (the 10x replica sorts
        # ten copies of one note together, so "the first ten" would be one small file).
        catch = _catch_up(bench, rep, [[notes[(r * 10 + k) * 97 % len(notes)] for k in range(10)] for r in range(3)])
        rows.append(Row(f"catch up after 10 changed files ({label})", catch, "", None, "< 0.3 s", catch < 0.3))
        if label == "corpus":  # the worst case, for scale: the cost follows the text changed
            largest = sorted(notes, key=lambda f: f.stat().st_size, reverse=True)[:30]
            size = sum(f.stat().st_size for f in largest[:10]) / 1e6
            catch = _catch_up(bench, rep, [largest[r * 10: r * 10 + 10] for r in range(3)])
            rows.append(Row(f"catch up after the 10 largest notes change ({size:.1f} MB, {label})", catch, "", None, ""))
    return rows


def _catch_up(bench: Bench, rep: Path, rounds: list[list[Path]]) -> float:
    """Median in-process time of `copart index` after each round of edits is committed."""
    times = []
    for round_, files in enumerate(rounds):
        for f in files:
            with open(f, "a", encoding="utf-8") as fh:
                fh.write(f"\nbench edit {round_}\n")
        subprocess.run(["git", "commit", "-q", "-am", f"bench edit {round_}"], cwd=rep, env=bench.env, check=True)
        times.append(_copart_json(bench, rep, "index")["seconds"])
    return statistics.median(times)


def rows(bench: Bench) -> list[Row]:
    out: list[Row] = []
    rep = _repertoire(bench, "rep-corpus", bench.corpus)
    out += _rows_for(bench, "corpus", rep, 1.3, with_catchup=True)
    if os.environ.get("COPART_BENCH_SEARCH_SCALE", "10") != "1":
        rep10 = _repertoire(bench, "rep-corpus10x", bench.replica)
        out += _rows_for(bench, "10x", rep10, 1.6, with_catchup=True)
    return out
