"""contribute …, review …, setup-signing, verify, hub init."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from copart_cli.core.model import plural
from copart_cli.commands._common import JsonOpt, completes, emit, options, repertoire, text_or_file

IdArg = Annotated[str, typer.Argument(metavar="ID", help="The contribution: MEMBER/ID, or ID when only one has it.")]

contribute_app = typer.Typer(help="Your contributions (under review: coordinators): state, comments, withdraw, revise.",
                             no_args_is_help=True)
review_app = typer.Typer(help="Coordinators: list, read, comment on, accept or reject contributions.",
                         no_args_is_help=True)
hub_app = typer.Typer(help="A bare hub repository that enforces membership and review.", no_args_is_help=True)


def _text(text: Optional[str], text_file: Optional[str]) -> Optional[str]:
    return text_or_file(text, text_file, "give the text or --file, not both")


# -- contribute -----------------------------------------------------------------------


@contribute_app.command("list")
def contribute_list(
    ctx: typer.Context,
    state: Annotated[Optional[str], typer.Option("--state", help="pending, changes_requested, accepted, rejected or withdrawn.")] = None,
    json: JsonOpt = False,
) -> None:
    """Your contributions and where each one stands."""
    from copart_cli.core.errors import UsageError
    from copart_cli.services import review
    from copart_cli.services.contributions import STATES

    if state and state not in STATES:
        raise UsageError(f"unknown state '{state}'", hint="one of " + ", ".join(STATES))
    emit(ctx, review.list_mine(repertoire(ctx), state), json)


@contribute_app.command("show")
def contribute_show(ctx: typer.Context, key: IdArg, json: JsonOpt = False) -> None:
    """One of your contributions: its entries, diff against main, checks and the coordinators' comments."""
    from copart_cli.services import review

    emit(ctx, review.show_mine(repertoire(ctx), key), json)


@contribute_app.command("withdraw")
def contribute_withdraw(
    ctx: typer.Context,
    key: IdArg,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (optional).")] = None,
    json: JsonOpt = False,
) -> None:
    """Withdraw a contribution (its branch stays; its files leave your work tree)."""
    from copart_cli.services import review

    emit(ctx, review.withdraw(repertoire(ctx), key, reason or ""), json)


@contribute_app.command("revise")
def contribute_revise(
    ctx: typer.Context,
    key: IdArg,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="What changed in this version.")] = None,
    json: JsonOpt = False,
) -> None:
    """Make the next version v<N+1> from today's main and your entries as they are now."""
    from copart_cli.services import review

    emit(ctx, review.revise(repertoire(ctx), key, message or ""), json)


# -- review ---------------------------------------------------------------------------


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Also accepted, rejected and withdrawn ones.")] = False,
    json: JsonOpt = False,
) -> None:
    """Open contributions: author, entries touched, age, check and signature status."""
    from copart_cli.services import review

    emit(ctx, review.review_list(repertoire(ctx), everything=all_), json)


@review_app.command("show")
def review_show(ctx: typer.Context, key: IdArg, json: JsonOpt = False) -> None:
    """The rendered entries, the diff against main, check results, mergeability and the thread."""
    from copart_cli.services import review

    emit(ctx, review.detail(repertoire(ctx), key), json)


@review_app.command("comment")
def review_comment(
    ctx: typer.Context,
    key: IdArg,
    text: Annotated[Optional[str], typer.Argument(help="The comment.")] = None,
    text_file: Annotated[Optional[str], typer.Option("--file", help="Read the comment from a file; '-' for stdin.")] = None,
    json: JsonOpt = False,
) -> None:
    """Add a comment to the contribution's thread (travels with sync)."""
    from copart_cli.services import review

    emit(ctx, review.comment(repertoire(ctx), key, _text(text, text_file) or ""), json)


@review_app.command("request-changes")
def review_request_changes(
    ctx: typer.Context,
    key: IdArg,
    text: Annotated[Optional[str], typer.Argument(help="What should change.")] = None,
    text_file: Annotated[Optional[str], typer.Option("--file", help="Read it from a file; '-' for stdin.")] = None,
    json: JsonOpt = False,
) -> None:
    """Send a contribution back to its author with what should change."""
    from copart_cli.services import review

    emit(ctx, review.request_changes(repertoire(ctx), key, _text(text, text_file) or ""), json)


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    key: IdArg,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (required).")] = None,
    json: JsonOpt = False,
) -> None:
    """Reject a contribution, saying why (nothing is deleted)."""
    from copart_cli.services import review

    emit(ctx, review.reject(repertoire(ctx), key, reason or ""), json)


