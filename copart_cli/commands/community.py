"""init, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, emit


def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="[DIR]", help="Where to create it (default: here).")] = Path("."),
    name: Annotated[Optional[str], typer.Option("--name", "-n", help="The community's name.")] = None,
    domain: Annotated[str, typer.Option("--domain", help="What the community is about, in a sentence.")] = "",
    example: Annotated[bool, typer.Option("--example", help="Seed it with the 4XP sample repertoire.")] = False,
    json: JsonOpt = False,
) -> None:
    """Create a repertoire: copart.yaml, the kind folders, a first commit."""
    from copart_cli.services.community import init_repertoire

    emit(ctx, init_repertoire(directory, name, domain, example), json)


def demo(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Make a throwaway git copy of the sample repertoire and show what it knows."""
    from copart_cli.services.community import demo as run_demo

    emit(ctx, run_demo(), json)
