"""Read and minimally rewrite the YAML frontmatter of a Markdown entry.

copart changes only the keys it means to change: every other byte of the file, the
body above all, stays as the user wrote it, so git diffs stay small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from copart_cli.core.errors import InvalidEntry

MAX_FRONTMATTER = 64 * 1024  # a frontmatter larger than this is not metadata
_FENCE = re.compile(r"\A(\ufeff?)---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?=[ \t]|\r?$)", re.M)


@dataclass
class Parts:
    """A file split at its frontmatter fences; the three strings concatenate back to it."""

    head: str  # the opening fence (and a BOM, if any)
    frontmatter: str  # YAML text between the fences, newline-terminated
    tail: str  # the closing fence line and the body

    @property
    def body(self) -> str:
        nl = self.tail.find("\n")
        return "" if nl < 0 else self.tail[nl + 1 :]

    @property
    def body_line(self) -> int:
        """1-based line number where the body starts."""
        return self.head.count("\n") + self.frontmatter.count("\n") + 2

    def text(self) -> str:
        return self.head + self.frontmatter + self.tail


def split(text: str, path: str = "", limit: int | None = MAX_FRONTMATTER) -> Parts:
    """The fences and what they hold; limit=None accepts any size (the search index)."""
    m = _FENCE.match(text)
    if not m:
        raise InvalidEntry(f"{path}:1: no frontmatter (the file must start with a '---' line)")
    close = _CLOSE.search(text, m.end())
    if not close:
        raise InvalidEntry(f"{path}:1: frontmatter is not closed by a '---' line")
    fm = text[m.end() : close.start()]
    if limit is not None and len(fm) > limit:
        raise InvalidEntry(f"{path}:1: frontmatter is larger than {MAX_FRONTMATTER // 1024} KiB")
    return Parts(head=text[: m.end()], frontmatter=fm, tail=text[close.start() :])


def load(frontmatter: str, path: str = "", first_line: int = 2) -> dict[str, Any]:
    """Parse frontmatter YAML into a dict; errors name the file and line."""
    import yaml

    from copart_cli.core.yamlio import FastLoader, StrictLoader

    try:
        # Aliases need '&' or '*'; without them the fast C parser is safe to use.
        loader = StrictLoader if ("&" in frontmatter or "*" in frontmatter) else FastLoader
        data = yaml.load(frontmatter, Loader=loader)  # noqa: S506 - both loaders are safe loaders
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        what = (exc.problem or exc.context or "malformed YAML").strip()
        raise InvalidEntry(f"{path}:{line}: malformed frontmatter: {what}") from None
    except yaml.YAMLError as exc:
        raise InvalidEntry(f"{path}:{first_line}: malformed frontmatter: {exc}") from None
    except RecursionError:
        raise InvalidEntry(f"{path}:{first_line}: frontmatter is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidEntry(f"{path}:{first_line}: frontmatter must be a mapping of keys to values")
    return {str(k): v for k, v in data.items()}


def key_lines(frontmatter: str, first_line: int = 2) -> dict[str, int]:
    """The line number of each top-level key, to point `check` messages at it."""
    lines: dict[str, int] = {}
    for m in _TOP_KEY.finditer(frontmatter):
        lines.setdefault(m.group(1), first_line + frontmatter.count("\n", 0, m.start()))
    return lines


# -- writing ---------------------------------------------------------------------------


def dump_key(key: str, value: Any, newline: str = "\n") -> str:
    return dump({key: value}).replace("\n", newline)


def dump(meta: dict[str, Any]) -> str:
    from copart_cli.core.yamlio import dump_mapping

    return dump_mapping(meta)


def update(frontmatter: str, changes: dict[str, Any], remove: tuple[str, ...] = ()) -> str:
    """Rewrite only the given top-level keys; everything else stays byte for byte.

    A changed key is replaced in place (with its continuation lines); a new key is
    appended; a removed key disappears with its continuation lines.
    """
    newline = "\r\n" if "\r\n" in frontmatter else "\n"
    starts = [(m.start(), m.group(1)) for m in _TOP_KEY.finditer(frontmatter)]
    blocks: list[tuple[str | None, str]] = []
    if not starts or starts[0][0] > 0:
        blocks.append((None, frontmatter[: starts[0][0] if starts else len(frontmatter)]))
    for i, (pos, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(frontmatter)
        blocks.append((key, frontmatter[pos:end]))
    pending = dict(changes)
    out: list[str] = []
    for key, text in blocks:
        if key is not None and key in remove:
            continue
        if key is not None and key in pending:
            # keep blank lines and comments that trailed the old value
            trailing = _trailing_blank(text)
            out.append(dump_key(key, pending.pop(key), newline) + trailing)
        else:
            out.append(text)
    result = "".join(out)
    if pending:
        if result and not result.endswith("\n"):
            result += newline
        result += "".join(dump_key(k, v, newline) for k, v in pending.items())
    return result


def _trailing_blank(block: str) -> str:
    lines = block.splitlines(keepends=True)
    keep: list[str] = []
    for line in reversed(lines[1:]):
        if line.strip() == "" or line.lstrip().startswith("#") and not line.startswith((" ", "\t")):
            keep.append(line)
        else:
            break
    return "".join(reversed(keep))


def inline(value: Any) -> str:
    """A value as one line of YAML (flow style), for templates: `title: {{ title | yaml }}`."""
    import yaml

    from copart_cli.core.yamlio import Dumper

    text = yaml.dump(value, Dumper=Dumper, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()
