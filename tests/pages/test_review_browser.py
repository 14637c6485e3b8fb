"""Review and approval in the admin, in Chromium, with two people: Ann writes a billing article, Rita
reviews it. Submit → request changes → edit → submit → approve → a scheduled publish, run by the
server's job runner → live on the help page; Publish stays disabled (saying why) until the
approval, and the emergency path is for admins only."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

import kb
from tests.api.conftest import start_server
from tests.conftest import ROOT
from tests.helpers import article

RULES = "default:\n  approvals: 0\nbilling:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"
PEOPLE = {
    "ann": ("ann-password-1", "editor"),
    "rita": ("rita-password-1", "editor"),
    "boss": ("boss-password-1", "admin"),
}
KEY = "review-walk"


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("review-pages")
    rules = data_dir / "workflows.yaml"
    rules.write_text(RULES, encoding="utf-8")
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    engine = kb.make_engine(db_url)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    with kb.write_session(engine) as session:
        for name, (password, role) in PEOPLE.items():
            kb.create_user(session=session, username=name, password=password, role=role, actor="test")
        source = article(key=KEY, title="Paying at a kiosk", body="Pay at any kiosk.", category="billing")
        kb.save_draft(session=session, source=source, base_revision=None, actor=kb.Actor(name="ann", role="editor"))
        source = article(key="review-urgent", title="Kiosks are down", body="Pay online today.", category="billing")
        kb.save_draft(session=session, source=source, base_revision=None, actor=kb.Actor(name="ann", role="editor"))
    engine.dispose()
    proc, base = start_server(
        db_url, data_dir, ISTOK_RATE_LIMIT="100000", ISTOK_SECRET_KEY="review-secret", ISTOK_WORKFLOWS=str(rules)
    )
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture
def people(browser: Browser, review_site: str) -> Iterator[dict[str, Page]]:
    """One signed-in browser context per person."""
    contexts: list[Any] = []
    pages: dict[str, Page] = {}
    for name, (password, _role) in PEOPLE.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        contexts.append(context)
        pg = context.new_page()
        pg.goto(f"{review_site}/login?next=/admin")
        pg.fill("#username", name)
        pg.fill("#password", password)
        pg.click("form.stack button[type=submit]")
        pg.wait_for_url("**/admin")
        pages[name] = pg
    yield pages
    for context in contexts:
        context.close()


def _open(pg: Page, base: str, key: str = KEY) -> None:
    pg.goto(f"{base}/admin/articles/en/{key}")


def _state(pg: Page) -> str:
    return pg.locator("#review-state").get_attribute("data-state") or ""


def test_submit_request_changes_edit_approve_scheduled_publish_live(people: dict[str, Page], review_site: str) -> None:
    ann, rita = people["ann"], people["rita"]
    publish = "form[action$='/en/review-walk/publish']:not(#emergency-publish) button"
    _open(ann, review_site)
    assert _state(ann) == "none"
    assert ann.locator(publish).is_disabled()
    assert "Needs 1 approval" in ann.locator("#publish-blocked").inner_text()
    assert ann.locator("#emergency-publish").count() == 0  # an editor has no emergency path here
    ann.locator("#rv-submit-comment").fill("First version")
    ann.get_by_role("button", name="Submit for review").click()
    ann.locator(".flash").filter(has_text="submitted for review").wait_for()
    assert _state(ann) == "pending"
    assert ann.locator("#review-decision").count() == 0  # nobody approves their own

    rita.goto(f"{review_site}/admin/reviews")
    rita.locator(f"#review-en-{KEY} a").click()
    rita.wait_for_url(f"**/admin/articles/en/{KEY}")
    rita.locator("#rv-comment").fill("Say whether the kiosk charges a fee")
    rita.get_by_role("button", name="Request changes").click()
    rita.locator(".flash").filter(has_text="Changes requested").wait_for()
    assert _state(rita) == "changes_requested"
    assert "Say whether the kiosk charges a fee" in rita.locator("#review-steps").inner_text()

    _open(ann, review_site)
    source = ann.locator("#source")
    source.fill(source.input_value().replace("Pay at any kiosk.", "Pay at any kiosk; there is no fee."))
    ann.locator("#editor-form button[type=submit]").click()
    ann.locator(".flash").filter(has_text="Saved revision").wait_for()
    assert _state(ann) == "none"  # a new text, a new review; revision 1's comments stay with revision 1
    assert ann.locator("#review-steps").count() == 0
    ann.get_by_role("button", name="Submit for review").click()
    ann.locator(".flash").filter(has_text="submitted for review").wait_for()

    rita.goto(f"{review_site}/admin/reviews")
    assert rita.locator(f"#review-en-{KEY}").inner_text().split("\t")[2].strip() == "2"
    rita.locator(f"#review-en-{KEY} a").click()
    rita.locator("#rv-comment").fill("Good")
    rita.get_by_role("button", name="Approve").click()
    rita.locator(".flash").filter(has_text="Approved revision 2").wait_for()
    assert _state(rita) == "approved"

    _open(ann, review_site)
    assert ann.locator(publish).is_enabled()
    assert "there is no fee" not in httpx.get(f"{review_site}/help/en/{KEY}").text
    # Scheduled for this minute (the editors' zone is UTC here): due at once, so the runner publishes it.
    if dt.datetime.now(dt.UTC).second > 45:
        time.sleep(61 - dt.datetime.now(dt.UTC).second)
    now = dt.datetime.now(dt.UTC)
    ann.locator("#sc-action").select_option("publish")
    ann.locator("#sc-revision").select_option("2")
    ann.locator("#sc-at").fill(now.strftime("%Y-%m-%dT%H:%M"))
    ann.locator("#schedule-form button[type=submit]").click()
    ann.locator(".flash").filter(has_text="Publish of revision 2 scheduled").wait_for()
    deadline = time.monotonic() + 20
    while "there is no fee" not in (page := httpx.get(f"{review_site}/help/en/{KEY}")).text:
        assert time.monotonic() < deadline, "the scheduled publish did not go live"
        time.sleep(0.3)
    assert page.status_code == 200
    _open(ann, review_site)
    assert ann.locator(publish).count() == 0 or ann.locator(publish).is_disabled()  # revision 2 is live now


def test_emergency_publish_asks_for_confirmation_and_is_for_admins(people: dict[str, Page], review_site: str) -> None:
    boss = people["boss"]
    _open(boss, review_site, "review-urgent")
    emergency = boss.locator("#emergency-publish")
    emergency.get_by_role("button", name="Emergency publish").click()
    assert boss.locator(".flash").count() == 0  # the confirmation box is required: nothing was sent
    emergency.locator("#rv-emergency").check()
    emergency.get_by_role("button", name="Emergency publish").click()
    boss.locator(".flash").filter(has_text="Published revision 1").wait_for()
    assert "Pay online today." in httpx.get(f"{review_site}/help/en/review-urgent").text
