"""Deleting a fact under the `facts` workflow from the client: without `emergency` it comes back as the
proposal the server made of it (the fact stays); with `emergency` an admin deletes it at once, audited
as such, and an editor, who may not publish directly, is refused. The same for both transports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

import kb
from istok_client import AsyncClient, Client, Forbidden, NotFound
from tests.api.conftest import Live, sample_server

RULES = "facts:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """A server of its own: the package's shared one reviews no fact changes."""
    data_dir = tmp_path_factory.mktemp("client-fact-review")
    rules = data_dir / "workflows.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = {"ISTOK_WORKFLOWS": str(rules), "ISTOK_SEMANTIC": "0", "ISTOK_RATE_LIMIT": "100000"}
    yield from sample_server(data_dir, sqlite_template, **env)


def _fact(live: Live) -> str:
    """A fact of this test's own, set by the system (no review)."""
    key = f"client_emergency_{uuid.uuid4().hex[:8]}"
    engine = live.engine()
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key=key, type="text", value="soon gone", base_version=None, actor="test")
    engine.dispose()
    return key


def _deletions(live: Live, key: str) -> list[kb.AuditEntry]:
    engine = live.engine()
    with kb.read_session(engine) as session:
        rows = session.exec(
            select(kb.AuditEntry)
            .where(kb.AuditEntry.action == "fact.delete", kb.AuditEntry.target == key)
            .order_by(col(kb.AuditEntry.id))
        )
        found = list(rows)
    engine.dispose()
    return found


def test_a_delete_under_review_is_proposed_unless_an_admin_says_emergency(reviewed: Live) -> None:
    key = _fact(reviewed)
    with Client(reviewed.base, api_key=reviewed.keys["editor"]) as editor:
        fact = editor.get_fact(key)
        proposal = editor.delete_fact(key, base=fact)
        assert proposal is not None
        assert (proposal["key"], proposal["action"], proposal["state"]) == (key, "delete", "pending")
        assert editor.get_fact(key)["value"] == "soon gone"  # proposed, not gone
        with pytest.raises(Forbidden, match="may not change facts without review"):
            editor.delete_fact(key, base=fact, emergency=True)
        assert editor.get_fact(key)["value"] == "soon gone"
    assert _deletions(reviewed, key) == []
    with Client(reviewed.base, api_key=reviewed.keys["admin"]) as admin:
        assert admin.delete_fact(key, base=fact, emergency=True) is None
        with pytest.raises(NotFound):
            admin.get_fact(key)
    [audited] = _deletions(reviewed, key)
    assert audited.actor == "test-admin" and audited.detail == {"emergency": True}


async def test_the_async_client_sends_emergency_too(reviewed: Live) -> None:
    key = _fact(reviewed)
    async with AsyncClient(reviewed.base, api_key=reviewed.keys["admin"]) as admin:
        fact = await admin.get_fact(key)
        assert await admin.delete_fact(key, base=fact, emergency=True) is None
        with pytest.raises(NotFound):
            await admin.get_fact(key)
    assert [e.detail for e in _deletions(reviewed, key)] == [{"emergency": True}]
