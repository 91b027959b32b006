"""Rendering results: a rich table on a terminal, plain text when piped, JSON with --json.

Every result dataclass names its view module (`view = "entries"`); that module in this
package has `json_<ClassName>(result) -> dict` and `text_<ClassName>(result, out)`.
Only this package imports rich, and only when writing to a terminal.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from typing import Any


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
    if options.json:
        payload = getattr(module, f"json_{name}")(result)
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        getattr(module, f"text_{name}")(result, Out())


def warn(message: str) -> None:
    sys.stderr.write(f"copart: warning: {message}\n")


def note(message: str) -> None:
    """A side remark for a person (progress, hints): stderr, so stdout stays the payload."""
    sys.stderr.write(f"{message}\n")


def error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(f"copart: error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


class Out:
    """A small vocabulary for views: tables, lines, Markdown; rich only on a terminal."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.rich = self.stream.isatty()
        self._console = None

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False)
        return self._console

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.rich:
            from rich.text import Text

            self.console.print(Text(text, style=style or ""))
        else:
            self.stream.write(text + "\n")

    def heading(self, text: str) -> None:
        if self.rich:
            self.console.rule(f"[bold]{_escape(text)}", align="left")
        else:
            self.stream.write(f"== {text} ==\n")

    def table(self, columns: list[str], rows: list[list[str]], title: str | None = None) -> None:
        """A rich table on a terminal; tab-separated rows (no header) when piped, for cut/awk."""
        if self.rich:
            from rich.table import Table

            table = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
            for col in columns:
                table.add_column(col, overflow="fold")
            for row in rows:
                table.add_row(*(_escape(c) for c in row))
            self.console.print(table)
        else:
            for row in rows:
                self.stream.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) + "\n")

    def markdown(self, text: str) -> None:
        if self.rich:
            from rich.markdown import Markdown

            self.console.print(Markdown(text))
        else:
            self.stream.write(text if text.endswith("\n") else text + "\n")

    def highlighted(self, text: str, marks: list[tuple[int, int]], style: str = "bold yellow") -> None:
        """Text with spans emphasised (search passages); plain text keeps the words only."""
        if self.rich:
            from rich.text import Text

            rich_text = Text(text)
            for start, end in marks:
                rich_text.stylize(style, start, end)
            self.console.print(rich_text)
        else:
            self.stream.write(text + "\n")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
