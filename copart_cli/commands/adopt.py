"""adopt: give notes already in the repertoire the frontmatter they lack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from copart_cli.commands._common import JsonOpt, emit, repertoire


def adopt(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A note, or a folder of notes, in a kind folder.")],
    json: JsonOpt = False,
) -> None:
    """Give notes with no (or partial) frontmatter the keys an entry needs, in place; one commit."""
    from copart_cli.services.importer import adopt as adopt_notes

    emit(ctx, adopt_notes(repertoire(ctx), path), json)
