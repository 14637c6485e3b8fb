"""The story of issue #8 over real HTTP, on SQLite and PostgreSQL.

A visitor asks the widget about a failed top-up (anonymous chat), gives their phone, the
two contacts are merged, then they call: the IVR offers the top-up topic first, the
operator's panel context shows the open case and the article already served, a sales
call is refused while the case is open and allowed once it is resolved.
"""

from __future__ import annotations

import uuid

from tests.api.conftest import Live

PHONE = "+37129123456"
NOON = "2026-11-23T12:00:00+00:00"  # outside the default quiet hours (21:00-09:00 Europe/Riga)


def test_a_chat_continues_on_the_phone(live: Live) -> None:
    bot, operator = live.client("bot"), live.client("operator")
    visitor = f"visitor-{uuid.uuid4().hex[:8]}"

    # The client is already known by phone (from the CRM), with a roaming question last week.
    known = operator.post(
        "/api/v1/contacts",
        json={
            "name": "Zelma Quorinova",
            "locale": "ru",
            "consent": {"sales_call": True},
            "identities": [{"channel": "phone", "address": "+371 29 123 456"}, {"channel": "crm", "address": "C-1"}],
        },
    )
    assert known.status_code == 201, known.text
    client_id = known.json()["id"]
    assert {"channel": "phone", "address": PHONE, "verified_by": None} in known.json()["identities"]
    roaming = operator.post(
        "/api/v1/interactions",
        json={
            "contact": client_id,
            "channel": "phone",
            "question": "роуминг",
            "topic": "roaming",
            "outcome": "resolved",
        },
    )
    assert roaming.status_code == 201, roaming.text

    # An anonymous visitor asks the widget; the answer goes on a new contact's timeline.
    asked = bot.get(
        "/api/v1/answer",
        params={"q": "как пополнить счёт", "locale": "ru", "channel": "bot", "identity": f"web:{visitor}"},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "answered"
    assert asked.json()["provenance"]["key"] == "top-up"
    visitor_id = int(asked.headers["X-Istok-Contact"])
    assert visitor_id != client_id

    # It did not help: the widget hands over; routing finds the topic, a case opens.
    handoff = bot.post(
        "/api/v1/interactions",
        json={
            "identity": {"channel": "web", "address": visitor},
            "channel": "chat",
            "question": "пополнил картой, а деньги не пришли",
            "outcome": "handoff",
        },
    )
    assert handoff.status_code == 201, handoff.text
    assert handoff.json()["contact"] == visitor_id and not handoff.json()["created_contact"]
    case_id = handoff.json()["case"]
    assert case_id is not None

    # The visitor gives their phone: it belongs to the known client, so the two are merged.
    taken = bot.post(f"/api/v1/contacts/{visitor_id}/identities", json={"channel": "phone", "address": "29123456"})
    assert taken.status_code == 409
    assert taken.headers["content-type"].startswith("application/problem+json")
    assert f"contact {client_id}" in taken.json()["detail"]
    merged = operator.post(f"/api/v1/contacts/{client_id}/merge", json={"other": visitor_id})
    assert merged.status_code == 200, merged.text
    assert merged.json()["moved"]["cases"] == 1 and merged.json()["moved"]["interactions"] == 2

    # They call. The IVR offers billing (top-ups) first; an unknown caller hears the default order.
    menu = bot.get("/api/v1/ivr/menu", params={"caller": "0037129123456", "locale": "ru"})
    assert menu.status_code == 200, menu.text
    assert menu.json()["options"][0] == {"digit": "1", "topic": "billing", "label": "баланс, пополнение и счета"}
    assert menu.json()["personalised"] and menu.json()["ssml"].startswith("<speak")
    default = bot.get("/api/v1/ivr/menu", params={"caller": "+37129999999", "locale": "ru"}).json()
    assert [o["topic"] for o in default["options"]][:3] == ["tariffs", "mobile-internet", "billing"]
    assert not default["personalised"]

    # On the phone, a question on the same topic joins the chat's case.
    said = bot.get(
        "/api/v1/answer",
        params={"q": "как проверить баланс", "locale": "ru", "channel": "ivr", "identity": f"phone:{PHONE}"},
    )
    assert said.status_code == 200 and said.json()["status"] == "answered"
    assert said.headers["X-Istok-Contact"] == str(client_id)
    assert said.headers["X-Istok-Case"] == str(case_id)

    # The operator's panel: who, the open case with its last interaction, what was already served.
    panel = operator.get("/api/v1/contacts/context", params={"phone": "+371 29123456"})
    assert panel.status_code == 200, panel.text
    ctx = panel.json()
    assert ctx["contact"]["id"] == client_id and ctx["contact"]["name"] == "Zelma Quorinova"
    assert [(c["id"], c["topic"]) for c in ctx["open_cases"]] == [(case_id, "billing")]
    assert ctx["open_cases"][0]["last_interaction"]["channel"] == "ivr"
    assert {"top-up", "check-balance"} <= {a["key"] for a in ctx["served_articles"]}
    assert ctx["frequent_topics"][0] == {"topic": "billing", "count": 3}
    assert {i["channel"] for i in ctx["last_interactions"]} >= {"bot", "chat", "ivr", "phone"}
    assert all(s["key"] not in {"top-up", "check-balance"} for s in ctx["suggested_articles"])
    assert operator.get(f"/api/v1/contacts/{visitor_id}/context").json()["contact"]["id"] == client_id

    # A bot sees what a conversation needs, and no personal data.
    seen_by_bot = bot.get(f"/api/v1/contacts/{client_id}/context").json()
    assert seen_by_bot["contact"]["name"] is None and seen_by_bot["contact"]["identities"] == []
    assert seen_by_bot["open_cases"][0]["id"] == case_id

    # Sales may not call while the support case is open; after it is resolved they may.
    refused = bot.get(f"/api/v1/contacts/{client_id}/policy", params={"action": "sales_call", "at": NOON}).json()
    assert refused["allowed"] is False
    assert any("open support case" in r for r in refused["reasons"])
    resolved = operator.post(f"/api/v1/cases/{case_id}/resolve")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    allowed = bot.get(f"/api/v1/contacts/{client_id}/policy", params={"action": "sales_call", "at": NOON}).json()
    assert allowed == {**allowed, "allowed": True, "reasons": []}
    history = operator.get("/api/v1/cases", params={"contact": visitor_id, "status": "resolved"}).json()
    assert [(c["id"], c["channel"], c["last_interaction"]["channel"]) for c in history] == [(case_id, "chat", "ivr")]

    # Every profile access was audited, by contact id only.
    audit = live.client("admin").get("/api/v1/audit", params={"limit": 100}).json()["items"]
    actions = {a["action"] for a in audit if a["target"] == f"contact {client_id}"}
    assert {"contact.context", "contact.merge", "contact.policy", "contact.ivr", "contact.answer"} <= actions
    assert PHONE not in str(audit)
