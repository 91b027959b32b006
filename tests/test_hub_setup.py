"""Setting up a hub is a guided path: hub init refuses what cannot work, says the fix, adds the
remote when asked; the hook runs for whichever account serves the hub, or refuses and says why;
`hub check` says whether a hub is guarded and by what."""

from __future__ import annotations

import subprocess
import sys

from tests.review_helpers import community, person, push


def _said(r) -> tuple[str, str]:
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("copart: error: ") and lines[1].startswith("hint: "), r
    return lines[0], lines[1]


def test_hub_init_refuses_when_no_coordinator_has_a_key(world):
    judith = person(world, "judith")
    rep = judith.init("4xp", example=True)  # the sample: jfawcett is a coordinator, with no ssh_keys
    hub = world.base / "hub.git"
    r = judith.copart("hub", "init", str(hub), cwd=rep)
    assert r.code == 4, r
    line, hint = _said(r)
    assert line == ("copart: error: no coordinator on main has ssh_keys (coordinators: jfawcett), so nobody "
                    "could ever push to the hub's main; nothing was created")
    assert "copart setup-signing" in hint and "ssh_keys" in hint and "hub init again" in hint
    assert not hub.exists()


def test_hub_init_refuses_a_path_inside_the_repertoire_or_under_a_missing_folder(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    r = judith.copart("hub", "init", str(rep / "hub.git"), cwd=rep)
    assert r.code == 2, r
    line, hint = _said(r)
    assert line == f"copart: error: {rep / 'hub.git'} is inside the repertoire {rep}; the hub would be synced into itself"
    assert f"copart hub init {rep.parent / '4xp-hub.git'}" in hint and not (rep / "hub.git").exists()
    r = judith.copart("hub", "init", "hub.git", cwd=rep / "stories")  # relative: still inside
    assert r.code == 2 and "is inside the repertoire" in r.stderr, r
    missing = world.base / "srv" / "git" / "4xp.git"
    r = judith.copart("hub", "init", str(missing), cwd=rep)
    assert r.code == 2, r
    line, hint = _said(r)
    assert line == f"copart: error: {missing.parent} does not exist (a typo?); nothing was created"
    assert f"mkdir -p {missing.parent}" in hint and not (world.base / "srv").exists()


def test_hub_init_adds_the_hub_as_a_remote_when_asked(world):
    c = community(world, hub=False)
    judith, rep = c.judith, c.coord_rep
    hub = world.base / "hub.git"
    bad = judith.copart("hub", "init", str(hub), "--python", "python3", cwd=rep)  # not an absolute path
    assert bad.code == 2 and "--python python3: not an absolute path" in bad.stderr and not hub.exists(), bad
    r = judith.copart("hub", "init", str(hub), "--remote", "hub", "--python", "/usr/bin/python3", "--json", cwd=rep)
    assert r.ok, r
    out = r.json()
    assert out["remote"] == "hub" and out["python"] == "/usr/bin/python3" and out["warnings"] == []
    assert (hub / "hooks" / "pre-receive").read_text().startswith("#!/usr/bin/python3\n")
    assert judith.git("remote", "get-url", "hub", cwd=rep).strip() == str(hub)
    assert judith.git("rev-parse", "--abbrev-ref", "main@{upstream}", cwd=rep).strip() == "hub/main"
    assert judith.copart("new", "story", "First on the hub", "--no-edit", "--body", "Hi.", cwd=rep).ok
    s = judith.copart("sync", "--remote", "hub", cwd=rep)
    assert s.ok and "pushed contrib/jfawcett/first-on-the-hub/v1" in s.stdout, s  # under review, even hers
    again = judith.copart("hub", "init", str(world.base / "other.git"), "--remote", "hub", cwd=rep)
    assert again.code == 1 and "already has a remote 'hub'" in again.stderr, again
    assert not (world.base / "other.git").exists()


def test_the_hook_runs_without_the_environment_of_whoever_made_the_hub(world):
    c = community(world)
    hook = c.hub / "hooks" / "pre-receive"
    assert hook.read_text().startswith("#!/usr/bin/env python3\n") and hook.stat().st_mode & 0o005 == 0o005
    # an ssh server starts it with PATH and HOME only: no PYTHONPATH, no virtualenv
    proc = subprocess.run([str(hook), "--check"], cwd=c.hub, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/"})
    assert proc.returncode == 0 and proc.stdout.startswith("copart 0."), proc
    r = c.judith.copart("hub", "check", str(c.hub), "--json")
    assert r.ok, r
    out = r.json()
    assert out["ok"] and out["runs"] and out["interpreter"] == "/usr/bin/env python3" and out["mode"] == "-rwxr-xr-x"
    assert out["coordinators_with_keys"] == ["jfawcett"] and out["members"] >= 2 and not out["problems"]
    assert any(rule.startswith("contrib/<member>/") for rule in out["policy"])
    text = c.judith.copart("hub", "check", str(c.hub))
    assert text.ok and text.stdout.startswith(f"guarded: {c.hub}") and "it enforces:" in text.stdout, text


def test_a_hook_that_cannot_import_copart_refuses_and_says_why(world):
    c = community(world)
    venv = world.base / "bare-python"  # a Python without copart's dependencies (no yaml)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    r = c.judith.copart("hub", "check", str(c.hub), "--fix", "--python", python)
    assert r.code == 4, r
    assert "copart: error: the hub at" in r.stderr and "is not guarded: the hook cannot run: hook-cannot-run:" in r.stderr
    assert "No module named 'yaml'" in r.stderr, r
    # every push is refused, with the reason in the partner's error line, and the work kept
    anjali, prep = c.anjali, c.partner_rep
    assert anjali.copart("new", "story", "While the hub is broken", "--no-edit", "--body", "Hm.", cwd=prep).ok
    s = anjali.copart("sync", cwd=prep)
    assert s.code == 1, s
    line, hint = _said(s)
    assert "origin refused" in line and "hook-cannot-run" in line and "No module named 'yaml'" in line
    assert "kept" in hint
    assert not anjali.git("ls-remote", "origin", "refs/heads/contrib/*", cwd=prep).strip()
    # the admin puts it right
    fixed = c.judith.copart("hub", "check", str(c.hub), "--fix", "--python", "/usr/bin/python3")
    assert fixed.ok and "guarded" in fixed.stdout, fixed
    assert anjali.copart("sync", cwd=prep).ok


def test_hub_check_names_a_hook_whose_interpreter_is_gone(world):
    c = community(world)
    hook = c.hub / "hooks" / "pre-receive"  # what old copart wrote: the maker's virtualenv, since removed
    hook.write_text(hook.read_text().replace("#!/usr/bin/env python3", f"#!{world.base}/venv/bin/python3", 1))
    r = c.judith.copart("hub", "check", str(c.hub), "--json")
    assert r.code == 4 and not r.json()["runs"], r
    assert "cannot exec" in r.json()["runs_detail"] and "No such file" in r.json()["runs_detail"]
    code, err = push(c.anjali, c.partner_rep, "origin", "main:main")
    assert code == 0 or "pre-receive" in err  # nothing new to push on main: git may not run the hook
    plain = world.base / "plain.git"
    subprocess.run(["git", "init", "-q", "--bare", str(plain)], check=True)
    r = c.judith.copart("hub", "check", str(plain), "--json")
    assert r.code == 4 and "there is no hooks/pre-receive: the hub takes any push" in r.json()["problems"], r
    r = c.judith.copart("hub", "check", str(world.base / "nowhere"))
    assert r.code == 1 and "is not a bare git repository" in r.stderr, r


def test_hub_check_never_runs_a_hook_that_only_looks_like_copart_s(world):
    # a hub someone hands you: its hook mentions copart's marker, lets everything in, and
    # would run its own code on your account if `hub check` started it
    c = community(world)
    ran = world.base / "the-fake-hook-ran"
    hook = c.hub / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\n# copart hub policy\ntouch {ran}\necho 'copart 9.9 guarded'\nexit 0\n")
    r = c.judith.copart("hub", "check", str(c.hub), "--json")
    assert r.code == 4, r
    assert not r.json()["runs"] and not ran.exists()
    assert any("not what `copart hub init` writes" in p for p in r.json()["problems"]), r


def test_hub_check_flags_a_hook_that_loads_copart_from_a_folder_others_can_write(world):
    c = community(world)
    shared = world.base / "shared-site-packages"
    shared.mkdir()
    shared.chmod(0o777)  # anyone on the machine could plant a copart_cli/ there
    hook = c.hub / "hooks" / "pre-receive"
    text = hook.read_text()
    parent = text.split("sys.path.insert(0, ", 1)[1].split(")", 1)[0]
    hook.write_text(text.replace(parent, repr(str(shared)), 1))
    r = c.judith.copart("hub", "check", str(c.hub), "--json")
    assert r.code == 4 and not r.json()["runs"], r
    assert any(str(shared) in p and "other than root" in p for p in r.json()["problems"]), r
