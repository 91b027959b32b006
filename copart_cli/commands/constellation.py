"""constellation add|list|remove|status: the communities you belong to, asked as one."""

from __future__ import annotations

from typing import Annotated

import typer

from copart_cli.commands._common import JsonOpt, emit

constellation_app = typer.Typer(
    help="Your constellation: the communities you belong to (ask them all with ask --constellation).",
    no_args_is_help=True,
    add_completion=False,
)


@constellation_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What to call the community.")],
    target: Annotated[str, typer.Argument(metavar="PATH|URL", help="A repertoire here, or a URL to clone.")],
    json: JsonOpt = False,
) -> None:
    """Add a community: a local repertoire, or a URL cloned into copart's own folder."""
    from copart_cli.services.constellation import add as run

    emit(ctx, run(name, target), json)


@constellation_app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The communities in your constellation."""
    from copart_cli.services.constellation import listing

    emit(ctx, listing(), json)


@constellation_app.command("status")
def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Each community: reachable, entries, archived."""
    from copart_cli.services.constellation import listing

    emit(ctx, listing(status=True), json)


@constellation_app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The community to leave out from now on.")],
    json: JsonOpt = False,
) -> None:
    """Remove a community from your constellation (its files stay where they are)."""
    from copart_cli.services.constellation import remove as run

    emit(ctx, run(name), json)
