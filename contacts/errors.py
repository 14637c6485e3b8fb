"""Errors of contact context; each is a `kb.IstokError`, so the API turns it into problem+json."""

from __future__ import annotations

import kb
from contacts.models import Interaction


class InvalidIdentity(kb.IstokError):
    """An address that is not a valid one for its channel (a phone that cannot exist, a bad email)."""

    status = 422
    slug = "invalid-identity"

    def __init__(self, channel: str, address: str, why: str) -> None:
        super().__init__(f"{address!r} is not a valid {channel} address: {why}")
        self.channel = channel
        self.address = address


class ContactNotFound(kb.NotFound):
    slug = "contact-not-found"

    def __init__(self, what: str) -> None:
        super().__init__(f"no contact {what}")


class CaseNotFound(kb.NotFound):
    slug = "case-not-found"

    def __init__(self, case_id: int) -> None:
        super().__init__(f"no case {case_id}")
        self.case_id = case_id


class MergeNotFound(kb.NotFound):
    slug = "merge-not-found"

    def __init__(self, merge_id: int) -> None:
        super().__init__(f"no merge {merge_id}")
        self.merge_id = merge_id


class IdentityTaken(kb.Conflict):
    """The address already belongs to another contact: the two are probably one client to merge."""

    slug = "identity-taken"

    def __init__(self, channel: str, owner: int) -> None:
        super().__init__(
            f"this {channel} address already belongs to contact {owner}; "
            f"if both are the same client, merge them (POST /api/v1/contacts/{{id}}/merge)"
        )
        self.channel = channel
        self.owner = owner


class MergeConflict(kb.Conflict):
    """A merge or its undo that the current state does not allow."""

    slug = "merge-conflict"


class ContactGone(kb.Conflict):
    """The contact was merged into another or erased; changes go to the surviving contact."""

    slug = "contact-gone"


class AlreadyRecorded(kb.Conflict):
    """The outside system's message is on a timeline already: a redelivery, to be answered no second time."""

    slug = "already-recorded"

    def __init__(self, interaction: Interaction) -> None:
        super().__init__(f"message {interaction.message_id!r} on {interaction.channel} is recorded already")
        self.interaction = interaction
