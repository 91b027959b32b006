"""What the shell's tab completion offers: ids, tags, topics, members, remotes, settings.

Called while a person waits at the prompt, so each source is cheap: ids and members come
from file names alone, tags and topics from the entries' frontmatter (no search index, no
whoosh), remotes from one `git remote`. None of them raises: a problem completes nothing.
"""

from __future__ import annotations

from copart_cli.core.errors import CopartError
from copart_cli.core.model import Kind
from copart_cli.services.repertoire import REVIEW_POLICIES, Repertoire

def complete(repertoire: str | None, source: str, incomplete: str, key: str | None = None) -> list[str]:
    """The values of `source` that start with what is typed so far, sorted."""
    try:
        values = _values(repertoire, source, key)
    except (CopartError, OSError):  # not in a repertoire, an unreadable file: nothing to offer
        return []
    return sorted(v for v in set(values) if v.startswith(incomplete) and _offerable(v))


_SHELL = frozenset(" *?[]\\'\"$`;&|<>(){}~!#")


def _offerable(value: str) -> bool:
    """A value the shell can take back as it is: partner data may hold control bytes, newlines
    (one candidate read as two), or glob and quote characters that bash's script would expand."""
    return bool(value) and value.isprintable() and not _SHELL.intersection(value)


def _values(repertoire: str | None, source: str, key: str | None) -> list[str]:
    from copart_cli.services import config

    if source == "config-keys":
        return list(config.KEYS)
    if source == "config-values":
        return list(REVIEW_POLICIES) if key == "review" else []
    rep = Repertoire.locate(repertoire)
    if source in ("ids", "asks", "answers", "members"):
        from copart_cli.services.lookup import candidates

        kind = {"asks": Kind.ask, "answers": Kind.answer, "members": Kind.member}.get(source)
        return list(candidates(rep, kind))
    if source == "remotes":
        return rep.git.remotes()
    from copart_cli.services.tags import tag_counts

    labels = tag_counts(rep)
    return [label.name for label in (labels.tags if source == "tags" else labels.topics)]
