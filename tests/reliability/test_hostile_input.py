"""Hostile input beyond entries: queries, titles, links out of the repertoire, huge and
binary files, dash-led names, and a malicious contribution. Never a traceback, never a
lost or leaked file. Each test prints `hostile <what>: cases=N crashes=N losses=N`.

Size knob: COPART_FUZZ_EXAMPLES (default 300) for the query fuzzing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copart_cli.core.errors import CopartError
from tests.reliability.crashkit import print_summary

EXAMPLES = int(os.environ.get("COPART_FUZZ_EXAMPLES", "300"))
SECRET = "xylophonesecret"  # a word that lives only outside the repertoire


class Tally:
    def __init__(self, what: str):
        self.what, self.cases, self.crashes, self.losses = what, 0, [], []

    def cli(self, r, allowed=(0, 1, 2, 3, 4)) -> None:
        self.cases += 1
        if "Traceback" in r.stderr or "internal error" in r.stderr or r.code not in allowed:
            self.crashes.append(str(r)[:800])
        elif r.code and not r.stderr.startswith("copart: error: "):
            self.crashes.append("an error without the one-line form: " + str(r)[:800])

    def report(self, capsys) -> None:
        print_summary(capsys, f"hostile {self.what}: cases={self.cases} crashes={len(self.crashes)} "
                              f"losses={len(self.losses)}")
        assert self.crashes == [], self.crashes[:3]
        assert self.losses == [], self.losses[:3]


# -- queries and titles ------------------------------------------------------------------

ODD_QUERIES = [
    '"unclosed phrase', "'single", "title:", "title:\"", "kind:", "kind:nonsense pricing", "author:nobody",
    "AND", "OR OR OR", "NOT", "pricing AND", "(((pricing", "pricing)))", "*", "?", "pri*", "~", "pricing~9",
    "^2", "pricing^999999999999", "[a TO", "{x TO y}", "tag:[ TO ]", "-", "--", "- pricing", "+",
    "\u202eevil\u202c", "\u200b\u200b", "zero\u200dwidth", "e\u0301\u0301\u0301", "🙂🙃" * 50, "ﬁnance",
    "İstanbul ǅ ß", "\\", "\\\\\"", "%s%n%x", "${jndi:ldap://x}", "' OR 1=1 --", "<script>alert(1)</script>",
    "a" * 10_000, "word " * 2_000, "title:" + "x" * 10_000, "\t\n\r", "ñ" * 3000, "😀" * 2500,
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """The sample repertoire with its index built, shared by the in-process query fuzzing."""
    import sys

    base = tmp_path_factory.mktemp("hostile-q")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "COPART_"))},
           "GIT_AUTHOR_NAME": "F", "GIT_AUTHOR_EMAIL": "f@example.org", "GIT_COMMITTER_NAME": "F",
           "GIT_COMMITTER_EMAIL": "f@example.org", "HOME": str(base)}
    subprocess.run([sys.executable, "-m", "copart_cli", "init", str(base / "r"), "--example"], env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "copart_cli", "index"], cwd=base / "r", env=env, check=True,
                   capture_output=True)
    return base / "r"


def _query_all(root: Path, text: str) -> None:
    from copart_cli.services import ask, search, who
    from copart_cli.services.repertoire import Repertoire

    for fn in (search.search, ask.ask, who.who):
        try:
            fn(Repertoire(root), text)
        except CopartError as exc:
            assert "\n" not in exc.message


PIECES = ['"', "'", "(", ")", "[", "]", "{", "}", ":", "*", "?", "~", "^", "-", "+", "\\", "/", "AND", "OR",
          "NOT", "TO", "title:", "tag:", "topic:", "author:", "kind:", "pricing", "workshop", " ", "\u202e",
          "\u0301", "🙂", "\t"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=20))
def test_any_query_gives_results_or_a_clear_error(indexed, parts):
    text = "".join(parts).replace("\0", "")
    if not text.strip():
        return
    _query_all(indexed, text)


def test_odd_and_ten_thousand_character_queries_and_titles_through_the_cli(alice, sample, capsys):
    tally = Tally("queries and titles")
    before = alice.git("rev-parse", "HEAD", cwd=sample)
    for n, q in enumerate(ODD_QUERIES):  # every one through search; ask and who take turns (all fuzzed in-process)
        for command in ("search", ("ask", "who")[n % 2]):
            tally.cli(alice.copart(command, "--json", "--", q, cwd=sample))
    for title in ("word " * 2_000, "x" * 10_000, "🙂" * 10_000):
        r = alice.copart("new", "story", title, "--no-edit", "--body", "b", cwd=sample)
        tally.cli(r, allowed=(2,))
        r = alice.copart("edit", "pricing-a-first-workshop", "--title", title, cwd=sample)
        tally.cli(r, allowed=(1, 2))
        r = alice.copart("ask", "--post", "--no-input", "--", title, cwd=sample)
        tally.cli(r, allowed=(0, 1, 2))
    body = "long line " * 50_000  # 500 kB body: fine for an entry
    r = alice.copart("new", "story", "A very long body", "--no-edit", "--body-file", "-", input=body, cwd=sample)
    tally.cli(r, allowed=(0,))
    found = alice.copart("search", "very long body", "--json", cwd=sample)
    tally.cli(found, allowed=(0,))
    if "a-very-long-body" not in {x["id"] for x in found.json()["results"]}:
        tally.losses.append("the long entry is not found")
    if alice.git("cat-file", "-e", "HEAD:stories/pricing-a-first-workshop.md", cwd=sample, check=False) is None:
        tally.losses.append("an entry vanished")
    assert before  # HEAD existed; every refused write left the repertoire as it was
    assert alice.git("status", "--porcelain", cwd=sample) == ""
    tally.report(capsys)


# -- links out, huge and binary files ---------------------------------------------------


def test_links_out_of_the_repertoire_are_never_followed_nor_indexed(alice, sample, world, tmp_path, capsys):
    tally = Tally("links, huge and binary files")
    outside = world.base / "private"
    outside.mkdir()
    secret = outside / "diary.md"
    secret.write_text(f"---\nid: diary\nkind: story\ntitle: Diary {SECRET}\nauthor: apatel\n"
                      f"created: 2026-01-01\n---\nMy {SECRET} thoughts.\n")
    (sample / "stories/leak.md").symlink_to(secret)
    (sample / "practices/passwd.md").symlink_to("/etc/passwd")
    (sample / "asks/loop.md").symlink_to(sample / "asks/loop.md")
    (sample / "stories/away").symlink_to(outside, target_is_directory=True)
    (sample / "practices/huge.md").write_text("---\nid: huge\nkind: practice\ntitle: Huge\nauthor: apatel\n"
                                               "created: 2026-01-01\n---\n" + f"{SECRET} " * 400_000)
    (sample / "practices/blob.md").write_bytes(b"---\nid: blob\n---\n\x00\x01\x02" + SECRET.encode() * 10)
    for args in (["index", "--rebuild"], ["index"], ["list"], ["check"], ["status"], ["stats"], ["digest"],
                 ["who", SECRET], ["show", "leak"], ["show", "passwd"], ["show", "huge"], ["edit", "leak", "--tag", "x"]):
        tally.cli(alice.copart(*args, cwd=sample))
    for q in (SECRET, "root", f"title:{SECRET}", "Diary"):
        r = alice.copart("search", "--json", "--", q, cwd=sample)
        tally.cli(r, allowed=(0,))
        hits = {x["id"] for x in r.json()["results"]}
        if hits & {"leak", "passwd", "huge", "blob", "diary"}:
            tally.losses.append(f"search {q!r} reached outside or into a skipped file: {hits}")
    shown = alice.copart("show", "leak", cwd=sample)
    if SECRET in shown.stdout + shown.stderr:
        tally.losses.append("show followed a link out of the repertoire")
    site = tmp_path / "site"
    r = alice.copart("site", str(site), cwd=sample)
    tally.cli(r, allowed=(0,))
    if any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file()):
        tally.losses.append("the site published a file from outside the repertoire")
    # sync commits hand edits: never the links, the huge or the binary file
    hub = world.bare()
    alice.git("remote", "add", "origin", str(hub), cwd=sample)
    r = alice.copart("sync", cwd=sample)
    tally.cli(r, allowed=(0,))
    tracked = alice.git("ls-tree", "-r", "--name-only", "HEAD", cwd=sample)
    for bad in ("stories/leak.md", "practices/passwd.md", "asks/loop.md", "practices/huge.md", "practices/blob.md"):
        if bad in tracked:
            tally.losses.append(f"sync committed {bad}")
    assert secret.read_text().count(SECRET) == 2  # the outside file untouched
    # import: links, huge and binary files are skipped, with the reason
    vault = world.base / "vault"
    vault.mkdir()
    (vault / "ok.md").write_text("# Fine\ntext\n")
    (vault / "leak.md").symlink_to(secret)
    (vault / "linked-dir").symlink_to(outside, target_is_directory=True)
    (vault / "huge.md").write_text("# Huge\n" + "x" * 3_000_000)
    (vault / "blob.md").write_bytes(b"\x00\x01" * 100)
    r = alice.copart("import", str(vault), "--json", cwd=sample)
    tally.cli(r, allowed=(0,))
    data = r.json()
    if [e["source"] for e in data["entries"]] != ["ok.md"]:
        tally.losses.append(f"import took {[e['source'] for e in data['entries']]}")
    reasons = {s["path"]: s["reason"] for s in data["skipped"]}
    assert {"leak.md", "huge.md", "blob.md"} <= set(reasons), reasons
    tally.report(capsys)


# -- dash-led names ------------------------------------------------------------------------


def test_branch_remote_and_ref_names_starting_with_a_dash(world, capsys):
    from tests.synckit import join, start_hub

    tally = Tally("dash-led names")
    alice, bob = world.partner("alice"), world.partner("bob")
    rep, url = start_hub(world, alice)
    hub = Path(url)
    # refs git itself lets through: a branch and review refs whose names start with '-'
    head = alice.git("rev-parse", "HEAD", cwd=rep).strip()
    for ref in ("refs/heads/-rf", "refs/heads/--upload-pack=touch pwned", "refs/heads/contrib/-x/-y/v1",
                "refs/copart/reviews/-x/-y"):
        subprocess.run(["git", "--git-dir", str(hub), "update-ref", ref, head], capture_output=True)
    rep_b = join(bob, url)
    for who, where in ((alice, rep), (bob, rep_b)):
        for args in (["sync"], ["status"], ["review", "list"], ["contribute", "list"], ["list"],
                     ["sync", "--remote", "-x"], ["sync", "--remote=--upload-pack=touch pwned"],
                     ["review", "show", "--", "-x/-y"], ["review", "accept", "--", "--help"],
                     ["show", "--", "-rf"], ["search", "--", "-rf"]):
            tally.cli(who.copart(*args, cwd=where))
    for args in (["join", "--", "-evil", str(world.base / "j1")],
                 ["join", "--branch", "-rf", url, str(world.base / "j2")],
                 ["join", "--branch", "--upload-pack=touch pwned", url, str(world.base / "j3")]):
        tally.cli(alice.copart(*args, cwd=world.base), allowed=(1, 2, 3))
    alice.git("checkout", "-q", "-b", "x", cwd=rep)
    subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/-rf"], cwd=rep, check=True)
    r = alice.copart("sync", cwd=rep)
    tally.cli(r, allowed=(1,))
    pwned = [p for p in world.base.rglob("pwned")]
    if pwned:
        tally.losses.append(f"an option was injected: {pwned}")
    tally.report(capsys)


# -- a malicious contribution ----------------------------------------------------------------


def test_a_malicious_contribution_is_flagged_and_runs_nothing(world, tmp_path, capsys):
    from tests.review_helpers import community
    from tests.test_site import HOSTILE

    tally = Tally("malicious contribution")
    c = community(world)
    anjali, judith, prep, crep = c.anjali, c.judith, c.partner_rep, c.coord_rep
    marker = world.base / "filter-ran"
    # judith's own git config has a filter driver (as git-lfs users do); the contribution asks for it
    with open(judith.home / ".gitconfig", "a") as fh:
        fh.write(f'[filter "evil"]\n\tsmudge = touch {marker}; cat\n\tclean = touch {marker}; cat\n')
    # anjali crafts the branch by hand: a symlink out, .gitattributes, an entry with <script>
    anjali.git("checkout", "-q", "-b", "contrib/apatel/trojan/v1", cwd=prep)
    (prep / ".gitattributes").write_text("* filter=evil\n")
    (prep / "stories/trojan.md").symlink_to("/etc/passwd")
    (prep / "stories/trojan-note.md").write_text("---\nid: trojan-note\nkind: story\ntitle: Trojan\n"
                                                  "author: apatel\ncreated: 2026-01-01\n---\nhello\n")
    anjali.git("add", "-A", cwd=prep)
    anjali.git("commit", "-q", "-S", "-m", "a friendly contribution", cwd=prep)
    push = subprocess.run(["git", "push", "-q", "origin", "contrib/apatel/trojan/v1"], cwd=prep, env=anjali.env,
                          capture_output=True, text=True)
    tally.cases += 1
    if push.returncode != 0:  # the hub refused it: fetch it from anjali directly, as a peer would
        judith.git("fetch", "-q", str(prep), "contrib/apatel/trojan/v1:contrib/apatel/trojan/v1", cwd=crep)
        anjali.git("checkout", "-q", "main", cwd=prep)
        anjali.git("branch", "-q", "-D", "contrib/apatel/trojan/v1", cwd=prep)  # or her syncs push it again
    else:
        tally.cli(judith.copart("sync", cwd=crep))
    for args in (["review", "list", "--json"], ["review", "show", "apatel/trojan"], ["status"]):
        tally.cli(judith.copart(*args, cwd=crep))
    r = judith.copart("review", "accept", "apatel/trojan", cwd=crep)
    tally.cli(r, allowed=(4,))  # the checks fail: accepting needs a conscious --ignore-checks
    if judith.git("ls-tree", "--name-only", "main", ".gitattributes", cwd=crep).strip():
        tally.losses.append("a failing contribution reached main")
    # an entry with <script> in a contribution that passes the checks: accepted, then published
    anjali.git("checkout", "-q", "main", cwd=prep)
    anjali.git("clean", "-qfd", cwd=prep)
    body = HOSTILE.split("\n---\n", 1)[1]
    r = anjali.copart("new", "story", "Hello <script>window.__pwned_title=1</script>", "--no-edit",
                      "--body-file", "-", "--json", cwd=prep, input=body)
    tally.cli(r, allowed=(0,))
    key = "apatel/" + r.json()["entry"]["id"]
    tally.cli(anjali.copart("sync", cwd=prep), allowed=(0,))
    tally.cli(judith.copart("sync", cwd=crep), allowed=(0,))
    tally.cli(judith.copart("review", "show", key, cwd=crep), allowed=(0,))
    tally.cli(judith.copart("review", "accept", key, "--ignore-checks", cwd=crep), allowed=(0,))
    shown = judith.copart("show", r.json()["entry"]["id"], cwd=crep)
    tally.cli(shown, allowed=(0,))
    site = tmp_path / "site"
    tally.cli(judith.copart("site", str(site), cwd=crep), allowed=(0,))
    if not any(site.rglob("*.html")):
        tally.losses.append("no site")
    if marker.exists():
        tally.losses.append("a filter named by the contribution ran on judith's machine")
    for page in site.rglob("*.html"):
        if "<script>window.__pwned" in page.read_text(errors="replace") or "<script>alert" in page.read_text(errors="replace"):
            tally.losses.append(f"{page.name} carries the contribution's script")
    tally.report(capsys)
