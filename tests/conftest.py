"""A temporary world for every test: its own HOME, XDG folders and git identity.

Tests drive the real `copart` CLI in a subprocess against real git repositories:

    def test_capture(world):
        alice = world.partner("alice")
        rep = alice.init("4xp", example=True)
        r = alice.copart("new", "story", "Hello", "--no-edit", "--body", "hi", cwd=rep)
        assert r.ok
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "repertoire"
CORPUS_SLICE = ROOT / "tests" / "data" / "corpus"  # real Markdown the clone carries (its PROVENANCE.txt)


def corpus_stream(low: int = 0, high: int | None = None) -> Iterator[tuple[str, bytes]]:
    """Real Markdown without end: the slice's .md files of low..high bytes as they are, in a stable
    order, then replica k = 1, 2, … of each as <stem>__r<k>.md with a last line '<!-- replica k -->'
    (the 10x variant ../shared/corpus/MANIFEST.txt describes), so no two files are identical."""
    files = sorted(p for p in CORPUS_SLICE.rglob("*.md") if low <= p.stat().st_size <= (high or 1 << 40))
    for k in itertools.count():
        for path in files:
            rel, data = path.relative_to(CORPUS_SLICE).as_posix(), path.read_bytes()
            if k:
                rel, data = f"{rel[:-3]}__r{k}.md", data + f"\n<!-- replica {k} -->\n".encode()
            yield rel, data


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def json(self):
        return json.loads(self.stdout)

    def __str__(self) -> str:  # shown by pytest when an assert fails
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


class Partner:
    """A person with their own HOME and git identity, typing copart commands."""

    def __init__(self, world: "World", name: str, email: str | None = None):
        self.world = world
        self.name = name
        self.email = email or f"{name}@example.org"
        self.home = world.base / "homes" / name
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "tmp").mkdir(exist_ok=True)
        (self.home / ".gitconfig").write_text(
            f"[user]\n\tname = {name.title()}\n\temail = {self.email}\n"
            "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n"
        )

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "COPART_", "XDG_"))}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_STATE_HOME=str(self.home / ".local/state"),
            GIT_CONFIG_GLOBAL=str(self.home / ".gitconfig"),
            GIT_CONFIG_NOSYSTEM="1",
            TMPDIR=str(self.home / "tmp"),  # `demo` cleans up its earlier copies in the temp dir
            EDITOR="false",  # a test that wants an editor sets one
            PAGER="",  # no pager waiting for a key on a test's terminal; a test that wants one sets it
            NO_COLOR="1",
            COLUMNS="200",
        )
        env.pop("VISUAL", None)
        return env

    def copart(self, *args: str, cwd: Path | None = None, input: str | None = None, env: dict | None = None,
               timeout: float = 120) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "copart_cli", *args],
            cwd=cwd or self.home,
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def git(self, *args: str, cwd: Path, check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=self.env)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout

    def init(self, name: str = "4xp", example: bool = True, **kw) -> Path:
        path = self.world.base / self.name / name
        args = ["init", str(path), "--name", kw.get("community", "4XP")]
        if example:
            args.append("--example")
        r = self.copart(*args)
        assert r.ok, r
        return path


class World:
    def __init__(self, base: Path):
        self.base = base
        self.partners: dict[str, Partner] = {}

    def partner(self, name: str, email: str | None = None) -> Partner:
        if name not in self.partners:
            self.partners[name] = Partner(self, name, email)
        return self.partners[name]

    def bare(self, name: str = "hub.git") -> Path:
        path = self.base / "remotes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        return path


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


@pytest.fixture
def alice(world: World) -> Partner:
    return world.partner("alice")


@pytest.fixture
def sample(alice: Partner) -> Path:
    """A git repertoire seeded from the bundled sample, owned by alice."""
    return alice.init("4xp", example=True)


# --- tests/security/: each test is one attack; the run ends with how many held -------------
_ATTACKS = {"tried": 0, "held": 0}


def pytest_runtest_logreport(report):
    if not report.nodeid.startswith("tests/security/"):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _ATTACKS["tried"] += 1
        _ATTACKS["held"] += report.passed


def pytest_terminal_summary(terminalreporter):
    if _ATTACKS["tried"]:
        terminalreporter.write_line(f"attacks: {_ATTACKS['tried']} tried, {_ATTACKS['held']} held")
