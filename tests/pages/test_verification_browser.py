"""An owner opens their queue of articles due for verification and clears one with one click."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

import kb
from tests.pages.conftest import Site, client, csrf_of, http_login, login

MINE = "verify-desk"
THEIRS = "verify-elsewhere"


def _live(site: Site, key: str, owner: str) -> None:
    source = (
        f"---\nkey: {key}\nlocale: en\ntitle: Question {key}\ncategory: billing\nowner: {owner}\n"
        f"review_by: 2026-01-15\nstatus: published\n---\nStill the answer.\n"
    )
    engine = site.engine()
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=source, base_revision=None, actor="test")
        kb.publish(session=session, article=saved.article, actor="test")
    engine.dispose()


@pytest.fixture(scope="module")
def due_articles(site: Site) -> Iterator[None]:
    """One article owned by the signed-in editor (`editor1`), one by another team; both due by review_by."""
    _live(site, MINE, "editor1")
    _live(site, THEIRS, "another-team")
    yield


def _state(site: Site, key: str) -> tuple[int, int | None, int, kb.ArticleVerification | None]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key=key, locale="en")
        last = kb.last_verification(session, a)
        if last is not None:
            session.expunge(last)
        found = (a.draft_revision, a.published_revision, len(kb.history(session=session, article=a)), last)
    engine.dispose()
    return found


def test_one_click_in_the_queue_verifies_and_removes_the_article(page: Page, site: Site, due_articles: None) -> None:
    assert _state(site, MINE)[3] is None
    login(page, site, "editor", next_path="/admin/due")
    page.wait_for_url("**/admin/due")
    expect(page.locator("#due-owner")).to_have_value("editor1")  # the signed-in person's own queue first
    row = page.locator(f"#due-en-{MINE}")
    expect(row).to_contain_text("review_by 2026-01-15 has come")
    expect(page.locator(f"#due-en-{THEIRS}")).to_have_count(0)

    started = kb.utcnow()
    row.get_by_role("button", name="Verified — still true").click()
    page.wait_for_url("**/admin/due?**")
    expect(page.locator(f"#due-en-{MINE}")).to_have_count(0)
    expect(page.locator("body")).to_contain_text(f"en/{MINE}: revision 1 verified by editor1")

    draft, live, revisions, last = _state(site, MINE)
    assert (draft, live, revisions) == (1, 1, 1)  # no new revision
    assert last is not None and last.verified_by == "editor1" and last.revision == 1
    assert started - dt.timedelta(seconds=5) <= last.verified_at <= kb.utcnow()  # when: at the click

    # Everyone's queue still holds the other team's article; the editor page says who verified when.
    page.select_option("#due-owner", "")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(f"#due-en-{THEIRS}")).to_have_count(1)
    page.goto(f"{site.base}/admin/articles/en/{MINE}")
    expect(page.locator("#last-verification")).to_contain_text("Last verified by editor1")


def test_the_editor_page_button_verifies_and_a_forged_post_is_refused(
    page: Page, site: Site, due_articles: None
) -> None:
    anonymous = client(site).post("/admin/due/verify", data={"csrf": "x", "locale": "en", "key": THEIRS})
    assert anonymous.status_code in (303, 401, 403)
    signed_in = http_login(site, "editor")
    csrf_of(signed_in)
    forged = signed_in.post("/admin/due/verify", data={"csrf": "forged", "locale": "en", "key": THEIRS})
    assert forged.status_code == 403
    assert _state(site, THEIRS)[3] is None

    login(page, site, "editor", next_path=f"/admin/articles/en/{THEIRS}")
    page.wait_for_url(f"**/admin/articles/en/{THEIRS}")
    expect(page.locator("#last-verification")).to_contain_text("Never verified")
    expect(page.locator("#last-verification")).to_contain_text("review_by 2026-01-15 has come")
    page.fill("#verify-note", "fees unchanged")
    page.locator("#verify-form").get_by_role("button", name="Verified — still true").click()
    page.wait_for_url(f"**/admin/articles/en/{THEIRS}?**")
    expect(page.locator("#last-verification")).to_contain_text("Last verified by editor1")
    expect(page.locator("#last-verification")).to_contain_text("fees unchanged")
    last = _state(site, THEIRS)[3]
    assert last is not None and last.note == "fees unchanged"
