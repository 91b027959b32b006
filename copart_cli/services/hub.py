"""`copart hub init PATH`: a bare hub repository that enforces the community's policy.

The hub is an ordinary bare git repository with receive.denyNonFastForwards and
receive.fsckObjects set, seeded with the repertoire's main, and a `pre-receive` hook
(copart_cli/hooks/pre_receive.py) that judges every ref update of every push against the
member profiles on the hub's current main; deletions only in signed pushes (push certificates).
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from copart_cli.core.errors import AlreadyExists, CopartError

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

HOOK_TEMPLATE = """#!{python}
# copart hub policy, installed by `copart hub init` (see docs/review.md in copart).
# It judges every push against the member profiles on this hub's main. If copart cannot
# be imported the hook fails, and a failing pre-receive hook refuses the push: closed, not open.
import sys
sys.path.insert(0, {package_parent!r})
from copart_cli.hooks.pre_receive import main
sys.exit(main())
"""

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


@dataclass
class HubResult:
    view = "review"
    path: str
    main: str | None
    members: int
    coordinators: list[str]
    keys: int
    warnings: list[str]


def hook_text() -> str:
    package_parent = str(Path(__file__).resolve().parents[2])  # the folder holding copart_cli/
    return HOOK_TEMPLATE.format(python=sys.executable, package_parent=package_parent)


def install_hook(hub: Path) -> Path:
    from copart_cli.adapters.files import atomic_write

    hook = hub / "hooks" / "pre-receive"
    atomic_write(hook, hook_text())
    os.chmod(hook, 0o755)
    return hook


def init_hub(rep: Repertoire, path: str) -> HubResult:
    from copart_cli.adapters.files import atomic_write
    from copart_cli.adapters.gitrepo import GitRepo
    from copart_cli.services.signing import MAIN, roster_at

    target = Path(path).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(f"{target} already exists and is not empty", hint="choose a new folder for the hub")
    source = rep.git
    main = source.rev(MAIN)
    if main is None:
        raise CopartError("this repertoire has no main branch to seed the hub with",
                          hint="commit something first (copart init makes a first commit)")
    roster = roster_at(source, MAIN)
    hub = GitRepo.init_bare(target.resolve())
    for key, value in HUB_CONFIG.items():
        hub.set_config(key, value)
    hub.set_config("receive.certNonceSeed", secrets.token_hex(32))  # nonces only this hub issues
    nobody = target.resolve() / "copart-no-signers"
    atomic_write(nobody, "")
    hub.set_config("gpg.ssh.allowedSignersFile", str(nobody))
    # Seed main before the hook exists: the hub's members are the ones on this main.
    source.push_to(str(target.resolve()), [f"{MAIN}:{MAIN}"])
    install_hook(target.resolve())
    warnings = list(roster.problems) + roster.duplicate_problems()
    with_keys = [c for c in sorted(roster.coordinators) if c in roster.keys]
    if not with_keys:
        warnings.append("no coordinator on main has ssh_keys: nobody can push to the hub's main yet")
    return HubResult(str(target.resolve()), main, len(roster.members), sorted(roster.coordinators),
                     sum(len(k) for k in roster.keys.values()), warnings)
