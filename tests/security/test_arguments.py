"""Bounded arguments: a huge number, a transport that runs a program or reads a file descriptor,
a 4,000-character name or path is one clear line (exit 2), quickly, and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.synckit import join, start_hub

HUGE = "9223372036854775807"


def _one_usage_line(r, codes=(2,)) -> bool:
    lines = r.stderr.strip().splitlines()
    return (r.code in codes and 1 <= len(lines) <= 2 and lines[0].startswith("copart: error: ")
            and "internal error" not in r.stderr)


@pytest.mark.parametrize("args", [
    ("stats", "--months", HUGE), ("site", "{tmp}/site", "--jobs", "100000"), ("search", "vat", "--limit", HUGE),
    ("ask", "vat", "--limit", HUGE), ("pathway", "suggest", "vat", "--limit", HUGE),
    ("list", "--since", "99999999d"), ("list", "--since", "99999m"), ("search", "vat", "--since", "99999y"),
    ("digest", "--since", "99999y"), ("digest", "--until", "99999w"), ("stale", "--older-than", "99999m"),
], ids=" ".join)
def test_a_huge_number_is_a_usage_error_at_once(alice, sample, tmp_path, args):
    r = alice.copart(*(a.format(tmp=tmp_path) for a in args), cwd=sample, timeout=30)
    assert _one_usage_line(r), r
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("args", [("new", "story", "T\udcff", "--no-edit", "--body", "x"), ("search", "pr\udcffce"),
                                  ("ask", "pr\udcffce"), ("show", "\udcff")], ids=lambda a: a[0])
def test_an_argument_that_is_not_utf8_is_a_usage_error_and_writes_nothing(alice, sample, args):
    head = alice.git("rev-parse", "HEAD", cwd=sample)
    r = alice.copart(*args, cwd=sample)  # the \udcff reaches copart as the byte 0xff
    assert _one_usage_line(r) and "not UTF-8" in r.stderr and "\\xff" in r.stderr, r
    assert alice.git("status", "--porcelain", cwd=sample) == "" and alice.git("rev-parse", "HEAD", cwd=sample) == head


def _gits_naming(text: str) -> list[str]:
    """Running processes whose command line holds `text` (a git left behind by copart)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.parametrize("url", ["fd::3", "fd::0,1", "ext::sh -c touch% {tmp}/pwned", "FD::3",
                                 "evil://host/repo", "testing::{tmp}/hub"], ids=lambda u: u.split(":")[0])
def test_join_refuses_a_transport_that_runs_or_reads_anything(alice, tmp_path, url):
    url = url.format(tmp=tmp_path)
    dest = tmp_path / "joined"
    r = alice.copart("join", url, str(dest), timeout=30)  # a hang fails here
    assert _one_usage_line(r) and "transport" in r.stderr, r
    assert not dest.exists() and not (tmp_path / "pwned").exists()
    assert not _gits_naming(str(dest))


def test_sync_refuses_a_remote_set_to_a_program(world):
    alice = world.partner("alice")
    rep, _ = start_hub(world, alice)
    pwned = world.base / "pwned"
    alice.git("remote", "set-url", "origin", f"ext::sh -c touch% {pwned}", cwd=rep)
    r = alice.copart("sync", cwd=rep, timeout=30)
    assert _one_usage_line(r) and "'ext' transport" in r.stderr, r
    assert not pwned.exists()


def test_git_itself_refuses_other_transports_for_a_push_url(world):
    # the fetch URL is fine, the push URL reads a file descriptor: git (GIT_ALLOW_PROTOCOL) says no
    alice = world.partner("alice")
    rep, _ = start_hub(world, alice)
    alice.git("remote", "set-url", "--push", "origin", "fd::3", cwd=rep)
    assert alice.copart("new", "story", "Going nowhere", "--no-edit", "--body", "x", cwd=rep).ok
    r = alice.copart("sync", cwd=rep, timeout=30)  # it used to wait on fd 3 for ever
    assert r.code != 0 and "transport 'fd' not allowed" in r.stdout + r.stderr, r
    assert "internal error" not in r.stderr
    assert not _gits_naming("fd::3")


LONG = "a" * 4000


@pytest.mark.parametrize("args", [
    ("-R", "/tmp/" + LONG, "list"), ("-R", "/tmp/" + "/".join(["b" * 200] * 20), "list"),
    ("init", "{tmp}/" + LONG, "--name", "X"), ("init", "{tmp}/new", "--name", LONG),
    ("join", "{hub}", "{tmp}/" + LONG), ("site", "{tmp}/" + LONG), ("import", "{tmp}/" + LONG),
    ("sync", "--bundle", "{tmp}/" + LONG), ("new", "story", LONG, "--no-edit", "--body", "x"),
    ("new", "member", LONG, "--no-edit", "--body", "x"), ("new", "story", "T", "--id", LONG, "--no-edit"),
    ("show", LONG), ("who", "@" + LONG), ("edit", "pricing-a-first-workshop", "--title", LONG),
], ids=lambda args: " ".join(a if len(a) < 20 else f"{a[:8]}…{len(a)}" for a in args))
def test_an_overlong_name_or_path_is_one_clear_line(alice, sample, tmp_path, args):
    rep = sample
    head = alice.git("rev-parse", "HEAD", cwd=rep)
    r = alice.copart(*(a.format(tmp=tmp_path, hub=rep) for a in args), cwd=rep, timeout=60)
    assert _one_usage_line(r, codes=(1, 2)), r  # a usage error, or "no entry with id …"
    assert alice.git("rev-parse", "HEAD", cwd=rep) == head and alice.git("status", "--porcelain", cwd=rep) == ""
    assert not (tmp_path / "new").exists()
