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


@dataclass
class RootHelp:
    view = "help"
    usage: str
    description: str
    options: list[tuple[str, str, str, str]]  # long names, short names, metavar, help
    commands: list[tuple[str, str]]  # name, what it does


def text_RootHelp(help: RootHelp, out: Out) -> None:
    if out.rich:
        _panels(help, out)
        return
    width = min(shutil.get_terminal_size().columns, 100)
    out.line(f"Usage: {help.usage}")
    out.line()
    out.line(textwrap.fill(help.description, width))
    for title, rows in (("Options", [(f"{long} {short}".strip() + (f" {meta}" if meta else ""), text)
                                     for long, short, meta, text in help.options]),
                        ("Commands", help.commands)):
        out.line()
        out.line(f"{title}:")
        left = max(len(name) for name, _ in rows) + 4
        for name, text in rows:
            lines = textwrap.wrap(text, max(width - left, 30)) or [""]
            out.line(f"  {name:<{left - 2}}{lines[0]}")
            for more in lines[1:]:
                out.line(" " * left + more)


def _panels(help: RootHelp, out: Out) -> None:
    from rich import box
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def panel(title: str, rows: list[tuple[str, ...]], styles: list[str]) -> Panel:
        table = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
        for style in styles:
            table.add_column(style=style, no_wrap=style != "")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        return Panel(table, title=title, title_align="left", border_style="dim", box=box.ROUNDED)

    console = out.console
    console.print()
    console.print(Text.assemble(" ", ("Usage:", "yellow"), " ", (help.usage, "bold")))
    console.print()
    console.print(Padding(Text(help.description), (0, 1)))
    console.print()
    console.print(panel("Options", help.options, ["bold cyan", "bold green", "bold yellow", ""]))
    console.print(panel("Commands", help.commands, ["bold cyan", ""]))
