"""Review and approval: which drafts need whose approval before they go live (`content/workflows.yaml`).

A workflow per category (and a `default`) says how many approvals a revision needs, who may
give them (roles, or people named `user:<name>` / `key:<name>`) and who may publish without
them (the emergency path, audited as such). An approval belongs to one content hash and never
to its author, so a later edit, being a new revision, starts again with none. A decision (approve,
request changes) is also bound by the reviewer's rights per category and locale (kb/rights.py), as
publishing is. Every step is a `ReviewStep` row, an audit entry and an outbox event, whichever
surface (API, CLI, admin) took it.

The file is read when first needed and again when it changes (its mtime); a missing file means
no workflow anywhere (nothing needs review). ISTOK_WORKFLOWS names another file (tests do).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, col, select

from kb import rights
from kb.audit import Actor, as_actor, record_action
from kb.errors import Conflict, ContentError, ContentProblem, InvalidChange, IstokError
from kb.keys import Role
from kb.models import Article, AuditEntry, ReviewStep, Revision

ROOT = Path(__file__).resolve().parent.parent
#: The fallback workflow's name in the file, for categories it does not name.
DEFAULT = "default"
#: A comment's longest text, in characters.
COMMENT_MAX = 4000
#: Roles of callers inside the system (importer, scripts, tests calling kb with a bare name): never gated.
_SYSTEM_ROLE = "system"
_FIELDS = ("approvals", "reviewers", "direct_publish")


class ReviewRequired(IstokError):
    """Publishing a revision that lacks the approvals its category's workflow asks for."""

    status = 409
    slug = "review-required"


class NotAllowed(IstokError):
    """The actor may not take this review step (not a reviewer, not allowed to publish directly)."""

    status = 403
    slug = "not-allowed"


class ReviewState(StrEnum):
    NONE = "none"  # not submitted
    PENDING = "pending"  # submitted, waiting for approvals
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"  # has every approval its workflow needs


