"""Rendering results: a rich table on a terminal, plain text when piped, JSON with --json.

Every result dataclass names its view module (`view = "entries"`); that module in this
package has `json_<ClassName>(result) -> dict` and `text_<ClassName>(result, out)`.
Only this package imports rich, and only when writing to a terminal.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from copart_cli.core.model import BIDI, UNSAFE_CHARS


# Text from partners reaches a terminal as text, never as commands: control characters but
# newline and tab (ESC sequences clear the screen, write the clipboard, retitle the window; a
# lone CR overwrites a line) become visible symbols (ESC is shown as U+241B), and the bidi
# embeddings, overrides and isolates that make a line read differently from what it holds are
# shown as escapes. JSON escapes the same characters the JSON way (\u001b, \u202e).
_VISIBLE = {c: chr(0x2400 + c) for c in range(0x20) if c not in (9, 10)} | {0x7F: "\u2421"}
_VISIBLE |= {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)} | {ord(c): f"\\u{ord(c):04x}" for c in BIDI}
_JSON_UNSAFE = re.compile("[\x7f-\x9f" + BIDI + "]")  # json.dumps already escapes the rest


def visible(text: str) -> str:
    """`text` with every control character made visible (CRLF line ends read as newlines)."""
    if not UNSAFE_CHARS.search(text):
        return text
    return text.replace("\r\n", "\n").translate(_VISIBLE)


def json_text(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class Options:
    """The global output choices, set once by cli.py."""

    json: bool = False
    no_input: bool = False
    debug: bool = False
    repertoire: str | None = None

    @property
    def interactive(self) -> bool:
        return not self.no_input and sys.stdin.isatty() and sys.stdout.isatty()


def emit(result: Any, options: Options) -> None:
    module = importlib.import_module(f"copart_cli.ui.{result.view}")
    name = type(result).__name__
    for problem in getattr(result, "unreadable", ()):  # entries a service had to leave out: named, never silent
        warn(f"skipped {problem}")
    if options.json:
        payload = getattr(module, f"json_{name}")(result)
        sys.stdout.write(json_text(payload) + "\n")
    else:
        out = Out()
        with out.paged() if getattr(result, "paged", True) else contextlib.nullcontext():
            getattr(module, f"text_{name}")(result, out)


def warn(message: str) -> None:
    sys.stderr.write(f"copart: warning: {visible(message)}\n")


def note(message: str) -> None:
    """A side remark for a person (progress, hints): stderr, so stdout stays the payload."""
    sys.stderr.write(f"{visible(message)}\n")


def error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(f"copart: error: {visible(message)}\n")
    if hint:
        sys.stderr.write(f"hint: {visible(hint)}\n")


class _Visible:
    """A text stream that writes everything through visible()."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class Out:
    """A small vocabulary for views: tables, lines, Markdown; rich only on a terminal.

    Whatever a view writes, to `stream` or through `console`, is passed through visible():
    the one place that keeps partners' text from driving the terminal."""

    def __init__(self, stream=None):
        self._raw = stream or sys.stdout
        self.stream = _Visible(self._raw)
        self.rich = self._raw.isatty()
        self._console = None
        self._terminal: dict[str, Any] = {}  # while paging: the real terminal's size and colours

    @contextlib.contextmanager
    def paged(self):
        """On a terminal, what is written inside goes through $PAGER (default `less -FRX`) when it
        is longer than the screen; piped, with --json, or with PAGER set empty, it is written as is."""
        pager = _pager()
        if not self.rich or not pager:
            yield
            return
        real, console = self._raw, self.console
        height = console.height
        self._terminal = {"width": console.width, "color_system": console.color_system, "force_terminal": True,
                          "no_color": console.no_color}
        self._raw = io.StringIO()
        self.stream, self._console = _Visible(self._raw), None
        try:
            yield
            text = self._raw.getvalue()
        finally:
            self._raw, self.stream, self._console, self._terminal = real, _Visible(real), console, {}
        if text.count("\n") < height:
            real.write(text)
            return
        from copart_cli.services.terminal import page

        real.flush()
        if not page(text, pager):  # a pager that fails must not take the output with it
            real.write(text)
            warn(f"the pager '{pager}' failed, so the output is shown here (set PAGER= to turn paging off)")

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            class VisibleConsole(Console):
                def print(self, *objects, **kwargs):  # a string a view prints itself is text too
                    super().print(*(visible(o) if isinstance(o, str) else o for o in objects), **kwargs)

            # rich writes its own styling escapes, so it gets the raw stream and clean text
            self._console = VisibleConsole(file=self._raw, highlight=False, **self._terminal)
        return self._console

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.rich:
            from rich.text import Text

            self.console.print(Text(visible(text), style=style or ""))
        else:
            self.stream.write(text + "\n")

    def heading(self, text: str) -> None:
        if self.rich:
            self.console.rule(f"[bold]{_escape(visible(text))}", align="left")
        else:
            self.stream.write(f"== {text} ==\n")

    def table(self, columns: list[str], rows: list[list[str]], title: str | None = None) -> None:
        """A rich table on a terminal; tab-separated rows (no header) when piped, for cut/awk."""
        if self.rich and "id" in columns and _too_narrow(columns, rows, self.console.width):
            self._stacked(columns, rows, title)
        elif self.rich:
            from rich.table import Table

            table = Table(title=title and visible(title), title_justify="left", header_style="bold", box=None,
                          pad_edge=False)
            shown = _fitting(columns, rows, self.console.width)
            for i in shown:
                whole = columns[i] == "id"  # an id is a handle: never cut, other columns fold around it
                table.add_column(columns[i], overflow="fold", no_wrap=whole,
                                 min_width=max((len(r[i]) for r in rows), default=0) if whole else None)
            for row in rows:
                table.add_row(*(_escape(visible(row[i])) for i in shown))
            self.console.print(table)
        else:
            for row in rows:
                self.stream.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) + "\n")

    def _stacked(self, columns: list[str], rows: list[list[str]], title: str | None) -> None:
        """A table too wide for the terminal: each id whole on its own line (the terminal
        wraps it, so a copy is still one id), the other columns below it, dimmed."""
        from rich.padding import Padding
        from rich.text import Text

        if title:
            self.line(title, style="bold")
        at = columns.index("id")
        for row in rows:
            self.stream.write(row[at].replace("\n", " ") + "\n")
            rest = " · ".join(cell for i, cell in enumerate(row) if i != at and cell)
            if rest:
                self.console.print(Padding(Text(visible(rest), style="dim"), (0, 0, 0, 2)))

    def markdown(self, text: str) -> None:
        if self.rich:
            from rich.markdown import Markdown

            self.console.print(Markdown(visible(text)))
        else:
            self.stream.write(text if text.endswith("\n") else text + "\n")

    def highlighted(self, text: str, marks: list[tuple[int, int]], style: str = "bold yellow") -> None:
        """Text with spans emphasised (search passages); plain text keeps the words only."""
        if self.rich:
            from rich.text import Text

            # each piece made visible on its own, so the marks keep pointing at the same words
            rich_text, at = Text(), 0
            for start, end in sorted(marks):
                if start < at:
                    continue
                rich_text.append(visible(text[at:start]))
                rich_text.append(visible(text[start:end]), style=style)
                at = end
            rich_text.append(visible(text[at:]))
            self.console.print(rich_text)
        else:
            self.stream.write(text + "\n")


