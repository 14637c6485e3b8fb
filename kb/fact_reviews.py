"""Fact changes under review: the `facts` workflow of content/workflows.yaml.

A fact is live the moment it is set, so where the file names a `facts` workflow asking for
approvals, a change (set or delete) by anyone not taking the emergency path becomes a
`FactProposal` instead: not live, submitted, approved or sent back by reviewers (never the
proposer), then applied. A proposal never changes after it is made, so an approval covers
exactly its value; a new value is a new proposal.

Applying is an explicit step rather than a side effect of the last approval: the approval
stays recorded if the fact moved meanwhile (the apply is then refused as a conflict, the
proposal kept for the proposer to see), and whoever applies chooses when the value goes live.
Applying goes through `kb.facts.set_fact` / `delete_fact`, the one path that writes history,
the audit row, outbox events and the log entries the search index catches up from.

Only a workflow named `facts` governs facts: `default` is about article categories, and a
deployment that reviews every article need not gate an operator's phone-number fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from kb.audit import Actor, as_actor, record_action
from kb.errors import Conflict, InvalidChange, NotFound, RevisionConflict
from kb.facts import FACT_KEY_RE, delete_fact, find_fact, parse_type, set_fact, validate_value
from kb.models import Fact, FactProposal, FactReviewStep
from kb.types import FactKey, Locale
from kb.workflows import COMMENT_MAX, NotAllowed, Workflow, workflows

#: The workflow's name in content/workflows.yaml.
FACTS = "facts"
_SYSTEM_ROLE = "system"


class ProposalState(StrEnum):
    PENDING = "pending"  # waiting for approvals (or ready to apply once it has them)
    CHANGES_REQUESTED = "changes_requested"  # withdrawn: a new proposal is needed
    APPLIED = "applied"


class FactStep(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    COMMENT = "comment"
    APPLIED = "applied"


class ProposalNotFound(NotFound):
    """No fact proposal with that id."""

    slug = "proposal-not-found"


@dataclass(frozen=True)
class FactReview:
    """A proposal as its steps make it now: who approved it and whether it may be applied."""

    proposal: FactProposal
    needed: int
    approved_by: tuple[str, ...]
    steps: tuple[FactReviewStep, ...]

    @property
    def ready(self) -> bool:
        return self.proposal.state == ProposalState.PENDING and len(self.approved_by) >= self.needed


@dataclass(frozen=True)
class FactChange:
    """What a fact change did: `fact` when it went live at once, `review` when it awaits approvals."""

    fact: Fact | None = None
    review: FactReview | None = None


def facts_workflow() -> Workflow:
    """The `facts` workflow, or one asking for nothing when the file names none."""
    return workflows().get(FACTS) or Workflow(category=FACTS)


def needs_review(actor: Actor | str) -> bool:
    """Whether this actor's fact changes wait for approvals (system callers never do)."""
    return facts_workflow().approvals > 0 and as_actor(actor).role != _SYSTEM_ROLE


def change_fact(
    *,
    session: Session,
    key: FactKey,
    type: str,
    value: Any,
    locales: Mapping[Locale, Any] | None = None,
    base_version: int | None,
    actor: Actor | str,
    emergency: bool = False,
    comment: str = "",
) -> FactChange:
    """Set a fact, at once when no review applies (or as an emergency), else as a proposal."""
    detail = _direct(actor, emergency)
    if detail is not None:
        fact = set_fact(
            session=session,
            key=key,
            type=type,
            value=value,
            locales=locales,
            base_version=base_version,
            actor=actor,
            audit=detail,
        )
        return FactChange(fact=fact)
    if not FACT_KEY_RE.match(key):
        raise InvalidChange(f"fact key {key!r} must be letters, digits and '_' (e.g. support_phone)")
    fact_type = parse_type(type)
    canonical = validate_value(fact_type, value)
    per_locale = {loc: validate_value(fact_type, v) for loc, v in (locales or {}).items()}
    _check_base(session, key, base_version)
    proposal = FactProposal(
        key=key,
        action="set",
        type=fact_type.value,
        value=canonical,
        locales=per_locale,
        base_version=base_version,
        proposer=as_actor(actor).name,
    )
    return FactChange(review=_submit(session, proposal, actor, comment))


