"""Options and helpers every command shares."""

from __future__ import annotations

from typing import Annotated

import typer

from copart_cli.ui import Options

JsonOpt = Annotated[bool, typer.Option("--json", help="Print stable JSON (see docs/json.md).")]


def options(ctx: typer.Context, json: bool = False) -> Options:
    """The global options, with a command's own --json folded in."""
    opts: Options = ctx.find_root().obj or Options()
    if json:
        opts.json = True
    return opts


def repertoire(ctx: typer.Context):
    from copart_cli.services.repertoire import Repertoire

    return Repertoire.locate(options(ctx).repertoire)


def emit(ctx: typer.Context, result, json: bool = False) -> None:
    from copart_cli import ui

    ui.emit(result, options(ctx, json))
