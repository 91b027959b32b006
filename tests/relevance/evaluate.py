"""Ranking quality of `copart ask` on the judged questions, beside two plain baselines.

    python3 tests/relevance/evaluate.py            # sample + corpus; copart, FTS5, BM25: one table
    python3 tests/relevance/evaluate.py sample     # only the sample repertoire (seconds)
    python3 tests/relevance/evaluate.py -v         # and one line per dev question and system

The questions, their kinds and their dev/heldout split are in judged.yaml; README.md beside
this file says how they were made and why nothing may be tuned on the held-out half.

Every system ranks the same entries: those `copart ask` can answer with (the repertoire's
entry files, without member profiles and open asks), read from the same repertoire.
- copart: `copart ask QUESTION --limit 10 --json` (the real CLI); `answered: false` is a decline;
- FTS5: SQLite's full-text index (stdlib sqlite3), porter tokenizer, the question's words
  OR-ed, ranked by bm25() with the title weighted x5; it declines only when nothing matches;
- BM25: plain BM25 over title + body with the `bm25s` package (English stop words, Snowball
  stemmer from PyStemmer when installed). It is installed only for the bench
  (`pip install bm25s PyStemmer`); without it the column is left out.

MRR@10 uses the rank of the first relevant entry (0 if not in the top 10, or declined);
R@5 is the share of a question's relevant entries in the top 5 (of at most 5), averaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
KINDS = ("short", "sentence", "typo", "vague", "offtopic")
SPLITS = ("dev", "heldout")
SYSTEMS = ("copart", "fts5", "bm25")
ENTRY_FOLDERS = ("stories", "practices", "asks", "answers")  # what `ask` answers with (no members)


@dataclass(frozen=True)
class Question:
    q: str
    kind: str
    split: str
    where: str  # "sample" or "corpus": the repertoire it is asked of
    relevant: frozenset[str]  # sample ids or corpus sources; empty for off-topic questions

    @property
    def answerable(self) -> bool:
        return self.kind != "offtopic"


def split_rule(q: str, kind: str) -> str:
    """The fixed dev/heldout rule (README.md). The short questions were judged before the
    split existed and copart was tuned on them, so they can only be development questions."""
    if kind == "short":
        return "dev"
    return "dev" if hashlib.sha256(q.encode("utf-8")).digest()[0] % 2 == 0 else "heldout"


def load(path: Path = HERE / "judged.yaml") -> list[Question]:
    judged = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(item["q"], item["kind"], item["split"], where,
                     frozenset(item.get("ids" if where == "sample" else "sources") or ()))
            for where in ("sample", "corpus") for item in judged.get(where) or ()]


# -- the repertoires -------------------------------------------------------------------


def _env() -> dict:
    env = dict(os.environ)
    for k, v in (("GIT_AUTHOR_NAME", "judge"), ("GIT_AUTHOR_EMAIL", "judge@example.org"),
                 ("GIT_COMMITTER_NAME", "judge"), ("GIT_COMMITTER_EMAIL", "judge@example.org")):
        env.setdefault(k, v)
    return env


def copart(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "copart_cli", *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True)
    if proc.returncode:
        raise RuntimeError(f"copart {' '.join(args[:2])} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return proc


def repertoire(base: Path, where: str) -> Path:
    """The sample (`init --example`) or the corpus imported into a new repertoire, made once."""
    rep = base / where
    if not rep.exists():
        if where == "sample":
            copart("init", str(rep), "--example")
        else:
            copart("init", str(rep), "--name", "Corpus")
            copart("import", str(CORPUS), cwd=rep)
    return rep


@dataclass
class Doc:
    key: str  # what judged.yaml names it by: the id (sample) or the source (corpus)
    title: str
    text: str  # body, topics and tags


_FM = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def entries(rep: Path, where: str) -> tuple[list[Doc], set[str]]:
    """The entries `ask` answers with, read the plain way (no copart code), and the keys of
    all entries (an open ask is an entry but not an answer)."""
    docs, keys = [], set()
    for folder in ENTRY_FOLDERS:
        for path in sorted((rep / folder).glob("*.md")):
            text = path.read_text(encoding="utf-8", errors="replace")
            m = _FM.match(text)
            try:
                meta = (yaml.load(m.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if m else {}) or {}
            except yaml.YAMLError:
                meta = {}  # copart indexes such a file as text too
            key = str(meta.get("id") or path.stem) if where == "sample" else str(meta.get("source") or "")
            keys.add(key)
            if folder == "asks" and meta.get("status", "open") == "open":
                continue
            extra = " ".join(str(x) for k in ("topics", "tags") for x in (meta.get(k) or []))
            docs.append(Doc(key, str(meta.get("title") or path.stem), text[m.end():] + "\n" + extra if m else text))
    return docs, keys


# -- the systems -----------------------------------------------------------------------


def ask_copart(rep: Path, q: Question) -> tuple[list[str], bool]:
    out = json.loads(copart("ask", q.q, "--limit", "10", "--json", cwd=rep).stdout)
    key = "id" if q.where == "sample" else "source"
    got = [r.get(key) or "" for r in out["results"]]
    return got, not out["answered"] or not got


class Fts5:
    """SQLite FTS5, porter stemming, the question's words OR-ed, bm25() with title x5."""

    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE d USING fts5(title, body, tokenize='porter unicode61')")
        self.db.executemany("INSERT INTO d(rowid, title, body) VALUES (?, ?, ?)",
                            ((i, d.title, d.text) for i, d in enumerate(docs)))

    def search(self, text: str, k: int = 10) -> list[str]:
        words = re.findall(r"\w+", text.lower())
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        rows = self.db.execute("SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d, 5.0, 1.0) LIMIT ?", (match, k))
        return [self.docs[i].key for (i,) in rows]


