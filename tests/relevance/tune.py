"""Choose ask's ranking parameters on the DEVELOPMENT questions only (README.md beside this file).

    python3 tests/relevance/tune.py WORKDIR [grid]   # WORKDIR keeps the sample and corpus repertoires

It asks every dev question in-process (the ask service, not the CLI: a grid of settings in
minutes) and prints dev MRR@10, R@5 and declines for each setting. Held-out questions are
never loaded here, so nothing can be fitted to them.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from copart_cli.adapters.index import scoring, sections  # noqa: E402
from copart_cli.services import ask as ask_service  # noqa: E402
from copart_cli.services.repertoire import Repertoire  # noqa: E402
from tests.relevance.evaluate import GOOD, judge, load, repertoire, scores  # noqa: E402


def dev_questions():
    return [q for q in load() if q.split == "dev"]


def run(reps: dict[str, Repertoire], questions) -> list[dict]:
    rows = []
    for q in questions:
        r = ask_service.ask(reps[q.where], q.q, limit=10)
        got = [(x.entry.id if q.where == "sample" else str(x.entry.meta.get("source") or "")) for x in r.results]
        rows.append(judge("copart", q, got, not r.answered or not got))
    return rows


def summary(rows: list[dict]) -> str:
    good = scores([r for r in rows if r["kind"] in GOOD])
    off = scores([r for r in rows if r["kind"] == "offtopic"])
    kinds = " ".join(f"{k}={scores([r for r in rows if r['kind'] == k])['mrr@10']:.3f}" for k in GOOD)
    return (f"MRR {good['mrr@10']:.3f} R@5 {good['recall@5']:.3f} good-declined {good['declined']}/{good['n']} "
            f"off-declined {off['declined']}/{off['n']}  {kinds}")


def setting(k1, wt, wto, wta, bb, bt, sw, sb, sh, strength, cut=0.3):
    scoring.PARAMS = scoring.Params(k1=k1, weights={"title": wt, "topics": wto, "tags": wta, "body": 1.0},
                                    b={"title": bt, "topics": bt, "tags": bt, "body": bb})
    sections.SECTION_PARAMS = dataclasses.replace(sections.SECTION_PARAMS, weight=sw, b=sb, heading=sh, k1=k1)
    ask_service.ANSWER_STRENGTH = strength
    ask_service.RESULT_CUT = cut


GRIDS = {
    "fields": dict(k1=[1.2], wt=[1.0, 2.0, 3.0, 5.0], wto=[1.0, 2.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.0],
                   sb=[0.5], sh=[2.0], strength=[0.0]),
    "bm25": dict(k1=[0.9, 1.2, 1.6], wt=[5.0, 8.0], wto=[1.0], wta=[1.0], bb=[0.5, 0.75, 0.9], bt=[0.5], sw=[0.0],
                 sb=[0.5], sh=[2.0], strength=[0.0]),
    "bm25b": dict(k1=[2.0, 3.0], wt=[8.0, 12.0], wto=[1.0, 3.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.0],
                  sb=[0.5], sh=[2.0], strength=[0.0]),
    "bm25c": dict(k1=[3.0, 5.0], wt=[12.0, 20.0], wto=[1.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.0],
                  sb=[0.5], sh=[2.0], strength=[0.0]),
    "sections": dict(k1=[3.0], wt=[12.0], wto=[1.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.25, 0.5, 1.0],
                     sb=[0.3, 0.6], sh=[1.0, 3.0], strength=[0.0]),
    "decline": dict(k1=[3.0], wt=[12.0], wto=[1.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.5], sb=[0.6], sh=[3.0],
                    strength=[0.23], cut=[0.0, 0.2, 0.3, 0.5]),
    "sections2": dict(k1=[3.0], wt=[12.0], wto=[1.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.25, 0.5], sb=[0.6, 0.8],
                      sh=[1.0, 3.0], strength=[0.23], cut=[0.3]),
    "chosen": dict(k1=[3.0], wt=[12.0], wto=[1.0], wta=[1.0], bb=[0.75], bt=[0.5], sw=[0.25], sb=[0.6], sh=[3.0],
                   strength=[0.23], cut=[0.3]),
}


def strengths(reps: dict[str, Repertoire], questions) -> int:
    """Each dev question's best strength (ask's decline measure), sorted: where to draw the line."""
    ask_service.ANSWER_STRENGTH = ask_service.ANSWER_FIT = 0.0
    out = []
    for q in questions:
        r = ask_service.ask(reps[q.where], q.q, limit=10)
        out.append((r.strength, r.fit, q.kind, q.q[:70]))
    for strength, fit, kind, text in sorted(out):
        print(f"{strength:6.3f} {fit:6.3f} {kind:<9} {text}")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    base = Path(argv[0])
    base.mkdir(parents=True, exist_ok=True)
    questions = dev_questions()
    reps = {w: Repertoire.locate(str(repertoire(base, w))) for w in ("sample", "corpus")}
    if len(argv) > 1 and argv[1] == "strengths":
        return strengths(reps, questions)
    grid = GRIDS[argv[1] if len(argv) > 1 else "fields"]
    names = list(grid)
    for values in itertools.product(*grid.values()):
        t0 = time.perf_counter()
        setting(*values)
        rows = run(reps, questions)
        label = " ".join(f"{n}={v}" for n, v in zip(names, values))
        print(f"{label}  {summary(rows)}  ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
