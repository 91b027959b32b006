"""`copart ask`, `--post`, `answer`, `asks`, `accept`: pull-style questions and answers."""

from __future__ import annotations

import subprocess
import sys


def test_ask_returns_passages_people_and_open_asks(alice, sample):
    r = alice.copart("ask", "how do we price a first workshop?", "--json", cwd=sample)
    assert r.ok, r
    data = r.json()
    assert data["question"] == "how do we price a first workshop?"
    assert data["answered"] is True
    top = [x["id"] for x in data["results"][:3]]
    assert "pricing-a-first-workshop" in top
    assert all(x["passages"] for x in data["results"])
    people = {p["id"]: p for p in data["people"]}
    assert data["people"][0]["id"] == "rlindqvist"
    assert people["rlindqvist"]["name"] == "Rosa Lindqvist"
    evidence = " | ".join(people["rlindqvist"]["evidence"])
    assert "profile expertise" in evidence and "accepted answer" in evidence and "wrote" in evidence
    for key in ("id", "name", "score", "evidence"):
        assert key in data["people"][0]
    assert isinstance(data["open_asks"], list)
    text = alice.copart("ask", "how do we price a first workshop?", cwd=sample)
    assert "Pricing a first workshop" in text.stdout and "Rosa Lindqvist" in text.stdout


def test_similar_open_asks_are_shown(alice, sample):
    r = alice.copart("ask", "is a stylist renting a chair self-employed?", "--json", cwd=sample)
    assert r.ok
    assert [a["id"] for a in r.json()["open_asks"]] == ["is-a-chair-renting-stylist-really-self-employed"]


def test_nothing_answers_says_so_and_post_records_an_ask(alice, sample):
    r = alice.copart("ask", "how do I repair a tractor gearbox?", "--json", cwd=sample)
    assert r.ok
    assert r.json()["answered"] is False and r.json()["results"] == []
    text = alice.copart("ask", "how do I repair a tractor gearbox?", cwd=sample)
    assert "answers this well" in text.stdout and "--post" in text.stdout
    before = alice.git("rev-list", "--count", "HEAD", cwd=sample).strip()
    r = alice.copart("ask", "how do I repair a tractor gearbox?", "--post", "--author", "apatel", "--json", cwd=sample)
    assert r.ok, r
    posted = r.json()["posted"]
    assert posted["entry"]["kind"] == "ask" and posted["commit"]
    assert int(alice.git("rev-list", "--count", "HEAD", cwd=sample)) == int(before) + 1
    assert alice.git("status", "--porcelain", cwd=sample).strip() == ""
    asks = alice.copart("asks", "--json", cwd=sample).json()
    assert posted["entry"]["id"] in [a["id"] for a in asks]
    # and the new ask is found by the next question on the subject
    again = alice.copart("ask", "tractor gearbox", "--json", cwd=sample).json()
    assert posted["entry"]["id"] in [a["id"] for a in again["open_asks"]]
    assert alice.copart("check", cwd=sample).ok


def test_answer_then_accept_closes_the_ask(world, alice, sample):
    ask = "is-a-chair-renting-stylist-really-self-employed"
    r = alice.copart("answer", ask, "--body", "Check who sets the prices and hours.", "--author", "mokafor",
                     "--json", cwd=sample)
    assert r.ok, r
    answer = r.json()["entry"]
    assert answer["kind"] == "answer" and answer["path"].startswith("answers/") and r.json()["commit"]
    show = alice.copart("show", answer["id"], "--json", cwd=sample).json()
    assert show["meta"]["answers"] == ask and show["meta"]["accepted"] is False
    # alice is not a member: she may not accept
    r = alice.copart("accept", answer["id"], cwd=sample)
    assert r.code == 1 and "asker or a coordinator" in r.stderr
    # Judith is a coordinator (her profile lists her email)
    judith = world.partner("judith", "judith.fawcett@example.org")
    r = judith.copart("accept", answer["id"], "--json", cwd=sample)
    assert r.ok, r
    assert r.json()["ask"]["status"] == "answered" and r.json()["commit"]
    assert alice.copart("show", answer["id"], "--json", cwd=sample).json()["meta"]["accepted"] is True
    assert ask not in [a["id"] for a in alice.copart("asks", "--json", cwd=sample).json()]
    assert ask in [a["id"] for a in alice.copart("asks", "--status", "answered", "--json", cwd=sample).json()]
    assert alice.copart("check", cwd=sample).ok


