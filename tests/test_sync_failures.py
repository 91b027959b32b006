"""When a remote fails, copart says what went wrong, never hangs, and keeps the work.

Real servers on 127.0.0.1: smart HTTP with Basic auth, OpenSSH's sshd with key auth,
`git daemon`, a TCP listener that never answers, and a copart hub. Each case is what a user
meets: the exit code, the one line that says why (with a hint that fits), and local commits
still there.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from tests.review_helpers import community
from tests.servers import silent, ssh_client, sshd  # noqa: F401  (fixtures)
from tests.synckit import add_story, head, ids, join, start_hub
from tests.transports import GitDaemon, git_http  # noqa: F401  (fixtures)


def _said(r) -> tuple[str, str]:
    """(the error line, the hint line): exactly one of each, no traceback."""
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("copart: error: ") and lines[1].startswith("hint: "), r
    return lines[0], lines[1]


def _story_kept(partner, rep, before: str, story: str) -> None:
    assert head(partner, rep) == before and story in ids(partner, rep)
    assert partner.git("status", "--porcelain", cwd=rep) == ""


# -- smart HTTP with Basic auth ------------------------------------------------------------


def _http_community(world, git_http):
    """alice's hub behind Basic auth; bob joined with his password in the URL, and wrote a story."""
    alice, bob = world.partner("alice"), world.partner("bob")
    git_http.bare("hub.git")
    git_http.users = {"alice": "secret", "bob": "hunter2"}
    url = git_http.url("hub.git")
    start_hub(world, alice, url=url.replace("http://", "http://alice:secret@"))
    rep = join(bob, url.replace("http://", "http://bob:hunter2@"))
    story = add_story(bob, rep, "Written on the train")
    return bob, rep, url, story


def test_wrong_password_is_named_and_the_work_kept(world, git_http):
    bob, rep, url, story = _http_community(world, git_http)
    before = head(bob, rep)
    bob.git("remote", "set-url", "origin", url.replace("http://", "http://bob:hunter3@"), cwd=rep)
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1 and "offline" not in r.stdout + r.stderr, r
    line, hint = _said(r)
    assert line == f"copart: error: origin refused your credentials: Authentication failed for '{url}/'"
    assert "check the user name and password" in hint and "your 1 local commit is kept" in hint
    _story_kept(bob, rep, before, story)


def test_no_credentials_says_how_to_give_them(world, git_http):
    bob, rep, url, story = _http_community(world, git_http)
    before = head(bob, rep)
    bob.git("remote", "set-url", "origin", url, cwd=rep)  # the password left out
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, hint = _said(r)
    assert "origin refused your credentials: could not read Username" in line
    assert "wants a user name and password" in hint and "credential.helper" in hint
    _story_kept(bob, rep, before, story)
    carol = world.partner("carol")
    r = carol.copart("join", url, str(world.base / "carol" / "4xp"))
    assert r.code == 1 and "nothing was created" in _said(r)[1], r
    assert not (world.base / "carol" / "4xp").exists()


def test_a_password_in_the_url_is_never_shown(world, git_http):
    bob, rep, url, _ = _http_community(world, git_http)
    st = bob.copart("status", "--json", cwd=rep)
    assert st.ok and st.json()["remotes"][0]["url"] == url.replace("http://", "http://bob:***@"), st
    git_http.down = True
    r = bob.copart("sync", "--json", cwd=rep)
    assert r.code == 3 and r.json()["offline"], r
    carol = world.partner("carol")
    wrong = carol.copart("join", url.replace("http://", "http://carol:s3cr3t-pw@"), str(world.base / "c"))
    assert wrong.code == 3 and "carol:***@" in wrong.stderr, wrong
    git_http.down = False
    good = carol.copart("join", url.replace("http://", "http://bob:hunter2@"), str(world.base / "c2"), "--json")
    assert good.ok and good.json()["url"] == url.replace("http://", "http://bob:***@"), good
    for out in (st, r, wrong, good):
        assert "hunter2" not in out.stdout + out.stderr and "s3cr3t-pw" not in out.stdout + out.stderr, out


