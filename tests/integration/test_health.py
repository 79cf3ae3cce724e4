"""`GET /health?deep=1` (issue 17, item 8): the sweeper's lag and the stream handlers' backlog, from
the heartbeats the engine writes; 503 when the sweeper stopped sweeping."""

from __future__ import annotations

from typing import Any

import pytest

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]


def deep(api: Any) -> Any:
    return api.http.get("/health?deep=1", headers=AUTH)


def test_the_deep_check_needs_the_admin_token_and_a_clear_value(api: Any) -> None:
    assert api.http.get("/health?deep=1").status_code == 401
    bad = api.http.get("/health?deep=yes", headers=AUTH)
    assert bad.status_code == 400
    assert "deep" in body_json(bad)["error"]
    assert api.http.get("/health?deep=0").status_code == 200  # plain liveness, no token


def test_a_sweeper_that_stopped_sweeping_turns_the_check_red(api: Any, runtime: Any, clock: Any) -> None:
    never = deep(api)
    assert never.status_code == 503
    assert "has not swept yet" in body_json(never)["problems"][0]

    sweep(runtime)
    fine = deep(api)
    assert fine.status_code == 200, body_json(fine)
    assert body_json(fine)["sweeper"]["seconds_since_last_sweep"] == 0

    clock.advance(minutes=10)  # ten minutes without a sweep
    late = deep(api)
    assert late.status_code == 503
    assert "last swept 600 s ago" in body_json(late)["problems"][0]


def test_stream_handlers_report_their_last_batch(api: Any, runtime: Any, pump: Any) -> None:
    sweep(runtime)
    put_store(api)
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(ORDER, "orders/create", "h-1"), body=ORDER
    )
    assert answer.status_code == 200
    pump.drain()
    stream = body_json(deep(api))["stream"]
    for handler in ("dispatch", "execute"):
        assert stream[handler]["last_batch_at"] is not None, stream
        assert stream[handler]["record_age_seconds"] is not None


def test_a_busy_stream_writes_its_heartbeat_once_a_minute_and_health_still_follows_it(
    api: Any, runtime: Any, clock: Any
) -> None:
    sweep(runtime)
    first = clock.now().isoformat()
    assert runtime.repo.note_stream_batch("dispatch", first) is True
    # the next batches within the minute cost no write
    clock.advance(seconds=20)
    assert runtime.repo.note_stream_batch("dispatch", clock.now().isoformat()) is False
    assert body_json(deep(api))["stream"]["dispatch"]["seconds_since_last_batch"] == 20
    # a minute on, the next batch writes again, and health shows it
    clock.advance(seconds=45)
    assert runtime.repo.note_stream_batch("dispatch", clock.now().isoformat()) is True
    assert body_json(deep(api))["stream"]["dispatch"]["seconds_since_last_batch"] == 0
    # each handler has its own minute
    assert runtime.repo.note_stream_batch("execute", clock.now().isoformat()) is True