def test_unknown_ask_or_answer_is_a_clear_error(alice, sample):
    r = alice.copart("answer", "no-such-ask", "--body", "x", cwd=sample)
    assert r.code == 1 and "copart: error: no ask with id 'no-such-ask'" in r.stderr
    r = alice.copart("answer", "pricing-a-first-workshop", "--body", "x", cwd=sample)  # a story, not an ask
    assert r.code == 1
    r = alice.copart("accept", "no-such-answer", cwd=sample)
    assert r.code == 1 and "no answer" in r.stderr
    r = alice.copart("answer", "is-a-chair-renting-stylist-really-self-employed", "--no-input", cwd=sample)
    assert r.code == 2


def test_ask_odd_input(alice, sample):
    for q in ["the of and", "?!?", "x" * 10_000, "¿Cómo fijamos el precio? 価格"]:
        r = alice.copart("ask", q, "--json", cwd=sample)
        assert r.ok, r
        assert "results" in r.json()


def test_a_question_of_only_question_words_is_not_answered_with_noise(alice, sample):
    for q in ["how do we", "how do I?", "who knows?", "what should we do"]:
        r = alice.copart("ask", q, "--json", cwd=sample)
        assert r.ok, r
        assert r.json()["answered"] is False and r.json()["results"] == [] and r.json()["people"] == [], q
        assert "nothing to search for" in r.json()["note"]
    before = alice.git("rev-parse", "HEAD", cwd=sample)
    posted = alice.copart("ask", "how do we", "--post", cwd=sample)
    assert posted.code == 2 and "only question words" in posted.stderr
    assert alice.git("rev-parse", "HEAD", cwd=sample) == before  # no empty ask recorded


def test_ask_follows_edits_and_never_answers_from_a_replaced_version(alice, sample):
    def ask(question):
        r = alice.copart("ask", question, "--limit", "20", "--json", cwd=sample)
        assert r.ok, r
        return r.json()

    path = sample / "stories" / "pricing-a-first-workshop.md"
    original = path.read_text()
    path.write_text(original + "\nWe paid the quagga keeper in vouchers.\n")
    assert [x["id"] for x in ask("quagga vouchers")["results"]] == ["pricing-a-first-workshop"]
    path.write_text(original + "\nWe paid the keeper in vouchers.\n")  # quagga gone, vouchers kept
    assert ask("quagga")["answered"] is False
    ids = [x["id"] for x in ask("quagga vouchers")["results"]]
    assert ids.count("pricing-a-first-workshop") <= 1
    alice.git("commit", "-qam", "vouchers", cwd=sample)
    # every entry appears once, however many versions the index has seen
    data = ask("pricing workshop vouchers")
    ids = [x["id"] for x in data["results"]]
    assert ids[0] == "pricing-a-first-workshop" and len(ids) == len(set(ids))
    assert "vouch" in " ".join(data["results"][0]["passages"]).lower()


