"""An editor sees a translation fall behind its source, reads what changed, and brings it up to date."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

import kb
from tests.pages.conftest import Site, login

KEY = "translation-desk"


def _source(locale: str, body: str) -> str:
    titles = {"ru": "Как перенести номер", "uk": "Як перенести номер"}
    return (
        f"---\nkey: {KEY}\nlocale: {locale}\ntitle: {titles[locale]}\nslug: {KEY}\ncategory: sim\n"
        f"status: published\n---\n{body}\n"
    )


def _save(site: Site, locale: str, body: str, *, publish: bool) -> None:
    engine = site.engine()
    with kb.write_session(engine) as session:
        found = kb.find_article(session=session, key=KEY, locale=locale)
        saved = kb.save_draft(
            session=session,
            source=_source(locale, body),
            base_revision=found.draft_revision if found else None,
            actor="test",
        )
        if publish:
            kb.publish(session=session, article=saved.article, actor="test")
    engine.dispose()


def _uk(site: Site) -> tuple[str, int | None, int | None]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        states = {t.locale: t for t in kb.translation_states(session=session, key=KEY)}
    engine.dispose()
    return states["uk"].state.value, states["uk"].based_on, states["uk"].draft_revision


@pytest.fixture(scope="module")
def outdated(site: Site) -> Iterator[None]:
    """ru r1 → uk made from it → ru r2 published with a new step: uk is one revision behind."""
    _save(site, "ru", "Подайте заявление в салоне.", publish=True)
    _save(site, "uk", "Подайте заяву в салоні.", publish=True)
    _save(site, "ru", "Подайте заявление в салоне.\n\nВозьмите с собой паспорт.", publish=True)
    yield


def test_an_outdated_translation_is_listed_shows_the_source_diff_and_is_brought_up_to_date(
    page: Page, site: Site, outdated: None
) -> None:
    assert _uk(site) == ("outdated", 1, 1)
    login(page, site, "editor", next_path="/admin/translations?locale=uk")
    row = page.locator(f'tr[data-key="{KEY}"]')
    assert row.get_attribute("data-state") == "outdated"
    assert "1 revision behind" in row.inner_text()
    row.get_by_role("link", name="Side by side").click()
    page.wait_for_url(f"**/admin/translations/{KEY}")
    uk = page.locator('section[data-state="outdated"]')
    assert "What changed in ru since r1" in uk.inner_text()
    assert uk.locator("pre.diff span.add", has_text="Возьмите с собой паспорт.").count() == 1

    uk.get_by_role("link", name="Edit to bring it up to date").click()
    page.wait_for_url(f"**/admin/articles/uk/{KEY}?follows=2")
    tick = page.get_by_label("This translation follows ru revision 2")
    assert tick.is_checked()
    source = page.locator("#source")
    source.fill(_source("uk", "Подайте заяву в салоні.\n\nВізьміть із собою паспорт."))
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/admin/articles/uk/{KEY}*")
    assert _uk(site) == ("current", 2, 2)

    page.goto(f"{site.base}/admin/translations?locale=uk")
    assert page.locator(f'tr[data-key="{KEY}"]').count() == 0


def test_a_translation_whose_text_needs_no_change_is_marked_in_one_click(page: Page, site: Site) -> None:
    _save(site, "ru", "Подайте заявление в салоне.\n\nВозьмите с собой паспорт или ID-карту.", publish=True)
    state, based_on, draft = _uk(site)
    assert state == "outdated" and based_on == 2
    login(page, site, "editor", next_path=f"/admin/translations/{KEY}")
    page.get_by_role("button", name="Up to date with ru r3, no change needed").click()
    page.wait_for_url(f"**/admin/translations/{KEY}*")
    assert "uk follows source revision 3" in page.locator(".flash").inner_text()
    assert _uk(site) == ("current", 3, draft)  # no new revision
