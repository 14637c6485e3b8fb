"""Errors of search and the answer engine."""

from __future__ import annotations

from kb.errors import IstokError


class InvalidQuery(IstokError):
    """A question or search that cannot be asked: empty, an unknown locale or role.

    An unknown channel is `kb.UnknownChannel` instead, the one error every path raises for it.
    """

    status = 422
    slug = "invalid-query"
