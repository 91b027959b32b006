"""Signed membership: who may sign, `copart setup-signing`, `copart verify`.

The member profiles on main are the source of truth. Each key in a profile's `ssh_keys`
becomes a line of an ssh `allowed_signers` file whose principal is the member id, so git
(`%GS`, verify-commit) names the *member* who signed a commit. Policy always compares that
signer, never the author field of a commit (anybody can type any author).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from copart_cli.core import frontmatter
from copart_cli.core.errors import InvalidEntry, NotFound, UsageError
from copart_cli.core.model import KIND_FOLDERS, Entry, Kind, Member

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

MAIN = "refs/heads/main"
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


class MalformedKey(InvalidEntry):
    """A member profile lists something that is not an SSH public key."""


def parse_key(text: str) -> str:
    """'type base64' of an SSH public key line (comment dropped); ValueError if it is not one."""
    parts = str(text).split()
    if len(parts) < 2:
        raise ValueError("expected 'TYPE BASE64 [comment]'")
    kind, b64 = parts[0], parts[1]
    if kind not in KEY_TYPES:
        raise ValueError(f"unknown key type '{kind[:40]}'")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key is not valid base64") from None
    if len(blob) < 4:
        raise ValueError("the key is truncated")
    n = int.from_bytes(blob[:4], "big")
    if blob[4 : 4 + n] != kind.encode("ascii"):
        raise ValueError("the key's data does not match its type")
    return f"{kind} {b64}"


@functools.lru_cache(maxsize=65536)  # a verify over a long history meets the same keys in every roster
def fingerprint(key: str) -> str:
    """SHA256:… the way ssh-keygen and git (%GK) print it."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@dataclass
class Roster:
    """The members on main (or at any commit), as far as signing is concerned."""

    members: dict[str, Member] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)  # member id -> valid keys
    paths: dict[str, str] = field(default_factory=dict)  # member id -> profile path
    files: dict[str, str] = field(default_factory=dict)  # profile file name -> blob id, as read
    _coordinators: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def problems(self) -> list[str]:
        """Malformed keys, as "path: message"."""
        return [p for name, oid in sorted(self.files.items()) for p in _PROFILES[(name, oid)][2]]

    @property
    def coordinators(self) -> set[str]:
        if self._coordinators is None:  # a roster is read once and never changed: worked out once
            self._coordinators = {m.id for m in self.members.values() if m.is_coordinator}
        return self._coordinators

    def is_coordinator(self, member_id: str | None) -> bool:
        member = self.members.get(member_id or "")
        return bool(member and member.is_coordinator)

    def owners(self, fp: str) -> list[str]:
        """Every member whose profile lists the key with this fingerprint (more than one is a problem).
        Looked up in the profile versions that list it, not by going through every profile."""
        return sorted({_PROFILES[(name, oid)][0].id for name, oid in _HOLDERS.get(fp, ())
                       if self.files.get(name) == oid})

    def duplicates(self) -> dict[str, list[str]]:
        """fingerprint -> the members sharing it: a key in two profiles would sign for both."""
        fps = {fingerprint(key) for keys in self.keys.values() for key in keys}
        return {fp: ids for fp in fps if len(ids := self.owners(fp)) > 1}

    def duplicate_problems(self) -> list[str]:
        return [" and ".join(self.paths.get(m, m) for m in ids) + f" list the same key ({fp})"
                for fp, ids in sorted(self.duplicates().items())]

    def allowed_signers(self) -> str:
        shared = self.duplicates()
        lines = []
        for member_id in sorted(self.keys):
            for key in self.keys[member_id]:
                if fingerprint(key) not in shared:  # a shared key names nobody
                    lines.append(f'{member_id} namespaces="git" {key}')
        return "\n".join(lines) + ("\n" if lines else "")


# Parsed profiles by (file name, blob id), which of them list each key, and rosters by members/
# tree id: within one process (a verify over a long history, one hub push), each profile
# version is parsed once.
_PROFILES: dict[tuple[str, str], tuple[Member | None, list[str], list[str]]] = {}
_HOLDERS: dict[str, list[tuple[str, str]]] = {}  # key fingerprint -> (file name, blob id) listing it
_ROSTERS: dict[str, Roster] = {}


def roster_at(git, rev: str = MAIN) -> Roster:
    """The member profiles in commit (or tree) REV, main by default, read from git objects, not the work tree."""
    return rosters_at(git, [rev])[0]


