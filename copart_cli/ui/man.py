"""copart(1): the manual page, in roff, made from the same help `copart --help` prints.

`copart man` builds a `Manual` from the command tree (commands/manual.py) and this module
writes it; nothing here is written by hand, so the page never drifts from the help.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass
class Option:
    names: list[str]  # ["-R", "--repertoire"]
    metavar: str  # "PATH", "" for a flag
    help: str


@dataclass
class Command:
    name: str  # "new", "review accept"
    usage: str  # "KIND [TITLE]"
    help: str
    options: list[Option] = field(default_factory=list)


@dataclass
class Manual:
    version: str
    summary: str
    usage: str
    options: list[Option]
    commands: list[Command]


EXIT_CODES = [("0", "success"), ("1", "an error (the message says which)"),
              ("2", "bad usage, or input needed under --no-input"),
              ("3", "sync left a conflict to resolve, or the remote could not be reached (nothing is lost)"),
              ("4", "a check or a gate failed"), ("130", "interrupted (Ctrl-C)")]
ENVIRONMENT = [("COPART_REPERTOIRE", "the repertoire, when -R is not given"),
               ("VISUAL, EDITOR", "the editor new, edit, answer and resolve open"),
               ("PAGER", "the pager for long output on a terminal (default: less -FRX; empty: none)"),
               ("COPART_NET_TIMEOUT", "seconds a remote may stay silent before sync, join or a hub push gives up (default 20)"),
               ("NO_COLOR", "no colours")]


def _esc(text: str) -> str:
    """Text as roff reads it: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)  # groff's names for … and —
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.splitlines())


def _option(opt: Option) -> list[str]:
    names = ", ".join(f"\\fB{_esc(n)}\\fR" for n in opt.names)
    return [".TP", names + (f" \\fI{_esc(opt.metavar)}\\fR" if opt.metavar else ""), _esc(opt.help or "")]


def roff(m: Manual) -> str:
    lines = [f'.TH COPART 1 "" "copart {_esc(m.version)}" "User Commands"', ".SH NAME",
             f"copart \\- {_esc(m.summary)}", ".SH SYNOPSIS", f"\\fBcopart\\fR {_esc(m.usage)}", ".SH OPTIONS"]
    for opt in m.options:
        lines += _option(opt)
    lines.append(".SH COMMANDS")
    for cmd in m.commands:
        lines += [f'.SS "copart {_esc(cmd.name)} {_esc(cmd.usage)}"', _esc(cmd.help)]
        for opt in cmd.options:
            lines += _option(opt)
    lines.append(".SH EXIT STATUS")
    for code, what in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", _esc(what)]
    lines.append(".SH ENVIRONMENT")
    for name, what in ENVIRONMENT:
        lines += [".TP", f"\\fB{_esc(name)}\\fR", _esc(what)]
    lines += [".SH SEE ALSO", "\\fBgit\\fR(1)", ""]
    return "\n".join(lines)


def write(m: Manual) -> None:
    sys.stdout.write(roff(m))
