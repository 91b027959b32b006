"""`copart hub init PATH` and `copart hub check PATH`: a bare hub that enforces the community's policy.

The hub is an ordinary bare git repository with receive.denyNonFastForwards and
receive.fsckObjects set, seeded with the repertoire's main, and a `pre-receive` hook
(copart_cli/hooks/pre_receive.py) that judges every ref update of every push against the
member profiles on the hub's current main; deletions only in signed pushes (push certificates).

The hook runs as whoever pushes: over ssh that is the server's account (`git`, `gitolite`),
not the person who ran `hub init`. So its first line is `#!/usr/bin/env python3` (or the
interpreter given with `--python`), it looks for copart first where `hub init` found it and
then wherever that Python finds an installed copart, and when neither imports it refuses
the push and says why (`hook-cannot-run`): closed, never open. `hub check` runs the hook's
probe (`pre-receive --check`) with the bare environment an ssh server gives it.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from copart_cli.core.errors import AlreadyExists, CheckFailed, CopartError, NotFound, UsageError

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

HOOK_MARKER = "# copart hub policy"
DEFAULT_PYTHON = "/usr/bin/env python3"
HOOK_TEMPLATE = """#!{python}
# copart hub policy, installed by `copart hub init` (see docs/review.md in copart).
# git runs it as whoever pushes (over ssh: the account that serves the hub). It judges every
# push against the member profiles on this hub's main. It looks for copart where `hub init`
# found it, then wherever this Python finds an installed copart; when neither imports, it
# refuses the push and says why: closed, not open. `pre-receive --check` says what it runs.
import sys
sys.path.insert(0, {package_parent!r})
try:
    from copart_cli.hooks.pre_receive import main
except Exception as exc:
    sys.stderr.write("copart hub: refused: hook-cannot-run: " + sys.executable + " cannot import copart for this "
                     "user (" + type(exc).__name__ + ": " + str(exc) + "); install copart where this user's python3 "
                     "finds it, or point the hook at a Python that has it: copart hub check HUB --python PATH --fix\\n")
    sys.exit(1)
