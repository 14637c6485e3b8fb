"""Errors of search and the answer engine."""

from __future__ import annotations

from kb.errors import IstokError


class InvalidQuery(IstokError):
    """A question or search that cannot be asked: empty, unknown locale, channel or role."""

    status = 422
    slug = "invalid-query"