class Bm25:
    """Plain BM25 (bm25s defaults) over title + body; check Bm25.available() first."""

    def __init__(self, docs: list[Doc]):
        import bm25s  # only the bench installs it: Bm25.available() is checked first

        try:
            import Stemmer

            self.stemmer = Stemmer.Stemmer("english")
        except ImportError:
            self.stemmer = None
        self.bm25s = bm25s
        self.docs = docs
        tokens = bm25s.tokenize([f"{d.title}\n{d.text}" for d in docs], stopwords="en", stemmer=self.stemmer,
                                show_progress=False)
        self.index = bm25s.BM25()
        self.index.index(tokens, show_progress=False)

    @staticmethod
    def available() -> bool:
        try:
            import bm25s  # noqa: F401
        except ImportError:
            return False
        return True

    def search(self, text: str, k: int = 10) -> list[str]:
        query = self.bm25s.tokenize([text], stopwords="en", stemmer=self.stemmer, return_ids=False,
                                    show_progress=False)
        if not query[0]:
            return []
        found, scores = self.index.retrieve(query, k=min(k, len(self.docs)), show_progress=False)
        return [self.docs[i].key for i, s in zip(found[0], scores[0]) if s > 0]


# -- judging ---------------------------------------------------------------------------


def judge(system: str, q: Question, got: list[str], declined: bool) -> dict:
    rank = None if declined else next((i for i, g in enumerate(got[:10], 1) if g in q.relevant), None)
    recall = 0.0
    if q.answerable and not declined:
        recall = len(q.relevant & set(got[:5])) / min(len(q.relevant), 5)
    return {"system": system, "q": q.q, "kind": q.kind, "split": q.split, "where": q.where, "rank": rank,
            "rr": 1 / rank if rank else 0.0, "recall5": recall, "declined": declined, "top": got[:3]}


@dataclass
class Evaluation:
    questions: list[Question]
    systems: list[str]
    rows: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # judged entries the repertoire lacks
    notes: list[str] = field(default_factory=list)

    def of(self, system: str, split: str | None = None, kinds: tuple[str, ...] = KINDS) -> list[dict]:
        return [r for r in self.rows if r["system"] == system and r["kind"] in kinds
                and (split is None or r["split"] == split)]


def evaluate(which: str = "all", workdir: Path | None = None, systems: tuple[str, ...] = ("copart",),
             kinds: tuple[str, ...] = KINDS) -> Evaluation:
    """Ask every judged question (of `which`: sample, corpus or all) of every system."""
    base = Path(workdir or tempfile.mkdtemp(prefix="copart-relevance-"))
    base.mkdir(parents=True, exist_ok=True)
    questions = [q for q in load() if q.kind in kinds and which in ("all", q.where)]
    result = Evaluation(questions, [s for s in systems if s != "bm25" or Bm25.available()])
    if "bm25" in systems and "bm25" not in result.systems:
        result.notes.append("BM25 left out: bm25s is not installed (pip install bm25s PyStemmer)")
    for where in ("sample", "corpus"):
        asked = [q for q in questions if q.where == where]
        if not asked:
            continue
        rep = repertoire(base, where)
        docs, keys = entries(rep, where)
        result.missing += sorted({k for q in asked for k in q.relevant} - keys)
        others = {s: (Fts5 if s == "fts5" else Bm25)(docs) for s in result.systems if s != "copart"}
        for q in asked:
            if "copart" in result.systems:
                result.rows.append(judge("copart", q, *ask_copart(rep, q)))
            for name, engine in others.items():
                got = engine.search(q.q)
                result.rows.append(judge(name, q, got, not got))
    return result


