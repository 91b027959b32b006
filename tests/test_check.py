"""`copart check`: every problem as path:line: message, exit 4 when any."""

from __future__ import annotations

import pytest


def write(rep, rel, text, mode="w"):
    path = rep / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


GOOD = "---\nid: {id}\nkind: story\ntitle: T\nauthor: apatel\ncreated: 2026-01-01T00:00:00Z\n---\nBody\n"


def test_the_sample_passes(alice, sample):
    r = alice.copart("check", "--json", cwd=sample)
    assert r.ok, r
    assert r.json() == {"ok": True, "checked": r.json()["checked"], "problems": []}


CASES = [
    ("stories/bad-yaml.md", "---\nid: bad-yaml\ntitle: [oops\n---\n", 4, "malformed frontmatter"),
    ("stories/no-fm.md", "Just text\n", 1, "no frontmatter"),
    ("stories/unclosed.md", "---\nid: unclosed\n", 1, "not closed"),
    ("stories/missing.md", "---\nid: missing\nkind: story\ntitle: T\ncreated: 2026-01-01\n---\n", 1,
     "missing required key 'author'"),
    ("stories/wrong-id.md", GOOD.format(id="other-id"), 2, "does not match the file name"),
    ("stories/kind-x.md", GOOD.format(id="kind-x").replace("kind: story", "kind: poem"), 3, "unknown kind 'poem'"),
    ("practices/misfiled.md", GOOD.format(id="misfiled"), 3, "does not belong in practices/"),
    ("stories/who.md", GOOD.format(id="who").replace("apatel", "ghost"), 5, "author 'ghost' is not a member"),
    ("stories/when.md", GOOD.format(id="when").replace("2026-01-01T00:00:00Z", "someday"), 6, "is not a date"),
    ("stories/linky.md", GOOD.format(id="linky").replace("Body", "See [[nowhere-at-all]]"), 8,
     "wiki-link [[nowhere-at-all]] does not resolve"),
    ("stories/links.md", GOOD.format(id="links").replace("---\nBody", "links: [gone]\n---\nBody"), 7,
     "link 'gone' does not resolve"),
    ("stories/dup.md", GOOD.format(id="dup").replace("title: T", "title: T\ntitle: U"), 5, "duplicate key 'title'"),
    ("stories/bomb.md", "---\nid: bomb\na: &a [x, x]\nb: [*a, *a]\n---\n", 4, "aliases"),
    ("stories/binary.md", b"---\nid: binary\n\x00\x01\x02", 1, "binary file"),
    ("stories/latin1.md", "---\nid: latin1\ntitle: caf\xe9\n---\n".encode("latin-1"), 3, "not valid UTF-8"),
    ("answers/orphan.md", GOOD.format(id="orphan").replace("kind: story", "kind: answer") .replace(
        "---\nBody", "answers: nope\n---\nBody"), 7, "answers 'nope', which is not an ask"),
    ("stories/sub/deep/nested-bad.md", GOOD.format(id="nested-bad").replace("apatel", "ghost"), 5,
     "author 'ghost' is not a member"),  # an entry in a subfolder is checked like any other
    ("stories/pic.md", GOOD.format(id="pic").replace("Body", "A ![chart](img/chart.png)"), 8,
     "image 'img/chart.png' leads to no file in the repertoire"),
    ("stories/rel.md", GOOD.format(id="rel").replace("Body", "See [the plan](../practices/plan.md)"), 8,
     "link '../practices/plan.md' leads to no file in the repertoire"),
    ("stories/embed.md", GOOD.format(id="embed").replace("Body", "![[chart.png]]"), 8,
     "wiki-link [[chart.png]] does not resolve to an attachment"),
    ("stories/pricing-a-first-workshop.md", None, 0, None),  # placeholder replaced below
]


@pytest.mark.parametrize("rel,text,line,message", [c for c in CASES if c[1] is not None],
                         ids=[c[0] for c in CASES if c[1] is not None])
def test_each_problem_is_reported_with_path_and_line(alice, sample, rel, text, line, message):
    write(sample, rel, text)
    r = alice.copart("check", cwd=sample)
    assert r.code == 4, r
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(rel + ":")]
    assert lines, r
    assert any(ln.startswith(f"{rel}:{line}: ") and message in ln for ln in lines), lines
    data = alice.copart("check", "--json", cwd=sample).json()
    assert data["ok"] is False
    assert {"path", "line", "message"} == set(data["problems"][0])


