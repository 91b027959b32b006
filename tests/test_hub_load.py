"""Load on one hub: N partners sync at once through a guarded copart hub on this machine.

Every partner is a member with a key and a coordinator (review: open, so each writes main and
the hub's hook judges every push). Each writes a story of their own and edits the same line
of one shared entry, then all sync at the same moment. A partner whose sync lost the race too
often (exit 3, "kept changing") syncs again, as a user would. In the end every story is on
the hub's main and every edit of the shared line survives: in the entry or in a conflict
copy. COPART_LOAD_PARTNERS sets N (default 6, CI; docs/scale.md reports 50: about 6 minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.review_helpers import keygen, person, public_key, set_frontmatter

PARTNERS = int(os.environ.get("COPART_LOAD_PARTNERS", "6"))
pytestmark = pytest.mark.timeout(max(300, 60 * PARTNERS))  # a minute per partner on a shared machine
ROUNDS = 6 + PARTNERS // 10  # a user syncs again after exit 3; a bigger crowd takes more rounds
SHARED = "stories/pricing-a-first-workshop.md"
LINE = "Fourteen people booked and eleven turned up."


def _community(world, n: int):
    judith = person(world, "judith")
    keygen(judith)
    rep = judith.init("4xp", example=True)
    set_frontmatter(rep / "members" / "jfawcett.md", "ssh_keys", f'["{public_key(judith)}"]')
    partners = []
    for i in range(n):
        p = world.partner(f"p{i:02d}", f"p{i:02d}@example.org")
        keygen(p)
        (rep / "members" / f"p{i:02d}.md").write_text(
            f"---\nid: p{i:02d}\nkind: member\nname: Partner {i}\nemail: [p{i:02d}@example.org]\n"
            f"roles: [coordinator, partner]\nssh_keys: [\"{public_key(p)}\"]\n---\nPartner {i}.\n")
        partners.append(p)
    assert judith.copart("setup-signing", cwd=rep).ok
    judith.git("add", "-A", cwd=rep)
    judith.git("commit", "-qm", f"4XP: {n} partners with keys", cwd=rep)
    hub = world.base / "hub.git"
    r = judith.copart("hub", "init", str(hub), "--remote", "origin", cwd=rep)
    assert r.ok, r
    reps = []
    for p in partners:
        dest = world.base / p.name / "4xp"
        assert p.copart("join", str(hub), str(dest)).ok
        assert p.copart("setup-signing", cwd=dest).ok
        reps.append(dest)
    return judith, rep, hub, partners, reps, judith.git("rev-parse", "main", cwd=hub).strip()


def _sync_all(pairs) -> dict[str, int]:
    procs = [(p, subprocess.Popen([sys.executable, "-m", "copart_cli", "sync", "--json"], cwd=rep, env=p.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)) for p, rep in pairs]
    codes = {}
    for p, proc in procs:
        out, err = proc.communicate(timeout=600)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 3), (p.name, err)
        codes[p.name] = proc.returncode
    return codes


def test_partners_syncing_at_once_through_a_guarded_hub_all_land(world):
    t0 = time.monotonic()
    judith, jrep, hub, partners, reps, seed = _community(world, PARTNERS)
    setup = time.monotonic() - t0
    for p, rep in zip(partners, reps):
        r = p.copart("new", "story", f"Market day of {p.name}", "--no-edit", "--body", f"Sold out, {p.name}.", cwd=rep)
        assert r.ok, r
        shared = rep / SHARED
        shared.write_text(shared.read_text().replace(LINE, f"{LINE} ({p.name} counted again.)"))
    todo = list(zip(partners, reps))
    started = time.monotonic()
    rounds = []
    for _ in range(ROUNDS):
        began = time.monotonic()
        codes = _sync_all(todo)
        rounds.append(f"{len(todo)} in {time.monotonic() - began:.0f} s")
        assert set(codes.values()) <= {0, 3}, codes  # landed, or a conflict kept / the hub kept changing
        todo = [(p, rep) for p, rep in todo if codes[p.name] != 0 or p.git("status", "--porcelain", cwd=rep)
                or p.git("rev-list", "--count", "origin/main..HEAD", cwd=rep).strip() != "0"]
        if not todo:
            break
    took = time.monotonic() - started
    assert not todo, f"still not landed after {ROUNDS} rounds ({rounds}): {[p.name for p, _ in todo]}"
    assert judith.copart("sync", cwd=jrep).ok
    files = judith.git("ls-tree", "-r", "--name-only", "main", cwd=hub).split()
    for p in partners:  # none lost
        assert f"stories/market-day-of-{p.name}.md" in files, p.name
    # both sides of every conflict kept: each partner's edit of the shared line is in the entry or a copy
    texts = [judith.git("show", f"main:{f}", cwd=hub) for f in files
             if f == SHARED or f.startswith("stories/pricing-a-first-workshop.conflict-")]
    for p in partners:
        assert any(f"({p.name} counted again.)" in t for t in texts), p.name
    # every commit main gained, sync's merges too, is signed as the hub's policy asks
    v = judith.copart("verify", "--since", seed, "--json", cwd=jrep)
    assert v.ok and v.json()["checked"] >= PARTNERS, v
    copies = sum(1 for f in files if ".conflict-" in f)
    print(f"\n{PARTNERS} partners (set up in {setup:.0f} s) landed through the guarded hub in {took:.1f} s; "
          f"partners syncing per round: {rounds}; {copies} conflict copies kept")
