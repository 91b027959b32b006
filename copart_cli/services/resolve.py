"""`copart resolve`: settle a conflict copy sync saved, and clear it."""

from __future__ import annotations

from copart_cli.services import conflicts
from copart_cli.core.errors import CopartError, InvalidEntry, UsageError
from copart_cli.core.model import FOLDER_KINDS
from copart_cli.services.repertoire import Repertoire, problem_from


def resolve(rep: Repertoire, target: str, keep: str, copy: str | None = None, editor=None) -> conflicts.ResolveResult:
    """Settle a conflict: keep the entry as it is, take the copy, or combine both; clear the copies."""
    from copart_cli.adapters.files import atomic_write, read_text
    from copart_cli.services.validate import structural_problems

    if keep not in ("entry", "copy", "both"):
        raise UsageError(f"--keep must be entry, copy or both, not '{keep}'")
    path, copies = conflicts.copies_for(rep.root, target)
    if not copies:
        raise CopartError(f"no conflict waiting for '{target}'", hint="see the conflicts with: copart status")
    rep.git.identity()
    chosen = copies
    if copy is not None:
        chosen = [c for c in copies if c.copy == copy or c.copy.rsplit("/", 1)[-1] == copy]
        if not chosen:
            raise UsageError(f"'{copy}' is not a conflict copy of {path}",
                             hint="copies: " + ", ".join(c.copy for c in copies))
    if keep == "copy" and len(chosen) > 1:
        raise UsageError(f"{path} has {len(chosen)} conflict copies; say which with --copy NAME",
                         hint="copies: " + ", ".join(c.copy for c in chosen))
    full = rep.root / path
    current = read_text(full, path) if full.exists() else None
    if keep == "entry":
        text = current
    elif keep == "copy":
        text = read_text(rep.root / chosen[0].copy, chosen[0].copy)
    else:
        text = current or ""
        for c in chosen:
            text = conflicts.combine(text, read_text(rep.root / c.copy, c.copy)) if text else read_text(rep.root / c.copy, c.copy)
    before = current
    if text is not None and text != current:
        atomic_write(full, text, path)
    if editor is not None and text is not None:
        editor(full)
        text = read_text(full, path)
    if text is not None and conflicts.has_markers(text.encode("utf-8")):
        raise CopartError(f"{path} still has conflict markers (<<<<<<< or >>>>>>>)", hint=f"edit them out, then run: copart resolve {target} --keep entry")
    if text is not None and path.endswith(".md") and path.split("/", 1)[0] in FOLDER_KINDS:
        try:
            found = structural_problems(rep.load(path))
        except InvalidEntry as exc:
            found = [problem_from(exc, path)]
        if found:
            if before is not None and text != before:
                atomic_write(full, before, path)
            raise InvalidEntry(f"the result would not be a valid entry: {found[0]}; nothing was changed",
                               hint="choose another --keep, or fix the copy first")
    cleared = [c.copy for c in chosen]
    for c in chosen:
        (rep.root / c.copy).unlink(missing_ok=True)
    paths = cleared + ([path] if text is not None else [])
    message = f"copart resolve: {path} (kept {keep})\n\n" + "\n".join(f"- cleared {c}" for c in cleared)
    commit = rep.commit(paths, message)
    return conflicts.ResolveResult(path=path, kept=keep, cleared=cleared, commit=commit)
