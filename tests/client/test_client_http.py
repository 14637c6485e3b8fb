"""The blocking client against a real Istok over HTTP: answers, articles with ETags, typed errors, contacts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import istok_client
from istok_client import (
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    IstokError,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
)
from istok_client.errors import error_from
from tests.api.conftest import Live


@pytest.fixture(scope="module")
def bot(istok: Live) -> Iterator[Client]:
    with Client(istok.base, api_key=istok.keys["bot"]) as client:
        yield client


@pytest.fixture(scope="module")
def editor(istok: Live) -> Iterator[Client]:
    with Client(istok.base, api_key=istok.keys["editor"]) as client:
        yield client


@pytest.fixture(scope="module")
def operator(istok: Live) -> Iterator[Client]:
    with Client(istok.base, api_key=istok.keys["operator"]) as client:
        yield client


@pytest.mark.parametrize(
    ("locale", "question", "key"),
    [
        ("ru", "как проверить баланс на телефоне", "check-balance"),
        ("uk", "як поповнити рахунок", "top-up"),
        ("en", "how do I check my balance", "check-balance"),
    ],
)
def test_a_question_is_answered_with_provenance_in_its_language(
    bot: Client, locale: str, question: str, key: str
) -> None:
    reply = bot.answer(question, locale=locale, channel="bot")
    assert reply["status"] == "answered" and reply["provenance"] is not None
    assert (reply["provenance"]["key"], reply["locale"]) == (key, locale)
    assert reply["rendered"] is not None and reply["rendered"]["channel"] == "bot" and reply["rendered"]["body"]


def test_nonsense_is_handed_off(bot: Client) -> None:
    reply = bot.answer("рецепт борща с пампушками", locale="ru", channel="ivr")
    assert reply["status"] == "handoff" and reply["rendered"] is None


def test_search_ranks_published_articles_with_snippets(bot: Client) -> None:
    found = bot.search("баланс", locale="ru", per_page=5)
    assert found["hits"] and found["hits"][0]["key"] == "check-balance" and found["per_page"] == 5
    assert all(hit["locale"] == "ru" and hit["snippet"] for hit in found["hits"])


def test_an_article_is_changed_with_its_etag_and_a_stale_one_is_refused(editor: Client) -> None:
    article = editor.get_article("en", "check-balance")
    assert article["etag"] == f'"r{article["draft_revision"]}"'
    changed = article["source"].replace("Check your balance", "Check your balance", 1) + "\nOne more line.\n"
    saved = editor.save_article("en", "check-balance", changed, base=article, message="client test")
    assert saved["draft_revision"] == article["draft_revision"] + 1 and saved["etag"] != article["etag"]
    assert editor.get_article("en", "check-balance")["source"] == saved["source"]

    with pytest.raises(PreconditionFailed) as stale:
        editor.save_article("en", "check-balance", changed + "\nAnd another.\n", base=article)
    assert stale.value.status == 412 and stale.value.type.startswith("https://istok.dev/problems/")
    assert stale.value.problem["status"] == 412 and stale.value.detail
    assert editor.get_article("en", "check-balance")["draft_revision"] == saved["draft_revision"]  # nothing changed

    again = editor.save_article("en", "check-balance", changed + "\nAnd another.\n", base=saved["etag"])
    published = editor.publish_article("en", "check-balance")
    assert published["changed"] and published["published_revision"] == again["draft_revision"]
    revisions = editor.list_revisions("en", "check-balance")
    assert [r["number"] for r in revisions][-1] == again["draft_revision"]
    diff = editor.diff_revisions("en", "check-balance", article["draft_revision"], again["draft_revision"])
    assert "+And another." in diff["diff"]


def test_creating_sends_if_none_match_so_an_existing_article_is_not_overwritten(editor: Client) -> None:
    key = f"client-{uuid.uuid4().hex[:8]}"
    source = f"---\nkey: {key}\nlocale: en\ntitle: Client test\nsummary: A test.\n---\nBody.\n"
    created = editor.create_article("en", key, source)
    assert created["draft_revision"] == 1 and created["status"] == "draft"
    with pytest.raises(PreconditionFailed):
        editor.create_article("en", key, source)


def test_a_change_without_if_match_is_a_typed_428(istok: Live) -> None:
    """The client always sends a precondition; the mapping is checked on the server's own answer."""
    with istok.client("editor") as raw:
        source = raw.get("/api/v1/articles/en/check-balance").json()["source"]
        response = raw.put("/api/v1/articles/en/check-balance", json={"source": source})
    error = error_from(response)
    assert isinstance(error, PreconditionRequired) and error.status == 428 and "If-Match" in error.detail


def test_a_missing_article_is_not_found(editor: Client) -> None:
    with pytest.raises(NotFound) as missing:
        editor.get_article("ru", "no-such-article")
    assert missing.value.status == 404 and missing.value.title and "no-such-article" in str(missing.value)


def test_a_bad_key_is_unauthorized(istok: Live) -> None:
    with Client(istok.base, api_key="not-a-key") as stranger, pytest.raises(Unauthorized) as refused:
        stranger.answer("баланс", locale="ru")
    assert refused.value.status == 401 and refused.value.headers.get("www-authenticate", "").startswith("Bearer")


def test_a_role_that_may_not_write_is_forbidden(bot: Client, editor: Client) -> None:
    article = editor.get_article("ru", "check-balance")
    with pytest.raises(Forbidden) as refused:
        bot.save_article("ru", "check-balance", article["source"], base=article)
    assert refused.value.status == 403 and "bot" in refused.value.detail


