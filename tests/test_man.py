"""copart(1): `copart man` writes a manual page made from the commands' own help."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.test_cli import commands


def test_the_manual_page_has_every_command_and_reads_cleanly_in_man(alice, tmp_path):
    r = alice.copart("man")
    assert r.ok, r
    page = r.stdout
    assert page.startswith(".TH COPART 1 ")
    names = commands()
    for name in names:
        if not any(other.startswith(name + " ") for other in names):  # a group is listed by its sub-commands
            assert f'.SS "copart {name}'.replace("-", "\\-") + " " in page, name
    assert "\\fB\\-\\-install\\-completion\\fR \\fISHELL\\fR" in page
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed: the page is not rendered")
    # -ww: every warning groff has; the page must render without one
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww"], input=page, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = re.sub(".\b", "", proc.stdout)  # no overstruck bold
    assert "copart new [OPTIONS] KIND [TITLE]" in text
    assert "copart config set [OPTIONS] KEY VALUE" in text
    assert "130" in text and "PAGER" in text
