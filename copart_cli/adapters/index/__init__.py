"""The whoosh index: every whoosh import and quirk stops in this folder."""
