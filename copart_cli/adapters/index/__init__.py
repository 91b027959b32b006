"""The whoosh index: every whoosh import and quirk stops in this package; import from here.

documents (what is indexed), analysis (the analyser), whoosh_internals (whoosh's private
parts, each beside its public way), store (generations, locks, building), query (the
query language, typo fixes), language (stop words, the English word list), scoring
(BM25F), sections (an entry's heading sections, as plain text), reading (queries on one snapshot).
whoosh itself is imported only when an index is opened or built, without the network
modules it would drag in (slim_imports).
"""

from copart_cli.adapters.index import slim_imports

slim_imports.install()

from copart_cli.adapters.index.analysis import analyse
from copart_cli.adapters.index.documents import MAX_BODY_CHARS, TEXT_FIELDS, Hit, split_body
from copart_cli.adapters.index.query import Found, Query
from copart_cli.adapters.index.reading import Reading, add_sections
from copart_cli.adapters.index.sections import Section, best_by_words, read_body, term_spans
from copart_cli.adapters.index.sections import split as split_sections
from copart_cli.adapters.index.store import SCHEMA_VERSION, BuildStats, IndexStore, IndexUnusable, preload

__all__ = ["MAX_BODY_CHARS", "SCHEMA_VERSION", "TEXT_FIELDS", "BuildStats", "Found", "Hit", "IndexStore",
           "IndexUnusable", "Query", "Reading", "Section", "add_sections", "analyse", "best_by_words", "preload",
           "read_body", "split_body", "split_sections", "term_spans"]