def test_a_wrong_path_over_http_is_not_found(world, git_http):
    bob, rep, url, story = _http_community(world, git_http)
    before = head(bob, rep)
    wrong = url.replace("http://", "http://bob:hunter2@").replace("hub.git", "hbu.git")
    bob.git("remote", "set-url", "origin", wrong, cwd=rep)
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, hint = _said(r)
    assert "origin has no repository at http://bob:***@" in line and "hbu.git/' not found" in line
    assert "git remote set-url origin URL" in hint and "your 1 local commit is kept" in hint
    _story_kept(bob, rep, before, story)
    r = world.partner("carol").copart("join", wrong, str(world.base / "c"))
    assert r.code == 1 and "the server has no repository there" in r.stderr, r


def test_a_scheme_typo_is_a_usage_error(world, git_http):
    bob, rep, url, story = _http_community(world, git_http)
    before = head(bob, rep)
    r = world.partner("carol").copart("join", url.replace("http:", "htp:"), str(world.base / "c"))
    assert r.code == 2, r
    line, hint = _said(r)
    typo = url.replace("http:", "htp:")
    assert line == f"copart: error: '{typo}' uses the 'htp' transport, which copart does not use"
    assert "https://" in hint and not (world.base / "c").exists()
    bob.git("remote", "set-url", "origin", url.replace("http:", "htp:"), cwd=rep)
    r = bob.copart("sync", cwd=rep)
    assert r.code == 2 and "the 'htp' transport" in r.stderr, r
    _story_kept(bob, rep, before, story)


# -- ssh ---------------------------------------------------------------------------------------


def _ssh_community(world, sshd):
    """alice's hub over sshd; bob joined over ssh (his key let in, the host key known), wrote a story."""
    alice, bob = world.partner("alice"), world.partner("bob")
    for p in (alice, bob):
        ssh_client(p)
        sshd.authorize(p)
        sshd.trust(p)
    sshd.bare("hub.git")
    _, url = start_hub(world, alice, url=sshd.url("hub.git"))
    rep = join(bob, url)
    story = add_story(bob, rep, "Written in the field")
    return bob, rep, url, story


def test_ssh_keeps_the_users_ssh_command_and_bounds_it(world, sshd):
    bob, rep, url, story = _ssh_community(world, sshd)
    log = bob.home / "ssh.log"
    wrapper = bob.home / "bin" / "ssh"  # the user's own ssh command, named ssh
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {shutil.which("ssh")} "$@"\n')
    wrapper.chmod(0o755)
    bob.git("config", "--global", "core.sshCommand", f"{wrapper} -F {bob.home / '.ssh' / 'config'}", cwd=bob.home)
    r = bob.copart("sync", cwd=rep, env={"COPART_NET_TIMEOUT": "6"})
    assert r.ok and "out to origin" in r.stdout, r
    used = log.read_text().splitlines()[0]
    assert used.startswith(f"-F {bob.home / '.ssh' / 'config'} -o ConnectTimeout=6 -o ServerAliveInterval=2 "
                           "-o ServerAliveCountMax=3 -o BatchMode=yes"), used
    alice_rep = world.base / "alice" / "4xp"
    assert world.partner("alice").copart("sync", cwd=alice_rep).ok and story in ids(world.partner("alice"), alice_rep)


def test_a_key_that_is_not_authorised(world, sshd):
    bob, rep, _, story = _ssh_community(world, sshd)
    before = head(bob, rep)
    sshd.revoke(bob)
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, hint = _said(r)
    assert line == ("copart: error: origin refused your credentials: "
                    f"{sshd.user}@127.0.0.1: Permission denied (publickey).")
    assert "does not accept your ssh key" in hint and "id_ed25519.pub" in hint and "1 local commit is kept" in hint
    _story_kept(bob, rep, before, story)


def test_a_wrong_path_over_ssh_is_not_found(world, sshd):
    bob, rep, url, story = _ssh_community(world, sshd)
    before = head(bob, rep)
    bob.git("remote", "set-url", "origin", url.replace("hub.git", "hbu.git"), cwd=rep)
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, _ = _said(r)
    assert "origin has no repository at ssh://" in line and "hbu.git' does not appear to be a git repository" in line
    _story_kept(bob, rep, before, story)