sys.exit(main())
"""

# The hook exactly as `hub init` writes it, whatever its interpreter and copart's folder:
# `hub check` runs a hook's probe only when it has this shape, never a file that merely
# mentions the marker (a hub someone hands you must not run their code on your account).
_HOOK_SHAPE = re.compile(re.escape(HOOK_TEMPLATE).replace(re.escape("{python}"), r"(?P<python>[^\n]+)")
                         .replace(re.escape("{package_parent!r}"), r"'(?P<parent>[^'\\\n]*)'"))

HUB_CONFIG = {
    # deletions reach the hook, which allows them only in a push signed by the ref's member
    # or a coordinator; git checks that push certificate against an empty allowed_signers
    # file (a good signature shows its key) and the hook finds whose key it is on main
    "receive.denyDeletes": "false",
    "receive.certNonceSlop": "120",  # smart HTTP asks for the nonce and pushes in two requests
    "gpg.format": "ssh",
    "receive.denyNonFastForwards": "true",
    "receive.fsckObjects": "true",
    "transfer.fsckObjects": "true",
    "receive.advertisePushOptions": "true",
    "core.logAllRefUpdates": "true",
}
_GUARDS = ("receive.denyNonFastForwards", "receive.fsckObjects")  # without these the policy has a hole


@dataclass
class HubResult:
    view = "review"
    path: str
    main: str | None
    members: int
    coordinators: list[str]
    keys: int
    warnings: list[str]
    python: str = DEFAULT_PYTHON
    remote: str | None = None


@dataclass
class HubCheck:
    view = "review"
    path: str
    ok: bool
    hook: str
    interpreter: str | None  # the hook's #! line
    mode: str  # -rwxr-xr-x
    owner: str
    runs: bool  # the probe ran the hook with a server's bare environment
    runs_detail: str  # what it runs (copart version, where, which Python), or why it cannot
    main: str | None
    members: int
    coordinators: list[str]
    coordinators_with_keys: list[str]
    keys: int
    policy: list[str]  # what the hook enforces, as it stands
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def hook_text(python: str | None = None) -> str:
    package_parent = str(Path(__file__).resolve().parents[2])  # the folder holding copart_cli/
    return HOOK_TEMPLATE.format(python=python or DEFAULT_PYTHON, package_parent=package_parent)


def install_hook(hub: Path, python: str | None = None) -> Path:
    from copart_cli.adapters.files import atomic_write

    hook = hub / "hooks" / "pre-receive"
    atomic_write(hook, hook_text(python))
    # readable and runnable by every account: the one that serves the hub is rarely the one that made it
    os.chmod(hook, 0o755)
    return hook


def _python(python: str | None) -> str | None:
    if python is None:
        return None
    p = Path(python).expanduser()
    if not p.is_absolute() or not p.is_file() or not os.access(p, os.X_OK):
        raise UsageError(f"--python {python}: not an absolute path to a program that runs",
                         hint="give the interpreter that has copart for the account serving the hub, "
                              "e.g. --python /usr/bin/python3 or /opt/copart/bin/python")
    return str(p)


def _target(rep: Repertoire, path: str) -> Path:
    """Where the hub goes: a new or empty folder, outside the repertoire, under a folder that exists."""
    target = Path(path).expanduser().absolute()
    resolved = target.resolve()
    root = rep.root.resolve()
    if resolved == root or root in resolved.parents:
        raise UsageError(f"{target} is inside the repertoire {root}; the hub would be synced into itself",
                         hint=f"put it beside the repertoire, e.g.: copart hub init {root.parent / (root.name + '-hub.git')}")
    if not resolved.parent.is_dir():
        raise UsageError(f"{resolved.parent} does not exist (a typo?); nothing was created",
                         hint=f"create it first (mkdir -p {resolved.parent}) or choose another place")
    if resolved.exists() and (not resolved.is_dir() or any(resolved.iterdir())):
        raise AlreadyExists(f"{target} already exists and is not empty", hint="choose a new folder for the hub")
    return resolved


def init_hub(rep: Repertoire, path: str, *, python: str | None = None, remote: str | None = None) -> HubResult:
    from copart_cli.adapters.files import atomic_write
    from copart_cli.adapters.gitrepo import GitRepo
    from copart_cli.services.signing import MAIN, roster_at

    interpreter = _python(python)
    source = rep.git
    if remote is not None:
        if not source.valid_ref_name(remote):
            raise UsageError(f"'{remote}' is not a remote name")
        if remote in source.remotes():
            raise AlreadyExists(f"this repertoire already has a remote '{remote}' ({source.remote_url(remote)})",
                                hint="give another name with --remote, or leave --remote out")
    target = _target(rep, path)
    main = source.rev(MAIN)
    if main is None:
        raise CopartError("this repertoire has no main branch to seed the hub with",
                          hint="commit something first (copart init makes a first commit)")
    roster = roster_at(source, MAIN)
    if not [c for c in roster.coordinators if c in roster.keys]:
        who = ", ".join(sorted(roster.coordinators)) or "nobody (no member has 'coordinator' in roles)"
        raise CheckFailed(f"no coordinator on main has ssh_keys (coordinators: {who}), so nobody could ever "
                          "push to the hub's main; nothing was created",
                          hint="a coordinator runs copart setup-signing, puts the public key it prints in their "
                               "profile (members/ID.md, ssh_keys: [\"ssh-ed25519 AAAA…\"]), commits, then runs hub init again")
    hub = GitRepo.init_bare(target)
    for key, value in HUB_CONFIG.items():
        hub.set_config(key, value)
    hub.set_config("receive.certNonceSeed", secrets.token_hex(32))  # nonces only this hub issues
    nobody = target / "copart-no-signers"
    atomic_write(nobody, "")
    hub.set_config("gpg.ssh.allowedSignersFile", str(nobody))
    # Seed main before the hook exists: the hub's members are the ones on this main.
    source.push_to(str(target), [f"{MAIN}:{MAIN}"])
    install_hook(target, interpreter)
    warnings = list(roster.problems) + roster.duplicate_problems()
    runs, detail = _probe(target)
    if not runs:
        warnings.append(f"the hook cannot run here: {detail}")
    if remote is not None:
        source.add_remote(remote, str(target), track=MAIN)
    return HubResult(str(target), main, len(roster.members), sorted(roster.coordinators),
                     sum(len(k) for k in roster.keys.values()), warnings, interpreter or DEFAULT_PYTHON, remote)


# -- hub check --------------------------------------------------------------------------


def _probe(hub: Path) -> tuple[bool, str]:
    """Run the hook's --check as an ssh server would start it (PATH and HOME only)."""
    from copart_cli.adapters.gitrepo import run_bare

    code, out, err = run_bare([str(hub / "hooks" / "pre-receive"), "--check"], hub)
    if code == 0 and out.strip():
        return True, out.strip().splitlines()[-1]
    said = [line.strip() for line in (err or out).splitlines() if line.strip()]
    return False, (said[-1] if said else f"the hook exited {code} and said nothing").removeprefix("copart hub: refused: ")


