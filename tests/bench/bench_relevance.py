"""Relevance: `copart ask` beside SQLite FTS5 and plain BM25 on the judged questions.

Prints the whole table of tests/relevance/evaluate.py (rows per split and kind, a column per
system) as it runs, then returns the rows issue 13 sets targets for, all on the held-out
half (never tuned on): MRR@10 and R@5 of copart against the better baseline (>= 1x), the
share of off-topic questions declined (>= 80 %) and of good questions declined (<= 5 %).
Needs ../shared/corpus; BM25 needs `pip install bm25s PyStemmer` (its rows are left out
without it).
"""

from __future__ import annotations

import sys

from run import ROOT, Bench, Row

sys.path.insert(0, str(ROOT))
from tests.relevance.evaluate import GOOD, SYSTEMS, evaluate, render, scores  # noqa: E402


def rows(bench: Bench) -> list[Row]:
    result = evaluate("all", bench.scratch / "relevance", systems=SYSTEMS)
    print(render(result) + "\n", flush=True)
    held = {s: scores(result.of(s, "heldout", GOOD)) for s in result.systems}
    out = []
    for metric, label in (("mrr@10", "MRR@10"), ("recall@5", "R@5")):
        for base in (s for s in result.systems if s != "copart"):
            mine, theirs = held["copart"][metric] * 100, held[base][metric] * 100
            out.append(Row(f"held-out {label} (%), answerable questions", mine, base, theirs, ">= 1x",
                           mine >= theirs, unit="%"))
    off = scores(result.of("copart", "heldout", ("offtopic",)))
    declined = 100 * off["declined"] / off["n"]
    out.append(Row(f"held-out off-topic questions declined ({off['n']})", declined, target=">= 80 %",
                   ok=declined >= 80, unit="%"))
    good = held["copart"]
    false = 100 * good["declined"] / good["n"]
    out.append(Row(f"held-out good questions declined ({good['n']})", false, target="<= 5 %", ok=false <= 5,
                   unit="%"))
    return out
