"""The editors' desk, edges (issue #16), over HTTP. The review tests run on a server of their own,
since the shared site reviews nothing: billing needs one editor's approval there, admins publish
directly.

* rolling back to billing text never approved offers an admin an explicit, confirmed emergency
  rollback, audited as such, and an editor no such control (a forged post is refused);
* an operator's `/account` carries the panel's header: no admin section, every link answers 200;
* a reviewer limited to some categories or locales cannot approve or send back an article outside
  them, by the API (403 problem+json naming them) nor in the admin.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import col, select

import kb
from tests.pages.conftest import Site, client, csrf_of, http_login, serve_reviewed_site

PROBLEM = "application/problem+json"
PASSWORD = "limited-reviewer-password"
RULES = "default:\n  approvals: 0\nbilling:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    """A server whose workflow reviews billing articles, with an admin and an editor signing in."""
    yield from serve_reviewed_site(tmp_path_factory.mktemp("admin-edges"), sqlite_template, RULES, ISTOK_SEMANTIC="0")


def _key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _source(key: str, body: str, *, locale: str = "en", category: str = "billing") -> str:
    return (
        f"---\nkey: {key}\nlocale: {locale}\ntitle: Edges {key}\ncategory: {category}\n"
        f"summary: An article the admin edges tests create.\n---\n{body}\n"
    )


def _two_live_revisions(site: Site, key: str, *, category: str = "billing") -> None:
    """Revisions 1 and 2, each published by the system (no review): neither text was ever approved."""
    engine = site.engine()
    base = None
    for body in ("The first answer.", "The second answer."):
        with kb.write_session(engine) as session:
            saved = kb.save_draft(
                session=session, source=_source(key, body, category=category), base_revision=base, actor="test"
            )
            kb.publish(session=session, article=saved.article, actor="test")
            base = saved.revision.number
    engine.dispose()


def _live(site: Site, key: str, locale: str = "en") -> tuple[int | None, str]:
    """The live revision number and its text's body line."""
    engine = site.engine()
    with kb.read_session(engine) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        live = article.published_revision
        text = kb.get_revision(session=session, article=article, number=live or 0).source if live else ""
    engine.dispose()
    return live, text.rstrip().rsplit("\n", 1)[-1]


def _rollbacks(site: Site, key: str) -> list[kb.AuditEntry]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        rows = list(
            session.exec(
                select(kb.AuditEntry)
                .where(kb.AuditEntry.action == "article.rollback", kb.AuditEntry.target == f"en/{key}")
                .order_by(col(kb.AuditEntry.id))
            )
        )
    engine.dispose()
    return rows


def _flash(reply: httpx.Response) -> tuple[str, str]:
    assert reply.status_code == 303, reply.text
    query = parse_qs(urlsplit(reply.headers["location"]).query)
    return query.get("kind", ["ok"])[0], query.get("flash", [""])[0]


def _roll_back(http: httpx.Client, key: str, **extra: str) -> httpx.Response:
    data = {"csrf": csrf_of(http), "revision": "1", "base": "2", "confirmed": "yes", **extra}
    return http.post(f"/admin/articles/en/{key}/rollback", data=data)


# ---- 1. the emergency rollback ----


def test_an_admin_rolls_back_to_unapproved_text_only_through_the_confirmed_emergency_control(reviewed: Site) -> None:
    key = _key("edges-rollback")
    _two_live_revisions(reviewed, key)
    admin = http_login(reviewed, "admin")
    try:
        asked = admin.get(f"/admin/articles/en/{key}/confirm/rollback?revision=1&base=2")
        assert asked.status_code == 200
        form = re.search(r'<form[^>]*id="emergency-rollback"[^>]*>(.*?)</form>', asked.text, re.S)
        assert form is not None, "the admin is offered no emergency rollback"
        assert re.search(r'<input type="checkbox" id="rb-emergency" name="emergency" value="yes" required>', form[1])
        assert 'name="confirmed" value="yes"' in form[1] and "as an emergency" in form[1]
        assert "Yes, roll back to revision 1</button>" not in asked.text  # the plain button would only fail

        kind, flash = _flash(_roll_back(admin, key))  # the box not ticked: the workflow's refusal, nothing done
        assert kind == "error" and "needs 1 approval" in flash
        assert _live(reviewed, key) == (2, "The second answer.") and _rollbacks(reviewed, key) == []

        kind, flash = _flash(_roll_back(admin, key, emergency="yes"))
        assert (kind, flash) == ("ok", "Rolled back: revision 3 is live")
    finally:
        admin.close()
    assert _live(reviewed, key) == (3, "The first answer.")
    [audited] = _rollbacks(reviewed, key)
    assert audited.actor == "admin1" and audited.new_revision == 3
    assert audited.detail == {"to": 1, "emergency": True}


