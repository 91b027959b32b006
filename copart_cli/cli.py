"""The root command: global options, the command table, and the one error → exit-code map."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from copart_cli import __version__
from copart_cli.ui import Options


def _version(value: bool) -> None:
    if value:
        print(f"copart {__version__}")
        raise typer.Exit()


COMPLETE_VAR = "_COPART_COMPLETE"  # set by the completion scripts when the shell asks for completions


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def _completion(install: bool):
    """--install-completion / --show-completion SHELL: typer's scripts and installer, loaded only then."""
    def callback(value: Shell | None) -> None:
        if value is None:
            return
        from typer.completion import get_completion_script
        from typer.completion import install as install_script

        if install:
            shell, path = install_script(shell=value.value, prog_name="copart", complete_var=COMPLETE_VAR)
            print(f"{shell} completion installed in {path}; it works in shells started from now on")
        else:
            print(get_completion_script(prog_name="copart", complete_var=COMPLETE_VAR, shell=value.value))
        raise typer.Exit()

    return callback


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
    install_completion: Annotated[Optional[Shell], typer.Option(
        "--install-completion", metavar="SHELL", callback=_completion(install=True), is_eager=True,
        help="Install tab completion for bash, zsh or fish (commands, options, ids, tags, members…).")] = None,
    show_completion: Annotated[Optional[Shell], typer.Option(
        "--show-completion", metavar="SHELL", callback=_completion(install=False), is_eager=True,
        help="Print the completion script for bash, zsh or fish, to install it yourself.")] = None,
) -> None:
    ctx.obj = Options(json=json, no_input=no_input, debug=debug, repertoire=repertoire)


# The command table, in the order `copart --help` lists it (cli.root_help): name → (module in commands/, attribute).
# An attribute ending in `_app` is a group of sub-commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("community", "init"),
    "demo": ("community", "demo"),
    "new": ("entries", "new"),
    "edit": ("entries", "edit"),
    "show": ("entries", "show"),
    "list": ("entries", "list_"),
    "tags": ("entries", "tags"),
    "rm": ("entries", "rm"),
    "check": ("entries", "check"),
    "search": ("search", "search"),
    "ask": ("search", "ask"),
    "answer": ("search", "answer"),
    "asks": ("search", "asks"),
    "accept": ("search", "accept"),
    "who": ("search", "who"),
    "index": ("search", "index"),
    "import": ("search", "import_"),
    "adopt": ("adopt", "adopt"),
    "join": ("sync", "join"),
    "sync": ("sync", "sync"),
    "status": ("sync", "status"),
    "resolve": ("sync", "resolve"),
    "contribute": ("review", "contribute_app"),
    "review": ("review", "review_app"),
    "setup-signing": ("review", "setup_signing"),
    "verify": ("review", "verify"),
    "hub": ("review", "hub_app"),
    "digest": ("publish", "digest"),
    "site": ("publish", "site"),
    "stats": ("publish", "stats"),
    "stale": ("publish", "stale"),
    "pathway": ("publish", "pathway_app"),
    "config": ("community", "config_app"),
    "man": ("manual", "man"),
    "match": ("economy", "match"),
    "accredit": ("economy", "accredit"),
    "archive": ("economy", "archive"),
    "constellation": ("constellation", "constellation_app"),
}
WHOLE_TREE = frozenset({"man"})  # commands that read every other command's help


def build(only: str | None = None) -> typer.Typer:
    """The root app with every command, or with just `only` (what one run needs: turning
    all ~40 functions into click commands costs more than a whole `copart sync`)."""
    import importlib

    app = typer.Typer(
        name="copart",
        help="Keep and share what a Community of Practice knows: stories, practice notes, who knows what.",
        no_args_is_help=True,
        add_completion=False,  # ours are below: typer's would import its completion machinery on every run
        suggest_commands=False,  # click already says "Did you mean …?"
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(main)
    for name, (module, attr) in COMMANDS.items():
        if only is not None and name != only:
            continue
        obj = getattr(importlib.import_module(f"copart_cli.commands.{module}"), attr)
        if attr.endswith("_app"):
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)
    return app


def root_help():
    """What `copart --help` lists: the root's options, and each command's first paragraph of
    help, read without turning the ~40 functions into click commands."""
    import importlib
    import inspect

    import click

    from copart_cli.ui.help import RootHelp

    group = typer.main.get_command(build(only=""))
    options = []
    for param in group.get_params(click.Context(group, info_name="copart", **group.context_settings)):
        if isinstance(param, click.Option) and not param.hidden:
            names = [*param.opts, *param.secondary_opts]
            options.append((" ".join(n for n in names if n.startswith("--")),
                            " ".join(n for n in names if not n.startswith("--")),
                            "" if param.is_flag else (param.metavar or param.type.name.upper()), param.help or ""))
    commands = []
    for name, (module, attr) in COMMANDS.items():
        obj = getattr(importlib.import_module(f"copart_cli.commands.{module}"), attr)
        text = obj.info.help if attr.endswith("_app") else inspect.getdoc(obj)
        commands.append((name, " ".join((text or "").split("\n\n")[0].split())))
    return RootHelp("copart [OPTIONS] COMMAND [ARGS]...", group.help or "", options, commands)


GLOBAL_FLAGS = frozenset({"--json", "--no-input", "--debug"})


def _words(args: list[str]) -> list[str]:
    """The line without the global options (and -R's value): the command and what follows it."""
    words, i = [], 0
    while i < len(args):
        if args[i] in ("-R", "--repertoire"):
            i += 1
        elif args[i] not in GLOBAL_FLAGS and not args[i].startswith("--repertoire="):
            words.append(args[i])
        i += 1
    return words