def _pager() -> str:
    """The pager command: $PAGER (empty: none), else `less -FRX`; none when its program is not installed."""
    import os
    import shlex
    import shutil

    command = os.environ.get("PAGER", "less -FRX").strip()
    try:
        program = shlex.split(command)[0] if command else ""
    except ValueError:  # unbalanced quotes: not a command a shell could run
        return ""
    return command if program and shutil.which(program) else ""  # a pager that is not there: no pager


NARROWEST = 20  # a folded column narrower than this is hard to read: drop another instead


def _too_narrow(columns: list[str], rows: list[list[str]], width: int) -> bool:
    """Whether the ids leave less than a readable column beside them."""
    at = columns.index("id")
    return max((len(r[at]) for r in rows), default=0) + 2 + NARROWEST > width


def _fitting(columns: list[str], rows: list[list[str]], width: int) -> list[int]:
    """The columns that fit in `width` with the ids whole: the rightmost others are dropped
    (on an 80-column terminal `list` keeps id and title, and kind when the ids are short)."""
    def longest(i: int) -> int:
        return max((len(r[i]) for r in rows), default=0)

    def need(i: int) -> int:
        wide = max(longest(i), len(columns[i]))
        return wide if columns[i] == "id" else min(wide, NARROWEST)

    shown = list(range(len(columns)))
    others = [i for i in shown if columns[i] != "id"]
    main = max(others, key=longest, default=None)  # the text column (a title) goes last
    while len(shown) > 2 and sum(need(i) for i in shown) + 2 * (len(shown) - 1) > width:
        shown.remove(next(i for i in reversed(shown) if columns[i] != "id" and i != main))
    return shown


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