def test_a_question_loads_only_what_a_query_needs(alice, sample):
    """Speed: the ask path parses no YAML and loads no git library, jinja2 or rich (piped)."""
    assert alice.copart("index", cwd=sample).ok
    code = ("import sys\nfrom copart_cli.cli import run\n"
            "try:\n    run(['ask', 'how do we price a first workshop?'])\n"
            "except SystemExit as e:\n    sys.stderr.write('EXIT=%s\\n' % e.code)\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'git', 'jinja2', 'yaml', 'rich', 'markdown_it'})\n"
            "sys.stderr.write('HEAVY=' + ','.join(heavy))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=sample, env=alice.env)
    assert "EXIT=0" in proc.stderr, proc.stderr
    assert "Pricing a first workshop" in proc.stdout
    assert proc.stderr.rsplit("HEAVY=", 1)[1].strip() == ""


def test_the_answer_inside_a_long_page_is_found_and_shown_as_its_section(alice, sample):
    filler = "\n".join(f"## Topic {n}\n\nRoutine notes on rota number {n}, rooms, kettles and keys.\n" * 3
                       for n in range(120))  # a page of about 40 KB
    answer = ("## Lost keys\n\n### Out of hours\n\nIf you lose the <b>studio</b> keys after six, call the "
              "[locksmith on duty](https://example.org/locksmith) and log it in the "
              "<table><tr><td>incident book</td></tr></table>.\n")
    page = sample / "practices" / "studio-handbook.md"
    page.write_text("---\nid: studio-handbook\nkind: practice\ntitle: Studio handbook\nauthor: rlindqvist\n"
                    f"created: 2025-05-01T00:00:00Z\n---\n# Studio handbook\n\n{filler}\n{answer}\n{filler}\n")
    assert page.stat().st_size > 40_000
    alice.git("add", "-A", cwd=sample)
    alice.git("commit", "-qm", "studio handbook", cwd=sample)
    data = alice.copart("ask", "I lost the studio keys late in the evening, who do I call?", "--json", cwd=sample).json()
    assert data["answered"] is True
    top = data["results"][0]
    assert top["id"] == "studio-handbook"
    assert top["section"] == ["Studio handbook", "Lost keys", "Out of hours"]
    shown = top["passages"][0]
    assert shown.startswith("Studio handbook › Lost keys › Out of hours: If you lose the studio keys")
    assert "locksmith on duty" in shown and "incident book" in shown
    for syntax in ("](", "<b>", "<table", "<td", "https://"):
        assert syntax not in shown
    marked = [shown[s:e].lower() for s, e in top["highlights"][0]]
    assert "keys" in marked and "locksmith" not in marked


def test_real_words_are_never_corrected_into_other_words(alice, sample):
    for question, word in (("how many loaves should a bakery bake", "loaves"), ("wool for a scarf", "wool"),
                           ("testing the soil in the allotment", "soil")):
        data = alice.copart("ask", question, "--json", cwd=sample).json()
        assert word not in data["corrections"], data["corrections"]
    # a typo that is no English word is still fixed
    assert alice.copart("ask", "how do we prcie a workshop", "--json", cwd=sample).json()["corrections"] == {
        "prcie": "price"}


def test_off_topic_questions_are_declined_with_a_reason(alice, sample):
    data = alice.copart("ask", "how do I knit a cable stitch jumper for my puppy", "--json", cwd=sample).json()
    assert data["answered"] is False and data["results"] == [] and data["reason"] in ("no_match", "weak_match")
    assert data["note"]
    weak = alice.copart("ask", "what is the best first aid for a puppy with a workshop splinter", "--json",
                        cwd=sample).json()
    assert weak["answered"] is False and weak["reason"] == "weak_match" and 0 < weak["strength"] < 0.5
    good = alice.copart("ask", "how do we price a first workshop?", "--json", cwd=sample).json()
    assert good["answered"] is True and good["reason"] is None and good["strength"] > weak["strength"]
    only = alice.copart("ask", "how do we", "--json", cwd=sample).json()
    assert only["reason"] == "nothing_to_search"


def test_stop_words_and_question_words_are_not_searched(alice, sample):
    # "moving abroad" is two words; "has", "says", "haven't" are not subjects
    data = alice.copart("ask", "what has she said about it, and haven't we got something on that?", "--json",
                        cwd=sample).json()
    assert data["reason"] == "nothing_to_search"
