"""The admin facts page under a `facts` workflow, over HTTP: an editor's save is proposed, not live;
the proposer sees no approve button for their own change; another reviewer approves and applies it;
a request for changes withdraws a proposal; an admin's emergency save goes live at once, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

import kb
from tests.pages.conftest import PASSWORDS, Site, csrf_of, http_login, serve_reviewed_site

RULES = "facts:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"


def _seed(session: Session) -> None:
    kb.create_user(session=session, username="rita", password=PASSWORDS["editor"], role="editor", actor="test")
    kb.set_fact(session=session, key="page_fee", type="text", value="5 EUR", base_version=None, actor="test")


@pytest.fixture(scope="module")
def reviewed_site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    yield from serve_reviewed_site(tmp_path_factory.mktemp("fact-review-pages"), sqlite_template, RULES, _seed)


def _rita(site: Site) -> httpx.Client:
    http = httpx.Client(base_url=site.base, timeout=30, follow_redirects=False)
    token = csrf_of(http, "/login")
    done = http.post("/login", data={"username": "rita", "password": PASSWORDS["editor"], "csrf": token, "next": "/"})
    assert done.status_code == 303, done.text
    return http


def _value(site: Site) -> str:
    with kb.read_session(site.engine()) as session:
        return str(kb.get_fact(session=session, key="page_fee").value)


def _version(site: Site) -> int:
    with kb.read_session(site.engine()) as session:
        return kb.get_fact(session=session, key="page_fee").version


def _save(site: Site, http: httpx.Client, value: str, **extra: str) -> httpx.Response:
    csrf = csrf_of(http, "/admin/facts")
    data = {"csrf": csrf, "key": "page_fee", "type": "text", "value": value, "version": str(_version(site)), **extra}
    return http.post("/admin/facts", data=data, follow_redirects=True)


def _pending(site: Site) -> list[kb.FactReview]:
    with kb.read_session(site.engine()) as session:
        return kb.fact_proposals(session, key="page_fee")


def test_a_save_is_proposed_then_approved_and_applied_by_another(reviewed_site: Site) -> None:
    site = reviewed_site
    ann, rita = http_login(site, "editor"), _rita(site)
    try:
        saved = _save(site, ann, "6 EUR")
        assert saved.status_code == 200 and "waits for review" in saved.text
        assert _value(site) == "5 EUR"
        [review] = _pending(site)
        pid = review.proposal.id
        own_page = ann.get("/admin/facts").text
        assert "Changes waiting for review" in own_page and "6 EUR" in own_page
        assert f"/admin/facts/proposals/{pid}/approve" not in own_page  # not for the proposer
        csrf = csrf_of(ann, "/admin/facts")
        refused = ann.post(f"/admin/facts/proposals/{pid}/approve", data={"csrf": csrf}, follow_redirects=True)
        assert "someone else must approve" in refused.text
        page = rita.get("/admin/facts").text
        assert f"/admin/facts/proposals/{pid}/approve" in page
        csrf = csrf_of(rita, "/admin/facts")
        approved = rita.post(f"/admin/facts/proposals/{pid}/approve", data={"csrf": csrf}, follow_redirects=True)
        assert f"Proposal {pid} approved" in approved.text and _value(site) == "5 EUR"
        assert f"/admin/facts/proposals/{pid}/apply" in approved.text
        applied = rita.post(f"/admin/facts/proposals/{pid}/apply", data={"csrf": csrf}, follow_redirects=True)
        assert f"Proposal {pid} is live" in applied.text
        assert _value(site) == "6 EUR" and _pending(site) == []
        forged = rita.post(f"/admin/facts/proposals/{pid}/apply", data={"csrf": "forged"})
        assert forged.status_code == 403
    finally:
        ann.close()
        rita.close()


def test_request_changes_withdraws_and_emergency_goes_live(reviewed_site: Site) -> None:
    site = reviewed_site
    ann, rita, admin = http_login(site, "editor"), _rita(site), http_login(site, "admin")
    try:
        _save(site, ann, "9 EUR")
        [review] = _pending(site)
        csrf = csrf_of(rita, "/admin/facts")
        sent = rita.post(
            f"/admin/facts/proposals/{review.proposal.id}/request-changes",
            data={"csrf": csrf, "comment": "Too much"},
            follow_redirects=True,
        )
        assert "sent back" in sent.text and _pending(site) == []
        assert "Emergency" not in ann.get("/admin/facts").text
        assert "Emergency" in admin.get("/admin/facts").text
        urgent = _save(site, admin, "7 EUR", emergency="true")
        assert "is now version" in urgent.text and _value(site) == "7 EUR"
        with kb.read_session(site.engine()) as session:
            last = session.exec(
                select(kb.AuditEntry).where(kb.AuditEntry.action == "fact.set").order_by(col(kb.AuditEntry.id).desc())
            ).first()
        assert last is not None and last.detail.get("emergency") is True and last.actor == "admin1"
    finally:
        for http in (ann, rita, admin):
            http.close()
