"""Readers say why an article did not help; editors dismiss and merge content gaps (issue #16), in Chromium."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import select

import kb
from tests.conftest import missing_tool
from tests.pages.conftest import AXE, Site, client, csrf_of, http_login, login

UK_SLUG = "obitsianyi-platizh"  # the promised payment, in Ukrainian


def _votes(site: Site, key: str) -> dict[int, kb.HelpfulVote]:
    engine = site.engine()
    try:
        with kb.read_session(engine) as session:
            rows = session.exec(select(kb.HelpfulVote).where(kb.HelpfulVote.key == key)).all()
            for v in rows:
                session.expunge(v)
            return {v.id or 0: v for v in rows}
    finally:
        engine.dispose()


def test_not_helpful_offers_reasons_and_the_vote_is_stored_with_the_one_chosen(page: Page, site: Site) -> None:
    before = _votes(site, "promised-payment")
    page.goto(f"{site.base}/help/en/promised-payment")
    assert page.locator(".vote-reasons").count() == 0  # offered after "no" only
    page.locator(".vote-no").click()
    reasons = page.locator(".vote-reasons")
    expect(reasons.locator("legend")).to_have_text("What was wrong with it?")
    assert reasons.locator("input[type=radio]").count() == 5
    assert page.url.endswith("/help/en/promised-payment")  # no reload: the script asked
    reasons.get_by_label("Hard to understand").check()
    reasons.locator("textarea").fill("Which button? My number is +380 67 123 45 67")
    page.screenshot(path=str(site.shots / "help-vote-reasons.png"), full_page=True)
    reasons.locator(".vote-send").click()
    expect(reasons.locator(".vote-status")).to_have_text("Thank you: the editors will see why.")
    new = [v for i, v in _votes(site, "promised-payment").items() if i not in before]
    assert [(v.helpful, v.reason, v.comment) for v in new] == [(False, "unclear", "Which button? My number is [phone]")]

    login(page, site, "editor", "/admin/articles/en/promised-payment")
    page.wait_for_url("**/admin/articles/en/promised-payment")
    counts = page.locator(".vote-reasons .vote-reason[data-reason=unclear]").first
    expect(counts).to_contain_text("unclear")
    assert int(counts.inner_text().split()[-1]) >= 1
    page.locator(".vote-comments summary").click()
    expect(page.locator(".vote-comments")).to_contain_text("Which button? My number is [phone]")


def test_without_script_the_reasons_form_comes_with_the_thanks_in_the_readers_language(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ru-RU")
    try:
        pg = context.new_page()
        before = _votes(site, "promised-payment")
        pg.goto(f"{site.base}/help/ru/obeshchannyi-platezh")
        pg.locator(".vote-no").click()
        pg.wait_for_url("**/help/ru/obeshchannyi-platezh?voted=no#vote")
        expect(pg.locator(".vote-thanks")).to_have_text("Спасибо за отзыв!")
        new = [v for i, v in _votes(site, "promised-payment").items() if i not in before]
        assert [(v.locale, v.helpful, v.reason) for v in new] == [("ru", False, None)]
        form = pg.locator(".vote-reasons")
        expect(form.locator("legend")).to_have_text("Что с ней не так?")
        form.get_by_label("Ошибка или устаревшие сведения").check()
        form.locator(".vote-send").click()
        pg.wait_for_url("**/help/ru/obeshchannyi-platezh?voted=1#vote")
        assert pg.locator(".vote-reasons").count() == 0
        again = _votes(site, "promised-payment")
        assert [(again[v.id or 0].helpful, again[v.id or 0].reason) for v in new] == [(False, "wrong")]  # amended
    finally:
        context.close()


def _ask(site: Site, *questions: tuple[str, int]) -> None:
    """Questions no article answers, asked through the widget: the server logs them as content gaps."""
    with client(site) as http:
        for question, times in questions:
            for _ in range(times):
                got = http.get("/widget/answer", params={"q": question, "locale": "en"})
                assert got.status_code == 200 and got.json()["status"] == "handoff", got.text


def _listed(site: Site, *, dismissed: bool = False) -> dict[str, kb.GapGroup]:
    engine = site.engine()
    try:
        with kb.read_session(engine) as session:
            return {g.question: g for g in kb.list_gaps(session=session, dismissed=dismissed, limit=1000)}
    finally:
        engine.dispose()


def test_an_editor_dismisses_one_gap_and_merges_two(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:6]
    noise, where, address = f"qqzx{tag} vorpal", f"qqzx{tag} blorft zindle", f"qqzx{tag} zindle blorftish"
    _ask(site, (noise, 1), (where, 3), (address, 2))
    login(page, site, "editor", "/admin/gaps")  # the page writes what the server noted before it lists
    page.wait_for_url("**/admin/gaps")

    def row(text: str) -> Locator:
        return page.locator("table.grid tbody tr").filter(has_text=text)

    row(noise).locator(".gap-dismiss").click()
    expect(page.locator(".flash")).to_contain_text("dismissed")
    expect(row(noise)).to_have_count(0)
    assert noise in _listed(site, dismissed=True) and noise not in _listed(site)

    before = _listed(site)
    total = before[where].count + before[address].count
    row(where).locator("input[type=checkbox]").check()
    row(address).locator("input[type=checkbox]").check()
    page.locator(".gap-merge").click()
    expect(page.locator(".flash")).to_contain_text("merged into gap")
    expect(row(address)).to_have_count(1)  # listed as an example of the group, not as a row of its own
    merged = row(where)
    expect(merged.locator("td").nth(4)).to_have_text(str(total))
    merged.locator(".gap-examples summary").click()
    expect(merged.locator(".gap-examples li")).to_have_text([address])
    page.screenshot(path=str(site.shots / "admin-gaps-merged.png"), full_page=True)
    groups = _listed(site)
    assert address not in groups and (groups[where].count, groups[where].examples) == (total, (address,))

    page.goto(f"{site.base}/admin/gaps?show=dismissed")
    row(noise).locator(".gap-restore").click()
    expect(page.locator(".flash")).to_contain_text("listed again")
    assert noise in _listed(site)


def test_gap_actions_need_an_editor_and_the_forms_token(site: Site) -> None:
    tag = uuid.uuid4().hex[:6]
    _ask(site, (f"qqzy{tag} snorkwhistle", 1))
    editor = http_login(site, "editor")
    assert editor.get("/admin/gaps").status_code == 200  # the page writes what the server noted
    gap = _listed(site)[f"qqzy{tag} snorkwhistle"]
    forged = editor.post("/admin/gaps/dismiss", data={"csrf": "forged", "gap_id": str(gap.id)})
    assert forged.status_code == 403
    operator = http_login(site, "operator")
    denied = operator.post("/admin/gaps/dismiss", data={"csrf": "any", "gap_id": str(gap.id)})
    assert denied.status_code == 403  # the role is checked first
    assert f"qqzy{tag} snorkwhistle" in _listed(site)  # nothing changed
    ok = editor.post("/admin/gaps/dismiss", data={"csrf": csrf_of(editor, "/admin/gaps"), "gap_id": str(gap.id)})
    assert ok.status_code == 303 and "dismissed" in ok.headers["location"]
    assert f"qqzy{tag} snorkwhistle" not in _listed(site)
    engine = site.engine()
    try:
        with kb.read_session(engine) as session:
            audit = kb.audit_entries(session=session, action="gap.dismiss", limit=20)
        assert any(e.target == f"gaps/{gap.id}" and e.actor == "editor1" for e in audit)
    finally:
        engine.dispose()


def test_the_reasons_form_is_accessible_and_in_ukrainian(browser: Browser, site: Site) -> None:
    if not AXE.exists():
        missing_tool(f"axe-core is not installed at {AXE} (make install runs npm install axe-core)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 800})
    try:
        pg = context.new_page()
        pg.goto(f"{site.base}/help/uk/{UK_SLUG}?voted=no")
        expect(pg.locator(".vote-reasons legend")).to_have_text("Що з нею не так?")
        expect(pg.locator(".vote-reasons label.vote-reason")).to_have_count(5)
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == []
    finally:
        context.close()
