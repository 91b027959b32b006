"""Hostile and malformed entries: never a traceback, never a lost file.

The fuzz part drives the services in-process (thousands of cases in seconds); the
catalogue drives the real CLI. Size knob: COPART_FUZZ_EXAMPLES (default 300).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copart_cli.core.errors import CopartError
from copart_cli.services.repertoire import Repertoire
from copart_cli.services.validate import check_repertoire

EXAMPLES = int(os.environ.get("COPART_FUZZ_EXAMPLES", "300"))
TALLY = {"cases": 0, "crashes": 0, "losses": 0}


@pytest.fixture(scope="module", autouse=True)
def summary_line(request):
    """`hostile entries: cases= crashes= losses=` once the module's tests ran (a failed case is counted first)."""
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nhostile entries: cases={TALLY['cases']} crashes={TALLY['crashes']} losses={TALLY['losses']}")

PIECES = [
    "---\n", "---\r\n", "...\n", "\ufeff", "id: x\n", "kind: story\n", "title: T\n", "author: apatel\n",
    "created: 2026-01-01\n", "created: not a date\n", "tags: [a, b\n", "tags: {a: 1}\n", "title: [1, 2]\n",
    "kind: [story]\n", "id: 5\n", "? [a]\n: b\n", "a: &x [1]\n", "b: *x\n", "\t- tab\n", "key: 'unclosed\n",
    "x: !!python/object/apply:os.system ['echo pwned']\n", "y: !!binary aGVsbG8=\n", "z: 1e400\n",
    "\x00", "\xff", "é", "\u202e", "links: [../../etc/passwd]\n", "[[../x]]\n", "body text\n", "\r\n", "\n",
    "answers: [1]\n", "accepted: maybe\n", "status: {}\n", "- a\n", "x: " + "[" * 200 + "\n",
]


@st.composite
def hostile_files(draw) -> bytes:
    parts = draw(st.lists(st.sampled_from(PIECES), max_size=14))
    noise = draw(st.binary(max_size=40))
    where = draw(st.integers(0, max(0, len(parts))))
    text = "".join(parts[:where]).encode("utf-8", "surrogatepass") + noise + "".join(parts[where:]).encode(
        "utf-8", "surrogatepass")
    if draw(st.booleans()):
        text = text.replace(b"\xff", b"")
    return text


@pytest.fixture(scope="module")
def fuzz_rep(tmp_path_factory) -> Path:
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("fuzz")
    env = {**os.environ, "GIT_AUTHOR_NAME": "F", "GIT_AUTHOR_EMAIL": "f@example.org",
           "GIT_COMMITTER_NAME": "F", "GIT_COMMITTER_EMAIL": "f@example.org", "HOME": str(base)}
    subprocess.run([sys.executable, "-m", "copart_cli", "init", str(base / "r"), "--example"], env=env, check=True,
                   capture_output=True)
    return base / "r"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_files())
def test_any_bytes_in_an_entry_give_problems_not_crashes(fuzz_rep, data):
    target = fuzz_rep / "stories" / "fuzzed.md"
    target.write_bytes(data)
    TALLY["cases"] += 1
    try:
        result = check_repertoire(Repertoire(fuzz_rep))
    except CopartError:
        TALLY["crashes"] += 1
        pytest.fail("check must report problems, not stop")
    except Exception:
        TALLY["crashes"] += 1
        raise
    if target.read_bytes() != data:
        TALLY["losses"] += 1
    assert target.read_bytes() == data  # check never rewrites a file
    fuzzed = [p for p in result.problems if p.path == "stories/fuzzed.md"]
    for p in fuzzed:
        assert p.line >= 1 and "\n" not in p.message
    rep = Repertoire(fuzz_rep)
    try:
        rep.load("stories/fuzzed.md")
    except CopartError as exc:
        assert re.match(r"^stories/fuzzed\.md:\d+: ", exc.message)
    assert not (Path("/tmp") / "pwned").exists()


CATALOGUE = {
    "billion-laughs": "---\nid: billion-laughs\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\n",
    "huge-scalar": "---\nid: huge-scalar\ntitle: " + "x" * 200_000 + "\n---\n",
    "wrong-types": "---\nid: wrong-types\nkind: [story]\ntitle: {a: 1}\nauthor: 5\ncreated: 12\ntags: {x: y}\n---\n",
    "duplicate-keys": "---\nid: duplicate-keys\nkind: story\nkind: practice\n---\n",
    "tabs": "---\nid: tabs\n\tkind: story\n---\n",
    "bom-crlf": "\ufeff---\r\nid: bom-crlf\r\nkind: story\r\ntitle: T\r\nauthor: apatel\r\ncreated: 2026-01-01\r\n---\r\nok\r\n",
    "nul-byte": "---\nid: nul-byte\x00\n---\n",
    "no-closing-fence": "---\nid: no-closing-fence\nkind: story\n",
    "python-tag": "---\nid: python-tag\nx: !!python/object/apply:os.system ['touch /tmp/copart-pwned']\n---\n",
    "deep-nesting": "---\nid: deep-nesting\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n",
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_through_the_cli(alice, sample, name):
    raw = CATALOGUE[name]
    data = raw.encode("utf-8") if name != "invalid-utf8" else raw
    path = sample / "stories" / f"{name}.md"
    path.write_bytes(data)
    for args, codes in [(["check"], {4, 0}), (["list"], {0}), (["show", name], {0, 1}),
                        (["edit", name, "--tag", "x"], {0, 1}), (["list", "--json"], {0})]:
        r = alice.copart(*args, cwd=sample)
        TALLY["cases"] += 1
        if r.code not in codes or "Traceback" in r.stderr or "internal error" in r.stderr:
            TALLY["crashes"] += 1
        assert r.code in codes, (args, r)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (args, r)
        if r.code:
            assert r.stderr.startswith("copart: error: "), r
    if not path.exists():
        TALLY["losses"] += 1
    assert path.exists()  # nothing lost: a bad file is reported, never deleted
    assert not Path("/tmp/copart-pwned").exists()


def test_invalid_utf8_is_reported_with_its_line(alice, sample):
    (sample / "stories/latin.md").write_bytes(b"---\nid: latin\ntitle: caf\xe9\n---\n")
    r = alice.copart("check", cwd=sample)
    assert "stories/latin.md:3: not valid UTF-8 text" in r.stdout


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", ".git/config", "CON", "ｐricing",
                                 "-rf", "a" * 10_000, "stories/pricing-a-first-workshop", "x\x00y", "🙂"])
@pytest.mark.parametrize("command", ["show", "rm", "edit"])
def test_id_tricks_never_reach_outside(alice, sample, command, bad):
    args = [command, "--", bad] if command != "edit" else [command, "--tag", "x", "--", bad]
    if "\x00" in bad:
        return  # the OS refuses NUL in argv before copart sees it
    r = alice.copart(*args, cwd=sample)
    assert r.code in (1, 2), r
    assert "Traceback" not in r.stderr
    assert len(r.stderr.splitlines()) <= 2
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_a_ten_thousand_character_title_is_refused_clearly(alice, sample):
    r = alice.copart("new", "story", "word " * 2000, "--no-edit", cwd=sample)
    assert r.code == 2 and "keep it under 300" in r.stderr
