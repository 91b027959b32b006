"""new, edit, show, list, tags, rm, check."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, completes, editor, emit, options, repertoire, text_or_file
from copart_cli.core.model import Kind, plural

TagOpt = Annotated[Optional[list[str]], typer.Option("--tag", "-t", autocompletion=completes("tags"), help="Add a tag (repeatable).")]
TopicOpt = Annotated[Optional[list[str]], typer.Option("--topic", autocompletion=completes("topics"), help="Add a topic (repeatable).")]
FieldOpt = Annotated[
    Optional[list[str]], typer.Option("--field", "-f", help="Set key=value; the value is YAML ('[a, b]' is a list).")
]
BodyOpt = Annotated[Optional[str], typer.Option("--body", "-b", help="The entry's text (Markdown).")]
BodyFileOpt = Annotated[Optional[str], typer.Option("--body-file", help="Read the text from a file; '-' for stdin.")]
NoEditOpt = Annotated[bool, typer.Option("--no-edit", help="Do not open $VISUAL/$EDITOR.")]


def _changes(title, body, body_file, tags, topics, fields):
    from copart_cli.services.capture import Changes, parse_fields

    body = text_or_file(body, body_file)
    return Changes(title=title, body=body, tags=tags or [], topics=topics or [], fields=parse_fields(fields or []))


def _editor(ctx: typer.Context, no_edit: bool, changes):
    if no_edit or changes.body is not None or not options(ctx).interactive:
        return None
    return editor()


def new(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="story, practice, member, ask or answer.")],
    title: Annotated[Optional[str], typer.Argument(help="The title; the id is made from it.")] = None,
    tag: TagOpt = None,
    topic: TopicOpt = None,
    field: FieldOpt = None,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    no_edit: NoEditOpt = False,
    author: Annotated[Optional[str], typer.Option("--author", autocompletion=completes("members"), help="Member id of the author.")] = None,
    entry_id: Annotated[Optional[str], typer.Option("--id", help="Choose the id instead of deriving it.")] = None,
    json: JsonOpt = False,
) -> None:
    """Capture a new entry from its template, open your editor, validate and commit it."""
    from copart_cli.services.capture import new_entry
    from copart_cli.core.errors import InputNeeded

    rep = repertoire(ctx)
    changes = _changes(None, body, body_file, tag, topic, field)
    if title is None:
        if not options(ctx).interactive:
            raise InputNeeded("a title is needed", hint=f'copart new {kind.value} "A short title"')
        title = typer.prompt(f"Title of the new {kind.value}")
    if changes.body is None and not no_edit and not options(ctx).interactive:
        raise InputNeeded("the entry's text is needed, and there is no terminal for an editor",
                          hint=f'copart new {kind.value} "{title}" --body "…" (or --body-file F; '
                               "--no-edit commits the template as it is)")
    extra = {"answers": changes.fields.get("answers", "")}
    result = new_entry(rep, kind, title, changes, author=author, entry_id=entry_id,
                       editor=_editor(ctx, no_edit, changes), template_vars=extra)
    emit(ctx, result, json)


def edit(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=completes("ids"), help="The entry to change.")],
    title: Annotated[Optional[str], typer.Option("--title", help="A new title (the id stays).")] = None,
    tag: TagOpt = None,
    topic: TopicOpt = None,
    field: FieldOpt = None,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    no_edit: NoEditOpt = False,
    json: JsonOpt = False,
) -> None:
    """Change an entry (options, or your editor on a terminal) and commit the change."""
    from copart_cli.services.capture import edit_entry

    rep = repertoire(ctx)
    changes = _changes(title, body, body_file, tag, topic, field)
    opener = None if changes else _editor(ctx, no_edit, changes)
    emit(ctx, edit_entry(rep, entry_id, changes, editor=opener), json)


def show(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=completes("ids"), help="The entry to show.")],
    json: JsonOpt = False,
) -> None:
    """Show an entry, rendered, with its answers and the entries linking to it."""
    from copart_cli.services.browse import show_entry

    emit(ctx, show_entry(repertoire(ctx), entry_id), json)


def list_(
    ctx: typer.Context,
    kind: Annotated[Optional[Kind], typer.Option("--kind", "-k", help="Only this kind.")] = None,
    tag: Annotated[Optional[str], typer.Option("--tag", "-t", autocompletion=completes("tags"), help="Only entries with this tag.")] = None,
    topic: Annotated[Optional[str], typer.Option("--topic", autocompletion=completes("topics"), help="Only entries on this topic.")] = None,
    author: Annotated[Optional[str], typer.Option("--author", "-a", autocompletion=completes("members"), help="Only entries by this member.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Created since: 7d, 2w, 3m or a date.")] = None,
    sort: Annotated[str, typer.Option("--sort", "-s", metavar="KEY",
                                      help="created (newest first), title, id, kind or author.")] = "created",
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="At most this many entries.")] = None,
    json: JsonOpt = False,
) -> None:
    """List entries, newest first."""
    from copart_cli.services.browse import list_entries

    result = list_entries(repertoire(ctx), kind=kind, tag=tag, topic=topic, author=author, since=since,
                          sort=sort, limit=limit)
    emit(ctx, result, json)


def tags(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The tags and topics in use, with how many entries carry each."""
    from copart_cli.services.tags import tag_counts

    emit(ctx, tag_counts(repertoire(ctx)), json)


def rm(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=completes("ids"), help="The entry to remove.")],
    force: Annotated[bool, typer.Option("--force", help="Remove even with uncommitted changes.")] = False,
    json: JsonOpt = False,
) -> None:
    """Remove an entry (one commit; git history keeps it)."""
    from copart_cli.services.capture import remove_entry

    emit(ctx, remove_entry(repertoire(ctx), entry_id, force=force), json)


def check(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Validate every entry; prints path:line: message and exits 4 on problems."""
    from copart_cli.core.errors import CheckFailed
    from copart_cli.services.validate import check_repertoire

    result = check_repertoire(repertoire(ctx))
    emit(ctx, result, json)
    if not result.ok:
        raise CheckFailed(f"{plural(len(result.problems), 'problem')} in {plural(result.checked, 'entry', 'entries')}")
