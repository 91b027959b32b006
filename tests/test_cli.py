"""The command line as a whole: help, version, docs, start-up cost, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[str]:
    """Every command (and sub-command) the root app registers."""
    import typer

    from copart_cli.cli import app

    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():
        names.append(name)
        for sub in getattr(cmd, "commands", {}):
            names.append(f"{name} {sub}")
    return names


def test_version(alice):
    from copart_cli import __version__

    for args in (["--version"], ["--json", "--version"]):
        r = alice.copart(*args)
        assert r.ok and r.stdout.strip() == f"copart {__version__}"


def modules_after(args: list[str], **run) -> tuple[str, set[str]]:
    """Run copart in a fresh interpreter: (its stderr, every module it had loaded at the end)."""
    code = ("import os, sys, runpy; sys.argv = ['copart', *%r]\n"
            "os._exit = sys.exit  # a query's quick exit would skip the report below\n"
            "try:\n    runpy.run_module('copart_cli', run_name='__main__')\n"
            "except SystemExit as e:\n    sys.stderr.write('EXIT=%%s\\n' %% e.code)\n"
            "sys.stderr.write('LOADED=' + ','.join(sorted(sys.modules)))\n") % (args,)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **run)
    stderr, _, loaded = proc.stderr.rpartition("LOADED=")
    return stderr, set(loaded.strip().split(","))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["new", "--help"]])
def test_help_and_version_do_not_import_heavy_libraries(args):
    _, loaded = modules_after(args)
    heavy = sorted(m for m in loaded if m.split(".")[0] in ("git", "whoosh", "jinja2", "yaml"))
    assert heavy == [], f"{args} imported {heavy}"


@pytest.mark.parametrize("args", [["list"], ["-R", "{rep}", "list"], ["--json", "--repertoire={rep}", "list"]])
def test_a_command_loads_only_its_own_module(alice, sample, args):
    """Start-up: the command table is lazy, so `list` never builds or imports `site`, `sync`, ..."""
    args = [a.replace("{rep}", str(sample)) for a in args]
    stderr, loaded = modules_after(args, cwd=sample, env=alice.env)
    assert "EXIT=0" in stderr, stderr
    commands = sorted(m for m in loaded if m.startswith("copart_cli.commands."))
    assert commands == ["copart_cli.commands._common", "copart_cli.commands.entries"], commands


def test_the_command_list_names_every_command_piped_and_on_a_terminal(alice, tmp_path):
    """`copart --help` is drawn by copart, not typer (typer's renderer costs ~150 ms of
    imports): it must still list every command, with the first line of its own help."""
    import typer

    from copart_cli.cli import app
    from tests.terminal import lines, on_terminal

    group = typer.main.get_command(app)  # what typer itself takes as each command's help
    firsts = {name: re.split(r"[.:;(]", " ".join(cmd.help.split()))[0].strip()[:30]
              for name, cmd in group.commands.items()}
    piped = alice.copart("--help")
    shown = on_terminal(alice, "--help", cwd=tmp_path, env={"PAGER": "", "COLUMNS": "200"})
    assert piped.ok and shown.code == 0, shown.stdout
    for text in (piped.stdout, "\n".join(lines(shown.stdout))):
        assert "Usage: copart [OPTIONS] COMMAND [ARGS]..." in text
        assert re.search(r"--repertoire\s+-R\s+PATH\s+The repertoire", text), text
        for name, first in firsts.items():
            assert re.search(rf"^\W*{re.escape(name)}\s+{re.escape(first)}", text, re.M), (name, first)
    bare = alice.copart()
    assert bare.code == 2 and bare.stdout == piped.stdout  # bare `copart`: the same list, as a usage error
    assert alice.copart("-R", str(tmp_path), "--debug", "-h").stdout == piped.stdout  # global options first
    listed = json.loads(alice.copart("--json", "--help").stdout)
    assert sorted(c["name"] for c in listed["commands"]) == sorted(firsts)
    assert {"long": "--repertoire", "short": "-R", "metavar": "PATH"}.items() <= listed["options"][0].items()
    _, loaded = modules_after(["--help"])
    assert not loaded & {"typer.rich_utils", "rich.markdown", "pygments"}


def test_the_command_list_fits_a_narrow_terminal(alice, tmp_path):
    """At 40 columns every line fits, and no help is squeezed into a sliver beside its name:
    each name then stands on its own line, its help below it."""
    from tests.terminal import lines, on_terminal

    piped = alice.copart("--help", env={"COLUMNS": "40"})
    shown = lines(on_terminal(alice, "--help", cwd=tmp_path, env={"PAGER": "", "COLUMNS": "40"}).stdout)
    for text in (piped.stdout.splitlines(), shown):
        assert max(len(line) for line in text) <= 40, text
        at = next(i for i, line in enumerate(text) if "--install-completion SHELL" in line)
        assert "Install tab completion for bash" in text[at + 1], text[at:at + 2]


def test_a_question_loads_no_network_or_async_modules(alice, sample):
    """whoosh would bring in urllib.request (http.client, email, ssl), asyncio and the
    English variations tables: 55 ms of every `ask`, for nothing a local search calls."""
    stderr, loaded = modules_after(["ask", "how do we price a workshop?"], cwd=sample, env=alice.env)
    assert "EXIT=0" in stderr and "whoosh.searching" in loaded, stderr
    # (urllib.request is a stand-in)
    assert not loaded & {"http.client", "ssl", "email.parser", "asyncio", "whoosh.lang.morph_en"}


def test_other_code_still_gets_the_real_modules():
    code = ("import copart_cli.adapters.index, whoosh.reading, whoosh.query, urllib.request, cached_property\n"
            "from whoosh.query.terms import variations  # the name whoosh's Variations query calls\n"
            "print(urllib.request.Request('http://127.0.0.1/').host, cached_property.cached_property.__module__,\n"
            "      sorted(variations('rendered'))[:2])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.split() == ["127.0.0.1", "cached_property", "['render',", "'rendere']"], proc.stderr


def test_every_command_has_help_and_is_documented(alice):
    readme = (ROOT / "README.md").read_text()
    docs = readme + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    for name in commands():
        r = alice.copart(*name.split(), "--help")
        assert r.ok, f"{name}: {r}"
        assert "Usage:" in r.stdout
        # the help text says what the command does (not just its usage line)
        assert len(r.stdout.split("Usage:", 1)[1].strip().splitlines()) > 2, name
        assert re.search(rf"`(copart )?{re.escape(name)}\b", docs), f"'{name}' is not documented in README/docs"


def test_an_unknown_command_is_a_usage_error(alice):
    r = alice.copart("frobnicate")
    assert r.code == 2
    assert r.stderr.startswith("copart: error:") and "frobnicate" in r.stderr


def test_a_bad_option_value_is_a_usage_error(alice, sample):
    r = alice.copart("new", "poem", "Roses", cwd=sample)
    assert r.code == 2 and "poem" in r.stderr
    assert "Traceback" not in r.stderr


def test_global_options_work_before_and_after_the_command(alice, sample):
    before = alice.copart("--json", "-R", str(sample), "list", "--kind", "ask")
    after = alice.copart("list", "--kind", "ask", "--json", "-R", str(sample))
    assert before.ok and after.ok and json.loads(before.stdout) == json.loads(after.stdout)


def test_debug_shows_the_traceback_that_is_otherwise_hidden(alice, sample):
    quiet = alice.copart("show", "no-such-entry", cwd=sample)
    assert quiet.code == 1 and "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") <= 2
    loud = alice.copart("--debug", "show", "no-such-entry", cwd=sample)
    assert loud.code == 1 and "Traceback" in loud.stderr


@pytest.mark.parametrize("args", ["list", "search workshop", "ask 'how do we price a workshop?'", "show big-note",
                                  "--help"])
def test_piping_into_a_closed_reader_is_not_an_error(alice, sample, args):
    """`copart … | head -1`: exit 0 and nothing on stderr, whether the reader left before the
    output was flushed (small) or in the middle of writing it (a 400 KB entry)."""
    body = sample.parent / "big.md"
    body.write_text("".join(f"Line {n} of a long note about workshop pricing.\n" for n in range(8000)))
    assert alice.copart("new", "practice", "Big note", "--no-edit", "--body-file", str(body), "--author", "apatel",
                        cwd=sample).ok
    assert alice.copart("index", cwd=sample).ok  # its notes on stderr are not what this test is about
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m copart_cli {args} | head -1"],
                          cwd=sample, env=alice.env, capture_output=True, text=True)
    assert proc.stdout.count("\n") == 1
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("args", [[], ["review"], ["pathway"]])
def test_a_bare_command_shows_its_help_without_an_empty_error(alice, args):
    r = alice.copart(*args)
    assert r.code == 2 and "Usage:" in r.stdout
    assert "error" not in r.stderr


@pytest.mark.parametrize("args", ["list", "show pricing-a-first-workshop", "ask 'how do we price a workshop?'",
                                  "--help"])
def test_output_to_a_full_disk_is_one_error_line(alice, sample, args):
    assert alice.copart("index", cwd=sample).ok
    proc = subprocess.run(["bash", "-c", f"{sys.executable} -m copart_cli {args} > /dev/full"],
                          cwd=sample, env=alice.env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("copart: error: ") and "Exception ignored" not in proc.stderr
