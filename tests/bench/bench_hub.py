"""Signed membership and one hub at scale: 1,000 member profiles with keys, 10,000 commits of
history on main, then 100 signed commits that each edit one profile.

- `copart verify` judges every commit by the roster on its first parent (100 distinct rosters
  of 1,000 profiles); baseline: the `git log %G?` that checks the same signatures, alone, which
  verify cannot do without. Reading the rosters must cost little beside it.
- The hub's pre-receive hook, the way git runs it: one signed commit on main; a push of the
  100 commits (each changes the roster: the hook must not read the roster again per commit,
  so each commit beyond the first costs what git's signature check of it costs); a new contribution branch.
- An idle `copart sync` of a partner's clone against that hub (nothing new either way);
  baseline: the `git fetch` it makes.
COPART_BENCH_HISTORY sets the 10,000.
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import time

from run import Bench, Row

PROFILES = 1000
EDITS = 100
HISTORY = int(os.environ.get("COPART_BENCH_HISTORY", "10000"))
ZERO = "0" * 40


def _fake_key() -> str:
    """A well-formed ssh-ed25519 public key nobody holds the private half of."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + os.urandom(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def _history(rep, env) -> None:
    """HISTORY commits on main, one line of a log each, in one `git fast-import`."""
    head = subprocess.run(["git", "rev-parse", "main"], cwd=rep, capture_output=True, text=True).stdout.strip()
    chunks = []
    for n in range(HISTORY):
        data = f"{n}\n"
        message = f"log {n}\n"
        chunks.append(f"commit refs/heads/main\ncommitter Old <old@example.org> {1600000000 + n} +0000\n"
                      f"data {len(message)}\n{message}" + (f"from {head}\n" if n == 0 else "")
                      + f"M 100644 inline history.txt\ndata {len(data)}\n{data}\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=rep, input="".join(chunks).encode(), env=env, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=rep, env=env, check=True)


def _community(bench: Bench):
    rep = bench.scratch / "signed-1000"
    run = lambda *a: subprocess.run(a, cwd=rep, env=bench.env, check=True, capture_output=True)  # noqa: E731
    subprocess.run(bench.copart("init", str(rep), "--name", "Big"), env=bench.env, check=True, capture_output=True)
    _history(rep, bench.env)
    key = bench.scratch / "coord_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, capture_output=True)
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    members = rep / "members"
    (members / "coord.md").write_text(f"---\nid: coord\nkind: member\nname: Coord\nemail: bench@example.org\n"
                                      f"roles: [coordinator]\nssh_keys: [\"{public}\"]\n---\n")
    for n in range(PROFILES):
        (members / f"m{n:04d}.md").write_text(f"---\nid: m{n:04d}\nkind: member\nname: Member {n}\n"
                                              f"expertise: [topic-{n % 50}]\nssh_keys: [\"{_fake_key()}\"]\n---\n")
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(key)), ("commit.gpgsign", "true")):
        run("git", "config", k, v)
    run("git", "add", "-A")
    run("git", "commit", "-qm", "the members")
    first = run("git", "rev-parse", "HEAD").stdout.decode().strip()
    for n in range(EDITS):
        profile = members / f"m{n:04d}.md"
        profile.write_text(profile.read_text().replace("expertise: [", "expertise: [edited, "))
        run("git", "commit", "-qam", f"edit m{n:04d}")
    return rep, first


def _contribution(rep, env) -> str:
    """A contribution of coord's (signed, with its trailers) on top of main."""
    message = "story: add a-stall\n\nCopart-Contribution: coord/a-stall\nCopart-Version: 1\n"
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=rep, input=b"---\nid: a-stall\n---\n",
                          capture_output=True, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "mktree"], cwd=rep, capture_output=True, check=True, text=True,
                          input=f"100644 blob {blob}\ta-stall.md\n").stdout.strip()
    return subprocess.run(["git", "commit-tree", "-S", "-p", "main", tree], cwd=rep, input=message, env=env,
                          capture_output=True, check=True, text=True).stdout.strip()


def _time_hook(hook: str, hub, main: str, stdin: str, repeat: int) -> float:
    """Median wall time of the hook judging STDIN with the hub's main at MAIN (after a warm-up run)."""
    subprocess.run(["git", "update-ref", "refs/heads/main", main], cwd=hub, check=True)
    times = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        proc = subprocess.run([hook], cwd=hub, input=stdin.encode(), capture_output=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"the hook refused {stdin.strip()}: {proc.stderr.decode()[-300:]}")
    return statistics.median(times[1:])


def rows(bench: Bench) -> list[Row]:
    rep, first = _community(bench)
    signers = bench.scratch / "no-signers"
    signers.write_text("")
    baseline = bench.time_cmd(["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "log", "--format=%G?%GK",
                               f"{first}..main"], cwd=rep, repeat=3)
    verify = bench.time_cmd(bench.copart("verify", "--since", first), cwd=rep, repeat=3)
    hub = bench.scratch / "hub-1000.git"
    subprocess.run(bench.copart("hub", "init", str(hub)), cwd=rep, env=bench.env, check=True, capture_output=True)
    tip = _contribution(rep, bench.env)  # its object into the hub, as a quarantined push would have it
    subprocess.run(["git", "update-ref", "refs/heads/bench-c", tip], cwd=rep, check=True)
    subprocess.run(["git", "fetch", "-q", str(rep), "refs/heads/bench-c:refs/bench/c"], cwd=hub, check=True)
    subprocess.run(["git", "update-ref", "-d", "refs/bench/c"], cwd=hub, check=True)
    line = subprocess.run(["git", "rev-parse", "main~1", "main"], cwd=rep, capture_output=True, text=True).stdout.split()
    hook = str(hub / "hooks" / "pre-receive")
    one = _time_hook(hook, hub, line[0], f"{line[0]} {line[1]} refs/heads/main\n", bench.repeat)
    hundred = _time_hook(hook, hub, first, f"{first} {line[1]} refs/heads/main\n", bench.repeat)
    per_commit = (hundred - one) / (EDITS - 1)
    contrib = _time_hook(hook, hub, line[1], f"{ZERO} {tip} refs/heads/contrib/coord/a-stall/v1\n", bench.repeat)
    clone = bench.scratch / "partner"
    subprocess.run(bench.copart("join", str(hub), str(clone)), env=bench.env, check=True, capture_output=True)
    fetch = bench.time_cmd(["git", "fetch", "-q", "origin"], cwd=clone)
    idle = bench.time_cmd(bench.copart("sync"), cwd=clone)
    scale = f"{PROFILES} profiles, {HISTORY} commits"
    return [
        Row(f"verify, {EDITS} commits x {PROFILES} profiles", verify, "git log %G? alone", baseline, "<= 1.5x",
            verify <= 1.5 * baseline),
        Row(f"hub hook, 1 commit on main ({scale})", one, "", None, "< 1 s", one < 1.0),
        Row(f"hub hook, each more commit of a {EDITS}-commit push", per_commit, "", None, "< 0.05 s",
            per_commit < 0.05),
        Row("hub hook, a new contribution branch", contrib, "", None, "< 1 s", contrib < 1.0),
        Row(f"idle sync against that hub ({scale})", idle, "git fetch alone", fetch, "< 1.5 s", idle < 1.5),
    ]
