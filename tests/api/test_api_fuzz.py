"""Fuzz every operation of the OpenAPI spec with schemathesis against a real server: never a 5xx.

Bounded for CI: at most MAX_EXAMPLES valid and MAX_EXAMPLES invalid requests per operation, no
example database. The server requires a token, so every request also passes the auth middleware.
(Driven through Hypothesis directly: schemathesis' pytest plugin does not run on pytest 9.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from heygem.config import Settings

MAX_EXAMPLES = 30
TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, server_starter):
    data = tmp_path_factory.mktemp("fuzz") / "data"
    server = server_starter(Settings(data_dir=data, device="cpu", api_token=TOKEN,
                                     max_video_bytes=200_000, max_audio_bytes=200_000), headers=AUTH)
    yield server
    server.stop()


def fuzz(operation, mode: GenerationMode, base_url: str, errors: list[str]) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(base_url=base_url, headers=AUTH, timeout=30)
        if response.status_code >= 500:
            errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

    run()


def test_no_operation_answers_5xx(fuzz_server):
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json", headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12  # every route is in the spec, so every route is fuzzed
    errors: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, fuzz_server.url, errors)
    assert not errors, "\n".join(errors[:20])
