"""Signed membership at scale: 1,000 member profiles with keys, 100 commits that each edit one.

- `copart verify` judges every commit by the roster on its first parent (100 distinct rosters
  of 1,000 profiles); baseline: the `git log %G?` that checks the same signatures, alone, which
  verify cannot do without. Reading the rosters must cost little beside it.
- The hub's pre-receive hook judging one signed commit on main against those 1,000 profiles;
  target under 1 s (reading the roster one profile at a time took seconds).
"""

from __future__ import annotations

import base64
import os
import subprocess

from run import Bench, Row

PROFILES = 1000
EDITS = 100


def _fake_key() -> str:
    """A well-formed ssh-ed25519 public key nobody holds the private half of."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + os.urandom(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def _community(bench: Bench):
    rep = bench.scratch / "signed-1000"
    run = lambda *a: subprocess.run(a, cwd=rep, env=bench.env, check=True, capture_output=True)  # noqa: E731
    subprocess.run(bench.copart("init", str(rep), "--name", "Big"), env=bench.env, check=True, capture_output=True)
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


def rows(bench: Bench) -> list[Row]:
    rep, first = _community(bench)
    signers = bench.scratch / "no-signers"
    signers.write_text("")
    baseline = bench.time_cmd(["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "log", "--format=%G?%GK",
                               f"{first}..main"], cwd=rep, repeat=3)
    verify = bench.time_cmd(bench.copart("verify", "--since", first), cwd=rep, repeat=3)
    hub = bench.scratch / "hub-1000.git"
    subprocess.run(bench.copart("hub", "init", str(hub)), cwd=rep, env=bench.env, check=True, capture_output=True)
    line = subprocess.run(["git", "rev-parse", "main~1", "main"], cwd=rep, capture_output=True, text=True).stdout.split()
    hook = bench.time_cmd([str(hub / "hooks" / "pre-receive")], cwd=hub, input=f"{line[0]} {line[1]} refs/heads/main\n")
    return [
        Row(f"verify, {EDITS} commits x {PROFILES} profiles", verify, "git log %G? alone", baseline, "<= 1.5x",
            verify <= 1.5 * baseline),
        Row(f"hub hook, one commit on main, {PROFILES} profiles", hook, "", None, "< 1 s", hook < 1.0),
    ]