def remove_fact(
    *,
    session: Session,
    key: FactKey,
    base_version: int | None,
    actor: Actor | str,
    emergency: bool = False,
    comment: str = "",
) -> FactReview | None:
    """Delete a fact at once (None) when no review applies or as an emergency, else propose it."""
    detail = _direct(actor, emergency)
    if detail is not None:
        delete_fact(session=session, key=key, base_version=base_version, actor=actor, audit=detail)
        return None
    _check_base(session, key, base_version)
    proposal = FactProposal(key=key, action="delete", base_version=base_version, proposer=as_actor(actor).name)
    return _submit(session, proposal, actor, comment)


def _direct(actor: Actor | str, emergency: bool) -> dict[str, Any] | None:
    """Audit detail for a change that goes live now, or None when it must be proposed."""
    if not needs_review(actor):
        return {}
    if not emergency:
        return None
    who = as_actor(actor)
    if not facts_workflow().may_publish_directly(who):
        raise NotAllowed(f"{who.name} may not change facts without review")
    return {"emergency": True}


def _check_base(session: Session, key: FactKey, base_version: int | None) -> None:
    current = find_fact(session=session, key=key)
    version = current.version if current is not None else None
    if base_version not in (version, 0 if version is None else version):
        raise RevisionConflict(f"fact {key!r}", base=base_version, current=version)


def _submit(session: Session, proposal: FactProposal, actor: Actor | str, comment: str) -> FactReview:
    session.add(proposal)
    session.flush()
    _step(session, proposal, actor, FactStep.SUBMITTED, comment)
    return review_of_proposal(session, proposal.id or 0)


def _step(session: Session, proposal: FactProposal, actor: Actor | str, kind: FactStep, comment: str) -> None:
    who = as_actor(actor)
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        raise InvalidChange(f"a review comment is at most {COMMENT_MAX} characters")
    step = FactReviewStep(proposal_id=proposal.id or 0, kind=kind.value, actor=who.name, role=who.role, comment=text)
    session.add(step)
    record_action(
        session,
        who,
        action=f"fact_review.{kind.value}",
        target=proposal.key,
        base_revision=proposal.base_version,
        proposal=proposal.id,
        change=proposal.action,
        comment=text,
    )
    session.flush()


def get_proposal(session: Session, proposal_id: int) -> FactProposal:
    proposal = session.get(FactProposal, proposal_id)
    if proposal is None:
        raise ProposalNotFound(f"no fact proposal {proposal_id}")
    return proposal


def review_of_proposal(session: Session, proposal_id: int) -> FactReview:
    """A proposal with its steps; approvals by the proposer never count."""
    proposal = get_proposal(session, proposal_id)
    steps = tuple(
        session.exec(
            select(FactReviewStep).where(FactReviewStep.proposal_id == proposal.id).order_by(col(FactReviewStep.id))
        )
    )
    approved: list[str] = []
    for step in steps:
        if step.kind == FactStep.APPROVED and step.actor != proposal.proposer and step.actor not in approved:
            approved.append(step.actor)
    return FactReview(proposal=proposal, needed=facts_workflow().approvals, approved_by=tuple(approved), steps=steps)


def fact_proposals(
    session: Session, *, state: ProposalState | None = ProposalState.PENDING, key: FactKey | None = None
) -> list[FactReview]:
    """Proposals, oldest first: pending ones unless `state` says otherwise (None: all)."""
    stmt = select(FactProposal).order_by(col(FactProposal.id))
    if state is not None:
        stmt = stmt.where(FactProposal.state == state.value)
    if key is not None:
        stmt = stmt.where(FactProposal.key == key)
    return [review_of_proposal(session, p.id or 0) for p in session.exec(stmt).all()]


