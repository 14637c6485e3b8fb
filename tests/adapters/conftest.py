"""One Istok server per adapter test module, over the sample content, as the adapters' side of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.support import PUBLIC
from tests.api.conftest import Live, sample_server


@pytest.fixture(scope="module")
def istok_public_url() -> str | None:
    """The module's ISTOK_PUBLIC_URL, which makes the links in chat answers absolute.

    A module whose server needs none (the phone's prompts are fetched from Istok itself)
    overrides this fixture with one returning None.
    """
    return PUBLIC


@pytest.fixture(scope="module")
def istok(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    istok_public_url: str | None,
) -> Iterator[Live]:
    """The module's Istok, its rate limit out of the way of adapters answering test after test."""
    env = {"ISTOK_RATE_LIMIT": "100000"}
    if istok_public_url is not None:
        env["ISTOK_PUBLIC_URL"] = istok_public_url
    module = request.module.__name__.rpartition(".")[2]
    yield from sample_server(tmp_path_factory.mktemp(f"{module}-istok"), sqlite_template, **env)