def test_an_editor_never_sees_the_emergency_rollback_and_a_forged_one_is_refused(reviewed: Site) -> None:
    key = _key("edges-rollback-editor")
    _two_live_revisions(reviewed, key)
    editor = http_login(reviewed, "editor")
    try:
        asked = editor.get(f"/admin/articles/en/{key}/confirm/rollback?revision=1&base=2")
        assert asked.status_code == 200
        assert "emergency-rollback" not in asked.text and 'name="emergency"' not in asked.text
        assert 'id="confirm-review"' in asked.text and 'id="confirm-who"' in asked.text
        kind, flash = _flash(_roll_back(editor, key, emergency="yes"))
    finally:
        editor.close()
    assert kind == "error" and "may not publish 'billing' articles without review" in flash
    assert _live(reviewed, key) == (2, "The second answer.") and _rollbacks(reviewed, key) == []


def test_a_rollback_its_workflow_does_not_review_keeps_the_plain_confirmation(reviewed: Site) -> None:
    key = _key("edges-rollback-plain")
    _two_live_revisions(reviewed, key, category="mobile-internet")
    admin = http_login(reviewed, "admin")
    try:
        asked = admin.get(f"/admin/articles/en/{key}/confirm/rollback?revision=1&base=2").text
        kind, _ = _flash(_roll_back(admin, key))
    finally:
        admin.close()
    assert "Yes, roll back to revision 1</button>" in asked and "emergency-rollback" not in asked
    assert kind == "ok" and _live(reviewed, key) == (3, "The first answer.")
    assert [e.detail for e in _rollbacks(reviewed, key)] == [{"to": 1}]


# ---- 2. an operator's account page ----


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', page)]


def test_an_operators_account_page_has_the_panels_header_and_no_link_to_a_403(site: Site) -> None:
    operator = http_login(site, "operator")
    try:
        account = operator.get("/account")
        assert account.status_code == 200
        links = [href for href in _links(account.text) if href.startswith("/")]
        assert "/panel" in links and "/account" in links
        assert not [href for href in links if href.startswith("/admin")], links
        assert "Istok admin" not in account.text and "Admin sections" not in account.text
        answers = {href: operator.get(href, follow_redirects=True).status_code for href in sorted(set(links))}
    finally:
        operator.close()
    assert answers and all(status == 200 for status in answers.values()), answers


def test_an_editors_account_page_keeps_the_admin_header(site: Site) -> None:
    editor = http_login(site, "editor")
    try:
        links = _links(editor.get("/account").text)
    finally:
        editor.close()
    assert "/admin" in links and "/admin/reviews" in links and "/panel" not in links


# ---- 4. review decisions within the reviewer's rights ----


@pytest.fixture(scope="module")
def limited(reviewed: Site) -> tuple[str, str]:
    """A key and a person, both editors limited to billing in uk: (key secret, user name)."""
    engine = reviewed.engine()
    rights = kb.make_rights(categories=["billing"], locales=["uk"])
    name = _key("reviewer-uk")
    with kb.write_session(engine) as session:
        secret = kb.create_key(session=session, name=name, role="editor", actor="test", rights=rights)[1]
        kb.create_user(session=session, username=name, password=PASSWORD, role="editor", actor="test")
        kb.set_rights(session=session, username=name, categories=["billing"], locales=["uk"], actor="test")
    engine.dispose()
    return secret, name