def _pending(session: Session, proposal_id: int) -> FactProposal:
    proposal = get_proposal(session, proposal_id)
    if proposal.state != ProposalState.PENDING:
        raise Conflict(f"fact proposal {proposal_id} is {proposal.state}, not waiting for review")
    return proposal


def _reviewer(actor: Actor | str) -> Actor:
    who = as_actor(actor)
    if not facts_workflow().may_review(who):
        raise NotAllowed(f"{who.name} is not a reviewer of fact changes")
    return who


def approve_proposal(session: Session, proposal_id: int, *, actor: Actor | str, comment: str = "") -> FactReview:
    """Approve exactly this proposed value; never by its proposer, once per reviewer."""
    proposal = _pending(session, proposal_id)
    who = _reviewer(actor)
    if who.name == proposal.proposer:
        raise NotAllowed(f"{who.name} proposed this change; someone else must approve it")
    if who.name in review_of_proposal(session, proposal_id).approved_by:
        raise Conflict(f"{who.name} has already approved fact proposal {proposal_id}")
    _step(session, proposal, who, FactStep.APPROVED, comment)
    return review_of_proposal(session, proposal_id)


def request_fact_changes(session: Session, proposal_id: int, *, actor: Actor | str, comment: str) -> FactReview:
    """Send a proposal back, saying why; it is withdrawn (a new value is a new proposal)."""
    if not comment.strip():
        raise InvalidChange("say what should change: a comment is required")
    proposal = _pending(session, proposal_id)
    who = _reviewer(actor)
    _step(session, proposal, who, FactStep.CHANGES_REQUESTED, comment)
    proposal.state = ProposalState.CHANGES_REQUESTED.value
    session.add(proposal)
    session.flush()
    return review_of_proposal(session, proposal_id)


def comment_proposal(session: Session, proposal_id: int, *, actor: Actor | str, comment: str) -> FactReview:
    """A remark on a proposal outside any decision."""
    if not comment.strip():
        raise InvalidChange("a comment needs some text")
    _step(session, get_proposal(session, proposal_id), actor, FactStep.COMMENT, comment)
    return review_of_proposal(session, proposal_id)


def apply_proposal(session: Session, proposal_id: int, *, actor: Actor | str) -> FactReview:
    """Make an approved proposal live through the ordinary fact path; a fact that moved is a conflict.

    The proposer or a reviewer may apply. The `fact.set` / `fact.delete` audit row names the
    proposal and who approved it.
    """
    proposal = _pending(session, proposal_id)
    who = as_actor(actor)
    if who.name != proposal.proposer and not facts_workflow().may_review(who):
        raise NotAllowed(f"{who.name} may not apply fact proposal {proposal_id}")
    review = review_of_proposal(session, proposal_id)
    if not review.ready:
        raise Conflict(
            f"fact proposal {proposal_id} needs {review.needed} approval(s) and has {len(review.approved_by)}"
        )
    detail = {"proposal": proposal.id, "proposed_by": proposal.proposer, "approved_by": list(review.approved_by)}
    current = find_fact(session=session, key=proposal.key)
    if (current.version if current is not None else None) != (proposal.base_version or None):
        moved = "was created" if proposal.base_version is None else "changed"
        raise Conflict(
            f"fact {proposal.key!r} {moved} since proposal {proposal_id} was made against version "
            f"{proposal.base_version}; propose the change again from the current value"
        )
    if proposal.action == "delete":
        delete_fact(session=session, key=proposal.key, base_version=proposal.base_version, actor=who, audit=detail)
    else:
        fact = set_fact(
            session=session,
            key=proposal.key,
            type=proposal.type,
            value=proposal.value,
            locales=proposal.locales,
            base_version=proposal.base_version,
            actor=who,
            audit=detail,
        )
        proposal.applied_version = fact.version
    proposal.state = ProposalState.APPLIED.value
    session.add(proposal)
    _step(session, proposal, who, FactStep.APPLIED, "")
    return review_of_proposal(session, proposal_id)
