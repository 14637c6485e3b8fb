"""Scheduled publishing: set a publish or an unpublish for a time, list the schedules, cancel one."""

from __future__ import annotations

import datetime as dt

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json, JsonList


class ScheduleOperations:
    """Schedules (editors): run once by the server when due; skipped if what was live changed meanwhile."""

    @endpoint("POST", "/api/v1/articles/{locale}/{key}/schedule", parse=Json(models.Schedule))
    def schedule_publish(self, locale: str, key: str, *, revision: int, at: dt.datetime | str) -> Parts:
        """Make `revision` live at `at` (an aware datetime, or ISO-8601 text with its offset)."""
        return Parts(
            path={"locale": locale, "key": key}, json={"action": "publish", "revision": revision, "at": _iso(at)}
        )

    @endpoint("POST", "/api/v1/articles/{locale}/{key}/schedule", parse=Json(models.Schedule))
    def schedule_unpublish(self, locale: str, key: str, *, at: dt.datetime | str) -> Parts:
        """Take the article off every public channel at `at`."""
        return Parts(path={"locale": locale, "key": key}, json={"action": "unpublish", "at": _iso(at)})

    @endpoint("GET", "/api/v1/schedules", parse=JsonList(models.Schedule), query=("state", "locale", "key", "limit"))
    def list_schedules(
        self,
        *,
        state: str | None = None,
        locale: str | None = None,
        key: str | None = None,
        limit: int | None = None,
    ) -> Parts:
        """Pending schedules soonest first, then finished ones (`done`, `skipped`, …) most recent first."""
        return Parts(query={"state": state, "locale": locale, "key": key, "limit": limit})

    @endpoint("DELETE", "/api/v1/schedules/{schedule_id}", parse=Json(models.Schedule))
    def cancel_schedule(self, schedule_id: int) -> Parts:
        """Cancel a pending schedule (409 `Conflict` if it already ran or ended); returns it, cancelled."""
        return Parts(path={"schedule_id": schedule_id})


def _iso(at: dt.datetime | str) -> str:
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        raise ValueError("give `at` with its time zone (an aware datetime): the server refuses a bare wall-clock time")
    return at.isoformat()