def test_a_note_without_frontmatter_is_told_once_how_to_fix_it(alice, sample):
    write(sample, "stories/bare.md", "---\ntags: [x]\n---\nJust text\n")
    lines = [ln for ln in alice.copart("check", cwd=sample).stdout.splitlines() if ln.startswith("stories/bare.md")]
    assert sum("missing required key 'kind'" in ln for ln in lines) == 1, lines
    assert "stories/bare.md:1: give it the frontmatter it lacks with: copart adopt stories/bare.md" in lines
    assert alice.copart("adopt", "stories/bare.md", cwd=sample).ok
    left = [ln for ln in alice.copart("check", cwd=sample).stdout.splitlines() if ln.startswith("stories/bare")]
    assert left == ["stories/bare.md:5: author 'alice' is not a member"]  # alice has no profile in the sample


def test_embeds_and_relative_images_that_exist_are_fine(alice, sample):
    write(sample, "stories/sub/pic.md", GOOD.format(id="pic").replace(
        "Body", "![[chart.png]] ![c](chart.png) ![d](../../attachments/d.png) [[d.png]]"))
    write(sample, "stories/sub/chart.png", b"\x89PNG")
    write(sample, "attachments/d.png", b"\x89PNG")
    r = alice.copart("check", "--json", cwd=sample)
    assert r.ok, r


def test_linked_subfolders_and_attachments_are_flagged_not_followed(alice, sample, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text(GOOD.format(id="leak").replace("Body", "PASSWORD"))
    (sample / "stories/linked").symlink_to(outside)
    (sample / "attachments").mkdir()
    (sample / "attachments/key.png").symlink_to(tmp_path / "outside" / "leak.md")
    r = alice.copart("check", "--json", cwd=sample)
    flagged = {p["path"] for p in r.json()["problems"] if "symbolic link" in p["message"]}
    assert flagged == {"stories/linked", "attachments/key.png"}
    assert "PASSWORD" not in alice.copart("list", "--json", cwd=sample).stdout
    assert "leak" not in {e["id"] for e in alice.copart("list", "--json", cwd=sample).json()}


def test_duplicate_ids_across_kinds(alice, sample):
    write(sample, "practices/pricing-a-first-workshop.md",
          GOOD.format(id="pricing-a-first-workshop").replace("kind: story", "kind: practice"))
    r = alice.copart("check", cwd=sample)
    assert r.code == 4
    assert "id 'pricing-a-first-workshop' is already used by" in r.stdout


def test_a_symlink_out_of_the_repertoire_is_flagged_not_followed(alice, sample, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\nid: secret\n---\nPASSWORD\n")
    (sample / "stories/sneaky.md").symlink_to(secret)
    r = alice.copart("check", cwd=sample)
    assert r.code == 4 and "symbolic link" in r.stdout
    assert "PASSWORD" not in alice.copart("list", "--json", cwd=sample).stdout


def test_huge_files_are_refused_not_read(alice, sample):
    write(sample, "stories/huge.md", "---\nid: huge\n---\n" + "x" * (3 * 1024 * 1024))
    r = alice.copart("check", cwd=sample)
    assert r.code == 4 and "larger than an entry may be" in r.stdout


def test_bad_copart_yaml_is_reported(alice, sample):
    write(sample, "copart.yaml", "name: 4XP\nreview: anarchy\n")
    r = alice.copart("check", cwd=sample)
    assert r.code == 4 and "copart.yaml:1:" in r.stdout and "review must be one of" in r.stdout


def test_a_pathway_step_that_names_no_entry_is_a_problem(alice, sample):
    pathway = next((sample / "pathways").glob("*.md"))
    text = pathway.read_text()
    first_id = next(p.stem for p in (sample / "stories").glob("*.md") if p.stem in text)
    pathway.write_text(text.replace(first_id, "no-such-entry-anywhere", 1))
    r = alice.copart("check", cwd=sample)
    assert r.code == 4
    assert f"pathways/{pathway.name}:1: step 'no-such-entry-anywhere' is not an entry id" in r.stdout


def test_two_profiles_with_one_email_are_a_problem(alice, sample):
    """The email maps git authors to members: shared, it credits work to the wrong one."""
    jfawcett = (sample / "members/jfawcett.md").read_text()
    email = next(line for line in jfawcett.splitlines() if line.startswith("email:"))
    (sample / "members/zed.md").write_text(
        f"---\nid: zed\nkind: member\ntitle: Zed\nname: Zed\nauthor: zed\ncreated: 2026-01-01T00:00:00Z\n{email}\n---\n")
    r = alice.copart("check", "--json", cwd=sample)
    assert r.code == 4
    [problem] = r.json()["problems"]
    assert problem["path"] == "members/zed.md" and problem["line"] == 8
    assert "also in the profile of 'jfawcett'" in problem["message"]


def test_profiles_without_an_email_share_nothing(alice, sample):
    for who in ("yan", "zed"):
        (sample / "members" / f"{who}.md").write_text(
            f"---\nid: {who}\nkind: member\ntitle: {who}\nname: {who}\nauthor: {who}\n"
            "created: 2026-01-01T00:00:00Z\nemail: ''\n---\n")
    assert alice.copart("check", cwd=sample).ok
