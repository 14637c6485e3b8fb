"""Verified before personal: what proves a caller is the client before they hear what only the client may.

A caller id or a messenger id is a claim: anybody can spoof a number, and an adapter only
relays what its channel says. What is the client's own business (the contents of their open
cases, what they asked before) is given on a channel only after a proof the channel supports:
Telegram's own shared contact (kept on the identity as `verified_by`), or a PIN the client chose
(kept as an argon2 hash, like a password), keyed on the phone or said to the IVR. Wrong PINs lock
the contact's PIN for a while, so a caller cannot try them all.
"""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

import kb
from contacts.models import Contact
from kb import InvalidChange, utcnow

MAX_FAILURES = 5
LOCKED_FOR = dt.timedelta(minutes=15)
_PIN = re.compile(r"^[0-9]{4,8}$")
_hasher = PasswordHasher()
#: Identity channels whose sender the platform itself authenticates: once the identity is verified
#: (the client shared their own contact there), a request by it is as good as a PIN.
SENDER_AUTHENTICATED = frozenset({"telegram", "whatsapp", "viber"})


class PinLocked(kb.IstokError):
    """Too many wrong PINs: none is checked until the lock ends."""

    status = 429
    slug = "pin-locked"

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"too many wrong PINs; try again after {until.isoformat(timespec='seconds')}")
        self.until = until


class WrongPin(kb.IstokError):
    status = 403
    slug = "wrong-pin"

    def __init__(self, left: int) -> None:
        super().__init__(f"the PIN does not match; {left} tries left before it locks")
        self.left = left


def set_pin(*, session: Session, contact: Contact, pin: str) -> None:
    """Keep the client's PIN (4–8 digits) as a hash; a new PIN also ends a lock."""
    if not _PIN.match(pin):
        raise InvalidChange("a PIN is 4 to 8 digits")
    contact.pin_hash = _hasher.hash(pin)
    contact.pin_failures, contact.pin_locked_until = 0, None
    session.add(contact)
    session.flush()


def check_pin(*, session: Session, contact: Contact, pin: str, now: dt.datetime | None = None) -> None:
    """Return if `pin` is the contact's; WrongPin (counting the try) or PinLocked otherwise."""
    now = now or utcnow()
    if contact.pin_locked_until is not None and contact.pin_locked_until > now:
        raise PinLocked(contact.pin_locked_until)
    if contact.pin_hash is None:
        raise InvalidChange("this contact has no PIN; an operator can set one")
    try:
        _hasher.verify(contact.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        contact.pin_failures += 1
        left = MAX_FAILURES - contact.pin_failures
        if left <= 0:
            contact.pin_failures, contact.pin_locked_until = 0, now + LOCKED_FOR
        session.add(contact)
        session.flush()
        if left <= 0:
            raise PinLocked(now + LOCKED_FOR) from None
        raise WrongPin(left) from None
    contact.pin_failures, contact.pin_locked_until = 0, None
    session.add(contact)
    session.flush()
