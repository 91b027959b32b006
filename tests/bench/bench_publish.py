"""Publishing: `copart site` on the imported corpus, `copart stats` on the 10x replica.

Targets (issue 6): the site of the real corpus (imported) in under 20 s with a search index
under 5 MB; `copart stats` on the 10x replica in under 2 s, reading git history once.

- The corpus is brought in with `copart import` when that command exists, else copied
  with a minimal frontmatter. The site is timed cold (no render cache) and warm (a rebuild
  reusing `.git/copart/site-cache.json`); baseline: markdown-it-py alone over the same files
  in one process, what any Python site generator pays at least.
- The replica (18,540 files) gets a minimal frontmatter with spread-out dates, 24 members,
  asks and answers, committed over 12 monthly commits so history has something to read;
  baseline: the one `git log --name-status` stats runs, alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from run import Bench, Row

MEMBERS = 24


def _git(bench: Bench, rep: Path, *args: str, env: dict | None = None) -> None:
    subprocess.run(["git", *args], cwd=rep, env={**bench.env, **(env or {})}, check=True, capture_output=True)


def _has_import(bench: Bench) -> bool:
    out = subprocess.run(bench.copart("--help"), env=bench.env, capture_output=True, text=True).stdout
    return " import " in out


def _front(entry_id: str, kind: str, title: str, author: str, created: str, extra: str = "") -> str:
    return (f"---\nid: {entry_id}\nkind: {kind}\ntitle: {json.dumps(title)}\nauthor: m{author}\n"
            f"created: {created}\n{extra}---\n")


def corpus_repertoire(bench: Bench) -> Path:
    rep = bench.scratch / "corpus-rep"
    subprocess.run(bench.copart("init", str(rep), "--name", "Corpus"), env=bench.env, check=True, capture_output=True)
    if _has_import(bench):
        subprocess.run(bench.copart("import", str(bench.corpus)), cwd=rep, env=bench.env, check=True,
                       capture_output=True)
        return rep
    for n, src in enumerate(sorted(bench.corpus.rglob("*.md"))):
        text = src.read_text(encoding="utf-8", errors="replace")
        entry_id = f"doc-{n}"
        (rep / "practices" / f"{entry_id}.md").write_text(
            _front(entry_id, "practice", src.stem, str(n % MEMBERS), "2025-01-01T00:00:00Z") + text, encoding="utf-8")
    _git(bench, rep, "add", "-A")
    _git(bench, rep, "commit", "-qm", "corpus")
    return rep


def replica_repertoire(bench: Bench) -> Path:
    rep = bench.scratch / "replica-rep"
    subprocess.run(bench.copart("init", str(rep), "--name", "Replica"), env=bench.env, check=True, capture_output=True)
    for m in range(MEMBERS):
        (rep / "members" / f"m{m}.md").write_text(
            _front(f"m{m}", "member", f"Member {m}", str(m), "2024-01-01T00:00:00Z",
                   f"name: Member {m}\nemail: [m{m}@example.org]\nexpertise: [t{m % 7}, t{m}]\n") + "Hello.\n",
            encoding="utf-8")
    files = sorted(bench.replica.rglob("*.md"))
    months = 12
    batch = len(files) // months + 1
    for month in range(months):
        for n in range(month * batch, min(len(files), (month + 1) * batch)):
            src = files[n]
            day = 1 + n % 28
            created = f"2025-{month + 1:02d}-{day:02d}T10:00:00Z"
            topic = src.relative_to(bench.replica).parts[1] if len(src.relative_to(bench.replica).parts) > 2 else "misc"
            if n % 40 == 0:
                folder, kind, extra = "asks", "ask", f"status: open\ntopics: [{topic}]\n"
            elif n % 40 == 1:
                folder, kind, extra = "answers", "answer", f"answers: doc-{n - 1}\naccepted: true\n"
            else:
                folder, kind = ("stories", "story") if n % 3 == 0 else ("practices", "practice")
                extra = f"topics: [{topic}]\n"
            text = src.read_text(encoding="utf-8", errors="replace")
            (rep / folder / f"doc-{n}.md").write_text(
                _front(f"doc-{n}", kind, src.stem, str(n % MEMBERS), created, extra) + text, encoding="utf-8")
        when = f"2025-{month + 1:02d}-28T12:00:00Z"
        _git(bench, rep, "add", "-A")
        _git(bench, rep, "commit", "-qm", f"month {month + 1}",
             env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    return rep


def rows(bench: Bench) -> list[Row]:
    out: list[Row] = []
    rep = corpus_repertoire(bench)
    site = bench.scratch / "corpus-site"
    t0 = time.perf_counter()
    proc = subprocess.run(bench.copart("site", str(site), "--json"), cwd=rep, env=bench.env, capture_output=True,
                          text=True)
    cold = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-500:])
    result = json.loads(proc.stdout)
    warm = bench.time_cmd(bench.copart("site", str(site)), cwd=rep, repeat=1, warmup=0)
    script = ("import sys, pathlib, markdown_it\nmd = markdown_it.MarkdownIt('commonmark', {'html': True})"
              ".enable(['table', 'strikethrough'])\n"
              "[md.render(p.read_text(errors='replace')) for p in pathlib.Path(sys.argv[1]).rglob('*.md')]")
    baseline = bench.time_cmd([sys.executable, "-c", script, str(bench.corpus)], repeat=1, warmup=0)
    mb = result["search_index_bytes"] / 1e6
    out += [
        Row(f"copart site, imported corpus ({result['pages']} pages), cold", cold,
            "markdown-it alone, 1 process", baseline, "< 20 s", cold < 20),
        Row("copart site, rebuild (render cache)", warm, "", None, "", None),
        Row("site search index size", mb, "", None, "< 5 MB", mb < 5, unit="MB"),
    ]

    rep = replica_repertoire(bench)
    stats = bench.time_cmd(bench.copart("stats", "--json"), cwd=rep)
    log = bench.time_cmd(["git", "log", "HEAD", "--no-renames", "--no-merges", "--name-status", "-z",
                          "--format=%H", "--", "stories", "practices", "members", "asks", "answers"], cwd=rep)
    stale = bench.time_cmd(bench.copart("stale", "--json"), cwd=rep)
    digest = bench.time_cmd(bench.copart("digest", "--since", "2025-06-01", "--until", "2025-07-01", "--json"),
                            cwd=rep)
    out += [
        Row("copart stats --json, 10x replica (18.5k entries)", stats, "git log --name-status alone", log,
            "< 2 s", stats < 2),
        Row("copart stale --json, 10x replica", stale, "", None, "", None),
        Row("copart digest (a month) --json, 10x replica", digest, "", None, "", None),
    ]
    return out
