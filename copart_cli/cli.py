"""The root command: global options, the command table, and the one error → exit-code map."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from copart_cli import __version__
from copart_cli.commands import community, entries
from copart_cli.commands import sync as sync_cmds
from copart_cli.commands import review as review_cmds
from copart_cli.commands import publish as publish_cmds
from copart_cli.commands import search as search_cmds
from copart_cli.ui import Options

app = typer.Typer(
    name="copart",
    help="Keep and share what a Community of Practice knows: stories, practice notes, who knows what.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"copart {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    repertoire: Annotated[
        Optional[str], typer.Option("--repertoire", "-R", metavar="PATH", help="The repertoire (default: found from here).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print stable JSON instead of text.")] = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt or open an editor; fail with exit 2.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = Options(json=json, no_input=no_input, debug=debug, repertoire=repertoire)


# The command table, in the order `copart --help` lists it.
app.command("init")(community.init)
app.command("demo")(community.demo)
app.command("new")(entries.new)
app.command("edit")(entries.edit)
app.command("show")(entries.show)
app.command("list")(entries.list_)
app.command("rm")(entries.rm)
app.command("check")(entries.check)
app.command("search")(search_cmds.search)
app.command("ask")(search_cmds.ask)
app.command("answer")(search_cmds.answer)
app.command("asks")(search_cmds.asks)
app.command("accept")(search_cmds.accept)
app.command("who")(search_cmds.who)
app.command("index")(search_cmds.index)
app.command("import")(search_cmds.import_)
app.command("join")(sync_cmds.join)
app.command("sync")(sync_cmds.sync)
app.command("status")(sync_cmds.status)
app.command("resolve")(sync_cmds.resolve)
app.add_typer(review_cmds.contribute_app, name="contribute")
app.add_typer(review_cmds.review_app, name="review")
app.command("setup-signing")(review_cmds.setup_signing)
app.command("verify")(review_cmds.verify)
app.add_typer(review_cmds.hub_app, name="hub")
app.command("digest")(publish_cmds.digest)
app.command("site")(publish_cmds.site)
app.command("stats")(publish_cmds.stats)
app.command("stale")(publish_cmds.stale)
app.add_typer(publish_cmds.pathway_app, name="pathway")


def _global_flags_everywhere(group) -> None:
    """Let the global options follow the command too (`copart new story --no-input`)."""
    import click

    def setter(attr):
        def callback(ctx: click.Context, _param, value):
            if value not in (None, False):
                setattr(ctx.find_root().obj, attr, value)

        return callback

    for sub in group.commands.values():
        names = {opt for p in sub.params for opt in getattr(p, "opts", [])}
        extra = [
            click.Option(["--no-input"], is_flag=True, expose_value=False, hidden=True, callback=setter("no_input")),
            click.Option(["--debug"], is_flag=True, expose_value=False, hidden=True, callback=setter("debug")),
            click.Option(["-R", "--repertoire"], expose_value=False, hidden=True, callback=setter("repertoire")),
        ]
        sub.params.extend(o for o in extra if not names.intersection(o.opts))
        if isinstance(sub, click.Group):
            _global_flags_everywhere(sub)


def run(argv: list[str] | None = None) -> None:
    """Run the CLI and map every outcome to an exit code; the only place that does."""
    import click

    from copart_cli.errors import CopartError, ExitCode
    from copart_cli.ui import error

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = typer.main.get_command(app)
    _global_flags_everywhere(command)
    try:
        code = command.main(args=args, prog_name="copart", standalone_mode=False)
    except CopartError as exc:
        if debug:
            raise
        error(exc.message, exc.hint)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx else "copart"
        error(exc.format_message(), f"see: {cmd} --help")
        sys.exit(int(ExitCode.USAGE))
    except click.exceptions.ClickException as exc:
        error(exc.format_message())
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.stderr.write("\ncopart: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        sys.exit(0)
    except Exception as exc:  # a bug: one line for users, the traceback under --debug
        if debug:
            raise
        from copart_cli.files import is_disk_full

        if isinstance(exc, OSError) and is_disk_full(exc):  # not a bug: the disk filled up
            error(f"the disk is full ({exc.strerror})", "free some space, then run the command again")
            sys.exit(int(ExitCode.ERROR))
        error(f"internal error: {type(exc).__name__}: {exc}", "run again with --debug and report the traceback")
        sys.exit(int(ExitCode.ERROR))
    sys.exit(code if isinstance(code, int) else 0)
