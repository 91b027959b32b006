"""Sync on the 10x replica of ../shared/corpus (18,540 entries).

Rows:
- `copart sync` with nothing to do, beside a bare `git fetch` of the same remote timed in
  the same run: the target is one fetch plus at most 0.3 s of copart's own work
  (interpreter start-up included);
- `copart sync` that brings in 10 changed files and catches the search index up, beside
  `copart index --rebuild` of the same repertoire: the catch-up follows the change, not
  the repertoire (target: under a tenth of a rebuild).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from pathlib import Path

from run import Bench, Row


def _git(bench: Bench, cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=bench.env, check=True, capture_output=True, text=True).stdout


def _repertoire(bench: Bench) -> Path:
    """A repertoire holding every replica file as a practice note (plain git for the set-up)."""
    rep = bench.scratch / "sync-replica"
    subprocess.run(bench.copart("init", str(rep), "--name", "bench"), env=bench.env, check=True, capture_output=True)
    folder = rep / "practices"
    seen: set[str] = set()
    for src in sorted(bench.replica.rglob("*.md")):
        rel = src.relative_to(bench.replica).as_posix().removesuffix(".md")
        slug = re.sub(r"[^a-z0-9]+", "-", rel.lower()).strip("-")[:60].strip("-") or "note"
        base, n = slug, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        body = src.read_text(encoding="utf-8", errors="replace").replace("\n---", "\n- - -")
        if body.startswith("---"):
            body = "- - -" + body[3:]
        (folder / f"{slug}.md").write_text(
            f"---\nid: {slug}\nkind: practice\ntitle: {slug}\nauthor: bench\ncreated: 2026-01-01T00:00:00Z\n---\n{body}",
            encoding="utf-8")
    (folder / ".gitkeep").unlink(missing_ok=True)
    _git(bench, rep, "add", "-A")
    _git(bench, rep, "commit", "-q", "-m", "replica")
    return rep


def rows(bench: Bench) -> list[Row]:
    origin = _repertoire(bench)
    hub = bench.scratch / "sync-hub.git"
    _git(bench, bench.scratch, "clone", "-q", "--bare", str(origin), str(hub))
    _git(bench, origin, "remote", "add", "origin", str(hub))
    _git(bench, origin, "fetch", "-q", "origin")
    partner = bench.scratch / "sync-partner"
    subprocess.run(bench.copart("join", str(hub), str(partner)), env=bench.env, check=True, capture_output=True)
    subprocess.run(bench.copart("index"), cwd=partner, env=bench.env, check=True, capture_output=True)  # built

    fetch = bench.time_cmd(["git", "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*",
                            "+refs/copart/*:refs/copart-remote/origin/*"], cwd=partner)
    idle = bench.time_cmd(bench.copart("sync"), cwd=partner)

    files = sorted((origin / "practices").glob("*.md"))
    times, actions = [], []
    for round_ in range(bench.repeat):
        for k in range(10):
            path = files[(round_ * 10 + k) * 97 % len(files)]
            path.write_text(path.read_text(encoding="utf-8") + f"\nround {round_} change {k}\n", encoding="utf-8")
        _git(bench, origin, "commit", "-q", "-am", f"10 changes, round {round_}")
        _git(bench, origin, "push", "-q", "origin", "main")
        t0 = time.perf_counter()
        proc = subprocess.run(bench.copart("sync", "--json"), cwd=partner, env=bench.env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"sync failed: {proc.stderr[-400:]}")
        actions.append(json.loads(proc.stdout)["index"])
    catch_up = statistics.median(times)
    rebuild = bench.time_cmd(bench.copart("index", "--rebuild"), cwd=partner, repeat=1, warmup=0)
    return [
        Row("sync, nothing to do (10x replica)", idle, "git fetch", fetch, "<= fetch+0.3 s", idle - fetch <= 0.3),
        Row(f"sync bringing 10 changed files + index ({'/'.join(sorted(set(actions)))})", catch_up,
            "index --rebuild", rebuild, "< 0.1x", catch_up < 0.1 * rebuild and set(actions) == {"updated"}),
    ]
