"""man: the manual page, made from the command tree's own help."""

from __future__ import annotations

import typer


def _options(params) -> list:
    from copart_cli.ui.man import Option

    return [Option(list(p.opts) + list(p.secondary_opts), "" if p.is_flag else (p.metavar or p.type.name.upper()),
                   p.help or "") for p in params if p.param_type_name == "option" and not p.hidden]


def _usage(cmd) -> str:
    """`[OPTIONS] KIND [TITLE]`, as click's usage line has it."""
    args = [name if p.required or name.startswith("[") else f"[{name}]"
            for p in cmd.params if p.param_type_name == "argument" for name in [p.human_readable_name]]
    return " ".join(["[OPTIONS]", *args])


def _commands(group, prefix: str = "") -> list:
    import click

    from copart_cli.ui.man import Command

    found = []
    for name, cmd in group.commands.items():
        if cmd.hidden:
            continue
        if isinstance(cmd, click.Group):
            found += _commands(cmd, f"{prefix}{name} ")
        else:
            found.append(Command(prefix + name, _usage(cmd), (cmd.help or "").strip(), _options(cmd.params)))
    return found


def man(ctx: typer.Context) -> None:
    """Print copart's manual page (roff), made from this help: copart man > ~/.local/share/man/man1/copart.1"""
    from copart_cli import __version__
    from copart_cli.ui import man as page

    root = ctx.find_root().command
    page.write(page.Manual(__version__, (root.help or "").strip(), "[OPTIONS] COMMAND [ARGS]...",
                           _options(root.params), _commands(root)))
