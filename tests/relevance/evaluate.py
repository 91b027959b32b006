"""Ranking quality of `copart ask` on the judged set: MRR@10 and recall@5.

    python3 tests/relevance/evaluate.py            # sample + corpus (imports the corpus once)
    python3 tests/relevance/evaluate.py sample     # only the sample repertoire (seconds)

Recall@5 here is the share of a question's relevant entries found in the top 5 (averaged
over questions); MRR@10 uses the rank of the first relevant entry (0 if not in the top 10).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _env() -> dict:
    env = dict(os.environ)
    for k, v in (("GIT_AUTHOR_NAME", "judge"), ("GIT_AUTHOR_EMAIL", "judge@example.org"),
                 ("GIT_COMMITTER_NAME", "judge"), ("GIT_COMMITTER_EMAIL", "judge@example.org")):
        env.setdefault(k, v)
    return env


def copart(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "copart_cli", *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, check=True)


def score(rep: Path, items: list[dict], key: str) -> list[dict]:
    rows = []
    for item in items:
        out = json.loads(copart("ask", item["q"], "--limit", "10", "--json", cwd=rep).stdout)
        got = [(r["id"] if key == "ids" else r.get("source")) for r in out["results"]]
        relevant = set(item[key])
        rank = next((i for i, g in enumerate(got[:10], 1) if g in relevant), None)
        recall = len(relevant & set(got[:5])) / min(len(relevant), 5)
        rows.append({"q": item["q"], "rank": rank, "rr": 1 / rank if rank else 0.0, "recall5": recall})
    return rows


def evaluate(which: str = "all", workdir: Path | None = None) -> dict:
    judged = yaml.safe_load((HERE / "judged.yaml").read_text())
    base = Path(workdir or tempfile.mkdtemp(prefix="copart-relevance-"))
    rows: list[dict] = []
    sample = base / "sample"
    if not sample.exists():
        copart("init", str(sample), "--example")
    rows += score(sample, judged["sample"], "ids")
    if which != "sample":
        corpus = base / "corpus"
        if not corpus.exists():
            copart("init", str(corpus), "--name", "Corpus")
            copart("import", str(CORPUS), cwd=corpus)
        rows += score(corpus, judged["corpus"], "sources")
    n = len(rows)
    return {"questions": n, "mrr@10": sum(r["rr"] for r in rows) / n,
            "recall@5": sum(r["recall5"] for r in rows) / n, "rows": rows}


def main(argv: list[str]) -> int:
    result = evaluate(argv[0] if argv else "all")
    for r in result["rows"]:
        print(f"{r['rank'] or '-':>3}  recall@5 {r['recall5']:.2f}  {r['q']}")
    print(f"\n{result['questions']} questions  MRR@10 {result['mrr@10']:.3f}  recall@5 {result['recall@5']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
