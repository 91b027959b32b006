"""Bad situations get one clear line, the documented exit code, and an unharmed repository."""

from __future__ import annotations

from tests.synckit import add_story, clean, head, start_hub


def _one_error_line(r, code: int) -> None:
    assert r.code == code, r
    lines = [ln for ln in r.stderr.splitlines() if not ln.startswith("hint: ")]
    assert len(lines) == 1 and lines[0].startswith("copart: error: "), r
    assert "Traceback" not in r.stderr


def test_remote_with_unrelated_history(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, _ = start_hub(world, alice)
    other = bob.init("other", example=True)
    alice.git("remote", "add", "stranger", str(other), cwd=rep_a)
    before = head(alice, rep_a)
    r = alice.copart("sync", "--remote", "stranger", cwd=rep_a)
    _one_error_line(r, 1)
    assert "unrelated history" in r.stderr
    assert head(alice, rep_a) == before and clean(alice, rep_a)


def test_detached_head(world):
    alice = world.partner("alice")
    rep_a, _ = start_hub(world, alice)
    alice.git("checkout", "-q", "--detach", "HEAD", cwd=rep_a)
    r = alice.copart("sync", cwd=rep_a)
    _one_error_line(r, 1)
    assert "detached" in r.stderr and "git switch main" in r.stderr


def test_rebase_left_half_done_by_another_tool(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, _ = start_hub(world, alice)
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    alice.git("checkout", "-q", "-b", "side", cwd=rep_a)
    story.write_text(story.read_text().replace("---\n", "---\nx: side\n", 1))
    alice.git("commit", "-q", "-am", "side", cwd=rep_a)
    alice.git("checkout", "-q", "main", cwd=rep_a)
    story.write_text(story.read_text().replace("---\n", "---\nx: main\n", 1))
    alice.git("commit", "-q", "-am", "main", cwd=rep_a)
    alice.git("rebase", "side", cwd=rep_a, check=False)  # stops on a conflict
    assert (rep_a / ".git" / "rebase-merge").exists() or (rep_a / ".git" / "rebase-apply").exists()
    r = alice.copart("sync", cwd=rep_a)
    _one_error_line(r, 3)
    assert "rebase is in progress" in r.stderr and "git rebase --abort" in r.stderr
    # copart did not touch it: the user's rebase is still there to finish or abort
    assert (rep_a / ".git" / "rebase-merge").exists() or (rep_a / ".git" / "rebase-apply").exists()


def test_a_conflict_another_git_command_left_is_never_committed(world):
    """`git stash pop` that conflicts leaves markers in the file and no MERGE_HEAD."""
    alice = world.partner("alice")
    rep_a, _ = start_hub(world, alice)
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nmy stashed line\n")
    alice.git("stash", "-q", cwd=rep_a)
    story.write_text(story.read_text() + "\na committed line\n")
    alice.git("commit", "-q", "-am", "meanwhile", cwd=rep_a)
    alice.git("stash", "pop", cwd=rep_a, check=False)  # conflicts
    assert "<<<<<<<" in story.read_text()
    before = head(alice, rep_a)
    r = alice.copart("sync", cwd=rep_a)
    _one_error_line(r, 3)
    assert "stories/pricing-a-first-workshop.md has a conflict left by another git command" in r.stderr
    assert head(alice, rep_a) == before  # nothing committed, nothing pushed
    assert "<<<<<<<" in story.read_text()  # the user's state is left for them to finish

    text = story.read_text()
    story.write_text(text[:text.index("<<<<<<<")] + "my stashed line\na committed line\n")
    alice.git("add", "--", "stories/pricing-a-first-workshop.md", cwd=rep_a)
    r = alice.copart("sync", cwd=rep_a)
    assert r.ok, r
    assert "<<<<<<<" not in alice.git("show", "HEAD:stories/pricing-a-first-workshop.md", cwd=rep_a)


def test_branch_names_starting_with_a_dash(world):
    alice = world.partner("alice")
    rep_a, _ = start_hub(world, alice)
    r = alice.copart("sync", "--remote=-upload-pack=touch /tmp/pwned", cwd=rep_a)
    _one_error_line(r, 2)
    alice.git("update-ref", "refs/heads/-evil", "HEAD", cwd=rep_a)
    alice.git("symbolic-ref", "HEAD", "refs/heads/-evil", cwd=rep_a)
    before = head(alice, rep_a)
    r = alice.copart("sync", cwd=rep_a)
    _one_error_line(r, 1)
    assert "'-evil'" in r.stderr and head(alice, rep_a) == before


def test_no_git_identity(world):
    alice = world.partner("alice")
    rep_a, _ = start_hub(world, alice)
    (alice.home / ".gitconfig").write_text('[protocol "file"]\n\tallow = always\n')
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    story.write_text(story.read_text() + "\nkept\n")
    before = head(alice, rep_a)
    r = alice.copart("sync", cwd=rep_a, env={"EMAIL": "", "GIT_AUTHOR_NAME": "", "GIT_COMMITTER_NAME": ""})
    _one_error_line(r, 1)
    assert "no git identity" in r.stderr and "git config --global user.name" in r.stderr
    assert head(alice, rep_a) == before and story.read_text().endswith("\nkept\n")


def test_incoming_change_to_a_file_left_invalid_locally(world):
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a, hub = start_hub(world, alice)
    from tests.synckit import join

    rep_b = join(bob, hub)
    assert bob.copart("edit", "pricing-a-first-workshop", "--tag", "bob", cwd=rep_b).ok
    assert bob.copart("sync", cwd=rep_b).ok
    story = rep_a / "stories" / "pricing-a-first-workshop.md"
    broken = "---\ntitle: [oops\n---\nhalf-typed\n"
    story.write_text(broken)
    add_story(alice, rep_a, "Something valid")
    before = head(alice, rep_a)
    r = alice.copart("sync", cwd=rep_a)
    assert r.code == 3 and "pricing-a-first-workshop.md" in r.stderr, r
    assert story.read_text() == broken and head(alice, rep_a) == before


def test_syncing_to_a_partners_working_copy_says_to_use_a_hub(world):
    """bob joined alice's own folder (not a bare hub): his push cannot land there."""
    alice, bob = world.partner("alice"), world.partner("bob")
    rep_a = alice.init("4xp", example=True)
    rep_b = world.base / "bob-4xp"
    assert bob.copart("join", str(rep_a), str(rep_b)).ok
    add_story(bob, rep_b, "Written at Bob's")
    before = head(bob, rep_b)
    r = bob.copart("sync", cwd=rep_b)
    _one_error_line(r, 1)
    assert "working copy" in r.stderr and "copart hub init" in r.stderr
    assert head(bob, rep_b) == before and clean(bob, rep_b)  # his commit is kept
