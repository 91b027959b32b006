"""Capturing entries from the terminal: `copart new`, `edit`, `rm`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest


def new(partner, rep, *args, **kw):
    return partner.copart("new", *args, cwd=rep, **kw)


def last_commit(partner, rep) -> str:
    return partner.git("log", "-1", "--format=%an <%ae>|%s", cwd=rep).strip()


def test_new_story_from_arguments_is_one_commit_by_the_git_identity(alice, sample):
    before = len(alice.git("log", "--oneline", cwd=sample).splitlines())
    r = new(alice, sample, "story", "Our first market stall", "--no-edit", "--tag", "win", "--topic", "marketing",
            "--body", "## Context\nA Saturday market.\n", "--author", "apatel")
    assert r.ok, r
    assert "our-first-market-stall" in r.stdout and "stories/our-first-market-stall.md" in r.stdout
    text = (sample / "stories/our-first-market-stall.md").read_text()
    assert "title: Our first market stall" in text
    assert "tags: [win]" in text and "topics: [marketing]" in text
    assert "author: apatel" in text
    assert text.endswith("## Context\nA Saturday market.\n")
    assert len(alice.git("log", "--oneline", cwd=sample).splitlines()) == before + 1
    assert last_commit(alice, sample) == "Alice <alice@example.org>|story: add our-first-market-stall"
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_new_uses_the_kind_template(alice, sample):
    for kind, heading in [("story", "## What we would do next time"), ("practice", "## Pitfalls"),
                          ("member", "## Offers"), ("ask", "copart answer")]:
        r = new(alice, sample, kind, f"Template check {kind}", "--no-edit", "--json")
        assert r.ok, r
        path = sample / r.json()["entry"]["path"]
        assert heading in path.read_text(), kind


def test_repertoire_template_overrides_the_bundled_one(alice, sample):
    override = sample / ".copart/templates/new"
    override.mkdir(parents=True)
    (override / "story.md").write_text(
        "---\nid: {{ id }}\nkind: story\ntitle: {{ title | yaml }}\nauthor: {{ author }}\n"
        "created: {{ created }}\ntags: [from-override]\n---\n## Our own shape\n"
    )
    r = new(alice, sample, "story", "Overridden", "--no-edit", "--author", "apatel")
    assert r.ok, r
    text = (sample / "stories/overridden.md").read_text()
    assert "## Our own shape" in text and "tags: [from-override]" in text


def test_field_values_are_read_as_yaml(alice, sample):
    r = new(alice, sample, "member", "Zoë Brontë-Okoye", "--no-edit", "--json",
            "--field", "expertise=[pricing, vat]", "--field", "location=Marlbridge", "--field", "roles=[partner]")
    assert r.ok, r
    entry = r.json()["entry"]
    assert entry["id"] == "zoe-bronte-okoye"
    shown = alice.copart("show", entry["id"], "--json", cwd=sample).json()
    assert shown["meta"]["expertise"] == ["pricing", "vat"]
    assert shown["meta"]["location"] == "Marlbridge"
    assert shown["meta"]["email"] == []  # not alice's: this profile is Zoë's


def test_a_field_meant_as_a_list_must_be_one(alice, sample):
    r = new(alice, sample, "story", "Unclosed", "--no-edit", "--body", "x", "--field", "tags=[unclosed")
    assert r.code == 2 and "not a valid YAML list" in r.stderr
    assert not (sample / "stories" / "unclosed.md").exists()


def test_author_defaults_to_the_member_whose_email_matches(world, sample):
    judith = world.partner("judith", email="judith@example.org")
    member = (sample / "members/jfawcett.md").read_text()
    email_line = next(line for line in member.splitlines() if line.startswith("email:"))
    judith_email = email_line.split("[", 1)[1].rstrip("]").strip()
    judith = world.partner("judith2", email=judith_email)
    r = new(judith, sample, "practice", "Month-end close in an hour", "--no-edit", "--json")
    assert r.ok, r
    assert r.json()["entry"]["author"] == "jfawcett"
    assert r.json()["warnings"] == []


def test_a_new_profile_gets_your_email_only_when_it_is_yours(alice, sample):
    """A coordinator adding a colleague's profile must not credit their own work to it."""
    r = new(alice, sample, "member", "Jane Doe", "--no-edit", "--json")
    assert r.ok and "alice@example.org" not in (sample / "members/jane-doe.md").read_text()
    # alice has no profile yet: she is told how to claim this one, should it be hers
    assert any("is in no profile" in w["message"] for w in r.json()["warnings"])
    assert new(alice, sample, "member", "Alice", "--no-edit").ok  # alice's git name: her own profile
    assert "email: [alice@example.org]" in (sample / "members/alice.md").read_text()
    r = new(alice, sample, "story", "Mine", "--no-edit", "--body", "x", "--json")
    assert r.json()["entry"]["author"] == "alice"
    assert alice.copart("check", cwd=sample).ok