def scores(rows: list[dict]) -> dict:
    """MRR@10 and R@5 over the answerable rows; declines counted over all rows."""
    good = [r for r in rows if r["kind"] != "offtopic"]
    n = len(good)
    return {"n": len(rows), "mrr@10": sum(r["rr"] for r in good) / n if n else None,
            "recall@5": sum(r["recall5"] for r in good) / n if n else None,
            "declined": sum(r["declined"] for r in rows)}


# -- the table -------------------------------------------------------------------------

GOOD = tuple(k for k in KINDS if k != "offtopic")


def table(result: Evaluation) -> list[tuple[str, str, dict]]:
    """(split, kind, {system: scores}) rows: each kind, all answerable kinds, off-topic."""
    out = []
    for split in (*SPLITS, None):
        present = [k for k in KINDS if any(q.kind == k and split in (None, q.split) for q in result.questions)]
        groups = [(k, (k,)) for k in present if k != "offtopic"]
        if len([k for k in present if k != "offtopic"]) > 1:
            groups.append(("answerable", GOOD))
        if "offtopic" in present:
            groups.append(("offtopic", ("offtopic",)))
        for label, kinds in groups:
            out.append((split or "all", label, {s: scores(result.of(s, split, kinds)) for s in result.systems}))
    return out


def _cell(s: dict, offtopic: bool) -> str:
    declined = f"{s['declined']}/{s['n']}"
    if offtopic:
        return f"{'-':>5} {'-':>5} {declined:>6}"
    return f"{s['mrr@10']:5.3f} {s['recall@5']:5.3f} {declined:>6}"


def render(result: Evaluation) -> str:
    n = len(result.questions)
    dev = sum(q.split == "dev" for q in result.questions)
    lines = [f"relevance: {n} judged questions (dev {dev}, heldout {n - dev}); every system ranks the same entries",
             f"{'split':<8} {'kind':<11} {'n':>3}  " + "  ".join(f"{s:<18}" for s in result.systems),
             f"{'':<8} {'':<11} {'':>3}  " + "  ".join(f"{'MRR':>5} {'R@5':>5} {'decl':>6}" for _ in result.systems)]
    for split, kind, by in table(result):
        first = next(iter(by.values()))
        lines.append(f"{split:<8} {kind:<11} {first['n']:>3}  "
                     + "  ".join(_cell(by[s], kind == "offtopic") for s in result.systems))
    lines += ["MRR = MRR@10; R@5 = share of a question's answers in the top 5; decl = questions declined",
              "(right for offtopic, a false decline otherwise). FTS5: porter, title x5. BM25: bm25s,",
              "English stop words, Snowball stemmer. FTS5 and BM25 decline only when no word matches."]
    lines += result.notes
    if result.missing:
        lines.append(f"judged entries missing from the repertoire: {', '.join(result.missing)}")
    return "\n".join(lines)


def per_question(result: Evaluation) -> str:
    """One line per dev question and system, with the first result when it is not an answer.
    Held-out questions are not listed one by one: they are for reporting, not for tuning."""
    lines = []
    for r in result.rows:
        if r["split"] != "dev":
            continue
        mark = "declined" if r["declined"] else f"{r['rank'] or '-':>3} R@5 {r['recall5']:.2f}"
        first = f"  [1: {r['top'][0]}]" if r["top"] and r["rank"] != 1 and r["kind"] != "offtopic" else ""
        lines.append(f"{r['system']:<6} {r['kind']:<8} {mark:<12} {r['q']}{first}")
    lines.append("(held-out questions are not listed one by one: never tune on them)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    which = args[0] if args else "all"
    if which not in ("all", "sample", "corpus"):
        print("usage: evaluate.py [all|sample|corpus] [-v]", file=sys.stderr)
        return 2
    notes = []
    if which != "sample" and not CORPUS.is_dir():
        if which == "corpus":
            print(f"evaluate.py: no corpus at {CORPUS}", file=sys.stderr)
            return 1
        which, notes = "sample", [f"corpus half skipped: no corpus at {CORPUS}"]
    result = evaluate(which, systems=SYSTEMS)
    result.notes += notes
    if verbose:
        print(per_question(result) + "\n")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