def test_bad_input_is_an_invalid_request_naming_the_field(bot: Client) -> None:
    with pytest.raises(InvalidRequest) as invalid:
        bot.search("баланс", locale="ru", per_page=1000)
    assert invalid.value.status == 422 and any(e["loc"][-1] == "per_page" for e in invalid.value.errors)
    assert isinstance(invalid.value, IstokError)


def test_facts_and_synonyms_change_with_their_etags(editor: Client) -> None:
    key = f"client_{uuid.uuid4().hex[:8]}"
    fact = editor.create_fact(key, type="text", value="первое", locales={"en": "first"})
    assert editor.get_fact(key)["etag"] == fact["etag"]
    updated = editor.update_fact(key, type="text", value="второе", base=fact)
    assert updated["version"] == fact["version"] + 1 and updated["value"] == "второе"
    with pytest.raises(PreconditionFailed):
        editor.update_fact(key, type="text", value="третье", base=fact)
    assert {v["version"] for v in editor.list_fact_versions(key)} == {fact["version"], updated["version"]}
    with pytest.raises(PreconditionFailed):
        editor.delete_fact(key, base=fact)
    assert editor.delete_fact(key, base=updated) is None
    assert key not in {f["key"] for f in editor.list_facts()}

    made = editor.create_synonyms("ru", ["симка", "сим-карта"])
    changed = editor.update_synonyms(made["id"], ["симка", "сим-карта", "симкарта"], base=made)
    assert changed["terms"][-1] == "симкарта" and editor.get_synonyms(made["id"])["etag"] == changed["etag"]
    with pytest.raises(PreconditionFailed):
        editor.delete_synonyms(made["id"], base=made)
    assert editor.delete_synonyms(made["id"], base=changed) is None
    with pytest.raises(NotFound):
        editor.get_synonyms(made["id"])
    with pytest.raises(ValueError, match="ETag"):  # a list item carries none: the client says so, sends nothing
        editor.delete_fact("support_phone", base=editor.list_facts()[0])


def test_a_contact_is_found_by_identity_and_its_timeline_records_what_it_was_told(
    bot: Client, operator: Client
) -> None:
    identity: istok_client.Identity = {"channel": "telegram", "address": str(uuid.uuid4().int % 10**9)}
    contact = operator.create_contact(identities=[identity], name="Олена", locale="uk")
    assert operator.find_contact("telegram", identity["address"])["id"] == contact["id"]
    with pytest.raises(Conflict):
        operator.create_contact(identities=[identity])

    reply = bot.answer("як поповнити рахунок", locale="uk", channel="bot", identity=identity)
    assert reply["provenance"] is not None
    served = reply["provenance"]
    ref: istok_client.ArticleRef = {"key": served["key"], "locale": served["locale"], "revision": served["revision"]}
    recorded = bot.record_interaction(
        channel="telegram", identity=identity, question="дякую", article=ref, outcome="resolved", locale="uk"
    )
    assert recorded["contact"] == contact["id"] and not recorded["created_contact"]

    context = operator.get_context(contact["id"])
    assert context["contact"]["id"] == contact["id"]
    assert {s["key"] for s in context["served_articles"]} >= {"top-up"}
    assert operator.find_context(identity=f"telegram:{identity['address']}")["contact"]["id"] == contact["id"]
    renamed = operator.update_contact(contact["id"], {"name": "Олена П."})
    assert renamed["name"] == "Олена П."
    cases = operator.list_cases(contact["id"])
    assert all(case["contact"] == contact["id"] for case in cases)


def test_a_new_identity_gets_a_contact_on_first_sight(bot: Client) -> None:
    recorded = bot.record_interaction(
        channel="web", identity={"channel": "web", "address": f"v-{uuid.uuid4().hex[:8]}"}, outcome="handoff"
    )
    assert recorded["created_contact"] and recorded["contact"] > 0


def test_the_ivr_menu_render_changes_and_health(bot: Client, istok: Live) -> None:
    menu = bot.ivr_menu(locale="ru")
    assert menu["options"] and menu["ssml"].startswith("<")
    unit = bot.render("ru", "check-balance", "sms")
    assert unit["content_type"].startswith("text/plain") and unit["revision"] >= 1 and len(unit["content_hash"]) == 64
    assert "segments" in unit["meta"]
    log = bot.list_changes(since=0, limit=5)
    assert log["items"] and log["next"] >= log["items"][-1]["seq"]
    assert bot.list_changes(since=log["last_seq"], wait=0.1)["items"] == []  # a long poll that saw nothing
    assert bot.health()["status"] == "ok"


def test_a_webhook_subscription_is_made_paused_and_removed(editor: Client) -> None:
    created = editor.create_webhook("http://127.0.0.1:9/istok", ["article.published"], description="client")
    assert created["secret"].startswith("whsec_") and created["state"] == "active"
    assert created["id"] in {w["id"] for w in editor.list_webhooks()}
    paused = editor.update_webhook(created["id"], {"state": "paused"})
    assert paused["state"] == "paused" and editor.get_webhook(created["id"])["state"] == "paused"
    assert editor.list_deliveries(created["id"], limit=5)["items"] == []
    assert editor.delete_webhook(created["id"]) is None
    with pytest.raises(NotFound):
        editor.get_webhook(created["id"])