def _policy(hub) -> tuple[list[str], list[str]]:
    """What the hook and the hub's config enforce, and what weakens it."""
    policy = ["main: only forward, every first-parent commit signed by a coordinator, the rest by members",
              "contrib/<member>/<id>/v<N>: only commits signed by that member, made for that contribution",
              "refs/copart/reviews/<member>/<id>: review events signed by members (decisions by coordinators)",
              "deletions: only in a push signed by the ref's member or a coordinator (git push --signed)",
              "anything else (other branches, tags): refused"]
    problems = [f"{key} is {hub.config(key) or 'unset'}, not true: the hub lets in what the hook cannot judge"
                for key in _GUARDS if (hub.config(key) or "").lower() != "true"]
    if not hub.config("receive.certNonceSeed"):
        problems.append("receive.certNonceSeed is unset: signed pushes (deletions) are not possible")
    return policy, problems


def check_hub(path: str, *, python: str | None = None, fix: bool = False) -> HubCheck:
    """Whether a hub's hook will run for the account serving it, and what policy it enforces.
    With `fix`, the hook is written again first (with `python` as its interpreter)."""
    from copart_cli.adapters.gitrepo import GitRepo
    from copart_cli.services.signing import MAIN, roster_at

    hub_dir = Path(path).expanduser().absolute()
    hub = GitRepo(hub_dir)
    if not hub_dir.is_dir() or hub.config("core.bare") != "true":
        raise NotFound(f"{hub_dir} is not a bare git repository", hint="give the hub's folder, e.g. /srv/git/4xp.git")
    hook = hub_dir / "hooks" / "pre-receive"
    interpreter = _python(python)
    if fix:
        install_hook(hub_dir, interpreter)
    elif interpreter:
        raise UsageError("--python rewrites the hook: give it with --fix")
    problems, notes = [], []
    text = hook.read_text(encoding="utf-8", errors="replace") if hook.is_file() else ""
    first = text.splitlines()[0] if text else ""
    if not text:
        problems.append("there is no hooks/pre-receive: the hub takes any push")
    elif HOOK_MARKER not in text:
        problems.append("hooks/pre-receive is not copart's: its policy is whatever it does")
    elif not _HOOK_SHAPE.fullmatch(text):
        problems.append("hooks/pre-receive is not what `copart hub init` writes (changed by hand?): its policy is "
                        "whatever it does; `copart hub check PATH --fix` writes copart's")
    info = hook.stat() if hook.exists() else None
    mode = stat.filemode(info.st_mode) if info else "-"
    if info and not info.st_mode & stat.S_IXOTH:
        notes.append("the hook is runnable by its owner only: another account serving the hub cannot run it "
                     "(git then refuses every push)")
    runs, detail = _judge_hook(hub_dir, text, problems)
    if (hub_dir / "hooks" / "update").exists() and "gitolite" in _read(hub_dir / "hooks" / "update"):
        notes.append("gitolite's update hook is here too: its access rules are checked after copart's")
    policy, weak = _policy(hub)
    problems += weak
    roster = roster_at(hub, MAIN)
    with_keys = sorted(c for c in roster.coordinators if c in roster.keys)
    if not with_keys:
        problems.append("no coordinator on the hub's main has ssh_keys: nobody can push to main")
    return HubCheck(str(hub_dir), not problems, str(hook), first.removeprefix("#!").strip() or None, mode,
                    _owner(info), runs, detail, hub.rev(MAIN), len(roster.members), sorted(roster.coordinators),
                    with_keys, sum(len(k) for k in roster.keys.values()), policy, problems, notes)


def _judge_hook(hub_dir: Path, text: str, problems: list[str]) -> tuple[bool, str]:
    """Run the probe of a hook that is copart's, and only when what it would run (its
    interpreter, the folder it loads copart from) no other account can change."""
    shape = _HOOK_SHAPE.fullmatch(text) if text else None
    if shape is None:
        return False, "not copart's hook (not run)"
    program = shape["python"].split()[0]
    if not Path(program).exists():
        detail = f"cannot exec {program}: No such file or directory"
        problems.append(f"the hook cannot run: {detail}")
        return False, detail
    parent = Path(shape["parent"])
    writable = [str(p) for p in (Path(program), parent, parent / "copart_cli") if p.exists() and _others_can_write(p)]
    if writable:
        problems.append(f"{writable[0]} can be changed by accounts other than root and its owner's: whoever can "
                        "write it runs code as the account serving the hub")
        return False, "not run: what it would run is not safe to run"
    runs, detail = _probe(hub_dir)
    if not runs:
        problems.append(f"the hook cannot run: {detail}")
    return runs, detail


def _others_can_write(path: Path) -> bool:
    info = path.stat()
    return bool(info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)) or info.st_uid not in (0, os.getuid())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return ""


def _owner(info) -> str:
    if info is None:
        return "-"
    try:
        import pwd

        return pwd.getpwuid(info.st_uid).pw_name
    except (ImportError, KeyError):
        return str(info.st_uid)
