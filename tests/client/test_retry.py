"""Retries on 429 and 503: `Retry-After` honoured in both its forms, bounded, and POST kept safe.

Istok's own rate limit is exercised on a real server with a tiny limit; the 503s, HTTP-dates and
non-problem bodies the app does not send on demand come from a scripted local server.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import istok_client
from istok_client import Client, RateLimited, RetryPolicy, ServerError, ServiceUnavailable
from istok_client.retry import retry_after_seconds
from tests.api.conftest import Live, sample_server
from tests.client.conftest import Reply, Scripted

OK: Reply = (200, {}, {"status": "ok"})
NOW = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)


class Recording(httpx.HTTPTransport):
    """The real HTTP transport, noting each response's status."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """An Istok allowing one question a second (a burst of two) per key and address."""
    yield from sample_server(tmp_path_factory.mktemp("limited"), sqlite_template, ISTOK_RATE_LIMIT="1")


def test_istoks_rate_limit_is_waited_out_as_it_asks(limited: Live) -> None:
    once = Client(limited.base, api_key=limited.keys["bot"], retry=RetryPolicy(attempts=1))
    with once, pytest.raises(RateLimited) as limited_error:
        for _ in range(3):  # the burst is two
            once.search("баланс", locale="ru")
    assert limited_error.value.status == 429 and limited_error.value.retry_after is not None
    assert 1 <= limited_error.value.retry_after <= 2

    recording = Recording()
    with Client(limited.base, api_key=limited.keys["bot"], transport=recording) as patient:
        for _ in range(3):
            assert patient.search("баланс", locale="ru")["hits"]
    assert 429 in recording.statuses and recording.statuses[-1] == 200


def test_a_get_is_retried_after_429_with_delta_seconds(scripted: Scripted) -> None:
    scripted.answer((429, {"Retry-After": "0"}, {"title": "Too many", "status": 429}), OK)
    with Client(scripted.base, api_key="k") as client:
        assert client.health()["status"] == "ok"
    assert [(method, path) for method, path, _ in scripted.seen] == [("GET", "/healthz")] * 2


def test_a_get_is_retried_after_503_with_an_http_date(scripted: Scripted) -> None:
    past = email.utils.format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5), usegmt=True)
    scripted.answer((503, {"Retry-After": past}, {"title": "Unavailable", "status": 503}), OK)
    with Client(scripted.base) as client:
        assert client.health()["status"] == "ok"
    assert len(scripted.seen) == 2


def test_a_post_is_retried_after_429_but_never_after_503(scripted: Scripted) -> None:
    scripted.answer((429, {"Retry-After": "0"}, {"title": "Too many", "status": 429}), (200, {}, {"queue": "q"}))
    with Client(scripted.base) as client:
        assert client.suggest_route("hello")["queue"] == "q"
        assert len(scripted.seen) == 2

        scripted.answer((503, {"Retry-After": "0"}, {"title": "Unavailable", "status": 503, "detail": "db"}), OK)
        with pytest.raises(ServiceUnavailable) as unavailable:
            client.suggest_route("hello")
    assert len(scripted.seen) == 1 and unavailable.value.detail == "db" and unavailable.value.retry_after == 0


def test_an_interaction_naming_its_outside_message_is_retried_even_after_503(scripted: Scripted) -> None:
    """Istok records a `message` once per channel, so repeating the POST cannot record it twice."""
    recorded = {"interaction": 1, "contact": 2, "case": None, "created_contact": False, "at": "2026-03-03T12:00:00Z"}
    scripted.answer((503, {"Retry-After": "0"}, {"title": "Unavailable", "status": 503}), (201, {}, recorded))
    with Client(scripted.base) as client:
        assert client.record_interaction(channel="telegram", contact=2, outcome="answered", message="m-1") == recorded
    assert [method for method, _, _ in scripted.seen] == ["POST", "POST"]


def test_a_wait_longer_than_the_cap_raises_at_once_with_the_servers_wish(scripted: Scripted) -> None:
    scripted.answer((429, {"Retry-After": "120"}, {"title": "Too many", "status": 429}), OK)
    with Client(scripted.base, retry=RetryPolicy(max_wait=10)) as client, pytest.raises(RateLimited) as error:
        client.health()
    assert error.value.retry_after == 120 and len(scripted.seen) == 1


def test_attempts_are_bounded_with_backoff_when_no_retry_after(scripted: Scripted) -> None:
    unavailable: Reply = (503, {}, {"title": "Unavailable", "status": 503})
    scripted.answer(unavailable, unavailable, unavailable, OK)
    client = Client(scripted.base, retry=RetryPolicy(attempts=3, backoff=0.01))
    with client, pytest.raises(ServiceUnavailable):
        client.health()
    assert len(scripted.seen) == 3  # the fourth answer, a success, was never asked for


def test_a_body_that_is_not_a_problem_still_raises_with_what_came(scripted: Scripted) -> None:
    scripted.answer((502, {}, "<html><body>Bad gateway from the proxy</body></html>"))
    with Client(scripted.base) as client, pytest.raises(ServerError) as error:
        client.health()
    assert error.value.status == 502 and "Bad gateway from the proxy" in error.value.detail
    assert error.value.type == "about:blank" and not error.value.extensions


def test_problem_extension_members_are_kept(scripted: Scripted) -> None:
    problem = {
        "type": "https://istok.dev/problems/unknown-channel",
        "title": "UnknownChannel",
        "status": 404,
        "detail": "no channel 'x'",
        "instance": "/req/1",
        "channels": ["web", "bot"],
    }
    scripted.answer((404, {}, problem))
    with Client(scripted.base) as client, pytest.raises(istok_client.NotFound) as error:
        client.render("ru", "check-balance", "x")
    assert error.value.extensions == {"channels": ["web", "bot"]} and error.value.instance == "/req/1"
    assert error.value.problem == problem


def test_every_request_carries_the_key_and_the_client_version(scripted: Scripted) -> None:
    scripted.answer(OK)
    with Client(scripted.base, api_key="secret-key") as client:
        client.health()
    headers = scripted.seen[0][2]
    assert headers["authorization"] == "Bearer secret-key"
    assert headers["user-agent"] == f"istok-client/{istok_client.__version__}"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("Tue, 03 Mar 2026 12:00:30 GMT", 30.0),  # IMF-fixdate (RFC 9110 section 5.6.7)
        ("Tuesday, 03-Mar-26 12:00:30 GMT", 30.0),  # obsolete RFC 850 form, which recipients must accept
        ("Tue, 03 Mar 2026 11:00:00 GMT", 0.0),  # a date past: go now
        ("soon", None),
        ("-1", None),
    ],
)
def test_retry_after_in_both_forms(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


def test_backoff_grows_and_stays_under_the_cap_and_idempotency_decides() -> None:
    policy = RetryPolicy(attempts=10, backoff=1, max_wait=5)
    both = frozenset({429, 503})
    waits = [policy.delay(status=503, retry_after=None, retry_on=both, attempt=n) for n in range(4)]
    assert all(w is not None for w in waits)
    assert [w is not None and min(5, 2**n) / 2 <= w <= min(5, 2**n) for n, w in enumerate(waits)] == [True] * 4
    assert policy.delay(status=503, retry_after="3", retry_on=frozenset({429}), attempt=0) is None
    assert policy.delay(status=429, retry_after="3", retry_on=frozenset({429}), attempt=0) == 3
    assert policy.delay(status=500, retry_after="0", retry_on=both, attempt=0) is None
    assert policy.delay(status=503, retry_after="0", retry_on=both, attempt=9) is None  # attempts used up
