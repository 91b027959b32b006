"""match, accredit and archive: the partnership's own economy (offers meet needs, accreditation)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, emit, repertoire


def match(
    ctx: typer.Context,
    member: Annotated[Optional[str], typer.Argument(metavar="[MEMBER]", help="Only this member's needs.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50, help="Members to show for each need.")] = 3,
    json: JsonOpt = False,
) -> None:
    """Offers meet needs: each need in the profiles, with the members whose offers, expertise and entries meet it."""
    from copart_cli.services.match import match as run
    from copart_cli.ui.search import progress_bar

    rep = repertoire(ctx)
    with progress_bar("indexing") as progress:
        result = run(rep, member, providers=limit, progress=progress)
    emit(ctx, result, json)


def accredit(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The member who walked the pathway.")],
    pathway: Annotated[str, typer.Argument(metavar="PATHWAY", help="The pathway (its file name without .md).")],
    json: JsonOpt = False,
) -> None:
    """A coordinator records that MEMBER is accredited in PATHWAY: one signed commit `check` and `verify` prove."""
    from copart_cli.commands.publish import _now
    from copart_cli.services.pathways import accredit as run

    emit(ctx, run(repertoire(ctx), member, pathway, _now()), json)



def archive(
    ctx: typer.Context,
    body: Annotated[Optional[str], typer.Option("--body", "-b", help="The closing story (Markdown).")] = None,
    body_file: Annotated[Optional[str], typer.Option("--body-file", help="Read it from a file; '-' for stdin.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="The closing story's title.")] = None,
    json: JsonOpt = False,
) -> None:
    """Close a community that reached its purpose: a closing story, then read-only (still searchable)."""
    from copart_cli.commands._common import text_or_file
    from copart_cli.commands.publish import _now
    from copart_cli.services.lifecycle import archive as run

    emit(ctx, run(repertoire(ctx), text_or_file(body, body_file) or "", title, _now()), json)
