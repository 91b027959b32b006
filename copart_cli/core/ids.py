"""Entry ids: slugs derived from titles that can never leave their folder."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from copart_cli.core.errors import UsageError

MAX_ID = 64
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names Windows (and so a partner's USB stick) refuses as file stems.
RESERVED = frozenset(
    ["con", "prn", "aux", "nul", "clock"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)


def of_path(rel: str) -> str:
    """The id a file name gives: `stories/sub/pricing.md` -> `pricing` (what [[links]] name)."""
    return rel.rsplit("/", 1)[-1].removesuffix(".md")


def slugify(text: str, max_len: int = MAX_ID) -> str:
    """Lowercase ASCII words joined by hyphens: 'Café Prices — 2026' -> 'cafe-prices-2026'."""
    from anyascii import anyascii  # lazy: only capture needs it

    text = unicodedata.normalize("NFKC", text)
    ascii_text = anyascii(text).lower().replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            if not slug:  # one very long word: cut it
                slug = word[:max_len]
            break
        slug = candidate
    if slug in RESERVED:
        slug = f"{slug}-entry"
    return slug


def is_valid(entry_id: str) -> bool:
    return bool(_ID.match(entry_id)) and len(entry_id) <= MAX_ID and entry_id not in RESERVED


def validate(entry_id: str) -> str:
    """An id typed by a user, checked like a derived one; raises UsageError if unsafe."""
    if not is_valid(entry_id):
        shown = entry_id if len(entry_id) <= 80 else entry_id[:77] + "..."
        raise UsageError(
            f"'{shown}' is not a valid id",
            hint=f"ids are lowercase letters, digits and single hyphens, at most {MAX_ID} characters",
        )
    return entry_id


def unique(base: str, taken: Callable[[str], bool]) -> str:
    """`base`, or `base-2`, `base-3`… whichever is free first."""
    if not taken(base):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: MAX_ID - len(suffix)].rstrip("-") + suffix
        if not taken(candidate):
            return candidate
        n += 1
