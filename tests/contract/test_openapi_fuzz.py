"""Schemathesis over the OpenAPI schema: generated requests against every operation never get a 5xx."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from aftersales.api import create_app
from aftersales.config import Settings, load_settings
from aftersales.services import kb as kb_service
from aftersales.services.pipeline import submit_interaction
from aftersales.services.runtime import reset_runtimes
from aftersales.services.users import _KEY_CACHE, create_user
from aftersales.storage import db

STATE: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """One app on a seeded SQLite database for the whole module (the fuzzer sends thousands of requests)."""
    home: Path = tmp_path_factory.mktemp("fuzz-home")
    cfg: Settings = load_settings(home=home)
    reset_runtimes()
    _KEY_CACHE.clear()
    STATE["key"] = create_user("fuzz-admin", "admin", settings=cfg)["api_key"]
    create_user("agent-x", "agent", ["tech_support"], settings=cfg)
    out = submit_interaction({"customer_id": "C1", "text": "吹风机坏了，退货！", "order_id": "O1"}, cfg)
    STATE["case_id"] = out["case"]["case_id"]
    kb_service.create_article({"article_id": "KB-1", "title": "退货政策", "body": "七天无理由退货。"}, cfg)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(cfg))
    reset_runtimes()
    db.dispose_engines()


def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    """Any request the schema allows (and many it does not) answers < 500 in the error contract shape."""
    operations = [op.ok() for op in api_schema.get_all_operations()]
    assert len(operations) >= 15
    auth = {"Authorization": f"Bearer {STATE['key']}"}
    failures: list[str] = []
    calls = 0
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    real = {"case_id": STATE["case_id"], "article_id": "KB-1", "customer_id": "C1"}
    for operation, mode, known in itertools.product(operations, modes, (False, True)):
        names = [n for n in real if "{" + n + "}" in operation.path]
        if known and not names:
            continue
        # Half the runs use ids that exist, so the fuzzer reaches past the 404 into the real handlers.
        fixed = {n: real[n] for n in names} if known else None

        @given(case=operation.as_strategy(mode, path_parameters=fixed))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), **auth}
            nonlocal calls
            calls += 1
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body

        try:
            run()
        except Unsatisfiable:
            # Operations without inputs (e.g. GET /healthz) have no invalid request to generate.
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert calls >= len(operations) * 10, calls  # the fuzzer really exercised every operation
    assert not failures, "\n".join(failures[:20])
