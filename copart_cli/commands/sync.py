"""join, sync, status, resolve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, completes, editor, emit, options, repertoire


def join(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The repertoire to clone: a folder, file://, git://, ssh or https URL.")],
    directory: Annotated[Optional[Path], typer.Argument(metavar="[DIR]", help="Where to put it (default: from the URL).")] = None,
    branch: Annotated[Optional[str], typer.Option("--branch", help="The branch to follow (default: the remote's).")] = None,
    json: JsonOpt = False,
) -> None:
    """Clone a partner's or the hub's repertoire and build its index."""
    from copart_cli.services.join import join as run_join
    from copart_cli.ui import warn

    emit(ctx, run_join(url, directory, branch, warn=warn), json)


def sync(
    ctx: typer.Context,
    remote: Annotated[Optional[str], typer.Option("--remote", autocompletion=completes("remotes"), help="The remote to sync with (default: copart.yaml's default_remote).")] = None,
    no_push: Annotated[bool, typer.Option("--no-push", help="Fetch and integrate only.")] = False,
    bundle: Annotated[Optional[Path], typer.Option("--bundle", metavar="FILE", help="Write what partners may lack to a git bundle (no network).")] = None,
    from_bundle: Annotated[Optional[Path], typer.Option("--from-bundle", metavar="FILE", help="Take in a bundle a partner wrote.")] = None,
    constellation: Annotated[bool, typer.Option("--constellation", help="Sync every community in your constellation.")] = False,
    json: JsonOpt = False,
) -> None:
    """Commit edits made outside copart, fetch, integrate, push; offline-safe (exit 3 when offline or a conflict is left)."""
    from copart_cli.services.sync import sync as run_sync
    from copart_cli.ui import warn

    if constellation:
        from copart_cli.services.constellation import sync as sync_all

        result = sync_all(push=not no_push, warn=warn)
        emit(ctx, result, json)
        if result.exit_code:
            raise typer.Exit(result.exit_code)
        return
    result = run_sync(repertoire(ctx), remote=remote, push=not no_push, bundle_out=bundle, bundle_in=from_bundle,
                      warn=warn)
    emit(ctx, result, json)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Local edits, commits to sync per remote, conflicts waiting, index freshness."""
    from copart_cli.services.status import status as run_status

    emit(ctx, run_status(repertoire(ctx)), json)


def resolve(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="ID", autocompletion=completes("ids"), help="The entry (or file, e.g. copart.yaml) with a conflict copy.")],
    keep: Annotated[Optional[str], typer.Option("--keep", help="entry (as it is), copy (the saved version) or both (combined).")] = None,
    copy: Annotated[Optional[str], typer.Option("--copy", metavar="NAME", help="Which conflict copy, when there are several.")] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Open your editor on the result before committing.")] = False,
    json: JsonOpt = False,
) -> None:
    """Settle a conflict: keep the entry, take the conflict copy, or combine both; the copy is cleared."""
    from copart_cli.core.errors import InputNeeded
    from copart_cli.services.resolve import resolve as run_resolve

    opts = options(ctx, json)
    if keep is None:
        if not opts.interactive:
            raise InputNeeded("say which version to keep",
                              hint=f"copart resolve {target} --keep entry|copy|both (see both with: copart status)")
        keep = typer.prompt("Keep which version? entry, copy or both", default="both")
    if edit and not opts.interactive:
        raise InputNeeded("--edit needs a terminal", hint="drop --edit under --no-input")
    emit(ctx, run_resolve(repertoire(ctx), target, keep, copy, editor() if edit else None), json)
