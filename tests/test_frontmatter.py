"""Frontmatter round-trips byte for byte, and copart rewrites only the keys it changes."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copart_cli.core import frontmatter, ids
from copart_cli.services.capture import Changes, apply_changes

keys = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
scalars = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.integers(-10**6, 10**6),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0, tzinfo=dt.timezone.utc)),
)
values = st.one_of(scalars, st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=15),
                                     max_size=5))
metas = st.dictionaries(keys, values, min_size=1, max_size=8)
bodies = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
newlines = st.sampled_from(["\n", "\r\n"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def entry_text(meta, body, nl="\n", comment=False) -> str:
    fm = frontmatter.dump(meta)
    if comment:
        fm = "# a comment the user wrote\n" + fm
    return ("---\n" + fm + "---\n" + body).replace("\n", nl) if nl != "\n" else "---\n" + fm + "---\n" + body


@SETTINGS
@given(metas, bodies, newlines, st.booleans())
def test_unchanged_entries_round_trip_byte_for_byte(meta, body, nl, comment):
    text = entry_text(meta, body, nl, comment)
    parts = frontmatter.split(text)
    assert parts.text() == text
    assert frontmatter.load(parts.frontmatter) == meta
    assert apply_changes(text, Changes(), "x.md") == text


odd_texts = st.text(st.sampled_from("ab :#'\"-\t\x85\u2028\u2029é中😀\U0001F9EA"), max_size=20)


@SETTINGS
@given(st.dictionaries(keys, st.one_of(values, odd_texts, st.lists(odd_texts, max_size=3)), min_size=1, max_size=6))
def test_new_frontmatter_is_written_the_same_whichever_yaml_emitter_runs(meta):
    # import writes thousands of these through libyaml: what it writes must read back as
    # written, and be what the pure-Python emitter writes for any text without NEL or the
    # Unicode line separators (which that emitter may fold into spaces)
    import yaml

    from copart_cli.core.yamlio import Dumper

    written = frontmatter.dump(meta)
    assert frontmatter.load(written) == meta
    slow = yaml.dump(meta, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000,
                     default_flow_style=False)
    if not set(json.dumps(meta, default=str, ensure_ascii=False)) & {"\x85", "\u2028", "\u2029"}:
        assert written == slow


@SETTINGS
@given(metas, bodies, keys, values)
def test_setting_one_key_leaves_every_other_byte_alone(meta, body, key, value):
    text = entry_text(meta, body, comment=True)
    new = apply_changes(text, Changes(fields={key: value}), "x.md")
    parts = frontmatter.split(new)
    loaded = frontmatter.load(parts.frontmatter)
    assert loaded[key] == value
    assert {k: v for k, v in loaded.items() if k != key} == {k: v for k, v in meta.items() if k != key}
    assert parts.body == body
    old_lines = frontmatter.split(text).frontmatter.splitlines()
    new_lines = parts.frontmatter.splitlines()
    assert new_lines[0] == "# a comment the user wrote"
    kept = [ln for ln in old_lines if not ln.startswith(f"{key}:")]
    # every line of the other keys survives unchanged (a changed key may span lines)
    assert all(ln in new_lines for ln in kept if not ln.startswith((" ", "-")))


@SETTINGS
@given(st.text(max_size=200))
def test_slugs_are_always_safe_ids_or_empty(title):
    slug = ids.slugify(title)
    assert slug == "" or ids.is_valid(slug)
    assert "/" not in slug and ".." not in slug and len(slug) <= ids.MAX_ID


def test_a_bom_and_crlf_file_keeps_its_bytes():
    text = "\ufeff---\r\nid: x\r\ntitle: Café\r\n---\r\nBody\r\n"
    assert apply_changes(text, Changes(), "x.md") == text
    new = apply_changes(text, Changes(tags=["a"]), "x.md")
    assert new == "\ufeff---\r\nid: x\r\ntitle: Café\r\ntags: [a]\r\n---\r\nBody\r\n"
