"""Property-based API testing with schemathesis against our own /openapi.json: every check on,
no 5xx, every response (4xx included) as documented, at least 1,000 requests made. HEAD (beside
each GET), 410 (the ended v1 paths) and 415 (a body not sent as JSON) are documented, so those
responses count as conforming too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.config import Settings
from app.main import create_app

APP = create_app(Settings(secret_key=Fernet.generate_key().decode(),
                          key_file=Path("/nonexistent-unused/secret.key")))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
CALLS: list[int] = []
RESPONSES: list[tuple[str, int]] = []  # every request schemathesis made: its method and the status


@SCHEMA.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case[Any],
               response: schemathesis.Response) -> None:
    RESPONSES.append((case.method.upper(), response.status_code))


@SCHEMA.parametrize()
@settings(max_examples=1200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any]) -> None:
    """Generated requests, valid and invalid, get documented responses and never a server error.

    The ended v1 paths (deprecated) refuse every request with 410 Gone by design, so there a valid
    request is not expected to be accepted.
    """
    CALLS.append(1)
    ended = case.operation.definition.raw.get("deprecated") is True
    case.call_and_validate(excluded_checks=[positive_data_acceptance] if ended else None)


def test_enough_requests_were_made() -> None:
    """At least 1,000 requests were made (counted as their responses came back), HEAD among them."""
    assert len(CALLS) >= 1000, len(CALLS)
    assert len(RESPONSES) >= 1000, len(RESPONSES)
    assert {method for method, _ in RESPONSES} >= {"GET", "HEAD", "POST"}
    assert all(status < 500 for _, status in RESPONSES)
