"""`copart --help` (and bare `copart`): the command list, drawn without typer's help renderer.

typer's renderer loads rich's Markdown, pygments and tracebacks (about 150 ms) to print what
is here a few panels; on a terminal this draws the same panels with rich's console, panel
and table, and piped it writes plain aligned text. Each command's own `--help` stays typer's.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass

from copart_cli.ui import Out


NARROWEST = 24  # columns of help text below which each name goes on a line of its own


@dataclass
class RootHelp:
    view = "help"
    paged = False  # like each command's --help, and like git's and gh's: printed, never paged
    usage: str
    description: str
    options: list[tuple[str, str, str, str]]  # long names, short names, metavar, help
    commands: list[tuple[str, str]]  # name, what it does


def json_RootHelp(help: RootHelp) -> dict:
    return {"usage": help.usage, "description": help.description,
            "options": [{"long": long, "short": short, "metavar": meta, "help": text}
                        for long, short, meta, text in help.options],
            "commands": [{"name": name, "help": text} for name, text in help.commands]}


def text_RootHelp(help: RootHelp, out: Out) -> None:
    if out.rich:
        _panels(help, out)
        return
    width = min(shutil.get_terminal_size().columns, 100)
    out.line(textwrap.fill(f"Usage: {help.usage}", width, subsequent_indent="  "))
    out.line()
    out.line(textwrap.fill(help.description, width))
    for title, rows in (("Options", [(" ".join(p for p in (long, short, meta) if p), text)
                                     for long, short, meta, text in help.options]),
                        ("Commands", help.commands)):
        out.line()
        out.line(f"{title}:")
        left = max(len(name) for name, _ in rows) + 4
        for name, text in rows:
            if width - left < NARROWEST:  # too narrow for two columns: the help goes below the name
                out.line(f"  {name}")
                out.line(textwrap.fill(text, width, initial_indent=" " * 6, subsequent_indent=" " * 6))
                continue
            lines = textwrap.wrap(text, width - left) or [""]
            out.line(f"  {name:<{left - 2}}{lines[0]}")
            for more in lines[1:]:
                out.line(" " * left + more)


def _panels(help: RootHelp, out: Out) -> None:
    from rich import box
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = out.console

    def panel(title: str, rows: list[tuple[str, ...]], styles: list[str]) -> Panel:
        names = len(styles) - 1  # every column but the last holds a name, never wrapped
        left = sum(max(len(row[i]) for row in rows) + 1 for i in range(names)) + 4  # + the panel's edges
        table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
        if console.width - left < NARROWEST:  # too narrow: each name on its line, its help below
            table.add_column()
            for row in rows:
                table.add_row(Text.assemble(*((cell + " ", style) for cell, style in zip(row[:-1], styles) if cell)))
                table.add_row(Padding(Text(row[-1]), (0, 0, 0, 4)))
        else:
            for style in styles:
                table.add_column(style=style, no_wrap=style != "")
            for row in rows:
                table.add_row(*(Text(cell) for cell in row))
        return Panel(table, title=title, title_align="left", border_style="dim", box=box.ROUNDED)

    console.print()
    console.print(Text.assemble(" ", ("Usage:", "yellow"), " ", (help.usage, "bold")))
    console.print()
    console.print(Padding(Text(help.description), (0, 1)))
    console.print()
    console.print(panel("Options", help.options, ["bold cyan", "bold green", "bold yellow", ""]))
    console.print(panel("Commands", help.commands, ["bold cyan", ""]))