def rosters_at(git, revs: list[str]) -> list[Roster]:
    """The roster at each of REVS: a handful of git calls however many commits and profiles there are."""
    from copart_cli.adapters.gitrepo import parse_tree

    folder = KIND_FOLDERS[Kind.member]
    trees = git.object_ids([f"{rev}:{folder}" for rev in revs])
    todo = [t for t in dict.fromkeys(trees) if t and t not in _ROSTERS]
    listings = {}
    for tree, raw in git.read_objects(todo).items():
        listings[tree] = [(name, oid) for mode, name, oid in parse_tree(raw)
                          if mode in ("100644", "100755") and name.endswith(".md")]
    used = {(name, oid) for files in listings.values() for name, oid in files}
    unparsed = used - _PROFILES.keys()
    if unparsed:
        cache = _ProfileCache(git)
        blobs = git.read_objects([oid for name, oid in unparsed if cache.get(name, oid) is None])
        for name, oid in unparsed:
            profile = cache.get(name, oid)
            if profile is None:
                profile = cache.put(name, oid, _profile(f"{folder}/{name}", blobs.get(oid)))
            _PROFILES[(name, oid)] = profile
            if profile[0] is not None:
                for key in profile[1]:
                    _HOLDERS.setdefault(fingerprint(key), []).append((name, oid))
        cache.save(used)
    previous = None
    for tree, files in listings.items():  # in history order: each roster is mostly the one before
        previous = _ROSTERS[tree] = _patched(previous, dict(files)) or _built(dict(files))
    return [_ROSTERS[t] if t else Roster() for t in trees]


def _built(files: dict[str, str]) -> Roster:
    roster = Roster(files=files)
    folder = KIND_FOLDERS[Kind.member]
    for name, oid in sorted(files.items()):
        member, good, _ = _PROFILES[(name, oid)]
        if member is not None:
            roster.members[member.id] = member
            roster.paths[member.id] = f"{folder}/{name}"
            if good:
                roster.keys[member.id] = good
    return roster


def _patched(base: Roster | None, files: dict[str, str]) -> Roster | None:
    """FILES' roster as BASE with the few profiles that differ swapped, or None to build it whole."""
    if base is None:
        return None
    gone, came = base.files.items() - files.items(), files.items() - base.files.items()
    if len(gone) + len(came) > 64:
        return None
    folder = KIND_FOLDERS[Kind.member]
    changed = [(name, _PROFILES[(name, oid)][0]) for name, oid in (*gone, *came)]
    if any(m is not None and base.paths.get(m.id, f"{folder}/{name}") != f"{folder}/{name}" for name, m in changed):
        return None  # one member id in two files: let the whole build decide which counts
    roster = Roster(dict(base.members), dict(base.keys), dict(base.paths), files)
    for name, oid in gone:
        member = _PROFILES[(name, oid)][0]
        if member is not None:
            for table in (roster.members, roster.keys, roster.paths):
                table.pop(member.id, None)
    for name, oid in came:
        member, good, _ = _PROFILES[(name, oid)]
        if member is not None:
            if member.id in roster.members:
                return None  # two files claim this id now
            roster.members[member.id] = member
            roster.paths[member.id] = f"{folder}/{name}"
            if good:
                roster.keys[member.id] = good
    return roster


_PROFILE_CACHE_VERSION = "1"


class _ProfileCache:
    """Profiles parsed by earlier runs, kept beside the objects they come from (.git/copart/, or
    copart/ in a bare hub): YAML is most of the cost of reading 1,000 of them. A blob never changes."""

    LIMIT = 20_000  # profile versions kept; beyond that, only those the last run used

    def __init__(self, git):
        from copart_cli.adapters.files import read_cache

        self.path = git.absolute_git_dir() / "copart" / "profiles.json"
        self.items = read_cache(self.path, _PROFILE_CACHE_VERSION)
        self.changed = False

    def get(self, name: str, oid: str) -> tuple | None:
        item = self.items.get(f"{name}/{oid}")
        try:
            return (Member(**item[0]) if item[0] else None), list(item[1]), list(item[2])
        except (TypeError, IndexError, KeyError):
            return None  # not there, or written by another copart: parse it again

    def put(self, name: str, oid: str, profile: tuple) -> tuple:
        from dataclasses import asdict

        self.items[f"{name}/{oid}"] = [asdict(profile[0]) if profile[0] else None, profile[1], profile[2]]
        self.changed = True
        return profile

    def save(self, used: set[tuple[str, str]]) -> None:
        from copart_cli.adapters.files import write_cache

        if not self.changed:
            return
        if len(self.items) > self.LIMIT:
            self.items = {k: v for k, v in self.items.items() if tuple(k.split("/", 1)) in used}
        write_cache(self.path, _PROFILE_CACHE_VERSION, self.items)


