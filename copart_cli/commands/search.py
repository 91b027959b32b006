"""search, ask, answer, asks, accept, who, index, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, completes, editor, emit, options, repertoire, text_or_file
from copart_cli.core.model import Kind

LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many results.")]


def _progress(label: str):
    from copart_cli.ui.search import progress_bar

    return progress_bar(label)


def search(
    ctx: typer.Context,
    query: Annotated[list[str], typer.Argument(help='Words, "phrases", field:word (title tag topic author kind), AND OR NOT.')],
    kind: Annotated[Optional[Kind], typer.Option("--kind", "-k", help="Only this kind.")] = None,
    tag: Annotated[Optional[str], typer.Option("--tag", "-t", autocompletion=completes("tags"), help="Only entries with this tag.")] = None,
    topic: Annotated[Optional[str], typer.Option("--topic", autocompletion=completes("topics"), help="Only entries on this topic.")] = None,
    author: Annotated[Optional[str], typer.Option("--author", "-a", autocompletion=completes("members"), help="Only entries by this member.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Created since: 7d, 2w, 3m or a date.")] = None,
    limit: LimitOpt = 10,
    constellation: Annotated[bool, typer.Option("--constellation", help="Search every community in your constellation.")]
    = False,
    in_: Annotated[Optional[str], typer.Option("--in", metavar="NAME,…", help="Search these communities of your constellation.")]
    = None,
    json: JsonOpt = False,
) -> None:
    """Full-text search of the repertoire, with highlighted passages."""
    from copart_cli.services.search import search as run

    filters = {"kind": kind, "tag": tag, "topic": topic, "author": author, "since": since, "limit": limit}
    if constellation or in_ is not None:
        from copart_cli.services.constellation import search as across

        emit(ctx, across(" ".join(query), _communities(in_), **filters), json)
        return
    rep = repertoire(ctx)
    with _progress("indexing") as progress:
        result = run(rep, " ".join(query), progress=progress, **filters)
    emit(ctx, result, json)


def _communities(in_: str | None) -> list[str] | None:
    """--in a,b as names; None (every community) with --constellation alone."""
    return [n.strip() for n in in_.split(",") if n.strip()] if in_ is not None else None


def ask(
    ctx: typer.Context,
    question: Annotated[list[str], typer.Argument(help="Your question, in your own words.")],
    post: Annotated[bool, typer.Option("--post", help="Also record it as an ask for partners (one commit).")] = False,
    author: Annotated[Optional[str], typer.Option("--author", autocompletion=completes("members"), help="With --post: the asking member's id.")] = None,
    limit: LimitOpt = 5,
    obsolete: Annotated[bool, typer.Option("--obsolete", help="Also entries marked status: obsolete.")] = False,
    constellation: Annotated[bool, typer.Option("--constellation", help="Ask every community in your constellation.")]
    = False,
    in_: Annotated[Optional[str], typer.Option("--in", metavar="NAME,…", help="Ask these communities of your constellation.")]
    = None,
    json: JsonOpt = False,
) -> None:
    """What do we know about this? The best passages, the people who know, similar open asks."""
    from copart_cli.services.ask import ask as run

    if constellation or in_ is not None:
        from copart_cli.services.constellation import ask as across

        emit(ctx, across(" ".join(question), _communities(in_), limit=limit), json)
        return
    rep = repertoire(ctx)
    with _progress("indexing") as progress:
        result = run(rep, " ".join(question), limit=limit, post=post, progress=progress, author=author,
                     obsolete=obsolete)
    emit(ctx, result, json)


def answer(
    ctx: typer.Context,
    ask_id: Annotated[str, typer.Argument(metavar="ASK_ID", autocompletion=completes("asks"), help="The ask to answer.")],
    body: Annotated[Optional[str], typer.Option("--body", "-b", help="The answer's text (Markdown).")] = None,
    body_file: Annotated[Optional[str], typer.Option("--body-file", help="Read the text from a file; '-' for stdin.")] = None,
    tag: Annotated[Optional[list[str]], typer.Option("--tag", "-t", autocompletion=completes("tags"), help="Add a tag (repeatable).")] = None,
    no_edit: Annotated[bool, typer.Option("--no-edit", help="Do not open $VISUAL/$EDITOR.")] = False,
    author: Annotated[Optional[str], typer.Option("--author", autocompletion=completes("members"), help="Member id of the author.")] = None,
    json: JsonOpt = False,
) -> None:
    """Answer an ask; the answer is its own file, committed."""
    from copart_cli.services.asks import answer_ask, get_ask
    from copart_cli.services.capture import Changes
    from copart_cli.core.errors import InputNeeded

    rep = repertoire(ctx)
    get_ask(rep, ask_id)  # an unknown ask fails before anything else
    body = text_or_file(body, body_file)
    if body is None and (no_edit or not options(ctx).interactive):
        raise InputNeeded("the answer's text is needed", hint=f'copart answer {ask_id} --body "…" (or --body-file F)')
    changes = Changes(body=body, tags=tag or [])
    emit(ctx, answer_ask(rep, ask_id, changes, author=author, editor=editor() if body is None else None), json)


def asks(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", "-s", help="open, answered, closed or all.")] = "open",
    author: Annotated[Optional[str], typer.Option("--author", "-a", autocompletion=completes("members"), help="Only asks by this member.")] = None,
    json: JsonOpt = False,
) -> None:
    """List asks waiting for an answer (or, with --status, the others)."""
    from copart_cli.services.asks import list_asks

    emit(ctx, list_asks(repertoire(ctx), status=status, author=author), json)


def accept(
    ctx: typer.Context,
    answer_id: Annotated[str, typer.Argument(metavar="ANSWER_ID", autocompletion=completes("answers"), help="The answer to accept.")],
    json: JsonOpt = False,
) -> None:
    """Accept an answer (the asker or a coordinator): the ask is then answered."""
    from copart_cli.services.asks import accept_answer

    emit(ctx, accept_answer(repertoire(ctx), answer_id), json)


def who(
    ctx: typer.Context,
    topic: Annotated[Optional[list[str]], typer.Argument(help="A topic in your words, or @member-id for one member.")]
    = None,
    member: Annotated[Optional[str], typer.Option("--member", "-m", autocompletion=completes("members"), help="Show the evidence for one member.")] = None,
    limit: LimitOpt = 5,
    constellation: Annotated[bool, typer.Option("--constellation", help="Ask every community in your constellation.")]
    = False,
    in_: Annotated[Optional[str], typer.Option("--in", metavar="NAME,…", help="Ask these communities of your constellation.")]
    = None,
    json: JsonOpt = False,
) -> None:
    """Who knows about this? Members ranked by evidence, with the evidence."""
    from copart_cli.services.who import who as run
    from copart_cli.services.who import who_member

    if (constellation or in_ is not None) and topic:
        from copart_cli.services.constellation import who as across

        emit(ctx, across(" ".join(topic), _communities(in_), limit=limit), json)
        return
    rep = repertoire(ctx)
    with _progress("indexing") as progress:
        if member:
            result = who_member(rep, member, progress=progress)
        elif not topic:
            from copart_cli.core.errors import UsageError

            raise UsageError("a topic is needed", hint='copart who "pricing workshops" (or --member ID)')
        else:
            result = run(rep, " ".join(topic), limit=limit, progress=progress)
    emit(ctx, result, json)


def index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Throw the index away and build it again.")] = False,
    json: JsonOpt = False,
) -> None:
    """Show the search index's state (it updates itself; --rebuild starts it afresh)."""
    from copart_cli.services.search import index_status

    rep = repertoire(ctx)
    with _progress("indexing") as progress:
        result = index_status(rep, progress, rebuild=rebuild)
    emit(ctx, result, json)


def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A folder of Markdown files (wiki export, vault…).")],
    kind: Annotated[Kind, typer.Option("--kind", "-k", help="The kind of entry to make: practice, story or ask.")]
    = Kind.practice,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be imported; write nothing.")] = False,
    json: JsonOpt = False,
) -> None:
    """Bring a folder of Markdown in as entries: frontmatter kept, links mapped, one commit."""
    from copart_cli.services.importer import import_folder

    rep = repertoire(ctx)
    with _progress("importing") as progress:
        result = import_folder(rep, path, kind, progress=progress, dry_run=dry_run)
    emit(ctx, result, json)
