"""Finding the entry a person means: its id, one of its aliases, an unambiguous start of the
id, or its exact title.

The one place every command that takes an id resolves it (`Repertoire.find`), so `show`,
`edit`, `rm`, `answer`, `accept` and `who --member` agree, and a miss suggests the
nearest ids ("did you mean …?").
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from copart_cli.core import ids
from copart_cli.core.errors import InvalidEntry, NotFound, UsageError
from copart_cli.core.model import Kind

if TYPE_CHECKING:
    from copart_cli.services.repertoire import Repertoire

SUGGESTIONS = 3
MAX_REF = 300  # the longest title copart writes


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def candidates(rep: Repertoire, kind: Kind | None = None) -> dict[str, str]:
    """Every entry's id → its path (of one kind, if given), from the file names alone."""
    found: dict[str, str] = {}
    prefix = f"{kind.folder}/" if kind else ""
    for rel in rep.entry_paths():
        if rel.startswith(prefix):
            found.setdefault(ids.of_path(rel), rel)
    return found


def find(rep: Repertoire, ref: str, kind: Kind | None = None, *, hint: str | None = None) -> str:
    """The path of the entry `ref` names: an id, an alias, an id's unambiguous start, or an exact title.

    NotFound (with the nearest ids) when nothing matches; UsageError when several do."""
    what = kind.value if kind else "entry"
    hint = hint or "see the ids with: copart list"
    ref = ref.strip()
    if ids.is_valid(ref):
        rel = rep.locate_id(ref)
        if rel is not None and (kind is None or rel.startswith(f"{kind.folder}/")):
            return rel
    if ref and len(ref) <= MAX_REF:
        rel = rep.locate_alias(ref)  # `show WP` when an entry lists WP among its aliases
        if rel is not None and (kind is None or rel.startswith(f"{kind.folder}/")):
            return rel
    if len(ref) > MAX_REF:  # longer than any title: nothing to match, and no quadratic "did you mean"
        raise NotFound(f"no {what} with id '{_shown(ref)}'", hint=hint)
    known = candidates(rep, kind)
    if ref:
        slug = ids.slugify(ref)
        if slug in known:  # a title typed as it reads ("Pricing a first workshop")
            return known[slug]
        starts = sorted(i for i in known if i.startswith(ref.lower()))
        if len(starts) == 1:
            return known[starts[0]]
        if starts:
            raise _ambiguous(ref, starts)
        titled = _titled(rep, known, ref)
        if len(titled) == 1:
            return known[titled[0]]
        if titled:
            raise _ambiguous(ref, titled)
    near = _nearest(ref.lower(), list(known))
    raise NotFound(f"no {what} with id '{_shown(ref)}'",
                   hint=f"did you mean: {', '.join(near)}?" if near else hint)


def _nearest(ref: str, known: list[str]) -> list[str]:
    """The ids closest to REF: like it whole, or (a typo in the first word of a long id,
    `pricng`) like its start."""
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(ref)
    scored = []
    for i in known:
        best = 0.0
        for target, cutoff in ((i, 0.6), (i[:len(ref) + 1] if len(ref) >= 4 else "", 0.8)):
            if not target:
                continue
            matcher.set_seq1(target)
            if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff \
                    and (r := matcher.ratio()) >= cutoff:
                best = max(best, r)
        if best:
            scored.append((-best, i))
    return [i for _, i in sorted(scored)[:SUGGESTIONS]]


def _titled(rep: Repertoire, known: dict[str, str], ref: str) -> list[str]:
    """Ids of the entries whose title is `ref` (case and spacing aside)."""
    wanted = " ".join(ref.split()).casefold()
    found = []
    for entry_id, rel in known.items():
        try:
            title = rep.load(rel).title
        except InvalidEntry:
            continue
        if " ".join(title.split()).casefold() == wanted:
            found.append(entry_id)
    return sorted(found)


def _ambiguous(ref: str, matches: list[str]) -> UsageError:
    listed = ", ".join(matches[:5]) + (f" and {len(matches) - 5} more" if len(matches) > 5 else "")
    return UsageError(f"'{_shown(ref)}' matches {len(matches)} entries: {listed}", hint="give more of the id")