def _profile(rel: str, data: bytes | None) -> tuple[Member | None, list[str], list[str]]:
    """(member, valid keys, problems) of one profile file; (None, [], []) if it is not a member profile."""
    if data is None:
        return None, [], []
    try:
        text = data.decode("utf-8")
        parts = frontmatter.split(text, rel)
        meta = frontmatter.load(parts.frontmatter, rel)
    except (UnicodeDecodeError, InvalidEntry):
        return None, [], []
    if not isinstance(meta, dict):
        return None, [], []
    entry = Entry(path=rel, meta=meta, body=parts.body)
    if entry.kind != Kind.member.value:
        return None, [], []
    member = Member.from_entry(entry)
    good, problems = [], []
    for i, key in enumerate(member.ssh_keys, 1):
        try:
            good.append(parse_key(key))
        except ValueError as exc:
            problems.append(f"{rel}: ssh_keys item {i} is not an SSH public key ({exc})")
    return member, good, problems


def main_rev(rep: Repertoire) -> str:
    return MAIN if rep.git.rev(MAIN) else "HEAD"


def allowed_signers_file(rep: Repertoire, roster: Roster | None = None) -> Path:
    """Render .git/copart/allowed_signers from the profiles on main; returns its path."""
    from copart_cli.adapters.files import atomic_write

    roster = roster or roster_at(rep.git, main_rev(rep))
    path = rep.state_dir / "allowed_signers"
    text = roster.allowed_signers()
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != text:
        atomic_write(path, text)
    return path


# -- setup-signing ----------------------------------------------------------------


@dataclass
class SigningSetup:
    view = "review"
    member: str
    key: str  # the path git signs with
    public_key: str
    fingerprint: str
    in_profile: bool
    allowed_signers: str


def _find_key(given: str | None) -> tuple[str, str]:
    """(signing key path for git, public key text) from --key or ~/.ssh."""
    home = Path(os.path.expanduser("~"))
    candidates = [Path(given).expanduser()] if given else [
        home / ".ssh" / name for name in ("id_ed25519", "id_ecdsa", "id_rsa", "id_ed25519_sk", "id_ecdsa_sk")
    ]
    for cand in candidates:
        pub = cand if cand.suffix == ".pub" else cand.with_name(cand.name + ".pub")
        private = cand.with_suffix("") if cand.suffix == ".pub" else cand
        if not pub.is_file():
            if given:
                raise NotFound(f"no public key at {pub}", hint="make one with: ssh-keygen -t ed25519")
            continue
        try:
            public = parse_key(pub.read_text(encoding="utf-8", errors="replace"))
        except ValueError as exc:
            raise MalformedKey(f"{pub} is not an SSH public key ({exc})") from None
        signing = private if private.is_file() else pub  # a .pub alone: git asks ssh-agent to sign
        return str(signing.resolve()), public
    raise NotFound("no SSH key found in ~/.ssh", hint="make one with: ssh-keygen -t ed25519, or pass --key PATH")


def setup_signing(rep: Repertoire, key: str | None = None, member: str | None = None) -> SigningSetup:
    """Configure this clone to sign every commit with the member's SSH key (gpg.format=ssh)."""
    from copart_cli.core import ids

    git = rep.git
    identity = git.identity()
    signing_key, public = _find_key(key)
    roster = roster_at(git, main_rev(rep))
    if member:
        member_id = ids.validate(member)
    else:
        found = rep.member_for_email(identity.email)
        member_id = found.id if found else (ids.slugify(identity.name) or "unknown")
    in_profile = public in roster.keys.get(member_id, [])
    git.set_config("gpg.format", "ssh")
    git.set_config("user.signingkey", signing_key)
    git.set_config("commit.gpgsign", "true")
    path = allowed_signers_file(rep, roster)
    git.set_config("gpg.ssh.allowedSignersFile", str(path))
    return SigningSetup(member_id, signing_key, public, fingerprint(public), in_profile, str(path))


# -- verify -----------------------------------------------------------------------


@dataclass
class SignatureProblem:
    commit: str
    subject: str
    problem: str  # unsigned | unknown-key | bad-signature | wrong-member | malformed-key
    detail: str


