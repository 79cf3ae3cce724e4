"""The HTTP contract in infra/openapi.yaml (issue 17, item 3):

- it names every route the app serves, and no route the app does not (read from the Chalice app,
  so a route added later without its documentation fails here);
- schemathesis generates requests from it, valid and invalid ones, for every operation, and sends
  them to the app (the Chalice test client, in process, over moto): no answer is a 5xx or carries a
  traceback, every JSON error is `{"error": ...}`, and a refused request leaves the table exactly as
  it was (no half-written item; the rate limiter's own counters aside).

The examples are derandomized (the same requests on every run) and bounded per operation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from chalice.local import LambdaEventConverter
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import ADMIN_TOKEN, put_store, shopify_headers, table_items

pytestmark = pytest.mark.integration

SPEC = Path(__file__).resolve().parents[2] / "infra" / "openapi.yaml"
METHODS = {"get", "put", "post", "patch", "delete"}
#: examples per operation of valid and of invalid requests: enough to reach each route's parsers
#: and refusals, few enough for CI (28 operations: ~250 requests, ~10 s)
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}


def documented() -> set[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    return {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item if method in METHODS
    }


def test_the_spec_documents_every_route_of_the_app_and_no_other() -> None:
    from app import app

    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert served - documented() == set(), "routes missing from infra/openapi.yaml"
    assert documented() - served == set(), "routes in infra/openapi.yaml the app does not serve"


class Sender:
    """Sends a schemathesis case through the Chalice test client, each from its own address (the
    rate limiter is test_route_isolation's), and checks the answer and the table."""

    def __init__(self, api: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.api, self.runtime, self.monkeypatch = api, runtime, monkeypatch
        self.sent = 0
        self.statuses: dict[str, set[int]] = {}

    def send(self, case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://storeflow.test")
        kwargs.setdefault("headers", {})
        if not any(name.lower() == "authorization" for name in kwargs["headers"]):
            kwargs["headers"]["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        kwargs.pop("cookies", None)
        prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGS}).prepare()
        path = prepared.path_url
        body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
        self.sent += 1
        self.monkeypatch.setattr(
            LambdaEventConverter, "LOCAL_SOURCE_IP", f"198.51.{self.sent // 250}.{self.sent % 250 + 1}"
        )
        before = table_items(self.runtime.table)
        answer = self.api.http.request(case.method, path, headers=dict(prepared.headers), body=body)
        shown = f"{case.method} {path} {body[:300]!r} -> {answer.status_code} {answer.body[:300]!r}"
        self.statuses.setdefault(f"{case.method} {case.operation.path}", set()).add(answer.status_code)
        assert answer.status_code < 500, shown
        text = answer.body.decode(errors="replace") if isinstance(answer.body, bytes) else str(answer.body)
        assert "Traceback" not in text and 'File "' not in text, shown
        content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
        if answer.status_code >= 400:
            if content_type.startswith("application/json"):
                assert set(json.loads(text)) == {"error"}, shown
            assert table_items(self.runtime.table) == before, f"a refused request changed the table: {shown}"


REQUEST_ARGS = {"method", "url", "headers", "params", "data", "json", "files"}


def test_no_generated_request_breaks_a_route_or_half_writes(
    api: Any, runtime: Any, pump: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_store(api, rate_limits={"per_client": 100_000, "per_store": 10_000_000})
    order, _ = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")
    headers = shopify_headers(order, "orders/create", "known-1", shop="demo-shop.myshopify.com")
    assert api.http.post("/webhooks/shopify/demo", headers=headers, body=order).status_code == 200
    pump.drain()  # an event, its runs and actions to find; the engine's heartbeats for /health?deep=1
    sweep(runtime)
    sender = Sender(api, runtime, monkeypatch)
    schema = schemathesis.openapi.from_path(SPEC)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(documented())
    for operation in operations:
        pinned = {"store_id": "demo"} if "{store_id}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=pinned)

            @settings(
                max_examples=EXAMPLES[mode],
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case: Any) -> None:
                sender.send(case)

            try:
                check()
            except Unsatisfiable:
                # nothing of this operation can be made invalid (no body, no parameter but the store)
                assert mode == GenerationMode.NEGATIVE, operation.label
    assert sender.sent >= len(operations) * EXAMPLES[GenerationMode.POSITIVE], sender.sent
    # the requests were not all stopped at the door (auth, routing): many operations accepted some
    accepted = [op for op, statuses in sender.statuses.items() if any(s < 400 for s in statuses)]
    assert len(accepted) >= 10, sender.statuses
