"""The service itself: health and readiness, the publication log for caches, the audit trail."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json


class FeedOperations:
    """Health, readiness, changes and audit."""

    @endpoint("GET", "/healthz", parse=Json(models.Health))
    def health(self) -> Parts:
        """Liveness and the store's state: articles per locale, the log's last sequence, jobs, search."""
        return Parts()

    @endpoint("GET", "/readyz", parse=Json(models.Readiness))
    def readiness(self) -> Parts:
        """Whether this server should get traffic; not ready raises `ServiceUnavailable` naming the failed check."""
        return Parts()

    @endpoint("GET", "/api/v1/changes", parse=Json(models.ChangesPage), query=("since", "limit", "wait"))
    def list_changes(self, *, since: int = 0, limit: int | None = None, wait: float | None = None) -> Parts:
        """Publication-log entries after `since`, for caches; `wait` long-polls up to 30 s for one.

        Pass the page's `next` as `since` to follow the log. The read timeout is extended by `wait`.
        """
        return Parts(query={"since": since, "limit": limit, "wait": wait}, timeout=wait)

    @endpoint("GET", "/api/v1/audit", parse=Json(models.AuditPage), query=("before", "limit", "action"))
    def list_audit(self, *, before: int | None = None, limit: int | None = None, action: str | None = None) -> Parts:
        """Every write, newest first; pass the page's `next` as `before` for older ones."""
        return Parts(query={"before": before, "limit": limit, "action": action})
