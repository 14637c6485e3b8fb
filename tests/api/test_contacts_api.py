"""Contact context over HTTP: bad addresses, merge conflicts and undo, roles, routing, policy."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import Live

NOON = "2026-11-23T12:00:00+00:00"
LATE = "2026-11-23T21:30:00+00:00"  # 23:30 in Riga: quiet hours


def _phone() -> str:
    """A fresh valid Latvian mobile number per call, so tests sharing a server never collide."""
    return "+37129" + str(uuid.uuid4().int)[:6]  # 29… is mobile throughout; some 23… ranges are unassigned


def _contact(live: Live, **body: object) -> int:
    r = live.client("operator").post("/api/v1/contacts", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.mark.parametrize(
    ("channel", "address", "words"),
    [
        ("phone", "12345", "no such number"),
        ("phone", "call me maybe", "not a phone number"),
        ("email", "anna@@sfera", "not a valid email"),
        ("email", "anna@localhost", "top-level"),
        ("fax", "123", "unknown channel"),
    ],
)
def test_invalid_addresses_get_422_with_a_clear_message(live: Live, channel: str, address: str, words: str) -> None:
    r = live.client("operator").post(
        "/api/v1/contacts", json={"identities": [{"channel": channel, "address": address}]}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"] and address in r.json()["detail"]
    lookup = live.client("bot").get("/api/v1/contacts/lookup", params={"channel": channel, "address": address})
    assert lookup.status_code == 422


def test_addresses_are_normalised_and_found_in_any_spelling(live: Live) -> None:
    email = f"Anna.{uuid.uuid4().hex[:6]}@Sfera.LV "
    cid = _contact(
        live, identities=[{"channel": "email", "address": email}, {"channel": "phone", "address": "22 123 456"}]
    )
    found = live.client("bot").get("/api/v1/contacts/lookup", params={"channel": "email", "address": email.lower()})
    assert found.status_code == 200 and found.json()["id"] == cid
    by_phone = live.client("operator").get(
        "/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37122123456"}
    )
    assert by_phone.json()["id"] == cid
    assert {"channel": "email", "address": email.strip().lower(), "verified_by": None} in by_phone.json()["identities"]


def test_the_same_phone_on_two_contacts_is_a_conflict(live: Live) -> None:
    phone = _phone()
    first = _contact(live, identities=[{"channel": "phone", "address": phone}])
    second = live.client("operator").post(
        "/api/v1/contacts", json={"identities": [{"channel": "phone", "address": phone}]}
    )
    assert second.status_code == 409 and f"contact {first}" in second.json()["detail"]
    other = _contact(live, name="Other")
    again = live.client("operator").post(
        f"/api/v1/contacts/{other}/identities", json={"channel": "phone", "address": phone}
    )
    assert again.status_code == 409
    same = live.client("operator").post(
        f"/api/v1/contacts/{first}/identities", json={"channel": "phone", "address": phone}
    )
    assert same.status_code == 200  # already this contact's: nothing to do
    assert live.client("operator").post(f"/api/v1/contacts/{first}/merge", json={"other": first}).status_code == 409


def test_a_merge_is_undone_from_its_record(live: Live) -> None:
    operator = live.client("operator")
    phone = _phone()
    kept = _contact(live, name="Kept", consent={"sales_call": True})
    other = _contact(
        live, name="Other", consent={"sales_call": False}, identities=[{"channel": "phone", "address": phone}]
    )
    operator.post(
        "/api/v1/interactions", json={"contact": other, "channel": "sms", "question": "q", "outcome": "answered"}
    )
    merge = operator.post(f"/api/v1/contacts/{kept}/merge", json={"other": other})
    assert merge.status_code == 200, merge.text
    profile = operator.get(f"/api/v1/contacts/{other}").json()  # the old id answers as the survivor
    assert profile["id"] == kept and profile["consent"] == {"sales_call": False}  # a "no" wins
    assert operator.post(f"/api/v1/contacts/{kept}/merge", json={"other": other}).status_code == 409
    undo = operator.post(f"/api/v1/contacts/merges/{merge.json()['id']}/undo")
    assert undo.status_code == 200 and undo.json()["undone_at"] is not None
    back = operator.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": phone}).json()
    assert back["id"] == other and back["name"] == "Other"
    assert operator.get(f"/api/v1/contacts/{kept}").json()["consent"] == {"sales_call": True}
    assert len(operator.get(f"/api/v1/contacts/{other}/context").json()["last_interactions"]) == 1
    assert operator.post(f"/api/v1/contacts/merges/{merge.json()['id']}/undo").status_code == 409


def test_roles_personal_data_needs_an_operator_and_export_an_admin(live: Live) -> None:
    cid = _contact(live, name="Private Person", identities=[{"channel": "phone", "address": _phone()}])
    bot, operator, editor = live.client("bot"), live.client("operator"), live.client("editor")
    assert bot.get(f"/api/v1/contacts/{cid}").json()["name"] is None
    assert operator.get(f"/api/v1/contacts/{cid}").json()["name"] == "Private Person"
    assert editor.get(f"/api/v1/contacts/{cid}").status_code == 403
    assert bot.post("/api/v1/contacts", json={}).status_code == 403
    assert operator.get(f"/api/v1/contacts/{cid}/export").status_code == 403
    assert operator.delete(f"/api/v1/contacts/{cid}").status_code == 403
    exported = live.client("admin").get(f"/api/v1/contacts/{cid}/export")
    assert exported.status_code == 200 and exported.json()["contact"]["name"] == "Private Person"
    assert live.client().get(f"/api/v1/contacts/{cid}").status_code == 401
    assert operator.get("/api/v1/contacts/999999").status_code == 404


def test_routing_keywords_win_then_the_article_category(live: Live) -> None:
    bot = live.client("bot")
    broken = bot.post("/api/v1/route", json={"message": "Домашний интернет не работает с утра"}).json()
    assert broken["queue"] == "technical" and "не работает" in broken["reason"] and broken["locale"] == "ru"
    assert broken["articles"] and broken["articles"][0]["key"] == "home-internet-not-working"
    plan = bot.post("/api/v1/route", json={"message": "how do I change my plan"}).json()
    assert (plan["queue"], plan["topic"], plan["locale"]) == ("sales", "tariffs", "en")
    uk = bot.post("/api/v1/route", json={"message": "Інтернет не працює"}).json()
    assert uk["queue"] == "technical" and uk["locale"] == "uk"


def test_policy_gives_every_reason(live: Live) -> None:
    bot, operator = live.client("bot"), live.client("operator")
    cid = _contact(live, consent={"marketing_sms": True})
    ok = bot.get(f"/api/v1/contacts/{cid}/policy", params={"action": "sales_call", "at": NOON}).json()
    assert ok["allowed"] is True
    late = bot.get(f"/api/v1/contacts/{cid}/policy", params={"action": "sales_call", "at": LATE}).json()
    assert late["allowed"] is False and "quiet hours" in late["reasons"][0]
    operator.patch(f"/api/v1/contacts/{cid}", json={"consent": {"sales_call": False, "marketing_sms": False}})
    out = bot.get(f"/api/v1/contacts/{cid}/policy", params={"action": "sales_call", "at": LATE}).json()
    assert out["allowed"] is False and any("opted out" in r for r in out["reasons"]) and len(out["reasons"]) == 2
    sms = bot.get(f"/api/v1/contacts/{cid}/policy", params={"action": "marketing_sms", "at": NOON}).json()
    assert any("no consent" in r for r in sms["reasons"])
    unknown = bot.get(f"/api/v1/contacts/{cid}/policy", params={"action": "carrier_pigeon"})
    assert unknown.status_code == 422 and "sales_call" in unknown.json()["detail"]


def test_interactions_need_exactly_one_contact_and_a_real_revision(live: Live) -> None:
    bot = live.client("bot")
    neither = bot.post("/api/v1/interactions", json={"channel": "chat", "outcome": "answered"})
    assert neither.status_code == 422
    ghost = bot.post(
        "/api/v1/interactions",
        json={
            "identity": {"channel": "web", "address": f"v-{uuid.uuid4().hex[:6]}"},
            "channel": "chat",
            "outcome": "answered",
            "article": {"key": "top-up", "locale": "ru", "revision": 999},
        },
    )
    assert ghost.status_code == 404
    bad = bot.post("/api/v1/interactions", json={"contact": 1, "channel": "chat", "outcome": "shrugged"})
    assert bad.status_code in (404, 422)


def test_the_answer_endpoint_names_its_contact_clearly(live: Live) -> None:
    bot = live.client("bot")
    ask = {"q": "как пополнить счёт\x00", "locale": "ru", "channel": "bot"}
    assert bot.get("/api/v1/answer", params={**ask, "contact": 999999}).status_code == 404
    bad = bot.get("/api/v1/answer", params={**ask, "identity": "phone:12"})
    assert bad.status_code == 422 and "no such number" in bad.json()["detail"]
    both = bot.get("/api/v1/answer", params={**ask, "contact": 1, "identity": "web:x1"})
    assert both.status_code == 422
    plain = bot.get("/api/v1/answer", params=ask)
    assert plain.status_code == 200 and "X-Istok-Contact" not in plain.headers
    cid = _contact(live, segments=["business"])
    served = bot.get("/api/v1/answer", params={**ask, "contact": cid})
    assert served.status_code == 200 and served.headers["X-Istok-Contact"] == str(cid)
    assert served.json()["rendered"]["body"] == plain.json()["rendered"]["body"]  # no business variant in the sample


def test_a_contact_in_a_segment_gets_that_segments_channel_block(live: Live) -> None:
    editor, bot = live.client("editor"), live.client("bot")
    source = (
        "---\nkey: invoice-copy\nlocale: en\ntitle: How do I get a copy of my invoice?\ncategory: billing\n"
        "summary: Download it in the Sfera app.\n---\nDownload the invoice in the Sfera app under Bills.\n\n"
        "::: bot\nOpen Bills in the app and tap the invoice.\n:::\n\n"
        "::: bot segment=business\nYour account manager emails every invoice;"
        " the business portal keeps them all.\n:::\n"
    )
    put = editor.put("/api/v1/articles/en/invoice-copy", json={"source": source}, headers={"If-None-Match": "*"})
    assert put.status_code == 201, put.text
    assert editor.post("/api/v1/articles/en/invoice-copy/publish", json={}).status_code == 200
    ask = {"q": "how do I get a copy of my invoice", "locale": "en", "channel": "bot"}
    business = _contact(live, segments=["business"])
    private = _contact(live)
    for_business = bot.get("/api/v1/answer", params={**ask, "contact": business}).json()
    for_private = bot.get("/api/v1/answer", params={**ask, "contact": private}).json()
    assert for_business["provenance"]["key"] == "invoice-copy"
    assert "account manager" in for_business["rendered"]["body"]
    assert "tap the invoice" in for_private["rendered"]["body"]
