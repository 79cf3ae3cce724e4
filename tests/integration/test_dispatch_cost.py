"""What dispatching costs in table writes (issue 17, item 7: `make load` measures it in full): the
writes that were per event and are now per stream batch still add up to exact reports."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, listed, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"


class WriteLog:
    """The table writes (by operation and key partition) a runtime makes while recording."""

    def __init__(self, table: Any) -> None:
        self._events = table.meta.client.meta.events
        self.writes: Counter[str] = Counter()

    def _note(self, model: Any, params: Any, **_: Any) -> None:
        key = params.get("Key") or params.get("Item") or {}
        pk = key.get("PK", {})
        self.writes[f"{model.name} {pk.get('S', pk) if isinstance(pk, dict) else pk}"] += 1

    def __enter__(self) -> WriteLog:
        self._events.register("provide-client-params.dynamodb.UpdateItem", self._note)
        self._events.register("provide-client-params.dynamodb.PutItem", self._note)
        return self

    def __exit__(self, *_: Any) -> None:
        self._events.unregister("provide-client-params.dynamodb.UpdateItem", self._note)
        self._events.unregister("provide-client-params.dynamodb.PutItem", self._note)

    def to(self, fragment: str) -> int:
        return sum(n for what, n in self.writes.items() if fragment in what)


def test_a_batch_of_events_adds_to_its_activity_counter_with_one_write_and_counts_exactly(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    raw = load_fixture(ORDER)[0]
    for n in range(5):
        headers = shopify_headers(raw, "orders/create", f"c-{n}")
        assert api.http.post("/webhooks/shopify/demo", headers=headers, body=raw).status_code == 200
    with WriteLog(runtime.table) as log:
        pump.drain()
        pump.drain()  # repeated stream records count nothing
    assert log.to("#COUNTER#events") == 1  # five events of one topic and day: one write
    report = body_json(api.http.get("/stores/demo/reports/activity?days=1", headers=AUTH))
    assert report["days"][0]["events"] == {"order.created": 5}
    actions = listed(api, "demo", "actions")
    assert actions and report["days"][0]["actions"] == {"planned": len(actions)}
    assert log.to("#COUNTER#actions") <= 2  # the actions settled in one or two executor batches


def test_an_action_is_written_twice_when_carried_out_and_its_history_still_shows_the_attempt(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    raw = load_fixture(ORDER)[0]
    assert api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(raw, "orders/create", "x-1"), body=raw
    )
    with WriteLog(runtime.table) as log:
        pump.drain()  # dispatch writes the actions (PutItem), execute carries them out
    actions = listed(api, "demo", "actions")
    assert actions and {a["status"] for a in actions} == {"planned"}
    # claimed (running), then planned with the attempt noted by the same write
    assert log.to("PutItem STORE#demo#ACTION#") == len(actions)
    assert log.to("UpdateItem STORE#demo#ACTION#") == 2 * len(actions)
    for action in actions:
        detail = body_json(api.http.get(f"/stores/demo/actions/{action['action_id']}", headers=AUTH))
        [attempt] = detail["history"]
        assert attempt["outcome"] == "planned" and attempt["mode"] == "dry-run"
        assert attempt["reason"] == "dry-run: nothing was called"
