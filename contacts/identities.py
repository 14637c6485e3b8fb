"""Identities: one canonical spelling per address, so the same client is found on every channel.

A phone typed as `8 (029) 123-45-67`, `+371 29 123 456` or `0037129123456` must land on one
row, so phones (and WhatsApp numbers, which are phones) are normalised to E.164 with
`phonenumbers`; a number without a country code is read in ISTOK_DEFAULT_REGION.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from contacts.errors import InvalidIdentity
from contacts.settings import default_region


class IdentityChannel(StrEnum):
    """Where an address lives; each address is unique within its channel."""

    PHONE = "phone"
    EMAIL = "email"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    WEB = "web"  # the widget's visitor id (a cookie)
    CRM = "crm"  # the id of the client in an external CRM


@dataclass(frozen=True)
class Address:
    """A normalised identity: the channel and the canonical address."""

    channel: IdentityChannel
    address: str

    def __str__(self) -> str:
        return f"{self.channel.value}:{self.address}"


_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TELEGRAM_NAME = re.compile(r"^[a-z][a-z0-9_]{4,31}$")
_OPAQUE = re.compile(r"^[A-Za-z0-9._:@+=-]{1,128}$")
_VIBER = re.compile(r"^[A-Za-z0-9+/=]{1,128}$")  # Viber's user ids are base64, "/" included


def normalise(channel: str, address: str, *, region: str | None = None) -> Address:
    """The canonical form of `address` on `channel`; InvalidIdentity says what is wrong."""
    try:
        kind = IdentityChannel(channel.strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in IdentityChannel)
        raise InvalidIdentity(channel, address, f"unknown channel (channels: {known})") from None
    text = address.strip()
    if not text:
        raise InvalidIdentity(kind.value, address, "it is empty")
    if kind in (IdentityChannel.PHONE, IdentityChannel.WHATSAPP):
        return Address(kind, normalise_phone(text, region=region, channel=kind.value))
    if kind is IdentityChannel.EMAIL:
        return Address(kind, normalise_email(text))
    if kind is IdentityChannel.TELEGRAM:
        return Address(kind, _telegram(text))
    if kind is IdentityChannel.VIBER:
        if not _VIBER.match(text):
            raise InvalidIdentity(kind.value, address, "a Viber user id: 1-128 base64 characters")
        return Address(kind, text)
    if not _OPAQUE.match(text):
        raise InvalidIdentity(kind.value, address, "use 1-128 letters, digits or . _ : @ + = -")
    return Address(kind, text)


def parse_identity(text: str, *, region: str | None = None) -> Address:
    """`channel:address` (as in `?identity=phone:+37129123456`) to a normalised Address."""
    channel, sep, address = text.partition(":")
    if not sep:
        raise InvalidIdentity("identity", text, "write it as channel:address, e.g. phone:+37129123456")
    return normalise(channel, address, region=region)


def normalise_phone(text: str, *, region: str | None = None, channel: str = "phone") -> str:
    """E.164 (`+37129123456`); numbers without `+` are read in `region` (ISTOK_DEFAULT_REGION)."""
    where = region or default_region()
    candidate = "+" + text[2:] if text.startswith("00") else text  # 00 is the international prefix
    try:
        number = phonenumbers.parse(candidate, where)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(channel, text, f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity(
            channel, text, f"no such number exists (read in region {where}; give the country code with +)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    """Lower-cased, trimmed, with an IDNA (punycode) domain; the local part must be plain ASCII."""
    value = text.strip()
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not domain:
        raise InvalidIdentity("email", text, "an email address is name@domain")
    if not _EMAIL_LOCAL.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidIdentity("email", text, "the part before @ has characters an address cannot have")
    try:
        ascii_domain = domain.strip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidIdentity("email", text, "the domain is not a valid host name") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidIdentity("email", text, "the domain needs a name and a top-level part, e.g. example.com")
    result = f"{local.lower()}@{ascii_domain}"
    if len(result) > 254:
        raise InvalidIdentity("email", text, "it is longer than 254 characters")
    return result


def _telegram(text: str) -> str:
    """A numeric Telegram user id as is, or a @username lower-cased with the @."""
    if text.isdigit() and len(text) <= 20:
        return text
    name = text.removeprefix("@").lower()
    if not _TELEGRAM_NAME.match(name):
        raise InvalidIdentity("telegram", text, "give a numeric user id or a @username of 5-32 letters, digits or _")
    return "@" + name
