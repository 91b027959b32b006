"""The engines people would pick instead of copart, as the scripts they would write: each a
whole process over a repertoire's entry files, so the bench times them as it times copart.

    python3 peers.py fts5-build REPERTOIRE DB          # SQLite FTS5 (stdlib sqlite3)
    python3 peers.py fts5-query DB QUESTION
    PY peers.py tantivy-build REPERTOIRE DIR           # PY: a Python with tantivy (the bench's venv)
    PY peers.py tantivy-query DIR QUESTION

Both index what copart indexes for `ask` and `search` (every .md of the kind folders), the
same way: title weighted (x5, as tests/relevance/evaluate.py's FTS5), Porter stemming, bodies
stored and positions kept (FTS5's default detail=full; tantivy's "position"), the frontmatter
read with PyYAML's C loader. A query ORs the question's words (`words()`, which the bench
also gives to `rg`) and prints the top 10 as source, title and a snippet of the body.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys

FOLDERS = ("stories", "practices", "members", "asks", "answers")
STOP = frozenset("""a about after all also am an and any are as at be been before but by can could did do does doing
don for from get got had has have how i if in into is it its just m me more my no not of on or our out s should so
t than that the their them then there these they this to up us was we were what when where which while who why
will with would you your""".split())
_FM = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def words(question: str) -> list[str]:
    """The question's words a search needs: lower case, once each, no stop words."""
    return [w for w in dict.fromkeys(re.findall(r"\w+", question.lower())) if w not in STOP]


def entries(rep: str):
    """(source, title, body) of every entry file; source is what `copart import` recorded."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for folder in FOLDERS:
        base = os.path.join(rep, folder)
        for name in sorted(os.listdir(base)):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(base, name), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            m = _FM.match(text)
            try:
                meta = (yaml.load(m.group(1), Loader=loader) if m else None) or {}
            except yaml.YAMLError:
                meta = {}
            if not isinstance(meta, dict):
                meta = {}
            yield (str(meta.get("source") or f"{folder}/{name}"), str(meta.get("title") or name),
                   text[m.end():] if m else text)


def fts5_build(rep: str, db: str) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE VIRTUAL TABLE d USING fts5(title, body, source UNINDEXED, tokenize='porter unicode61')")
    with con:
        con.executemany("INSERT INTO d(source, title, body) VALUES (?, ?, ?)", entries(rep))
    con.close()


def fts5_query(db: str, question: str) -> None:
    found = words(question)
    if not found:
        return
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT source, title, snippet(d, 1, '[', ']', '…', 32) FROM d WHERE d MATCH ? "
                       "ORDER BY bm25(d, 5.0, 1.0) LIMIT 10", (" OR ".join(f'"{w}"' for w in found),))
    for source, title, snippet in rows:
        print(f"{source}\t{title}\t{' '.join(snippet.split())}")


def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem", index_option="position")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem", index_option="position")
    builder.add_text_field("source", stored=True, tokenizer_name="raw")
    return builder.build()


def tantivy_build(rep: str, out: str) -> None:
    import tantivy

    os.makedirs(out, exist_ok=True)
    index = tantivy.Index(_schema(), path=out)
    writer = index.writer()  # its defaults: 128 MB of heap, a thread per core
    for source, title, body in entries(rep):
        writer.add_document(tantivy.Document(source=source, title=title, body=body))
    writer.commit()
    writer.wait_merging_threads()


def tantivy_query(out: str, question: str) -> None:
    import tantivy

    found = words(question)
    if not found:
        return
    index = tantivy.Index.open(out)
    query = index.parse_query(" ".join(found), ["title", "body"], field_boosts={"title": 5.0})
    searcher = index.searcher()
    snippets = tantivy.SnippetGenerator.create(searcher, query, index.schema, "body")
    for _score, address in searcher.search(query, 10).hits:
        doc = searcher.doc(address)
        snippet = " ".join(snippets.snippet_from_doc(doc).fragment().split())
        print(f"{doc['source'][0]}\t{doc['title'][0]}\t{snippet}")


COMMANDS = {"fts5-build": fts5_build, "fts5-query": fts5_query, "tantivy-build": tantivy_build,
            "tantivy-query": tantivy_query}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: peers.py {{{'|'.join(COMMANDS)}}} PATH ARG")
    COMMANDS[sys.argv[1]](sys.argv[2], sys.argv[3])
