"""The whoosh index: every whoosh import and quirk stops in this package; import from here.

documents (what is indexed), analysis (the analyser), whoosh_internals (whoosh's private
parts, each beside its public way), store (generations, locks, building), query (the
query language, typo fixes), scoring (BM25F), reading (queries on one snapshot).
whoosh itself is imported only when an index is opened or built.
"""

from copart_cli.adapters.index.analysis import analyse
from copart_cli.adapters.index.documents import MAX_BODY_CHARS, TEXT_FIELDS, Hit, split_body
from copart_cli.adapters.index.query import Found, Query
from copart_cli.adapters.index.reading import Reading
from copart_cli.adapters.index.store import SCHEMA_VERSION, BuildStats, IndexStore, IndexUnusable, preload

__all__ = ["MAX_BODY_CHARS", "SCHEMA_VERSION", "TEXT_FIELDS", "BuildStats", "Found", "Hit", "IndexStore",
           "IndexUnusable", "Query", "Reading", "analyse", "preload", "split_body"]
