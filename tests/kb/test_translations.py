"""Translations know their source revision, go outdated when it moves, and obey a required locale."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from kb import translations
from kb.translations import TranslationState as S


def _source(key: str, locale: str, body: str, title: str = "Balance", status: str = "draft") -> str:
    front = f"key: {key}\nlocale: {locale}\ntitle: {title} {locale}\ncategory: billing\nstatus: {status}"
    return f"---\n{front}\n---\n{body}\n"


def _save(engine: sa.Engine, locale: str, body: str, *, key: str = "balance", follows: int | None = None) -> int:
    with kb.write_session(engine) as session:
        article = kb.find_article(session=session, key=key, locale=locale)
        saved = kb.save_draft(
            session=session,
            source=_source(key, locale, body),
            base_revision=article.draft_revision if article else None,
            actor="editor",
            translated_from=follows,
        )
        return saved.revision.number


def _publish(engine: sa.Engine, locale: str, key: str = "balance") -> None:
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key=key, locale=locale), actor="editor")


def _states(engine: sa.Engine, key: str = "balance") -> dict[str, tuple[S, int | None, int]]:
    with kb.read_session(engine) as session:
        return {t.locale: (t.state, t.based_on, t.behind) for t in kb.translation_states(session=session, key=key)}


def test_a_translation_follows_the_source_until_it_moves_and_an_edit_alone_does_not_catch_up(
    engine: sa.Engine,
) -> None:
    _save(engine, "ru", "Наберите *100#.")
    _publish(engine, "ru")
    _save(engine, "uk", "Наберіть *100#.")  # made from ru r1
    assert _states(engine) == {"ru": (S.SOURCE, None, 0), "uk": (S.CURRENT, 1, 0), "en": (S.MISSING, None, 0)}

    _save(engine, "ru", "Наберите *100# или откройте приложение.")
    assert _states(engine)["uk"] == (S.CURRENT, 1, 0)  # a draft being written does not count
    _publish(engine, "ru")
    assert _states(engine)["uk"] == (S.OUTDATED, 1, 1)

    _save(engine, "uk", "Наберіть *100# (виправлено).")  # a typo fixed, the source not carried over
    assert _states(engine)["uk"] == (S.OUTDATED, 1, 1)

    _save(engine, "uk", "Наберіть *100# або відкрийте застосунок.", follows=2)
    assert _states(engine)["uk"] == (S.CURRENT, 2, 0)
    with kb.read_session(engine) as session:
        assert [(t.key, t.locale, t.state) for t in kb.translation_report(session=session)] == [
            ("balance", "en", S.MISSING)
        ]
        entry = session.exec(
            sa.select(kb.AuditEntry).where(kb.AuditEntry.action == "article.save").order_by(kb.AuditEntry.id.desc())  # type: ignore[union-attr]
        ).first()
        assert entry is not None and entry[0].detail.get("translated_from") == 2


def test_marking_a_translation_up_to_date_without_a_change_moves_the_record_not_the_revision(
    engine: sa.Engine,
) -> None:
    _save(engine, "ru", "Один.")
    _publish(engine, "ru")
    _save(engine, "en", "One.")
    _save(engine, "ru", "Один, исправлено.")
    _publish(engine, "ru")
    assert _states(engine)["en"] == (S.OUTDATED, 1, 1)
    assert _save(engine, "en", "One.", follows=2) == 1  # same text: no new revision
    assert _states(engine)["en"] == (S.CURRENT, 2, 0)


def test_a_claim_must_name_a_real_source_revision_and_the_source_follows_nothing(engine: sa.Engine) -> None:
    _save(engine, "ru", "Один.")
    _save(engine, "uk", "Один.")
    with pytest.raises(kb.InvalidChange, match="revisions 1 to 1, not 5"):
        _save(engine, "uk", "Два.", follows=5)
    with pytest.raises(kb.InvalidChange, match="its key's source"):
        _save(engine, "ru", "Два.", follows=1)
    assert _states(engine)["uk"] == (S.CURRENT, 1, 0)  # the refused saves changed nothing


def test_an_import_of_a_translation_with_its_source_is_in_step_and_without_it_falls_behind(
    engine: sa.Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "content"
    for locale, body in (("en", "One."), ("ru", "Один."), ("uk", "Один.")):
        (folder / locale / "billing").mkdir(parents=True)
        (folder / locale / "billing" / "balance.md").write_text(_source("balance", locale, body), encoding="utf-8")
    kb.import_paths([folder], engine=engine, publish=True, actor="import")
    # ru is the source (the first of LOCALES; files are imported sources first), the others in step.
    assert _states(engine) == {"ru": (S.SOURCE, None, 0), "uk": (S.CURRENT, 1, 0), "en": (S.CURRENT, 1, 0)}

    (folder / "ru" / "billing" / "balance.md").write_text(_source("balance", "ru", "Два."), encoding="utf-8")
    (folder / "uk" / "billing" / "balance.md").write_text(_source("balance", "uk", "Два."), encoding="utf-8")
    kb.import_paths([folder], engine=engine, publish=True, actor="import")
    assert _states(engine) == {"ru": (S.SOURCE, None, 0), "uk": (S.CURRENT, 2, 0), "en": (S.OUTDATED, 1, 1)}


def test_sample_content_imports_with_every_translation_in_step(engine: sa.Engine) -> None:
    kb.import_paths([Path(__file__).resolve().parents[2] / "content"], engine=engine, publish=True, actor="import")
    with kb.read_session(engine) as session:
        behind = kb.translation_report(session=session, states=["outdated", "unlinked"])
    assert behind == []


def test_a_required_locale_goes_live_first_and_is_the_source(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISTOK_REQUIRED_LOCALE", "uk")
    _save(engine, "ru", "Один.")  # written first, but uk is the deployment's required locale
    with pytest.raises(kb.InvalidChange, match="must be live in uk before it goes live in ru"):
        _publish(engine, "ru")
    _save(engine, "uk", "Один.")
    assert _states(engine)["uk"][0] is S.SOURCE
    _publish(engine, "uk")
    _publish(engine, "ru")
    with kb.read_session(engine) as session:
        assert kb.get_article(session=session, key="balance", locale="ru").published_revision == 1


def test_a_bulk_publish_refuses_a_key_whose_required_locale_is_not_going_live(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ISTOK_REQUIRED_LOCALE", "uk")
    folder = tmp_path / "content"
    (folder / "ru" / "billing").mkdir(parents=True)
    (folder / "ru" / "billing" / "balance.md").write_text(
        _source("balance", "ru", "Один.", status="published"), encoding="utf-8"
    )
    with pytest.raises(kb.InvalidChange, match="must be live in uk before they go live elsewhere: balance \\(ru\\)"):
        kb.import_paths([folder], engine=engine, publish=True, actor="import")
    (folder / "uk" / "billing").mkdir(parents=True)
    (folder / "uk" / "billing" / "balance.md").write_text(
        _source("balance", "uk", "Один.", status="published"), encoding="utf-8"
    )
    kb.import_paths([folder], engine=engine, publish=True, actor="import")  # both together: uk goes first
    assert {loc: s for loc, (s, _b, _n) in _states(engine).items()} == {
        "ru": S.CURRENT,
        "uk": S.SOURCE,
        "en": S.MISSING,
    }


def test_an_unknown_required_locale_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTOK_REQUIRED_LOCALE", "de")
    with pytest.raises(kb.InvalidChange, match="ISTOK_REQUIRED_LOCALE must be one of ru, uk, en, not 'de'"):
        translations.required_locale()