def _submitted(site: Site, locale: str) -> str:
    """A billing draft by the system, submitted for review: its key."""
    key = _key(f"edges-review-{locale}")
    engine = site.engine()
    with kb.write_session(engine) as session:
        saved = kb.save_draft(
            session=session, source=_source(key, "Pay.", locale=locale), base_revision=None, actor="test"
        )
        kb.submit_review(session, saved.article, actor="test")
    engine.dispose()
    return key


def _review_state(site: Site, key: str, locale: str) -> tuple[kb.ReviewState, tuple[str, ...]]:
    engine = site.engine()
    with kb.read_session(engine) as session:
        review = kb.review_of(session, kb.get_article(session=session, key=key, locale=locale))
    engine.dispose()
    return review.state, review.approved_by


def test_the_api_refuses_a_review_decision_outside_the_reviewers_rights(
    reviewed: Site, limited: tuple[str, str]
) -> None:
    secret, name = limited
    outside, inside = _submitted(reviewed, "en"), _submitted(reviewed, "uk")
    with httpx.Client(base_url=reviewed.base, timeout=30, headers={"Authorization": f"Bearer {secret}"}) as api:
        refused = [
            api.post(f"/api/v1/articles/en/{outside}/revisions/1/approve", json={"comment": "fine"}),
            api.post(f"/api/v1/articles/en/{outside}/revisions/1/request-changes", json={"comment": "no"}),
        ]
        approved = api.post(f"/api/v1/articles/uk/{inside}/revisions/1/approve", json={})
    for reply in refused:
        assert reply.status_code == 403, reply.text
        assert reply.headers["content-type"].startswith(PROBLEM)
        body = reply.json()
        assert body["type"].endswith("/outside-rights")
        assert (body["category"], body["locale"]) == ("billing", "en") and "locale 'en'" in body["detail"]
    assert _review_state(reviewed, outside, "en") == (kb.ReviewState.PENDING, ())
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == [name]


def test_the_admin_offers_and_takes_no_decision_outside_the_reviewers_rights(
    reviewed: Site, limited: tuple[str, str]
) -> None:
    _, name = limited
    outside = _submitted(reviewed, "en")
    http = client(reviewed)
    try:
        done = http.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf": csrf_of(http, "/login"), "next": "/admin"}
        )
        assert done.status_code == 303, done.text
        page = http.get(f"/admin/articles/en/{outside}")
        assert page.status_code == 200 and 'id="review-state"' in page.text
        assert 'id="review-decision"' not in page.text
        queue = http.get("/admin/reviews").text
        posted = http.post(
            f"/admin/articles/en/{outside}/review/approve", data={"csrf": csrf_of(http), "revision": "1"}
        )
    finally:
        http.close()
    assert f'id="review-en-{outside}"' not in queue and f"en/{outside}" in queue  # others', not theirs
    kind, flash = _flash(posted)
    assert kind == "error" and f"{name} may not approve articles in category 'billing', locale 'en'" in flash
    assert _review_state(reviewed, outside, "en") == (kb.ReviewState.PENDING, ())


def test_the_emergency_publish_is_offered_only_within_the_publishers_rights(reviewed: Site) -> None:
    """The workflow lets admins publish directly, yet one limited to uk has no such control for en."""
    name = _key("admin-uk")
    engine = reviewed.engine()
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username=name, password=PASSWORD, role="admin", actor="test")
        kb.set_rights(session=session, username=name, categories=[], locales=["uk"], actor="test")
    engine.dispose()
    english, ukrainian = _submitted(reviewed, "en"), _submitted(reviewed, "uk")
    http = client(reviewed)
    try:
        done = http.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf": csrf_of(http, "/login"), "next": "/admin"}
        )
        assert done.status_code == 303, done.text
        outside = http.get(f"/admin/articles/en/{english}").text
        inside = http.get(f"/admin/articles/uk/{ukrainian}").text
    finally:
        http.close()
    assert 'id="review-state"' in outside and 'id="emergency-publish"' not in outside
    assert 'id="emergency-publish"' in inside
    unlimited = http_login(reviewed, "admin")
    try:
        assert 'id="emergency-publish"' in unlimited.get(f"/admin/articles/en/{english}").text
    finally:
        unlimited.close()
