"""API fuzzing with schemathesis against the app's own OpenAPI schema: no 500 anywhere.

Every operation is called with generated requests (valid and invalid parameters, bodies and
paths) on the published tiny city, both anonymously and as an admin, on a bounded budget
per operation. ``POST /plans`` is left out: each valid case runs a partition (seconds), and
its inputs are covered by tests/api/test_plans.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.settings import DatabaseSettings, Settings
from tests.api.conftest import bearer
from tests.live import live_app

#: Generated cases per operation and caller.
EXAMPLES = 20


@pytest.fixture(scope="module")
def served(city, database_url, tmp_path_factory):
    app_settings = Settings(
        db=DatabaseSettings(database_url=database_url, data_dir=tmp_path_factory.mktemp("fz"))
    )
    with live_app(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(served):
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    return schema.exclude(method="POST", path="/plans")


@pytest.fixture(scope="module")
def admin(city):
    return bearer(city.engine, "admin")


def _fuzz(operation, headers_list, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def run(case) -> None:
        for headers in headers_list:
            response = case.call(headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} → {response.status_code}: "
                    f"{response.text[:300]}"
                )

    run()


def test_no_server_error_anywhere(api_schema, admin):
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        _fuzz(operation, ({}, admin), failures)
    assert failures == []