def test_body_from_stdin_and_from_a_file(alice, sample, tmp_path):
    r = new(alice, sample, "practice", "From stdin", "--body-file", "-", input="## Steps\n1. Breathe\n")
    assert r.ok, r
    assert (sample / "practices/from-stdin.md").read_text().endswith("## Steps\n1. Breathe\n")
    notes = tmp_path / "notes.md"
    notes.write_text("Café notes ✓\n", encoding="utf-8")
    r = new(alice, sample, "practice", "From a file", "--body-file", str(notes))
    assert r.ok, r
    assert (sample / "practices/from-a-file.md").read_text(encoding="utf-8").endswith("Café notes ✓\n")


def test_ids_are_unique_transliterated_and_capped(alice, sample):
    ids = []
    for title in ["Pricing a first workshop", "Pricing a first workshop", "Ωμέγα: café ☕ in Łódź",
                  "word " * 60, "../../etc/passwd", "CON"]:
        r = new(alice, sample, "story", title, "--no-edit", "--json", "--author", "apatel")
        assert r.ok, r
        ids.append(r.json()["entry"]["id"])
    assert ids[0] == "pricing-a-first-workshop-2"  # the sample already has the first
    assert ids[1] == "pricing-a-first-workshop-3"
    assert ids[2] == "omega-cafe-coffee-in-lodz"
    assert len(ids[3]) <= 64 and ids[3].startswith("word-word")
    assert ids[4] == "etc-passwd"
    assert ids[5] == "con-entry"
    for i in ids:
        assert (sample / "stories" / f"{i}.md").is_file()
    assert not any(p.name == "passwd" for p in sample.parent.rglob("passwd"))


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd", ".git", "UPPER", "a/b", "nul", "x" * 65, "-dash"])
def test_a_user_given_id_is_validated(alice, sample, bad):
    r = new(alice, sample, "story", "Whatever", "--no-edit", "--id", bad)
    assert r.code == 2, r
    assert "not a valid id" in r.stderr and "Traceback" not in r.stderr
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_a_taken_id_is_refused(alice, sample):
    r = new(alice, sample, "story", "Whatever", "--no-edit", "--id", "pricing-a-first-workshop")
    assert r.code == 1 and "already exists" in r.stderr


def test_without_a_title_and_no_terminal_it_asks_for_one(alice, sample):
    r = new(alice, sample, "story", "--no-input")
    assert r.code == 2
    assert "title is needed" in r.stderr


def test_without_text_or_a_terminal_nothing_is_committed(alice, sample):
    """No --body, no editor to open (piped, or --no-input): exit 2, not an empty template."""
    before = alice.git("rev-parse", "HEAD", cwd=sample)
    for extra in ([], ["--no-input"]):
        r = new(alice, sample, "story", "Lunch with the bank", *extra)
        assert r.code == 2 and "text is needed" in r.stderr and "--body" in r.stderr, r
    assert alice.git("rev-parse", "HEAD", cwd=sample) == before
    assert not (sample / "stories" / "lunch-with-the-bank.md").exists()
    assert new(alice, sample, "story", "Lunch with the bank", "--no-edit").ok  # the template, as asked


