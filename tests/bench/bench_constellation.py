"""The constellation (issue 15): `ask --constellation` against one community holding every entry.

Rows:
- the same question asked of one community holding COMMUNITIES x SIZE entries (real
  Markdown, tests/data/corpus and its replicas, imported) and of COMMUNITIES communities its
  entry files are dealt into: the results must be identical (one global idf): the same
  scores in the same order, the same entries wherever a score is not shared by identical
  replicas, and the constellation's end to end time within 2x the single `ask`;
- 100 small communities (10 entries each): `ask --constellation` under 1 s.

COPART_BENCH_CONSTELLATION="20x1000" (the default) sets COMMUNITIES x SIZE; a small run:
COPART_BENCH_CONSTELLATION=4x50 COPART_BENCH_CONSTELLATION_SMALL=10 python3 tests/bench/run.py constellation
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

from run import Bench, Row

from tests.conftest import corpus_stream

QUESTION = "how do we onboard a new engineer?"


def _community(bench: Bench, name: str, files: list[tuple[str, bytes]]) -> Path:
    source = bench.scratch / f"src-{name}"
    for rel, data in files:
        path = source / rel.replace("/", "__")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    rep = bench.scratch / name
    subprocess.run(bench.copart("init", str(rep), "--name", name), env=bench.env, check=True, capture_output=True)
    subprocess.run(bench.copart("import", str(source)), cwd=rep, env=bench.env, check=True, capture_output=True)
    _rebuilt(bench, rep)
    return rep


def _rebuilt(bench: Bench, rep: Path) -> None:
    # rebuilt: an index updated in place counts its deleted documents in N, as whoosh does
    subprocess.run(bench.copart("index", "--rebuild"), cwd=rep, env=bench.env, check=True, capture_output=True)


def _split(bench: Bench, whole: Path, count: int) -> list[Path]:
    """WHOLE's entry files dealt into COUNT communities: together they hold exactly what it holds."""
    folders = ("practices", "stories", "asks", "answers", "members")
    files = sorted(p for p in whole.glob("*/*.md") if p.parent.name in folders)
    parts = []
    for i in range(count):
        rep = bench.scratch / f"c{i:03d}"
        subprocess.run(bench.copart("init", str(rep), "--name", rep.name), env=bench.env, check=True,
                       capture_output=True)
        for f in files[i::count]:
            (rep / f.parent.name).mkdir(exist_ok=True)
            shutil.copyfile(f, rep / f.parent.name / f.name)
        subprocess.run(["git", "add", "-A"], cwd=rep, env=bench.env, check=True, capture_output=True)
        subprocess.run(["git", "commit", "-qm", "split"], cwd=rep, env=bench.env, check=True, capture_output=True)
        _rebuilt(bench, rep)
        parts.append(rep)
    return parts


def _ids(bench: Bench, *args: str, cwd: Path | None = None) -> list[tuple[float, str]]:
    out = subprocess.run(bench.copart("ask", QUESTION, "--limit", "10", "--json", *args), cwd=cwd, env=bench.env,
                         check=True, capture_output=True, text=True).stdout
    return [(round(r["score"], 3), r["id"]) for r in json.loads(out)["results"]]


def rows(bench: Bench) -> list[Row]:
    count, size = (int(x) for x in os.environ.get("COPART_BENCH_CONSTELLATION", "20x1000").split("x"))
    small = int(os.environ.get("COPART_BENCH_CONSTELLATION_SMALL", "100"))
    bench.env["XDG_CONFIG_HOME"] = str(bench.scratch / "config")  # a registry of the bench's own
    bench.env["XDG_DATA_HOME"] = str(bench.scratch / "data")
    whole = _community(bench, "whole", list(itertools.islice(corpus_stream(), count * size)))
    parts = _split(bench, whole, count)
    for rep in parts:
        subprocess.run(bench.copart("constellation", "add", rep.name, str(rep)), env=bench.env, check=True,
                       capture_output=True)
    got, want = _ids(bench, "--constellation"), _ids(bench, cwd=whole)
    # the same scores in the same order, and the same entry wherever a score is not shared
    # (the corpus replicas are identical files: which copies fill a run of equal scores is a tie)
    unique = {sc for sc, _ in want if [x for x, _ in want].count(sc) == 1}
    same = [sc for sc, _ in got] == [sc for sc, _ in want] and \
        [e for e in got if e[0] in unique] == [e for e in want if e[0] in unique]
    if not same:
        print(f"constellation: {got}\none community: {want}")
    one = bench.time_cmd(bench.copart("ask", QUESTION), cwd=whole)
    many = bench.time_cmd(bench.copart("ask", QUESTION, "--constellation"))
    out = [Row(f"ask --constellation, {count} x {size}: same ranking as one community", float(same), "", None,
               "identical", same, unit="bool"),
           Row(f"ask --constellation, {count} x {size} entries", many, "one ask over them all", one, "<= 2x",
               many <= 2 * one)]
    names = [f"s{i:03d}" for i in range(small)]
    stream = corpus_stream()
    for name in names:
        rep = _community(bench, name, list(itertools.islice(stream, 10)))
        subprocess.run(bench.copart("constellation", "add", name, str(rep)), env=bench.env, check=True,
                       capture_output=True)
    t = bench.time_cmd(bench.copart("ask", QUESTION, "--in", ",".join(names)))
    out.append(Row(f"ask --in {small} small communities", t, "", None, "< 1 s", t < 1.0))
    return out
