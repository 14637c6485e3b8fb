"""The access log `istok serve` writes: every request, but never a client's words.

Questions, phone numbers and e-mail addresses travel in the query strings of the answer,
search, contact-context and operator-panel paths (`?q=…`, `?identity=phone:+371…`). A log
line outlives every erasure and retention rule, so for those paths the query string is
dropped before the line is formatted; every other path is logged as it came.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: Paths (and everything below them) whose query strings may hold personal data.
PRIVATE_PREFIXES = (
    "/api/v1/answer",
    "/api/v1/search",
    "/api/v1/contacts",
    "/api/v1/interactions",
    "/api/v1/cases",
    "/api/v1/ivr",
    "/api/v1/route",
    "/widget/answer",
    "/panel",
)
_HELP_RE = re.compile(r"^/help/[^/?]+/(?:search|suggest)(?:/|$)")
QUERY_DROPPED = "?…"


def private_path(path: str) -> bool:
    """True for a path whose query string must not be written down."""
    path = path.split("?", 1)[0]
    return path.startswith(PRIVATE_PREFIXES) or _HELP_RE.match(path) is not None


def redact(path: str) -> str:
    """The path as the access log may show it: without its query string where that is private."""
    if "?" in path and private_path(path):
        return path.split("?", 1)[0] + QUERY_DROPPED
    return path


class PrivateQueryFilter(logging.Filter):
    """Drops private query strings from uvicorn's access records (args: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the filter on the access handler (every worker applies it)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["private_queries"] = {"()": f"{__name__}.PrivateQueryFilter"}
    config["handlers"]["access"]["filters"] = ["private_queries"]
    return config
