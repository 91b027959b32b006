"""Credit follows the signature: `digest`, `stats` and `who` credit the member whose key signed a
commit, never what its author field says (anybody can type any author name or email).

Checking a signature costs an ssh-keygen run, so commits are read first (one `cat-file --batch`)
for the key their signature names: where that key's member is also the one the author email
names, the answer is the same whether the signature holds or not, and nothing is checked. Only
the others are checked, once: the results are kept in .git/copart/ (a commit never changes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from copart_cli.adapters.files import read_cache, write_cache

if TYPE_CHECKING:  # a type only: not imported at run time, so no circle
    from copart_cli.services.repertoire import Repertoire

CACHE = "signatures.json"
_CACHE_VERSION = "1"
_BATCH = 500  # commits per `git log --no-walk` (keeps the command line short)


@dataclass
class Credits:
    by_commit: dict[str, str] = field(default_factory=dict)  # sha -> member whose key signed it
    coordinators: set[str] = field(default_factory=set)

    def author(self, claimed: str, signer: str | None) -> str:
        """Who is credited with an entry whose `author:` says CLAIMED and whose adding commit SIGNER signed:
        the signer, unless a coordinator recorded it on someone's behalf (an import, a transcription)."""
        if signer and signer != claimed and signer not in self.coordinators:
            return signer
        return claimed


def credits(rep: Repertoire, commits) -> Credits:
    """The members who validly signed these commits (gitrepo.LoggedCommit), by the profiles on main."""
    from copart_cli.services.signing import allowed_signers_file, main_rev, roster_at, signature_key

    git = rep.git
    roster = roster_at(git, main_rev(rep))
    found = Credits(coordinators=roster.coordinators)
    if not roster.keys or not commits:
        return found  # nobody signs: the author fields are all there is
    by_email = {mail: m.id for m in roster.members.values() for mail in m.emails}
    raw = git.read_objects([c.sha for c in commits])
    doubtful: dict[str, tuple[str, str]] = {}
    for c in commits:
        fp = signature_key(raw.get(c.sha, b""))
        owners = roster.owners(fp) if fp else []
        if len(owners) != 1:
            continue
        if by_email.get(c.author_email.lower()) == owners[0]:
            found.by_commit[c.sha] = owners[0]  # a forged signature would credit the same member
        else:
            doubtful[c.sha] = (fp, owners[0])
    if doubtful:
        checked = _checked(rep, list(doubtful), allowed_signers_file(rep, roster))
        for sha, (fp, owner) in doubtful.items():
            if checked.get(sha) == fp:
                found.by_commit[sha] = owner
    return found


def _checked(rep: Repertoire, shas: list[str], signers) -> dict[str, str]:
    """sha -> fingerprint of its good signature ("" for a bad one), from the cache or checked now."""
    path = rep.state_dir / CACHE
    cache = read_cache(path, _CACHE_VERSION)
    todo = [s for s in shas if not isinstance(cache.get(s), str)]
    for i in range(0, len(todo), _BATCH):
        for s in rep.git.signatures(*todo[i:i + _BATCH], only_these=True, allowed_signers=signers):
            cache[s["commit"]] = s["key"] if s["status"] in ("G", "U") else ""
    if todo:
        write_cache(path, _CACHE_VERSION, cache)
    return {s: cache.get(s, "") for s in shas}


def added_by(rep: Repertoire) -> tuple[dict[str, str], Credits]:
    """For each entry path, the member who signed the newest commit adding it (where one did)."""
    from copart_cli.core.model import KIND_FOLDERS
    from copart_cli.services.signing import main_rev, roster_at

    if not roster_at(rep.git, main_rev(rep)).keys:
        return {}, Credits()  # nobody signs: no history to read
    commits = rep.git.history(*KIND_FOLDERS.values(), added=True)
    found = credits(rep, commits)
    paths: dict[str, str | None] = {}
    for c in commits:  # newest first: the newest addition of a path is the one that counts
        for status, path in c.changes:
            if status == "A":
                paths.setdefault(path, found.by_commit.get(c.sha))
    return {p: who for p, who in paths.items() if who}, found
