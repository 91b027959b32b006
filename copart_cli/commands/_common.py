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


def text_or_file(text: str | None, text_file: str | None, both: str = "give --body or --body-file, not both") -> str | None:
    """The one way a command takes text: inline, or from a file ('-' for stdin), never both."""
    if text_file is None:
        return text
    from copart_cli.core.errors import UsageError
    from copart_cli.services.capture import read_input

    if text is not None:
        raise UsageError(both)
    return read_input(text_file)


def editor():
    """$VISUAL/$EDITOR for a service that opens one."""
    from copart_cli.services.capture import user_editor

    return user_editor()


def emit(ctx: typer.Context, result, json: bool = False) -> None:
    from copart_cli import ui

    ui.emit(result, options(ctx, json))


def completes(source: str):
    """A tab-completion callback offering `source` (ids, asks, answers, members, tags, topics,
    remotes, config-keys, config-values; services/completion.py) in the repertoire the line names."""
    def callback(ctx: typer.Context, incomplete: str) -> list[str]:
        from copart_cli.services.completion import complete

        # -R before the command is the root's; after it, cli.py's hidden copy notes it in ctx.meta
        repertoire = ctx.find_root().params.get("repertoire") or ctx.meta.get("copart.repertoire")
        return complete(repertoire, source, incomplete, ctx.params.get("key"))

    return callback
