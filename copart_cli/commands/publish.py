"""digest, site, stats, stale, pathway list|show|suggest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from copart_cli.commands._common import JsonOpt, emit, options, repertoire


def _now():
    import os

    from copart_cli.core.model import pinned_now

    return pinned_now(os.environ)


def digest(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", "-s", help="From when: 7d, 2w, a date, or 'last sync'.")] = "7d",
    until: Annotated[Optional[str], typer.Option("--until", help="Up to when (default: now).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (default) or html.")] = "md",
    base_url: Annotated[
        Optional[str], typer.Option("--base-url", help="Link entries to a published `copart site` at this URL.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """What is new and changed, who contributed, open asks and accepted answers: ready to paste."""
    from copart_cli.services.digest import digest as make_digest

    as_json = json or options(ctx).json
    result = make_digest(repertoire(ctx), since, until, "json" if as_json else fmt.lower(), base_url, _now())
    emit(ctx, result, json)


def site(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the site (new, empty, or a previous copart site).")],
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, max=64, help="Processes for rendering (default: all cores).")] = None,
    json: JsonOpt = False,
) -> None:
    """Export a static HTML site: entries, members, topics, open asks and an offline search."""
    from copart_cli.services.site import build_site

    emit(ctx, build_site(repertoire(ctx), directory, jobs, _now()), json)


def stats(
    ctx: typer.Context,
    months: Annotated[int, typer.Option("--months", "-m", min=1, max=1200, help="How many months of history to chart.")] = 12,
    report: Annotated[bool, typer.Option("--report", help="What the community is worth, for management.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="With --report: md (default), html or json.")] = "md",
    json: JsonOpt = False,
) -> None:
    """Community health: active members over time, contributions, gaps, answers, freshness, knowledge at risk."""
    if report:
        from copart_cli.services.report import report as make_report

        as_json = json or options(ctx).json or fmt.lower() == "json"
        emit(ctx, make_report(repertoire(ctx), "json" if as_json else fmt.lower(), _now()), as_json)
        return
    from copart_cli.services.stats import stats as make_stats

    emit(ctx, make_stats(repertoire(ctx), months, _now()), json)


def stale(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option("--older-than", help="Not reviewed for this long: 1y, 6m, 90d.")] = "1y",
    json: JsonOpt = False,
) -> None:
    """Entries to review: a passed `review_by` date, or no change or review for a year."""
    from copart_cli.services.stats import stale as find_stale

    emit(ctx, find_stale(repertoire(ctx), older_than, _now()), json)


pathway_app = typer.Typer(
    help="Learning pathways: ordered reading lists that give newcomers a way in.",
    no_args_is_help=True,
    add_completion=False,
)


@pathway_app.command("list")
def pathway_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the pathways in pathways/."""
    from copart_cli.services.pathways import list_pathways

    emit(ctx, list_pathways(repertoire(ctx)), json)


@pathway_app.command("show")
def pathway_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The pathway (its file name without .md).")],
    step: Annotated[Optional[int], typer.Option("--step", "-n", help="Read step N in full.")] = None,
    json: JsonOpt = False,
) -> None:
    """Walk through a pathway: every step in order, or one step in full with --step N."""
    from copart_cli.services.pathways import show_pathway

    emit(ctx, show_pathway(repertoire(ctx), name, step), json)


@pathway_app.command("suggest")
def pathway_suggest(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(metavar="TOPIC", help="What the newcomer wants to learn.")],
    save: Annotated[Optional[str], typer.Option("--save", metavar="NAME", help="Write the draft to pathways/NAME.md and commit it.")] = None,
    per_kind: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Practices and stories to include, each.")] = 5,
    json: JsonOpt = False,
) -> None:
    """Draft a pathway on a topic: practices first, then stories, then the people to meet."""
    from copart_cli.services.pathways import suggest_pathway

    emit(ctx, suggest_pathway(repertoire(ctx), topic, save, per_kind, _now()), json)


@pathway_app.command("progress")
def pathway_progress(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The member walking the pathway.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="The pathway.")],
    json: JsonOpt = False,
) -> None:
    """Which steps of a pathway a member has read (in this clone), written about or answered."""
    from copart_cli.services.pathways import pathway_progress as run

    emit(ctx, run(repertoire(ctx), member, name), json)