def test_editor_is_opened_on_a_terminal_and_its_text_committed(alice, sample, tmp_path):
    editor = tmp_path / "fake-editor"
    editor.write_text(f"#!{sys.executable}\nimport sys\np = sys.argv[1]\n"
                      "t = open(p).read().replace('## What happened\\n', '## What happened\\nWe learned a lot.\\n')\n"
                      "open(p, 'w').write(t)\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    # A real terminal for stdin and stdout, so copart opens the editor.
    script = ("import pty, os, sys; os.environ['EDITOR'] = sys.argv[1]; "
              "pty.spawn([sys.executable, '-m', 'copart_cli', 'new', 'story', 'Edited in an editor', "
              "'--author', 'apatel'])")
    proc = subprocess.run([sys.executable, "-c", script, str(editor)], cwd=sample, env=alice.env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (sample / "stories/edited-in-an-editor.md").read_text()
    assert "We learned a lot." in text
    assert last_commit(alice, sample).endswith("story: add edited-in-an-editor")


def test_invalid_text_from_the_editor_is_kept_and_its_path_printed(alice, sample, tmp_path):
    editor = tmp_path / "breaking-editor"
    editor.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[1], 'w').write('---\\ntitle: [unclosed\\n---\\nMy precious words\\n')\n")
    editor.chmod(0o755)
    head = alice.git("rev-parse", "HEAD", cwd=sample)
    script = ("import pty, os, sys; os.environ['EDITOR'] = sys.argv[1]; "
              "pty.spawn([sys.executable, '-m', 'copart_cli', 'new', 'story', 'Broken by me'])")
    proc = subprocess.run([sys.executable, "-c", script, str(editor)], cwd=sample, env=alice.env,
                          capture_output=True, text=True, timeout=60)
    assert "copart: error:" in proc.stdout  # pty merges stderr into stdout
    assert "stories/broken-by-me.md" in proc.stdout
    assert "Traceback" not in proc.stdout
    assert "My precious words" in (sample / "stories/broken-by-me.md").read_text()
    assert alice.git("rev-parse", "HEAD", cwd=sample) == head


def test_a_failed_commit_keeps_the_entry_and_says_where(alice, sample):
    hook = sample / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    r = new(alice, sample, "story", "Refused by a hook", "--no-edit", "--body", "Keep me", "--author", "apatel")
    assert r.code == 1
    assert "hint: your text is kept at stories/refused-by-a-hook.md" in r.stderr
    assert "Keep me" in (sample / "stories/refused-by-a-hook.md").read_text()
    hook.unlink()
    r = alice.copart("edit", "refused-by-a-hook", "--tag", "retry", cwd=sample)
    assert r.ok, r
    assert alice.git("status", "--porcelain", cwd=sample) == ""


def test_edit_changes_only_what_was_asked_and_commits(alice, sample):
    path = sample / "stories/pricing-a-first-workshop.md"
    before = path.read_text()
    r = alice.copart("edit", "pricing-a-first-workshop", "--tag", "favourite", "--title", "Pricing our first workshop",
                     cwd=sample)
    assert r.ok, r
    after = path.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 2  # the title line and the tags line; the body is untouched
    assert before.split("---", 2)[2] == after.split("---", 2)[2]
    assert "favourite" in after and "title: Pricing our first workshop" in after
    assert (sample / "stories/pricing-a-first-workshop.md").exists()  # id never changes on retitle
    assert "story: edit pricing-a-first-workshop (title; tags +favourite)" in last_commit(alice, sample)


def test_edit_with_nothing_to_change_says_so(alice, sample):
    r = alice.copart("edit", "pricing-a-first-workshop", "--no-input", cwd=sample)
    assert r.code == 2 and "nothing to change" in r.stderr
    r = alice.copart("edit", "pricing-a-first-workshop", "--tag", "lesson", "--json", cwd=sample)
    assert r.ok and r.json()["action"] == "unchanged" and r.json()["commit"] is None


def test_edit_body_replaces_only_the_body(alice, sample):
    r = alice.copart("edit", "pricing-a-first-workshop", "--body", "New body\n", "--json", cwd=sample)
    assert r.ok, r
    text = (sample / "stories/pricing-a-first-workshop.md").read_text()
    assert text.endswith("---\nNew body\n")
    assert r.json()["action"] == "edited" and len(r.json()["commit"]) == 40


def test_rm_removes_in_one_commit_and_history_keeps_it(alice, sample):
    r = alice.copart("rm", "the-instagram-campaign-that-flopped", "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["action"] == "removed"
    assert not (sample / "stories/the-instagram-campaign-that-flopped.md").exists()
    assert last_commit(alice, sample).endswith("story: remove the-instagram-campaign-that-flopped")
    assert alice.git("status", "--porcelain", cwd=sample) == ""
    r = alice.copart("show", "the-instagram-campaign-that-flopped", cwd=sample)
    assert r.code == 1 and "no entry with id" in r.stderr


def test_rm_refuses_to_lose_uncommitted_changes(alice, sample):
    path = sample / "stories/pricing-a-first-workshop.md"
    path.write_text(path.read_text() + "\nA thought not yet committed.\n")
    r = alice.copart("rm", "pricing-a-first-workshop", cwd=sample)
    assert r.code == 1 and "--force" in r.stderr
    assert path.exists()


@pytest.mark.parametrize("command", ["show", "edit", "rm"])
def test_unknown_ids_are_one_clear_line(alice, sample, command):
    r = alice.copart(command, "no-such-entry", "--tag", "x", cwd=sample) if command == "edit" else \
        alice.copart(command, "no-such-entry", cwd=sample)
    assert r.code == 1, r
    assert r.stderr.splitlines()[0] == "copart: error: no entry with id 'no-such-entry'"


def test_outside_a_repertoire_the_user_is_told_how_to_find_one(alice, world):
    r = alice.copart("list", cwd=world.base)
    assert r.code == 1
    assert "not inside a repertoire" in r.stderr and "hint:" in r.stderr


def test_repertoire_is_found_by_flag_env_and_walking_up(alice, sample):
    assert alice.copart("-R", str(sample), "list").ok
    assert alice.copart("list", env={"COPART_REPERTOIRE": str(sample)}).ok
    assert alice.copart("list", cwd=sample / "stories").ok
    gone = sample.parent / "no-such-folder"
    r = alice.copart("-R", str(gone), "list")
    assert r.code == 1 and r.stderr.splitlines()[0] == f"copart: error: {gone} does not exist (-R)"
    r = alice.copart("list", env={"COPART_REPERTOIRE": str(sample / "stories")})
    assert r.code == 1 and "is not a repertoire (no copart.yaml)" in r.stderr


def test_missing_git_binary_is_a_clear_error(alice, sample):
    env = {"PATH": os.path.dirname(sys.executable)}
    r = alice.copart("new", "story", "No git here", "--no-edit", cwd=sample, env=env)
    assert r.code == 1
    assert "git is not installed" in r.stderr and "Traceback" not in r.stderr


def test_entries_get_ordinary_file_modes(alice, sample):
    """Written atomically through a temp file, yet readable like any file git or an editor writes."""
    old = os.umask(0o022)
    try:
        assert new(alice, sample, "story", "Shared on the office machine", "--no-edit", "--body", "x").ok
        path = sample / "stories" / "shared-on-the-office-machine.md"
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)  # a mode the user chose is kept by an edit
        assert alice.copart("edit", "shared-on-the-office-machine", "--tag", "office", cwd=sample).ok
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_an_edit_by_options_that_fails_leaves_the_entry_as_it_was(alice, sample):
    ask = "how-should-i-price-a-half-day-workshop-for-a-traders-group"
    path = sample / "asks" / f"{ask}.md"
    before = path.read_bytes()
    r = alice.copart("edit", ask, "--field", "status=banana", cwd=sample)
    assert r.code == 1 and "status must be one of" in r.stderr and "nothing was changed" in r.stderr
    assert path.read_bytes() == before
    assert alice.git("status", "--porcelain", cwd=sample).strip() == ""
    ok = alice.copart("edit", ask, "--tag", "revisited", cwd=sample)  # nothing stacked on it
    assert ok.ok and "banana" not in path.read_text()


def test_rm_warns_about_what_now_points_at_nothing(alice, sample):
    # a link by title points at it too; a link already dangling before is not rm's doing
    assert new(alice, sample, "practice", "Links", "--no-edit", "--author", "apatel", "--body",
               "See [[Costing checklist for a workshop]] and [[costing-checklist-for-a-workshop-old]].").ok
    r = alice.copart("rm", "costing-checklist-for-a-workshop", "--json", cwd=sample)
    assert r.ok, r
    dangling = {(w["path"], w["message"]) for w in r.json()["warnings"]}
    assert ("stories/pricing-a-first-workshop.md",
            "wiki-link [[costing-checklist-for-a-workshop]] does not resolve to an entry") in dangling
    assert ("practices/links.md",
            "wiki-link [[Costing checklist for a workshop]] does not resolve to an entry") in dangling
    old_link = ("practices/links.md", "wiki-link [[costing-checklist-for-a-workshop-old]] does not resolve to an entry")
    assert old_link not in dangling
    # the same ones check now reports as problems, besides the one that was there before
    check = alice.copart("check", "--json", cwd=sample).json()
    assert {(p["path"], p["message"]) for p in check["problems"]} == dangling | {old_link}
