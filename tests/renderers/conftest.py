"""Fixtures for renderer tests: the sample facts, the sample articles and their slugs."""

from __future__ import annotations

import os
import shutil

import pytest

import kb
from tests.renderers.support import load_facts, sample_units, slugs_by_locale


@pytest.fixture(scope="session")
def facts() -> dict[str, kb.FactValue]:
    return load_facts()


@pytest.fixture(scope="session")
def samples() -> list[kb.Unit]:
    return sample_units()


@pytest.fixture(scope="session")
def slugs(samples: list[kb.Unit]) -> dict[str, dict[str, str]]:
    return slugs_by_locale(samples)


@pytest.fixture(scope="session")
def espeak() -> str:
    """The espeak-ng binary; missing, it skips a developer's run and fails CI's."""
    path = shutil.which("espeak-ng")
    if path is None:
        message = "espeak-ng is not installed (apt-get install espeak-ng)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    return path
