"""Review decisions obey rights per category and locale: a reviewer limited to some of them neither
approves nor sends back an article outside them (403 naming the category and locale, nothing written),
does so inside them, and their queue holds only what they may decide. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

import kb
from tests.helpers import article, snapshot

ANN = kb.Actor(name="ann", role="editor")  # the author, not limited
RULES = "default:\n  approvals: 0\nbilling:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"
Decision = Callable[[Session, kb.Article, kb.Actor], kb.Review]
DECISIONS: dict[str, Decision] = {
    "approve": lambda s, a, who: kb.approve(s, a, actor=who),
    "request changes on": lambda s, a, who: kb.request_changes(s, a, actor=who, comment="Say it is free."),
}


@pytest.fixture(autouse=True)
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workflows.yaml"
    path.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("ISTOK_WORKFLOWS", str(path))
    return path


def _reviewer(*, categories: tuple[str, ...] = (), locales: tuple[str, ...] = ()) -> kb.Actor:
    return kb.Actor(name="bob", role="editor", rights=kb.make_rights(categories=categories, locales=locales))


def _submitted(engine: sa.Engine, *, locale: str, key: str = "pay-bill") -> None:
    """A billing draft by Ann, waiting for review."""
    with kb.write_session(engine) as session:
        source = article(key=key, locale=locale, title="Paying a bill", category="billing")
        saved = kb.save_draft(session=session, source=source, base_revision=None, actor=ANN)
        kb.submit_review(session, saved.article, actor=ANN)


def _decide(engine: sa.Engine, step: str, who: kb.Actor, *, locale: str, key: str = "pay-bill") -> kb.Review:
    with kb.write_session(engine) as session:
        found = kb.get_article(session=session, key=key, locale=locale)
        return DECISIONS[step](session, found, who)


@pytest.mark.parametrize("step", sorted(DECISIONS))
@pytest.mark.parametrize(
    ("rights", "named"),
    [
        ({"locales": ("uk",)}, "locale 'en'"),
        ({"categories": ("roaming",)}, "category 'billing'"),
        ({"categories": ("roaming",), "locales": ("uk",)}, "category 'billing'"),
    ],
)
def test_a_decision_outside_the_reviewers_rights_is_refused_naming_them_and_writes_nothing(
    engine: sa.Engine, step: str, rights: dict[str, tuple[str, ...]], named: str
) -> None:
    _submitted(engine, locale="en")
    before = snapshot(engine)
    with pytest.raises(kb.OutsideRights) as refused:
        _decide(engine, step, _reviewer(**rights), locale="en")
    assert refused.value.status == 403
    assert (refused.value.category, refused.value.locale) == ("billing", "en")
    assert named in refused.value.detail and f"bob may not {step} articles" in refused.value.detail
    assert snapshot(engine) == before


@pytest.mark.parametrize("step", sorted(DECISIONS))
def test_inside_the_rights_the_same_reviewer_decides(engine: sa.Engine, step: str) -> None:
    _submitted(engine, locale="uk")
    review = _decide(engine, step, _reviewer(categories=("billing",), locales=("uk",)), locale="uk")
    expected = kb.ReviewState.APPROVED if step == "approve" else kb.ReviewState.CHANGES_REQUESTED
    assert review.state is expected


def test_the_reviewers_queue_holds_only_what_their_rights_reach(engine: sa.Engine) -> None:
    _submitted(engine, locale="uk")
    _submitted(engine, locale="en")
    with kb.read_session(engine) as session:
        limited = kb.pending_reviews(session, reviewer=_reviewer(locales=("uk",)))
        everyone = kb.pending_reviews(session, reviewer=_reviewer())
    assert [(r.key, r.locale) for r in limited] == [("pay-bill", "uk")]
    assert sorted(r.locale for r in everyone) == ["en", "uk"]
