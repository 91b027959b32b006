"""init, demo, config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, completes, emit, repertoire


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


config_app = typer.Typer(help="Read or change copart.yaml's settings (each checked; a change is one commit).",
                         no_args_is_help=True, add_completion=False)


@config_app.command("get")
def config_get(
    ctx: typer.Context,
    key: Annotated[Optional[str], typer.Argument(metavar="[KEY]", autocompletion=completes("config-keys"), help="One key (default: all of them).")] = None,
    json: JsonOpt = False,
) -> None:
    """Print copart.yaml's settings, or one of them."""
    from copart_cli.services.config import get_config

    emit(ctx, get_config(repertoire(ctx), key), json)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", autocompletion=completes("config-keys"), help="name, domain, description, topics, review or default_remote.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", autocompletion=completes("config-values"), help="The new value, kept as typed (topics: '[a, b]' or 'a, b'; a value starting with '-' goes after --).")],
    json: JsonOpt = False,
) -> None:
    """Change one setting in copart.yaml, checked, in one commit (e.g. copart config set review coordinators)."""
    from copart_cli.services.config import set_config

    emit(ctx, set_config(repertoire(ctx), key, value), json)
