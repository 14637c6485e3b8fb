"""Article verification: "still true" for a live article, and the owners' queue of due ones."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json, JsonList


class VerificationOperations:
    """Verification (editors): records who checked the live revision when, without a new revision."""

    @endpoint("POST", "/api/v1/articles/{locale}/{key}/verify", parse=Json(models.ArticleVerification))
    def verify_article(self, locale: str, key: str, *, note: str = "") -> Parts:
        """Say the live article is still true (422 `InvalidChange` if nothing is live)."""
        return Parts(path={"locale": locale, "key": key}, json={"note": note})

    @endpoint("GET", "/api/v1/verification/due", parse=JsonList(models.DueArticle), query=("owner", "locale"))
    def due_for_verification(self, *, owner: str | None = None, locale: str | None = None) -> Parts:
        """Live articles due for verification, most overdue first, each with why and since when."""
        return Parts(query={"owner": owner, "locale": locale})