@review_app.command("accept")
def review_accept(
    ctx: typer.Context,
    key: IdArg,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="A note for the merge commit.")] = None,
    ignore_checks: Annotated[bool, typer.Option("--ignore-checks", help="Accept although copart check finds problems.")] = False,
    prefer: Annotated[Optional[str], typer.Option("--prefer", help="On conflicts take whole files from 'contribution' or 'main'.")] = None,
    allow_unsigned: Annotated[bool, typer.Option("--allow-unsigned", help="Accept commits not signed by the author.")] = False,
    allow_config: Annotated[bool, typer.Option("--allow-config", help="Accept changes to how copart behaves: copart.yaml, .copart/templates/, .gitattributes.")] = False,
    json: JsonOpt = False,
) -> None:
    """Merge a contribution into main (signed, --no-ff, Reviewed-by); exit 4 if a gate fails."""
    from copart_cli.services import review

    result = review.accept(repertoire(ctx), key, ignore_checks=ignore_checks, prefer=prefer,
                           allow_unsigned=allow_unsigned, allow_config=allow_config, message=message or "")
    emit(ctx, result, json)


# -- signing, verify, hub ----------------------------------------------------------------


def setup_signing(
    ctx: typer.Context,
    key: Annotated[Optional[str], typer.Option("--key", help="Your SSH key (private or .pub); default ~/.ssh/id_ed25519 …")] = None,
    member: Annotated[Optional[str], typer.Option("--member", autocompletion=completes("members"), help="Your member id (default: found by your git email).")] = None,
    json: JsonOpt = False,
) -> None:
    """Sign your commits with your SSH key (git gpg.format=ssh) and trust the keys on main."""
    from copart_cli.services.signing import setup_signing as run

    emit(ctx, run(repertoire(ctx), key=key, member=member), json)


def verify(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option("--since", help="Only commits after this one (e.g. when signing began).")] = None,
    json: JsonOpt = False,
) -> None:
    """Check every commit on main is signed: first-parent by a coordinator, others by a member; exit 4 if not."""
    from copart_cli.core.errors import CheckFailed
    from copart_cli.services.accreditations import verify as run  # signing.verify, then the accreditations

    result = run(repertoire(ctx), since=since)
    emit(ctx, result, json)
    if not result.ok:
        raise CheckFailed(f"{plural(len(result.problems), 'problem')} in {plural(result.checked, 'commit')} on main")


@hub_app.command("init")
def hub_init(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH", help="Where to create the bare hub repository (outside the repertoire).")],
    python: Annotated[Optional[str], typer.Option("--python", metavar="PATH", help="The interpreter the hook runs with (default: /usr/bin/env python3).")] = None,
    remote: Annotated[Optional[str], typer.Option("--remote", metavar="NAME", help="Also add the hub as this remote of the repertoire.")] = None,
    json: JsonOpt = False,
) -> None:
    """Create a bare hub seeded with this repertoire's main, with copart's pre-receive policy hook; exit 4 if no coordinator has a key."""
    from copart_cli.services.hub import init_hub

    emit(ctx, init_hub(repertoire(ctx), path, python=python, remote=remote), json)


@hub_app.command("check")
def hub_check(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH", help="The hub's bare repository.")],
    python: Annotated[Optional[str], typer.Option("--python", metavar="PATH", help="With --fix: the interpreter the hook runs with.")] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Write copart's hook again (this copart, --python's interpreter) before checking.")] = False,
    json: JsonOpt = False,
) -> None:
    """Whether the hub's hook will run for the account serving it, and what it enforces; exit 4 if not."""
    from copart_cli.core.errors import CheckFailed
    from copart_cli.services.hub import check_hub

    result = check_hub(path, python=python, fix=fix)
    emit(ctx, result, json)
    if not result.ok:
        raise CheckFailed(f"the hub at {result.path} is not guarded: {result.problems[0]}")


__all__ = ["contribute_app", "review_app", "hub_app", "setup_signing", "verify", "options"]
