"""Identities: one canonical spelling per address, and clear errors for impossible ones."""

from __future__ import annotations

import pytest

import contacts


@pytest.mark.parametrize(
    "typed",
    ["+371 29 123 456", "29123456", "0037129123456", "+371-29-12-34-56", " (+371) 29123456 "],
)
def test_phones_become_e164(typed: str) -> None:
    assert contacts.normalise_phone(typed) == "+37129123456"


def test_national_numbers_are_read_in_the_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTOK_DEFAULT_REGION", "UA")
    assert contacts.normalise_phone("067 123 4567") == "+380671234567"
    monkeypatch.setenv("ISTOK_DEFAULT_REGION", "XX")
    with pytest.raises(contacts.InvalidIdentity.__mro__[1]):  # a setting error, not the caller's
        contacts.normalise_phone("067 123 4567")


@pytest.mark.parametrize(("typed", "why"), [("12", "no such number"), ("hello", "not a phone number"), ("", "empty")])
def test_impossible_phones_say_why(typed: str, why: str) -> None:
    with pytest.raises(contacts.InvalidIdentity) as caught:
        contacts.normalise("phone", typed)
    assert caught.value.status == 422 and why in caught.value.detail


def test_emails_are_trimmed_lower_cased_and_idna() -> None:
    assert contacts.normalise_email("  Anna.Ozola@Sfera.LV ") == "anna.ozola@sfera.lv"
    assert contacts.normalise_email("info@пример.рф") == "info@xn--e1afmkfd.xn--p1ai"


@pytest.mark.parametrize("bad", ["anna", "anna@", "@sfera.lv", "an..na@sfera.lv", "anna@sfera", "an na@sfera.lv"])
def test_bad_emails_are_refused(bad: str) -> None:
    with pytest.raises(contacts.InvalidIdentity):
        contacts.normalise_email(bad)


def test_other_channels_and_the_query_form() -> None:
    assert str(contacts.parse_identity("telegram:@Sfera_Client")) == "telegram:@sfera_client"
    assert contacts.parse_identity("whatsapp:+371 29 123 456").address == "+37129123456"
    assert contacts.parse_identity("web:visitor-7f3a").address == "visitor-7f3a"
    with pytest.raises(contacts.InvalidIdentity, match="channel:address"):
        contacts.parse_identity("+37129123456")
    with pytest.raises(contacts.InvalidIdentity, match="unknown channel"):
        contacts.parse_identity("pager:123")


def test_viber_ids_are_base64_slashes_included() -> None:
    assert contacts.normalise("viber", "EGjd3+5MzQ1Ox/aWzJ6+qA==").address == "EGjd3+5MzQ1Ox/aWzJ6+qA=="
    with pytest.raises(contacts.InvalidIdentity):
        contacts.normalise("viber", "not a viber id")
