"""The model: entries, ids, frontmatter, errors. Imports nothing else of copart."""
