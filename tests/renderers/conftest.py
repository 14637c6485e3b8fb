"""Fixtures for renderer tests: the sample facts, the sample articles and their slugs (espeak: tests/conftest.py)."""

from __future__ import annotations

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
