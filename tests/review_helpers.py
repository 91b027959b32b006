"""A small signed community for the review, contribute, signing and hub tests.

Real keys (ssh-keygen), real signing (git gpg.format=ssh), a real bare hub with copart's
pre-receive hook, partners pushing over the local (file) transport.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

EMAILS = {
    "judith": ("jfawcett", "judith.fawcett@example.org"),  # coordinator in the sample
    "anjali": ("apatel", "anjali.patel@example.org"),  # partner
    "tom": ("tbrennan", "tom.brennan@example.org"),  # partner, made a coordinator where a test needs two
    "rosa": ("rlindqvist", "rosa.lindqvist@example.org"),  # partner without a key
    "mallory": ("mallory", "mallory@example.net"),  # not a member at all
}


def keygen(partner, name: str = "id_ed25519") -> Path:
    ssh = partner.home / ".ssh"
    ssh.mkdir(exist_ok=True, mode=0o700)
    key = ssh / name
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", partner.name, "-f", str(key)],
                       check=True, capture_output=True)
    return key


def public_key(partner, name: str = "id_ed25519") -> str:
    return " ".join((partner.home / ".ssh" / f"{name}.pub").read_text().split()[:2])


def set_frontmatter(path: Path, key: str, value: str) -> None:
    text = path.read_text()
    if re.search(rf"^{key}:.*$", text, re.M):
        text = re.sub(rf"^{key}:.*$", lambda m: f"{key}: {value}", text, count=1, flags=re.M)
    else:
        text = text.replace("\n---\n", f"\n{key}: {value}\n---\n", 1)
    path.write_text(text)


def person(world, who: str):
    return world.partner(who, EMAILS[who][1])


@dataclass
class Community:
    world: object
    hub: Path
    judith: object
    anjali: object
    coord_rep: Path
    partner_rep: Path

    def sync(self, partner, rep: Path):
        r = partner.copart("sync", cwd=rep)
        assert r.ok, r
        return r


def community(world, *, keys=("judith", "anjali"), coordinators=("judith",), hub: bool = True,
              hub_path: Path | None = None, url: str | None = None) -> Community:
    """judith (coordinator) founds a signed, reviewed 4XP; anjali joins through the hub
    (made at HUB_PATH, reached at URL when the test serves it over a network transport)."""
    judith = person(world, "judith")
    rep = judith.init("4xp", example=True)
    for who in keys:
        p = person(world, who)
        keygen(p)
        member_file = rep / "members" / f"{EMAILS[who][0]}.md"
        set_frontmatter(member_file, "ssh_keys", f'["{public_key(p)}"]')
    for who in coordinators:
        set_frontmatter(rep / "members" / f"{EMAILS[who][0]}.md", "roles", "[coordinator, partner]")
    (rep / "copart.yaml").write_text((rep / "copart.yaml").read_text().replace("review: open", "review: coordinators"))
    r = judith.copart("setup-signing", cwd=rep)
    assert r.ok, r
    judith.git("commit", "-qam", "4XP: members' keys, review by coordinators", cwd=rep)
    r = judith.copart("setup-signing", cwd=rep)  # again: allowed_signers now has the keys on main
    assert r.ok, r
    hub_path = hub_path or world.base / "remotes" / "hub.git"
    partner_rep = None
    if hub:
        hub_path.parent.mkdir(parents=True, exist_ok=True)  # hub init wants the folder around it to exist
        r = judith.copart("hub", "init", str(hub_path), cwd=rep)
        assert r.ok, r
        judith.git("config", "http.receivepack", "true", cwd=hub_path)  # for a hub served over smart HTTP
        judith.git("remote", "add", "origin", url or str(hub_path), cwd=rep)
        judith.git("fetch", "-q", "origin", cwd=rep)
        judith.git("branch", "-q", "--set-upstream-to=origin/main", "main", cwd=rep)
        anjali = person(world, "anjali")
        partner_rep = join(anjali, url or hub_path, world.base / "anjali" / "4xp")
    else:
        anjali = person(world, "anjali")
    return Community(world, hub_path, judith, anjali, rep, partner_rep)


def join(partner, hub: Path | str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partner.git("clone", "-q", str(hub), str(dest), cwd=dest.parent)
    if (partner.home / ".ssh" / "id_ed25519").exists():
        r = partner.copart("setup-signing", cwd=dest)
        assert r.ok, r
    return dest


def refs(partner, rep: Path, pattern: str) -> dict[str, str]:
    out = partner.git("for-each-ref", "--format=%(refname) %(objectname)", pattern, cwd=rep)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def push(partner, rep: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(["git", "push", *args], cwd=rep, capture_output=True, text=True, env=partner.env)
    return proc.returncode, proc.stderr


def refused(partner, rep: Path, hub: Path, rule: str, *args: str) -> str:
    """Push ARGS from REP and check the hub refused it by RULE with nothing let in."""
    before = refs(partner, hub, "refs/")
    code, err = push(partner, rep, *args)
    assert code != 0, err
    assert rule in err, err
    assert refs(partner, hub, "refs/") == before  # nothing got in
    return err


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def event(partner, rep: Path, kind: str, key: str, by: str, parent: str | None = None, sign: bool = True,
          tree: str = EMPTY_TREE) -> str:
    """A review event commit made by hand with git (what copart would write, or a forgery of it)."""
    message = (f"{kind} {key}\n\ntext\n\nCopart-Event: {kind}\nCopart-Contribution: {key}\nCopart-Version: 1\n"
               f"Copart-By: {by}\nCopart-At: 2026-01-01T00:00:00Z\n")
    args = ["commit-tree", tree] + (["-p", parent] if parent else []) + (["-S"] if sign else [])
    proc = subprocess.run(["git", *args], cwd=rep, input=message, capture_output=True, text=True, env=partner.env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()
