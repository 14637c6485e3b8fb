"""Rights per category and locale: "an editor for billing, in uk only", enforced by the kb actions."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import select

import kb
from tests.helpers import article, save, snapshot

BILLING_UK = kb.make_rights(categories=["billing"], locales=["uk"])


def _editor(rights: kb.Rights = BILLING_UK) -> kb.Actor:
    return kb.Actor(name="oksana", role="editor", rights=rights)


def _save_as(engine: sa.Engine, source: str, actor: kb.Actor, base: int | None = None) -> kb.SaveResult:
    with kb.write_session(engine) as session:
        return kb.save_draft(session=session, source=source, base_revision=base, actor=actor)


def test_an_editor_limited_to_billing_in_uk_saves_and_publishes_there(engine: sa.Engine) -> None:
    saved = _save_as(engine, article(key="pay", locale="uk", title="Оплата", category="billing"), _editor())
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="pay", locale="uk")
        assert kb.publish(session=session, article=art, actor=_editor()) is not None
    assert saved.revision.number == 1


@pytest.mark.parametrize(
    ("locale", "category", "named"),
    [("en", "billing", "locale 'en'"), ("uk", "roaming", "category 'roaming'"), ("uk", None, "category '(none)'")],
)
def test_a_save_outside_the_rights_is_refused_naming_them_and_changes_nothing(
    engine: sa.Engine, locale: str, category: str | None, named: str
) -> None:
    front = {"category": category} if category else {}
    before = snapshot(engine)
    with pytest.raises(kb.OutsideRights) as refused:
        _save_as(engine, article(key="pay", locale=locale, title="Pay", **front), _editor())
    assert refused.value.status == 403
    assert named in refused.value.detail
    assert "billing" in refused.value.detail and "uk" in refused.value.detail
    assert snapshot(engine) == before


def test_publish_unpublish_and_rollback_outside_the_rights_are_refused(engine: sa.Engine) -> None:
    save(engine, article(key="roam", locale="uk", title="Роумінг", category="roaming"))
    save(engine, article(key="roam", locale="uk", title="Роумінг 2", category="roaming"), base=1)
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key="roam", locale="uk"), actor="test")
    before = snapshot(engine)
    actions = {
        "publish": lambda s, a: kb.publish(session=s, article=a, revision=1, actor=_editor()),
        "unpublish": lambda s, a: kb.unpublish(session=s, article=a, actor=_editor()),
        "roll back": lambda s, a: kb.rollback(session=s, article=a, to_revision=1, base_revision=2, actor=_editor()),
        "publish-all": lambda s, a: kb.publish_many(session=s, articles=[a], actor=_editor()),
    }
    for name, act in actions.items():
        if name == "publish-all":  # a draft that is not live, so the bulk path has something to refuse
            save(engine, article(key="roam", locale="uk", title="Роумінг 3", category="roaming"), base=2)
            before = snapshot(engine)
        with pytest.raises(kb.OutsideRights, match="category 'roaming'"), kb.write_session(engine) as session:
            act(session, kb.get_article(session=session, key="roam", locale="uk"))
        assert snapshot(engine) == before, name


def test_moving_an_article_into_ones_category_needs_rights_on_the_one_it_leaves(engine: sa.Engine) -> None:
    save(engine, article(key="pay", locale="uk", title="Оплата", category="roaming"))
    with pytest.raises(kb.OutsideRights, match="category 'roaming'"):
        _save_as(engine, article(key="pay", locale="uk", title="Оплата", category="billing"), _editor(), base=1)


def test_rights_limited_to_locales_alone_reach_every_category(engine: sa.Engine) -> None:
    only_uk = kb.make_rights(locales=["uk"])
    _save_as(engine, article(key="a", locale="uk", title="А", category="roaming"), _editor(only_uk))
    _save_as(engine, article(key="b", locale="uk", title="Б"), _editor(only_uk))
    with pytest.raises(kb.OutsideRights, match="locale 'ru'"):
        _save_as(engine, article(key="c", locale="ru", title="В"), _editor(only_uk))


def test_a_persons_rights_are_set_audited_and_read_back(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="oksana", password="a-long-password", role="editor", actor="test")
        kb.set_rights(session=session, username="oksana", categories=["billing"], locales=["uk"], actor="admin")
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username="oksana")
        assert user is not None
        assert kb.rights_of(user) == BILLING_UK
        entry = session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == "user.rights")).one()
        assert entry.detail == {"categories": ["billing"], "locales": ["uk"]}
    with kb.write_session(engine) as session:
        kb.set_rights(session=session, username="oksana", categories=[], locales=[], actor="admin")
        user = kb.find_user(session=session, username="oksana")
        assert user is not None and not kb.rights_of(user).limited


def test_a_malformed_locale_is_refused() -> None:
    with pytest.raises(kb.InvalidChange, match="not a locale: Ukrainian"):
        kb.make_rights(locales=["Ukrainian"])


def test_an_api_key_carries_its_rights(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        key, _secret = kb.create_key(session=session, name="billing-bot", role="editor", actor="t", rights=BILLING_UK)
    with kb.read_session(engine) as session:
        stored = session.get(kb.ApiKey, key.id)
        assert stored is not None and kb.key_rights(stored) == BILLING_UK


def test_a_schedule_outside_the_rights_is_refused_when_it_is_set(engine: sa.Engine) -> None:
    """It runs later under the schedule's own role, so the setter's rights are checked now."""
    save(engine, article(key="roam", locale="uk", title="Роумінг", category="roaming"))
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    before = snapshot(engine)
    with pytest.raises(kb.OutsideRights, match="schedule changes to"), kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="roam", locale="uk")
        kb.schedule_publish(session=session, article=art, revision=1, at=at, actor=_editor())
    assert snapshot(engine) == before
    save(engine, article(key="pay", locale="uk", title="Оплата", category="billing"))
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="pay", locale="uk")
        assert kb.schedule_publish(session=session, article=art, revision=1, at=at, actor=_editor()).id is not None