@dataclass
class VerifyResult:
    view = "review"
    checked: int
    problems: list[SignatureProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def classify(sig: dict, roster: Roster, where: str = "on main") -> tuple[str, str] | None:
    """(problem, detail) for a commit that is not validly signed by a member of ROSTER, else None.

    The member is found by the fingerprint of the key that made a good signature (git's G, or U:
    good but not in the allowed_signers file used), so any roster can judge any commit."""
    status, fp = sig["status"], sig["key"]
    if status == "N":
        return "unsigned", "the commit is not signed"
    if status == "B":
        return "bad-signature", "the signature does not match the commit (tampered or corrupt)"
    if status not in ("G", "U") or not fp:
        return "unknown-key", f"signed with {fp or 'a key git cannot check'}, which is in no member profile {where}"
    owners = roster.owners(fp)
    if len(owners) > 1:
        return "duplicate-key", f"signed with {fp}, which is in the profiles of {' and '.join(owners)} {where}"
    if not owners:
        return "unknown-key", f"signed with {fp}, which is in no member profile {where}"
    return None


def signer(sig: dict, roster: Roster) -> str | None:
    """The one member of ROSTER whose key validly signed this commit, else None."""
    return None if classify(sig, roster) else roster.owners(sig["key"])[0]


def verify(rep: Repertoire, since: str | None = None) -> VerifyResult:
    """Every commit on main, each judged by the roster on its FIRST PARENT (the founding commit by
    its own): first-parent ones signed by a coordinator, the rest by a member, commits merged from
    a contribution by that contribution's member. A commit cannot authorise its own signer."""
    git = rep.git
    main = main_rev(rep)
    if git.rev(main) is None:
        return VerifyResult(0)
    tip_roster = roster_at(git, main)
    path = allowed_signers_file(rep, tip_roster)
    base = None
    if since:
        base = git.rev(since)
        if base is None:
            raise UsageError(f"'{since}' is not a commit here", hint="give a commit id, tag or branch")
    sigs = git.signatures(main, since=base, allowed_signers=path)
    result = VerifyResult(checked=len(sigs))
    for text in tip_roster.problems:
        result.problems.append(SignatureProblem("", "", "malformed-key", text))
    for text in tip_roster.duplicate_problems():
        result.problems.append(SignatureProblem("", "", "duplicate-key", text))
    by_commit = {s["commit"]: s for s in sigs}
    first_parent, founding = first_parent_line(git.rev(main), by_commit)
    judged_by = [s["parents"][0] if s["parents"] else s["commit"] for s in sigs]
    rosters = dict(zip(judged_by, rosters_at(git, judged_by)))
    expected_member: dict[str, str] = {}
    for s in sigs:
        if s["commit"] in first_parent and len(s["parents"]) == 2:
            contributor = _trailer(git.commit_message(s["commit"]), "Copart-Contribution")
            if contributor and "/" in contributor:
                for sha in git.commits(s["parents"][1], since=s["parents"][0]):
                    expected_member.setdefault(sha, contributor.split("/", 1)[0])
    for s in sigs:
        if s["parents"]:
            roster, where = rosters[s["parents"][0]], "on its first parent"
        elif s["commit"] == founding:
            roster, where = rosters[s["commit"]], "in the founding commit"
        else:  # a root that is not main's founding commit: nobody was a member before it
            roster, where = Roster(), "before it (a second root commit)"
        problem = classify(s, roster, where)
        if problem is None:
            who = signer(s, roster)
            if s["commit"] in first_parent and not roster.is_coordinator(who):
                problem = ("wrong-member", f"on main's first-parent line but signed by {who}, not a coordinator")
            elif s["commit"] in expected_member and who != expected_member[s["commit"]]:
                want = expected_member[s["commit"]]
                problem = ("wrong-member", f"part of {want}'s contribution but signed by {who}")
        if problem:
            result.problems.append(SignatureProblem(s["commit"], s["subject"], *problem))
    return result


def first_parent_line(tip: str, by_commit: dict[str, dict]) -> tuple[set[str], str | None]:
    """The commits of the range on main's first-parent line, and the founding commit if the range reaches it."""
    line, sha = set(), tip
    while sha in by_commit:
        line.add(sha)
        parents = by_commit[sha]["parents"]
        if not parents:
            return line, sha
        sha = parents[0]
    return line, None


def _trailer(message: str, key: str) -> str | None:
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return None
    for line in paragraphs[-1].splitlines():
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == key.lower():
            return v.strip()
    return None


def signature_key(raw_commit: bytes) -> str | None:
    """The fingerprint of the key an SSH-signed commit SAYS signed it (read, not checked), else None."""
    head = raw_commit.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    armored, inside = [], False
    for line in head.split("\n"):
        if line.startswith("gpgsig ") or line.startswith("gpgsig-sha256 "):
            inside, line = True, line.split(" ", 1)[1]
        elif not line.startswith(" "):
            inside = False
        if inside:
            armored.append(line.strip())
    if not armored or armored[0] != "-----BEGIN SSH SIGNATURE-----":
        return None
    try:
        blob = base64.b64decode("".join(a for a in armored if not a.startswith("-----")))
        if blob[:6] != b"SSHSIG":
            return None
        n = int.from_bytes(blob[10:14], "big")  # after the magic and a uint32 version: the public key
        key = blob[14:14 + n]
    except (binascii.Error, ValueError):
        return None
    if len(key) != n or not n:
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(key).digest()).decode().rstrip("=")