class StepKind(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    COMMENT = "comment"


@dataclass(frozen=True)
class Workflow:
    """One category's rule. Admins may always review and publish directly ("may do everything")."""

    category: str
    approvals: int = 0
    reviewers: frozenset[str] = field(default_factory=frozenset)  # roles and `user:`/`key:` names
    direct_publish: frozenset[str] = field(default_factory=frozenset)

    def may_review(self, actor: Actor | str) -> bool:
        return _matches(self.reviewers, as_actor(actor))

    def may_publish_directly(self, actor: Actor | str) -> bool:
        return _matches(self.direct_publish, as_actor(actor))


def _matches(names: frozenset[str], who: Actor) -> bool:
    """People sign in as their bare user name and keys act as theirs: `user:ann` names actor `ann`."""
    if who.role == Role.ADMIN or who.role in names or who.name in names:
        return True
    return any(kind in ("user", "key") and rest == who.name for kind, _, rest in (n.partition(":") for n in names))


@dataclass(frozen=True)
class Review:
    """Where one revision stands: its steps, who approved its text, and whether it may go live."""

    key: str
    locale: str
    category: str | None
    revision: int
    content_hash: str
    author: str
    state: ReviewState
    needed: int
    approved_by: tuple[str, ...]
    steps: tuple[ReviewStep, ...]

    @property
    def ready(self) -> bool:
        """Enough approvals for this exact text (always, when the workflow needs none)."""
        return len(self.approved_by) >= self.needed


# ---- the rules file ----

_lock = threading.Lock()
_cache: dict[Path, tuple[float, dict[str, Workflow]]] = {}


def rules_path() -> Path:
    """ISTOK_WORKFLOWS, else `content/workflows.yaml` of this checkout."""
    return Path(os.environ.get("ISTOK_WORKFLOWS") or ROOT / "content" / "workflows.yaml").resolve()


def workflows() -> dict[str, Workflow]:
    """Every workflow by category (`default` included when the file has one); {} without a file."""
    path = rules_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    built = parse_rules(path.read_text(encoding="utf-8"), str(path))
    with _lock:
        _cache[path] = (mtime, built)
    return built


def workflow_for(category: str | None) -> Workflow:
    """The category's workflow, else the default, else one that needs nothing."""
    rules = workflows()
    found = rules.get(category or "") or rules.get(DEFAULT)
    return found if found is not None else Workflow(category=category or DEFAULT)


def parse_rules(text: str, file: str) -> dict[str, Workflow]:
    """Check and build the file's workflows; a mistake is a ContentError naming the file and line."""

    def problem(node: yaml.Node | None, message: str) -> ContentError:
        line = node.start_mark.line + 1 if node is not None else 0
        return ContentError([ContentProblem(file, line, message)])

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError([ContentProblem(file, mark.line + 1 if mark else 0, str(exc))]) from exc
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise problem(root, "expected a mapping of category: {approvals, reviewers, direct_publish}")
    found: dict[str, Workflow] = {}
    for key_node, value_node in root.value:
        category = str(key_node.value)
        if category in found:
            raise problem(key_node, f"category {category!r} is given twice")
        if not isinstance(value_node, yaml.MappingNode):
            raise problem(value_node, f"{category}: expected approvals, reviewers and direct_publish")
        values: dict[str, Any] = {}
        for field_node, field_value in value_node.value:
            name = str(field_node.value)
            if name not in _FIELDS:
                raise problem(field_node, f"{category}: unknown field {name!r} (fields: {', '.join(_FIELDS)})")
            if name == "approvals":
                raw = field_value.value if isinstance(field_value, yaml.ScalarNode) else None
                if not isinstance(raw, str) or not raw.isdigit():
                    raise problem(field_value, f"{category}: approvals must be a whole number, 0 or more")
                values[name] = int(raw)
            else:
                values[name] = _names(field_value, f"{category}.{name}", problem)
        found[category] = Workflow(
            category=category,
            approvals=values.get("approvals", 0),
            reviewers=values.get("reviewers", frozenset()),
            direct_publish=values.get("direct_publish", frozenset()),
        )
    return found


def _names(node: yaml.Node, where: str, problem: Any) -> frozenset[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise problem(node, f"{where}: expected a list of roles and user:<name> / key:<name> entries")
    names: set[str] = set()
    roles = {r.value for r in Role}
    for item in node.value:
        value = str(item.value) if isinstance(item, yaml.ScalarNode) else ""
        person = value.partition(":")
        if value in roles or (person[0] in ("user", "key") and person[2].strip()):
            names.add(value)
        else:
            raise problem(item, f"{where}: {value!r} is neither a role ({', '.join(sorted(roles))}) nor user:<name>")
    return frozenset(names)


# ---- reading a revision's review ----


def _revision(session: Session, article: Article, number: int | None) -> Revision:
    from kb.store import get_revision  # kb.store imports this module to gate publishing

    return get_revision(session=session, article=article, number=article.draft_revision if number is None else number)


def review_of(session: Session, article: Article, revision: int | None = None) -> Review:
    """The review of `revision` (default: the latest draft) as its steps make it now."""
    rev = _revision(session, article, revision)
    workflow = workflow_for(article.category)
    steps = tuple(
        session.exec(
            select(ReviewStep)
            .where(ReviewStep.article_id == article.id, ReviewStep.revision == rev.number)
            .order_by(col(ReviewStep.id))
        )
    )
    # Decisions about this exact text, on whichever revision of the article carried it.
    decisions = session.exec(
        select(ReviewStep)
        .where(
            ReviewStep.article_id == article.id,
            ReviewStep.content_hash == rev.content_hash,
            col(ReviewStep.kind).in_([StepKind.SUBMITTED, StepKind.APPROVED, StepKind.CHANGES_REQUESTED]),
        )
        .order_by(col(ReviewStep.id))
    ).all()
    approved: list[str] = []
    state = ReviewState.NONE
    for step in decisions:
        if step.kind == StepKind.CHANGES_REQUESTED:
            approved, state = [], ReviewState.CHANGES_REQUESTED
        elif step.kind == StepKind.SUBMITTED:
            state = ReviewState.PENDING
        elif step.actor != rev.author and step.actor not in approved:
            approved.append(step.actor)
    if state is ReviewState.PENDING and workflow.approvals and len(approved) >= workflow.approvals:
        state = ReviewState.APPROVED
    return Review(
        key=article.key,
        locale=article.locale,
        category=article.category,
        revision=rev.number,
        content_hash=rev.content_hash,
        author=rev.author,
        state=state,
        needed=workflow.approvals,
        approved_by=tuple(approved) if state is not ReviewState.CHANGES_REQUESTED else (),
        steps=steps,
    )


def pending_reviews(session: Session, *, reviewer: Actor | str | None = None) -> list[Review]:
    """Latest drafts waiting for approvals; for `reviewer`, only those they may approve (not their own)."""
    submitted = (
        sa.select(col(ReviewStep.article_id))
        .join(Article, col(Article.id) == col(ReviewStep.article_id))
        .where(col(ReviewStep.kind) == StepKind.SUBMITTED, col(ReviewStep.revision) == col(Article.draft_revision))
    )
    drafts = session.exec(select(Article).where(col(Article.id).in_(submitted)).order_by(col(Article.id)))
    who = as_actor(reviewer) if reviewer is not None else None
    queue = []
    for article in drafts:
        if article.published_revision == article.draft_revision:
            continue
        review = review_of(session, article)
        if review.state is not ReviewState.PENDING:
            continue
        if who is not None and not _may_decide(who, article, review):
            continue
        queue.append(review)
    return queue


def _may_decide(who: Actor, article: Article, review: Review) -> bool:
    """Whether `who` may approve this review: a reviewer, not its author, with rights reaching it."""
    if who.name == review.author or not who.rights.allows(category=article.category, locale=article.locale):
        return False
    return workflow_for(article.category).may_review(who)


# ---- the steps ----


def _step(
    session: Session, article: Article, rev: Revision, actor: Actor | str, kind: StepKind, action: str, comment: str
) -> Review:
    who = as_actor(actor)
    if len(comment) > COMMENT_MAX:
        raise InvalidChange(f"a review comment is at most {COMMENT_MAX} characters")
    session.add(
        ReviewStep(
            article_id=article.id or 0,
            revision=rev.number,
            content_hash=rev.content_hash,
            kind=kind.value,
            actor=who.name,
            role=who.role,
            comment=comment,
        )
    )
    record_action(
        session,
        who,
        action=action,
        target=f"{article.locale}/{article.key}",
        new_revision=rev.number,
        content_hash=rev.content_hash,
        comment=comment,
    )
    session.flush()
    return review_of(session, article, rev.number)


def submit_review(
    session: Session, article: Article, *, actor: Actor | str, revision: int | None = None, comment: str = ""
) -> Review:
    """Ask for review of a revision (default: the latest draft); audited as `review.submit`."""
    rev = _revision(session, article, revision)
    current = review_of(session, article, rev.number)
    if current.state in (ReviewState.PENDING, ReviewState.APPROVED):
        raise Conflict(f"revision {rev.number} of {article.key!r} ({article.locale}) is already {current.state.value}")
    if article.published_revision == rev.number:
        raise Conflict(f"revision {rev.number} of {article.key!r} ({article.locale}) is already live")
    return _step(session, article, rev, actor, StepKind.SUBMITTED, "review.submit", comment.strip())


def _decide(
    session: Session, article: Article, revision: int | None, actor: Actor | str, *, verb: str
) -> tuple[Revision, Review]:
    """The revision a decision is about, once its workflow and the decider's rights allow it.

    Rights are checked here, in the action, so an approval from the API, the CLI or the admin
    outside the reviewer's categories or locales is refused alike (403 naming them)."""
    who = as_actor(actor)
    rights.check(who.rights, who=who.name, action=verb, category=article.category, locale=article.locale)
    rev = _revision(session, article, revision)
    if not workflow_for(article.category).may_review(who):
        raise NotAllowed(f"{who.name} is not a reviewer of {article.category or DEFAULT!r} articles")
    current = review_of(session, article, rev.number)
    if current.state not in (ReviewState.PENDING, ReviewState.APPROVED):
        raise Conflict(f"revision {rev.number} of {article.key!r} ({article.locale}) is not waiting for review")
    return rev, current


def approve(
    session: Session, article: Article, *, actor: Actor | str, revision: int | None = None, comment: str = ""
) -> Review:
    """Approve the submitted text of a revision; never by its author, once per reviewer."""
    rev, current = _decide(session, article, revision, actor, verb="approve")
    who = as_actor(actor)
    if who.name == rev.author:
        raise NotAllowed(f"{who.name} wrote revision {rev.number}; someone else must approve it")
    if who.name in current.approved_by:
        raise Conflict(f"{who.name} has already approved revision {rev.number}")
    return _step(session, article, rev, who, StepKind.APPROVED, "review.approve", comment.strip())


def request_changes(
    session: Session, article: Article, *, actor: Actor | str, comment: str, revision: int | None = None
) -> Review:
    """Send a submitted revision back to its author, saying why (the comment is required)."""
    if not comment.strip():
        raise InvalidChange("say what should change: a comment is required")
    rev, _ = _decide(session, article, revision, actor, verb="request changes on")
    return _step(session, article, rev, actor, StepKind.CHANGES_REQUESTED, "review.request_changes", comment.strip())


def add_comment(
    session: Session, article: Article, *, actor: Actor | str, comment: str, revision: int | None = None
) -> Review:
    """A remark on a revision outside any decision; kept with that revision."""
    if not comment.strip():
        raise InvalidChange("a comment needs some text")
    rev = _revision(session, article, revision)
    return _step(session, article, rev, actor, StepKind.COMMENT, "review.comment", comment.strip())


# ---- the gate publishing passes ----


def publication_check(
    session: Session, article: Article, number: int, actor: Actor | str, *, emergency: bool
) -> dict[str, Any]:
    """Refuse to publish revision `number` without its approvals; returns extra audit detail.

    An actor allowed to publish directly may skip the review by saying so (`emergency`), which
    the `article.publish` audit row records. Bare-name callers inside the system are not gated.
    """
    who = as_actor(actor)
    workflow = workflow_for(article.category)
    if workflow.approvals == 0 or who.role == _SYSTEM_ROLE:
        return {}
    review = review_of(session, article, number)
    if review.ready and review.state is ReviewState.APPROVED:
        return {"approved_by": list(review.approved_by)}
    if emergency:
        if not workflow.may_publish_directly(who):
            raise NotAllowed(f"{who.name} may not publish {article.category or DEFAULT!r} articles without review")
        return {"emergency": True}
    hint = " (or publish as an emergency)" if workflow.may_publish_directly(who) else ""
    raise ReviewRequired(
        f"revision {number} of {article.key!r} ({article.locale}) needs {workflow.approvals} approval(s) "
        f"under the {workflow.category!r} workflow and has {len(review.approved_by)} ({review.state.value}){hint}"
    )


def _went_live_as_emergency(session: Session, article: Article, content_hash: str) -> bool:
    """Whether a revision carrying this text was once published on the audited emergency path."""
    numbers = set(
        session.exec(
            select(Revision.number).where(Revision.article_id == article.id, Revision.content_hash == content_hash)
        )
    )
    rows = session.exec(
        select(AuditEntry.new_revision, AuditEntry.detail).where(
            col(AuditEntry.action).in_(["article.publish", "article.rollback"]),
            AuditEntry.target == f"{article.locale}/{article.key}",
        )
    ).all()
    return any(number in numbers and (detail or {}).get("emergency") is True for number, detail in rows)


def rollback_check(
    session: Session, article: Article, to_revision: int, actor: Actor | str, *, emergency: bool
) -> dict[str, Any]:
    """A rollback publishes old text again: allowed when that text (its content hash) was approved
    or went live as an emergency; otherwise it needs the emergency path like any publish."""
    who = as_actor(actor)
    if workflow_for(article.category).approvals == 0 or who.role == _SYSTEM_ROLE:
        return {}
    cleared = _cleared_text(session, article, to_revision)
    if cleared is not None:
        return cleared
    return publication_check(session, article, to_revision, actor, emergency=emergency)


def _cleared_text(session: Session, article: Article, number: int) -> dict[str, Any] | None:
    """What already clears revision `number`'s text to go live again (its approvals, or an earlier
    emergency publication of it) as audit detail; None when nothing does."""
    review = review_of(session, article, number)
    if review.ready and review.state is ReviewState.APPROVED:
        return {"approved_by": list(review.approved_by)}
    if _went_live_as_emergency(session, article, review.content_hash):
        return {"approved_as": "emergency"}
    return None


def rollback_needs_emergency(session: Session, article: Article, to_revision: int) -> bool:
    """Whether rolling back to `to_revision` can only take the emergency path: its workflow asks for
    review and that text was never approved nor live as an emergency (the admin offers the path then)."""
    if workflow_for(article.category).approvals == 0:
        return False
    return _cleared_text(session, article, to_revision) is None
