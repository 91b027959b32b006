"""What a question's words are: English stop words, question words, and whether a word is
a word of the language at all (only a word that is not may be "corrected" into another).

The stop list is Snowball's English list (the one its stemmer ships, with the contractions
split the way the tokenizer splits them). The word list is pyspellchecker's English
frequency list, read only when a question has a word the index lacks: its gzipped JSON is
searched as bytes (about 25 ms), never parsed.
"""

from __future__ import annotations

import re

# Snowball's English stop list (snowballstem.org, algorithms/english/stop.txt)
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing would should could ought a an the and but if or because as
until while of at by for with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how all any both each few more
most other some such no nor not only own same so than too very cannot can will just shall may might must
""".split())
# Words that make a sentence a question or a request but say nothing about its subject.
QUESTION_WORDS = frozenset("""
anyone someone somebody anybody everyone everybody get gets got getting make makes need needs want wants wanted
know knows tell please best good way ways really much many thing things stuff like also even still ok okay hi
hello thanks thank actually something anything everything one ones go say says said idea ideas im ive id dont
doesnt didnt cant wont isnt arent whats hows wheres whos lot lots kind sort bit
""".split())
# "don't", "I'm", "we've": the tokenizer would leave "don", "t", "m", "ve" behind
_CONTRACTION = re.compile(r"(?:n[’']t|[’'](?:s|m|re|ve|d|ll))\b", re.I)

_WORDS: bytes | None = None


def normalise(text: str) -> str:
    """Lower case, contractions dropped ("don't" -> "do", "I'm" -> "i")."""
    return _CONTRACTION.sub("", text.lower())


def is_filler(word: str) -> bool:
    """A stop word or a question word (lower-case, normalised)."""
    return word in STOP_WORDS or word in QUESTION_WORDS


def is_english(word: str) -> bool:
    """True if `word` (lower case) is in the English word list; False if not, or without the list."""
    global _WORDS
    if _WORDS is None:
        _WORDS = _load()
    return bool(word) and f'\n"{word}":'.encode("utf-8", "replace") in _WORDS


def _load() -> bytes:
    import gzip
    from importlib import resources

    try:
        data = resources.files("spellchecker").joinpath("resources", "en.json.gz").read_bytes()
        return b"\n" + gzip.decompress(data)
    except (ImportError, OSError, EOFError, ValueError):  # no list: no word counts as English, typos are fixed as before
        return b""