def _invoked(args: list[str]) -> str | None:
    """The command named on the line, if it is one of ours."""
    words = _words(args)
    first = next((w for w in words if not w.startswith("-") or w in ("-h", "--help")), None)
    return first if first in COMMANDS and first not in WHOLE_TREE else None


def _lists_commands(args: list[str]) -> bool:
    """`copart`, or `copart [global options] --help`: the command list is the answer."""
    return not args or _words(args) in (["-h"], ["--help"])


def __getattr__(name: str):
    if name == "app":  # the whole app, for tests and tools that walk the command table
        return build()
    raise AttributeError(name)


def _global_flags_everywhere(group) -> None:
    """Let the global options follow the command too (`copart new story --no-input`)."""
    import click

    def setter(attr):
        def callback(ctx: click.Context, _param, value):
            if value in (None, False):
                return
            if ctx.find_root().obj is None:  # completing a line: the root command has not run
                ctx.meta[f"copart.{attr}"] = value
            else:
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


# Read-only queries: nothing is left to clean up when they finish, so the process ends at
# once instead of tearing down every module and object (a fifth of an `ask`).
QUICK_EXIT = frozenset({"ask", "search", "who", "asks"})


def run(argv: list[str] | None = None, *, quick_exit: bool = False) -> None:
    """Run the CLI and map every outcome to an exit code; the only place that does.

    Output is flushed here, so that a reader that went away (`copart list | head -1`) is
    not an error, and a full disk is. `quick_exit` (the installed command, never a test
    calling in) then ends a query with os._exit.
    """
    import click

    invoked = _invoked(sys.argv[1:] if argv is None else argv)
    try:
        try:
            _run(argv)
        except KeyboardInterrupt:  # while the commands were still being loaded
            interrupted()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(sys.stdout, click.utils.PacifyFlushWrapper):  # click's sign of a broken pipe
            code = 0
        code = _flush(code)
        if quick_exit and invoked in QUICK_EXIT:
            os._exit(code)
        sys.exit(code)


def interrupted() -> None:
    """Ctrl-C, wherever it lands: one line and exit 130 (128 + SIGINT), as a shell reports it."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write("\ncopart: interrupted\n")
    sys.exit(130)


def _flush(code: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            if not stream.closed:
                stream.flush()
        except BrokenPipeError:  # the reader went away: nothing more to say, and no error
            _quiet(stream)
        except OSError as exc:  # the output was lost (a full disk)
            _quiet(stream)
            with contextlib.suppress(OSError, ValueError):
                sys.__stderr__.write(f"copart: error: the output could not be written ({exc.strerror or exc})\n")
            code = code or 1
    return code


def _quiet(stream) -> None:
    """Point a stream that cannot be written at /dev/null, so Python's own last flush is silent."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _run(argv: list[str] | None) -> None:
    import click

    from copart_cli.core.errors import CopartError, ExitCode
    from copart_cli.ui import error

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    for arg in args:  # bytes that are not UTF-8 arrive as lone surrogates no file or commit can hold
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            error(f"an argument is not UTF-8 text: {shown[:60]}", "copart reads and writes UTF-8; set a UTF-8 locale")
            sys.exit(int(ExitCode.USAGE))
    if os.environ.get(COMPLETE_VAR):  # the shell asks for completions: typer's protocol for bash, zsh, fish
        from typer.completion import completion_init

        completion_init()
    listing = not os.environ.get(COMPLETE_VAR) and _lists_commands(args)
    try:
        if listing:  # the command list, without typer's costly help renderer
            from copart_cli.ui import Options, emit

            emit(root_help(), Options(json="--json" in args))
            code = int(ExitCode.USAGE) if not args else 0  # bare `copart` is a usage error, as before
        else:
            command = typer.main.get_command(build(only=_invoked(args)))
            _global_flags_everywhere(command)
            code = command.main(args=args, prog_name="copart", standalone_mode=False)
    except CopartError as exc:
        if debug:
            raise
        error(exc.message, exc.hint)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `copart`: the help is the answer
            if exc.format_message().strip():  # (typer's rich help has printed itself already)
                sys.stdout.write(exc.format_message() + "\n")
            sys.exit(int(ExitCode.USAGE))
        cmd = exc.ctx.command_path if exc.ctx else "copart"
        error(exc.format_message(), f"see: {cmd} --help")
        sys.exit(int(ExitCode.USAGE))
    except click.exceptions.ClickException as exc:
        error(exc.format_message())
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        interrupted()
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        sys.exit(0)
    except Exception as exc:  # a bug: one line for users, the traceback under --debug
        if debug:
            raise
        from copart_cli.core.errors import is_disk_full

        if isinstance(exc, OSError) and is_disk_full(exc):  # not a bug: the disk filled up
            error(f"the disk is full ({exc.strerror})", "free some space, then run the command again")
            sys.exit(int(ExitCode.ERROR))
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:  # a 4,000-character -R or DIR
            name = str(exc.filename or "")
            error(f"a file name is too long: {name[:60] + '…' if len(name) > 60 else name}", "use a shorter path")
            sys.exit(int(ExitCode.USAGE))
        error(f"internal error: {type(exc).__name__}: {exc}", "run again with --debug and report the traceback")
        sys.exit(int(ExitCode.ERROR))
    if code == 130:  # typer turns a Ctrl-C inside a command into a silent exit 130
        interrupted()
    sys.exit(code if isinstance(code, int) else 0)
