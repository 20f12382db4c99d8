"""Schemathesis against the OpenAPI schema: valid and invalid requests, never a server error."""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from demo import Demo
from hypothesis import HealthCheck, given, settings

from maillage.settings import Settings
from maillage.web.app import create_app

pytestmark = pytest.mark.quality  # fuzzing: in `make test-quality`
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 12, schemathesis.GenerationMode.NEGATIVE: 8}


def test_no_generated_request_gets_a_server_error(db: sa.Engine, demo_map: Demo) -> None:
    url = db.url.render_as_string(hide_password=False)
    # Schemathesis asks for host "testserver"; no rate limit, so that every generated
    # export request reaches the export code instead of a 429.
    portal = Settings(database_url=url, trusted_hosts=("testserver",), export_rate_limit="")
    app = create_app(portal, engine=db)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    failures: list[str] = []
    for operation in operations:
        for mode, count in EXAMPLES.items():
            if mode is schemathesis.GenerationMode.NEGATIVE and not any(
                operation.iter_parameters()
            ):
                continue  # /healthz takes nothing: no invalid request to make

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=count,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                response = case.call()
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query}: {response.status_code}"
                    )

            call()
    assert failures == []
