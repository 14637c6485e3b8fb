"""Schemathesis over the contact-context operations with the keys that may use them.

The whole-API run (`test_openapi_schemathesis.py`) uses an editor's key, which contact
context refuses with 403; here operators and admins drive every contact operation with
generated data, on SQLite and PostgreSQL: no 5xx, and every response as documented.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.api.conftest import Live


@pytest.mark.parametrize("role", ["operator", "admin", "bot"])
def test_contact_operations_conform(live: Live, role: str) -> None:
    base, keys = live.base, live.keys
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json").include(tag="contacts")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            case.call_and_validate(
                base_url=base,
                headers={"Authorization": f"Bearer {keys[role]}"},
                # A well-typed address can still be no phone that exists (422), an id no contact (404).
                excluded_checks=[checks.positive_data_acceptance],
            )

        try:
            exercise()
        except Exception as exc:  # every operation's failure, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