def test_an_unknown_host_key_says_how_to_accept_it(world, sshd):
    alice, carol = world.partner("alice"), world.partner("carol")
    ssh_client(alice)
    sshd.authorize(alice)
    sshd.trust(alice)
    sshd.bare("hub.git")
    _, url = start_hub(world, alice, url=sshd.url("hub.git"))
    ssh_client(carol)
    sshd.authorize(carol)  # but her known_hosts does not have the hub, and there is no terminal to ask
    dest = world.base / "carol" / "4xp"
    started = time.monotonic()
    r = carol.copart("join", url, str(dest))
    assert r.code == 1 and time.monotonic() - started < 30 and not dest.exists(), r
    line, hint = _said(r)
    where = f"[127.0.0.1]:{sshd.port}"
    assert line == f"copart: error: cannot clone {url}: the ssh host key of {where} is not known yet " \
                   "(Host key verification failed), so git did not go on"
    keyscan = f"ssh-keyscan -H -p {sshd.port} 127.0.0.1 >> ~/.ssh/known_hosts"
    assert keyscan in hint and f"ssh-keyscan -p {sshd.port} 127.0.0.1 | ssh-keygen -lf -" in hint
    # she checks the fingerprint, then does what the hint says (her known_hosts lives in her ssh config's place)
    shown = subprocess.run(f"ssh-keyscan -p {sshd.port} 127.0.0.1 2>/dev/null | ssh-keygen -lf -", shell=True,
                           capture_output=True, text=True).stdout
    fingerprint = subprocess.run(["ssh-keygen", "-lf", str(sshd.host_key)], capture_output=True, text=True).stdout
    assert fingerprint.split()[1] in shown
    subprocess.run(keyscan.replace("~/.ssh/known_hosts", str(carol.home / ".ssh" / "known_hosts")), shell=True,
                   check=True, capture_output=True)
    assert carol.copart("join", url, str(dest)).ok


def test_a_changed_host_key_is_refused_and_the_work_kept(world, sshd):
    bob, rep, _, story = _ssh_community(world, sshd)
    before = head(bob, rep)
    sshd.stop()
    sshd.new_host_key()  # a reinstalled server, or someone in between
    sshd.start()
    r = bob.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, hint = _said(r)
    assert f"the ssh host key of [127.0.0.1]:{sshd.port} has changed since you last connected (it now shows SHA256:" \
           in line
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.port}'" in hint and "only if it matches" in hint
    _story_kept(bob, rep, before, story)


def test_host_key_accepted_then_auth_fails_names_the_auth_failure(world, sshd):
    alice, dan = world.partner("alice"), world.partner("dan")
    ssh_client(alice)
    sshd.authorize(alice)
    sshd.trust(alice)
    sshd.bare("hub.git")
    _, url = start_hub(world, alice, url=sshd.url("hub.git"))
    ssh_client(dan)  # his key was never sent to the admin; his ssh accepts new host keys
    config = dan.home / ".ssh" / "config"
    config.write_text(config.read_text() + "  StrictHostKeyChecking accept-new\n")
    r = dan.copart("join", url, str(world.base / "dan" / "4xp"))
    assert r.code == 1, r
    line, hint = _said(r)
    assert "Warning" not in r.stderr and "Permanently added" not in r.stderr
    assert line == f"copart: error: cannot clone {url}: the server refused your credentials: " \
                   f"{sshd.user}@127.0.0.1: Permission denied (publickey)."
    assert "does not accept your ssh key" in hint


# -- git daemon --------------------------------------------------------------------------------


@pytest.mark.parametrize("informative", [True, False], ids=["no-such-repository", "access-denied"])
def test_a_wrong_path_over_git_daemon_is_not_found(world, informative):
    daemon = GitDaemon(world.base / "served", informative=informative)
    daemon.base.mkdir()
    daemon.start()
    try:
        daemon.bare("hub.git")
        alice = world.partner("alice")
        rep, _ = start_hub(world, alice, url=daemon.url("hub.git"))
        story = add_story(alice, rep, "Before the move")
        before = head(alice, rep)
        alice.git("remote", "set-url", "origin", daemon.url("hbu.git"), cwd=rep)
        r = alice.copart("sync", cwd=rep)
    finally:
        daemon.stop()
    assert r.code == 1, r
    line, _ = _said(r)
    said = "no such repository: /hbu.git" if informative else "access denied or repository not exported: /hbu.git"
    assert line == f"copart: error: origin has no repository at {daemon.url('hbu.git')}: remote error: {said}"
    _story_kept(alice, rep, before, story)


