"""The outside world behind one module each: git, files, editor, templates, the index."""
