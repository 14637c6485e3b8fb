"""`istok review …`: submit a draft for review, approve it or ask for changes, list the queue.

Plain functions; `api.cli` registers them under `istok review` with its error handling. They call
the same `kb` actions as the API and the admin, as `cli:<os user>` in the admin role, so an
approval from the command line counts like any other (never for a text that user wrote).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.actor import cli_actor

if TYPE_CHECKING:
    import kb

RevisionOpt = Annotated[int | None, typer.Option("--revision", min=1, help="Default: the latest draft.")]
CommentOpt = Annotated[str, typer.Option("--comment", "-m", help="A comment kept with the revision.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _row(r: kb.Review) -> dict[str, Any]:
    return {
        "locale": r.locale,
        "key": r.key,
        "category": r.category,
        "revision": r.revision,
        "content_hash": r.content_hash,
        "author": r.author,
        "state": r.state.value,
        "needed": r.needed,
        "approved_by": list(r.approved_by),
        "ready": r.ready,
        "steps": [{"kind": s.kind, "actor": s.actor, "comment": s.comment, "at": s.at.isoformat()} for s in r.steps],
    }


def _line(r: kb.Review) -> str:
    approvals = f"{len(r.approved_by)}/{r.needed}"
    return f"{r.locale}/{r.key:32} r{r.revision:<4} {r.state.value:18} {approvals:5} by {r.author}"


def _step(action: str, locale: str, key: str, revision: int | None, comment: str, json_out: bool) -> None:
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        if action == "submit":
            review = kb.submit_review(session, article, actor=cli_actor(), revision=revision, comment=comment)
        elif action == "approve":
            review = kb.approve(session, article, actor=cli_actor(), revision=revision, comment=comment)
        else:
            review = kb.request_changes(session, article, actor=cli_actor(), revision=revision, comment=comment)
    if json_out:
        typer.echo(json.dumps(_row(review), ensure_ascii=False, indent=2))
    else:
        typer.echo(_line(review))


def submit(
    locale: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    revision: RevisionOpt = None,
    comment: CommentOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Ask the category's reviewers to approve a revision."""
    _step("submit", locale, key, revision, comment, json_out)


def approve(
    locale: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    revision: RevisionOpt = None,
    comment: CommentOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Approve a submitted revision's exact text."""
    _step("approve", locale, key, revision, comment, json_out)


def request_changes(
    locale: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument()],
    comment: Annotated[str, typer.Option("--comment", "-m", help="What should change (required).")],
    revision: RevisionOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send a submitted revision back to its author, saying what should change."""
    _step("request-changes", locale, key, revision, comment, json_out)


def list_(json_out: JsonOpt = False) -> None:
    """Drafts waiting for review, whoever may approve them."""
    import kb
    from api import runtime

    with kb.read_session(runtime.engine()) as session:
        queue = kb.pending_reviews(session)
    if json_out:
        typer.echo(json.dumps([_row(r) for r in queue], ensure_ascii=False, indent=2))
        return
    for r in queue:
        typer.echo(_line(r))


# ---- fact proposals (the `facts` workflow; kb/fact_reviews.py) ----

ProposalArg = Annotated[int, typer.Argument(min=1, help="The proposal's id (see `istok review facts`).")]


def _fact_row(r: kb.FactReview) -> dict[str, Any]:
    p = r.proposal
    return {
        "id": p.id,
        "key": p.key,
        "action": p.action,
        "value": p.value,
        "base_version": p.base_version,
        "proposer": p.proposer,
        "state": p.state,
        "needed": r.needed,
        "approved_by": list(r.approved_by),
        "ready": r.ready,
        "steps": [{"kind": s.kind, "actor": s.actor, "comment": s.comment, "at": s.at.isoformat()} for s in r.steps],
    }


def _fact_line(r: kb.FactReview) -> str:
    p = r.proposal
    change = "delete" if p.action == "delete" else f"= {p.value}"
    return f"#{p.id:<5} {p.key:32} {change:30} {p.state:18} {len(r.approved_by)}/{r.needed} by {p.proposer}"


def _fact_step(action: str, proposal_id: int, comment: str, json_out: bool) -> None:
    import kb
    from api import runtime

    with kb.write_session(runtime.engine()) as session:
        if action == "approve":
            review = kb.approve_proposal(session, proposal_id, actor=cli_actor(), comment=comment)
        elif action == "apply":
            review = kb.apply_proposal(session, proposal_id, actor=cli_actor())
        else:
            review = kb.request_fact_changes(session, proposal_id, actor=cli_actor(), comment=comment)
    typer.echo(json.dumps(_fact_row(review), ensure_ascii=False, indent=2) if json_out else _fact_line(review))


def fact_list(
    state: Annotated[str, typer.Option("--state", help="pending, changes_requested or applied.")] = "pending",
    json_out: JsonOpt = False,
) -> None:
    """Fact changes proposed under the `facts` workflow."""
    import kb
    from api import runtime

    try:
        wanted = kb.ProposalState(state)
    except ValueError:
        raise typer.BadParameter(f"{state!r}: use pending, changes_requested or applied") from None
    with kb.read_session(runtime.engine()) as session:
        found = kb.fact_proposals(session, state=wanted)
    if json_out:
        typer.echo(json.dumps([_fact_row(r) for r in found], ensure_ascii=False, indent=2))
        return
    for r in found:
        typer.echo(_fact_line(r))


def fact_approve(proposal_id: ProposalArg, comment: CommentOpt = "", json_out: JsonOpt = False) -> None:
    """Approve a proposed fact value (never one this user proposed)."""
    _fact_step("approve", proposal_id, comment, json_out)


def fact_request_changes(
    proposal_id: ProposalArg,
    comment: Annotated[str, typer.Option("--comment", "-m", help="What should change (required).")],
    json_out: JsonOpt = False,
) -> None:
    """Send a fact proposal back; it is withdrawn."""
    _fact_step("request-changes", proposal_id, comment, json_out)


def fact_apply(proposal_id: ProposalArg, json_out: JsonOpt = False) -> None:
    """Make an approved fact proposal live (refused if the fact moved since)."""
    _fact_step("apply", proposal_id, "", json_out)


COMMANDS: dict[str, Callable[..., None]] = {
    "submit": submit,
    "approve": approve,
    "request-changes": request_changes,
    "list": list_,
    "facts": fact_list,
    "fact-approve": fact_approve,
    "fact-request-changes": fact_request_changes,
    "fact-apply": fact_apply,
}
