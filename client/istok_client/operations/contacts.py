"""Contact context: contacts and identities, the timeline, cases, the IVR menu and routing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.operations.common import identity_param, present
from istok_client.parsing import Bytes, Json, JsonList, JsonObject, NoContent


class ContactOperations:
    """What adapters and the operator panel need to know who is asking."""

    @endpoint("POST", "/api/v1/contacts", parse=Json(models.Contact))
    def create_contact(
        self,
        *,
        identities: Sequence[models.Identity] = (),
        name: str | None = None,
        locale: str | None = None,
        segments: Sequence[str] | None = None,
        consent: dict[str, bool] | None = None,
    ) -> Parts:
        """A new contact; 409 (`Conflict`) when one of the identities already belongs to a contact."""
        body = present(name=name, locale=locale, consent=consent, segments=list(segments) if segments else None)
        return Parts(json={**body, "identities": list(identities)})

    @endpoint("GET", "/api/v1/contacts/lookup", parse=Json(models.Contact), query=("channel", "address"))
    def find_contact(self, channel: str, address: str) -> Parts:
        """The contact with this identity (e.g. `"telegram"`, `"12345"`); `NotFound` if none has it."""
        return Parts(query={"channel": channel, "address": address})

    @endpoint(
        "GET",
        "/api/v1/contacts/context",
        parse=Json(models.Context),
        query=("identity", "phone", "email", "verification"),
    )
    def find_context(
        self,
        *,
        identity: models.Identity | str | None = None,
        phone: str | None = None,
        email: str | None = None,
        verification: str | None = None,
    ) -> Parts:
        """The context of the contact with an identity, a phone number or an e-mail address.

        `verification` is the token of `verify_contact`: with it a bot also gets what the client asked.
        """
        query = {"identity": identity_param(identity), "phone": phone, "email": email, "verification": verification}
        return Parts(query=query)

    @endpoint("POST", "/api/v1/contacts/verify", parse=Json(models.Verified))
    def verify_contact(self, identity: models.Identity, pin: str) -> Parts:
        """Check the PIN a client keyed or said; `WrongPin` is a `Forbidden`, a locked PIN `RateLimited`."""
        return Parts(json={"identity": identity, "pin": pin})

    @endpoint("POST", "/api/v1/contacts/merges/{merge_id}/undo", parse=Json(models.Merge))
    def undo_merge(self, merge_id: int) -> Parts:
        """Move back exactly what a merge moved; 409 if already undone."""
        return Parts(path={"merge_id": merge_id})

    @endpoint("GET", "/api/v1/contacts/{contact_id}", parse=Json(models.Contact))
    def get_contact(self, contact_id: int) -> Parts:
        """A contact's profile and identities (personal data shown to the roles that may see it)."""
        return Parts(path={"contact_id": contact_id})

    @endpoint("PATCH", "/api/v1/contacts/{contact_id}", parse=Json(models.Contact))
    def update_contact(self, contact_id: int, changes: models.ContactChanges) -> Parts:
        """Change the profile keys given in `changes`."""
        return Parts(path={"contact_id": contact_id}, json=dict(changes))

    @endpoint("DELETE", "/api/v1/contacts/{contact_id}", parse=JsonObject())
    def erase_contact(self, contact_id: int) -> Parts:
        """Erase a contact's personal data (admin); returns what was erased, counted."""
        return Parts(path={"contact_id": contact_id})

    @endpoint("GET", "/api/v1/contacts/{contact_id}/export", parse=JsonObject())
    def export_contact(self, contact_id: int) -> Parts:
        """Everything held about a contact (admin), for a data-subject request."""
        return Parts(path={"contact_id": contact_id})

    @endpoint("GET", "/api/v1/contacts/{contact_id}/context", parse=Json(models.Context), query=("verification",))
    def get_context(self, contact_id: int, *, verification: str | None = None) -> Parts:
        """Who the contact is, open cases, what they were already told, frequent topics."""
        return Parts(path={"contact_id": contact_id}, query={"verification": verification})

    @endpoint("PUT", "/api/v1/contacts/{contact_id}/pin", parse=NoContent())
    def set_pin(self, contact_id: int, pin: str) -> Parts:
        """Keep the PIN the client chose (4-8 digits), which the IVR and bots check with `verify_contact`."""
        return Parts(path={"contact_id": contact_id}, json={"pin": pin})

    @endpoint("POST", "/api/v1/contacts/{contact_id}/identities", parse=Json(models.IdentityOut))
    def add_identity(
        self, contact_id: int, channel: models.IdentityChannel, address: str, *, verified_by: str | None = None
    ) -> Parts:
        """Give a contact an address on one more channel; 409 if another contact has it.

        `verified_by` says how the channel vouched that the address is the client's own (for
        instance `telegram-contact`: the sender's own number shared in Telegram); a verified
        address held by another contact merges that contact into this one.
        """
        return Parts(
            path={"contact_id": contact_id},
            json=present(channel=channel, address=address, verified_by=verified_by),
        )

    @endpoint("POST", "/api/v1/contacts/{contact_id}/merge", parse=Json(models.Merge))
    def merge_contacts(self, contact_id: int, other: int) -> Parts:
        """Merge contact `other` into `contact_id` (undo with `undo_merge`)."""
        return Parts(path={"contact_id": contact_id}, json={"other": other})

    @endpoint("GET", "/api/v1/contacts/{contact_id}/policy", parse=Json(models.Policy), query=("action", "at"))
    def check_policy(self, contact_id: int, action: str, *, at: dt.datetime | str | None = None) -> Parts:
        """Whether `action` (`sales_call`, `marketing_sms`, …) is allowed for the contact now (or `at`)."""
        return Parts(path={"contact_id": contact_id}, query={"action": action, "at": at})

    @endpoint("POST", "/api/v1/interactions", parse=Json(models.InteractionRecorded))
    def record_interaction(
        self,
        *,
        channel: str,
        outcome: models.Outcome,
        contact: int | None = None,
        identity: models.Identity | None = None,
        direction: str | None = None,
        question: str | None = None,
        article: models.ArticleRef | None = None,
        topic: str | None = None,
        csat: int | None = None,
        locale: str | None = None,
        message: str | None = None,
        nps: int | None = None,
        agent_reply: bool | None = None,
    ) -> Parts:
        """Append an interaction to a contact's timeline (by `contact`, or `identity`: created on first sight).

        `message`, the outside system's id of the message, is recorded once per channel: sent again,
        the first interaction comes back with `replayed` true, so such a call is retried even after 503.
        `nps` (0..10) is kept beside `csat`; `agent_reply` says a person answered (a case's first response).
        """
        body = present(
            channel=channel,
            outcome=outcome,
            contact=contact,
            identity=identity,
            direction=direction,
            question=question,
            article=article,
            topic=topic,
            csat=csat,
            locale=locale,
            message=message,
            nps=nps,
            agent_reply=agent_reply,
        )
        return Parts(json=body, repeatable=message is not None)

    @endpoint("GET", "/api/v1/cases", parse=JsonList(models.Case), query=("contact", "status"))
    def list_cases(self, contact: int, *, status: str | None = None) -> Parts:
        """A contact's cases, newest first; `status` is `open` or `resolved`."""
        return Parts(query={"contact": contact, "status": status})

    @endpoint("GET", "/api/v1/cases/{case_id}", parse=Json(models.Case))
    def get_case(self, case_id: int) -> Parts:
        """A case with its last interaction."""
        return Parts(path={"case_id": case_id})

    @endpoint("POST", "/api/v1/cases/{case_id}/resolve", parse=Json(models.Case))
    def resolve_case(self, case_id: int) -> Parts:
        """Close a case."""
        return Parts(path={"case_id": case_id})

    @endpoint("GET", "/api/v1/ivr/menu", parse=Json(models.Menu), query=("caller", "locale", "format"))
    def ivr_menu(self, *, caller: str | None = None, locale: str | None = None, format: str | None = None) -> Parts:
        """The phone menu for a caller (personalised from their timeline), as SSML or plain text."""
        return Parts(query={"caller": caller, "locale": locale, "format": format})

    @endpoint("GET", "/api/v1/ivr/menu.wav", parse=Bytes(), query=("caller", "locale"))
    def ivr_menu_speech(self, *, caller: str | None = None, locale: str | None = None) -> Parts:
        """The caller's phone menu spoken, as an 8 kHz mono 16-bit WAV."""
        return Parts(query={"caller": caller, "locale": locale})

    @endpoint("POST", "/api/v1/speech/links", parse=JsonObject())
    def speech_link(
        self,
        kind: str,
        locale: str,
        *,
        key: str | None = None,
        caller: str | None = None,
        name: str | None = None,
        verification: str | None = None,
    ) -> Parts:
        """A short-lived signed URL (`url`, a path; `expires_at`) a phone switch plays without a key, and its `ssml`.

        `kind` is `article` (with `key`), `menu` (with `caller`), `prompt` (with `name`: `after`,
        `invalid`, `operator`, `goodbye`, `cases_offer`, `pin_ask`, `pin_wrong`, `pin_locked`,
        `pin_none`) or `cases` (the caller's open requests: with `caller` and the `verification`
        token of `verify_contact`).
        """
        body = present(kind=kind, locale=locale, key=key, caller=caller, name=name, verification=verification)
        return Parts(json=body)

    @endpoint("GET", "/api/v1/speech/{token}.wav", parse=Bytes())
    def linked_speech(self, token: str) -> Parts:
        """What a signed speech URL plays (no key needed; 404 once it has expired)."""
        return Parts(path={"token": token})

    @endpoint("POST", "/api/v1/route", parse=Json(models.Route))
    def suggest_route(self, message: str, *, locale: str | None = None) -> Parts:
        """The queue a client's message should go to, with the articles that may answer it."""
        return Parts(json=present(message=message, locale=locale))