# -- servers that never answer -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["git", "ssh", "http"])
def test_a_silent_server_is_offline_within_the_bound(world, silent, scheme):
    alice = world.partner("alice")
    ssh_client(alice)
    rep = alice.init("4xp", example=True)
    alice.git("remote", "add", "origin", f"{scheme}://127.0.0.1:{silent.port}/hub.git", cwd=rep)
    story = add_story(alice, rep, "Waiting for the line")
    before = head(alice, rep)
    started = time.monotonic()
    r = alice.copart("sync", "--json", cwd=rep, env={"COPART_NET_TIMEOUT": "2"})
    took = time.monotonic() - started
    assert r.code == 3 and took < 15, (took, r)
    out = r.json()
    assert out["offline"] and out["local_commits"] == 2  # the founding commit and the story
    assert out["message"] == "offline: 2 local commits kept, they will go out at the next sync"
    assert {"git": "no answer for 2 s during git fetch", "ssh": "timed out",
            "http": "Operation too slow"}[scheme] in out["offline_reason"], out
    _story_kept(alice, rep, before, story)


def test_the_default_bound_stops_a_silent_server_within_30_seconds(world, silent):
    alice = world.partner("alice")
    started = time.monotonic()
    r = alice.copart("join", f"git://127.0.0.1:{silent.port}/hub.git", str(world.base / "x"))
    took = time.monotonic() - started
    assert r.code == 3 and 15 < took < 35, (took, r)
    assert "no answer for 20 s during git clone" in r.stderr and not (world.base / "x").exists(), r


# -- the hub's rules -----------------------------------------------------------------------------


def test_a_push_refused_by_the_copart_hub_shows_its_reason(world):
    c = community(world)
    judith, rep = c.judith, c.coord_rep
    judith.git("config", "commit.gpgsign", "false", cwd=rep)  # a commit made by hand, unsigned
    (rep / "stories" / "unsigned.md").write_text((rep / "stories" / "pricing-a-first-workshop.md").read_text()
                                                 .replace("id: pricing-a-first-workshop", "id: unsigned"))
    judith.git("add", "stories/unsigned.md", cwd=rep)
    judith.git("commit", "-qm", "story: unsigned", cwd=rep)
    before = head(judith, rep)
    r = judith.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, hint = _said(r)
    assert line.startswith("copart: error: origin refused main: copart hub: refused refs/heads/main: unsigned: "), line
    assert line.endswith("([remote rejected] (pre-receive hook declined))"), line
    assert "the hub's rules" in hint and "your 1 local commit is kept" in hint
    assert head(judith, rep) == before and "unsigned" in ids(judith, rep)


def test_a_forge_that_denies_a_push_is_quoted(world):
    alice = world.partner("alice")
    hub = world.bare("hub.git")
    rep, _ = start_hub(world, alice, hub=hub)
    hook = hub / "hooks" / "pre-receive"  # what gitolite says when a rule does not let you write
    hook.write_text("#!/bin/sh\necho 'FATAL: W refs/heads/main 4xp alice DENIED by fallthru' >&2\n"
                    "echo '(or you mis-spelled the reponame)' >&2\nexit 1\n")
    hook.chmod(0o755)
    story = add_story(alice, rep, "Not for main")
    before = head(alice, rep)
    r = alice.copart("sync", cwd=rep)
    assert r.code == 1, r
    line, _ = _said(r)
    assert line == ("copart: error: origin refused main: FATAL: W refs/heads/main 4xp alice DENIED by fallthru; "
                    "(or you mis-spelled the reponame); ([remote rejected] (pre-receive hook declined))")
    _story_kept(alice, rep, before, story)


def test_a_slow_line_that_keeps_moving_is_not_cut_short(world, git_http):
    alice, bob = world.partner("alice"), world.partner("bob")
    git_http.bare("hub.git")
    _, url = start_hub(world, alice, url=git_http.url("hub.git"))
    git_http.trickle = 3.0  # each answer takes longer than the bound, but something arrives every 0.15 s
    started = time.monotonic()
    r = bob.copart("join", url, str(world.base / "bob" / "4xp"), env={"COPART_NET_TIMEOUT": "2"})
    assert r.ok and time.monotonic() - started > 5, r
