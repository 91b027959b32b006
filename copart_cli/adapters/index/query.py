"""The query language, typo fixes and filters: a question or a query to whoosh queries and terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from copart_cli.adapters.files import read_bytes
from copart_cli.adapters.index.analysis import analyse, fast_terms
from copart_cli.adapters.index.documents import MAX_BODY_CHARS, TEXT_FIELDS, Hit
from copart_cli.adapters.index.language import is_english, is_filler, normalise
from copart_cli.core.errors import LinkRefused

FIELD_ALIASES = {"tags": ["tag"], "topics": ["topic"]}
_WORD = re.compile(r"\w+", re.U)


@dataclass
class Query:
    text: str
    mode: str = "search"  # search: the query language, all words; ask: any words, ranked
    kind: str | None = None
    tag: str | None = None
    topic: str | None = None
    author: str | None = None
    since: int | None = None  # epoch seconds
    status: str | None = None
    limit: int = 10


@dataclass
class Found:
    hits: list[Hit]
    total: int
    terms: list[str]  # the analysed query terms (stemmed), in order
    corrections: dict[str, str]  # typed word -> the indexed word used instead
    note: str | None = None  # e.g. "only stop words"


def filters(q: Query):
    from whoosh import query as wq

    parts = []
    if q.kind:
        parts.append(wq.Term("kind", q.kind))
    if q.tag:
        parts.append(wq.Term("tagx", q.tag.lower()))
    if q.topic:
        parts.append(wq.Term("topicx", q.topic.lower()))
    if q.author:
        parts.append(wq.Term("author", q.author))
    if q.status:
        parts.append(wq.Term("status", q.status))
    if q.since is not None:
        parts.append(wq.NumericRange("created", q.since, None))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _distance(a: str, b: str) -> int:
    """Edits from a to b, a swap of two neighbouring letters counting as one ("prcie" → "price")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        prev2, prev = prev, cur
    return prev[-1]


def _correct(reader, term: str) -> str | None:
    """The closest, then most frequent, indexed word within 1 edit (2 for longer words) of `term`."""
    best: tuple[int, int, str] | None = None
    if len(term) < 4:
        return None
    maxdist = 1 if len(term) < 8 else 2
    # whoosh's fuzzy lookup counts two swapped letters as two edits: the swapped spellings
    # are looked up as words (cheap), the rest within the edit distance
    swaps = {term[:i] + term[i + 1] + term[i] + term[i + 2:] for i in range(len(term) - 1)} - {term}
    for fieldname in ("title", "body"):
        try:
            candidates = [c.decode("utf-8") if isinstance(c, bytes) else c
                          for c in reader.terms_within(fieldname, term, maxdist, prefix=1)]
        except Exception:
            candidates = []
        candidates += [w for w in swaps if reader.doc_frequency(fieldname, w)]
        for cand in candidates:
            dist = _distance(term, cand)
            if cand == term or dist > maxdist:
                continue
            key = (dist, -reader.doc_frequency(fieldname, cand), cand)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def known(reader, term: str) -> bool:
    return any(reader.doc_frequency(f, term) for f in TEXT_FIELDS)


def ask_terms(reader, text: str) -> tuple[list[str], dict[str, str]]:
    """The question's content words, stemmed: normalised (lower case, contractions off), stop
    words and question words dropped; a word that no entry has and that is no English word
    either is taken for a typo and corrected to the nearest indexed word. A real word the
    index lacks ("loaves", "wool") stays as it is: it tells `ask` the question is off-topic."""
    terms: list[str] = []
    corrections: dict[str, str] = {}
    # "how do we" alone asks nothing: with only question words there is nothing to search for
    for word in _WORD.findall(normalise(text[:2000])):
        if is_filler(word):
            continue
        for stem, _, _ in analyse(word):
            if stem in terms or len(terms) >= 40:
                continue
            if len(stem) > 2 and not known(reader, stem) and not is_english(word):
                fixed = _correct(reader, stem)
                if fixed:
                    corrections[word] = fixed
                    stem = fixed
            if stem not in terms:
                terms.append(stem)
    return terms, corrections


