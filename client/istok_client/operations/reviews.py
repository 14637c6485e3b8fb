"""Review and approval: submit a revision, approve it or ask for changes, the reviewer's queue."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json, JsonList

_REVISION = "/api/v1/articles/{locale}/{key}/revisions/{number}"


class ReviewOperations:
    """Reviews (editors): who may approve is the category's workflow (content/workflows.yaml) on the server."""

    @endpoint("GET", f"{_REVISION}/review", parse=Json(models.Review))
    def get_review(self, locale: str, key: str, number: int) -> Parts:
        """Where revision `number`'s review stands: its state, approvals and comments."""
        return Parts(path={"locale": locale, "key": key, "number": number})

    @endpoint("POST", f"{_REVISION}/review", parse=Json(models.Review))
    def submit_review(self, locale: str, key: str, number: int, *, comment: str = "") -> Parts:
        """Ask for review (409 `Conflict` if it is already waiting, approved or live)."""
        return Parts(path={"locale": locale, "key": key, "number": number}, json={"comment": comment})

    @endpoint("POST", f"{_REVISION}/approve", parse=Json(models.Review))
    def approve_revision(self, locale: str, key: str, number: int, *, comment: str = "") -> Parts:
        """Approve this exact text (403 for its author or someone not among its reviewers)."""
        return Parts(path={"locale": locale, "key": key, "number": number}, json={"comment": comment})

    @endpoint("POST", f"{_REVISION}/request-changes", parse=Json(models.Review))
    def request_changes(self, locale: str, key: str, number: int, *, comment: str) -> Parts:
        """Send it back to its author saying what should change (the comment is required)."""
        return Parts(path={"locale": locale, "key": key, "number": number}, json={"comment": comment})

    @endpoint("GET", "/api/v1/reviews", parse=JsonList(models.Review), query=("state", "mine"))
    def list_reviews(self, *, mine: bool = True) -> Parts:
        """Drafts waiting for review; with `mine`, only those the caller may approve."""
        return Parts(query={"state": "pending", "mine": "true" if mine else "false"})