def search_query(searcher, text: str):
    """The query language: fields, "phrases", AND/OR/NOT, wildcards; all words by default."""
    from whoosh import qparser
    from whoosh import query as wq

    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema=searcher.schema, fieldboosts=TEXT_FIELDS,
                                      group=qparser.AndGroup)
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    # `-word` excludes, as in web search; only a leading dash (self-employed stays one word)
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?!)", minusexpr=r"(?<![^\s(])-(?=[\w\"(])"))
    parser.remove_plugin_class(qparser.BoostPlugin)
    text = text[:2000]
    try:
        q = parser.parse(text)
    except Exception:
        q = None
    if q is None or isinstance(q, type(wq.NullQuery)) or q is wq.NullQuery:
        q = None
    phrases: list[list[str]] = []
    if q is not None:
        q = _unphrase_body(_and_not(q), phrases, positive=True)
    terms: list[str] = []
    corrections: dict[str, str] = {}
    reader = searcher.reader()
    if q is not None:
        try:
            for fieldname, t in q.iter_all_terms():
                t = t.decode("utf-8") if isinstance(t, bytes) else str(t)
                if fieldname in TEXT_FIELDS and t not in terms:
                    terms.append(t)
        except Exception:
            pass
        # Typo tolerance: replace words no document has with their nearest indexed word.
        unknown = [t for t in terms if len(t) > 2 and not known(reader, t)
                   and not is_english(_original_word(text, t).lower())]
        if unknown:
            fixed = {t: _correct(reader, t) for t in unknown}
            fixed = {k: v for k, v in fixed.items() if v}
            if fixed:
                q = _replace_terms(q, fixed)
                corrections = {_original_word(text, k): v for k, v in fixed.items()}
                terms = [fixed.get(t, t) for t in terms]
    return q, terms, corrections, phrases


def _and_not(q):
    """`a -b` as `a AND NOT b`: whoosh's own AndNot misses exclusions on small indexes."""
    from whoosh import query as wq

    if isinstance(q, wq.AndNot):
        return wq.And([_and_not(q.a), wq.Not(_and_not(q.b))])
    if q.is_leaf():
        return q
    return q.apply(_and_not)


def _unphrase_body(q, phrases: list[list[str]], positive: bool):
    """The body has no positions (a 2x faster build): a phrase on it becomes all its words,
    and the hits are checked for the words in a row afterwards (see `has_phrase`)."""
    from whoosh import query as wq

    if isinstance(q, wq.Phrase):
        if q.fieldname != "body":
            return q
        words = [w for w in q.words if w]
        if positive and len(words) > 1 and words not in phrases:
            phrases.append(words)
        return wq.And([wq.Term("body", w) for w in words], boost=q.boost) if words else wq.NullQuery
    if isinstance(q, wq.Not):
        return wq.Not(_unphrase_body(q.query, phrases, not positive))
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _unphrase_body(sub, phrases, positive))


def has_phrase(root: Path | None, path: str, phrases: list[list[str]]) -> bool:
    if root is None or not phrases:
        return True
    try:
        text = read_bytes(root / path, path).decode("utf-8", errors="replace")[: MAX_BODY_CHARS + 65536]
    except (OSError, LinkRefused):
        return False
    seq = fast_terms(text)
    joined = " " + " ".join(seq) + " "
    return all((" " + " ".join(words) + " ") in joined for words in phrases)


def _original_word(text: str, stem: str) -> str:
    for word in _WORD.findall(text):
        if any(s == stem for s, _, _ in analyse(word)):
            return word
    return stem


def _replace_terms(q, fixed: dict[str, str]):
    from whoosh import query as wq

    if isinstance(q, wq.Term) and q.fieldname in TEXT_FIELDS and q.text in fixed:
        return wq.Term(q.fieldname, fixed[q.text], boost=q.boost)
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _replace_terms(sub, fixed))
