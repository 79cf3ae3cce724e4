"""Counting per stream batch (issue 17, item 7: dispatch's write units): the orders a batch holds
are counted with their markers and the counters summed (storekit.repository.counted), written before
the batch's events are finished. Each counter item is written once per batch, not once per order,
and every order still counts exactly once: under redelivery with new delivery ids, when the batch's
write fails (counted again event by event), and when another worker counted an order first."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from storekit import keys
from storekit.repository.counted import CountedRepository
from storekit.repository.reports import CounterChange
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, listed, put_store, shopify_headers
from tests.write_units import metered_drain

pytestmark = pytest.mark.integration

SAMPLE = "shopify/orders_create__2025-store-line-item-discount.json"  # 3 variants, 1 unit each, HKD
DAY = "2025-01-23"  # the orders' store-local day (New York)
ORDERS = 6


def deliveries(prefix: str) -> list[tuple[str, str, bytes]]:
    """Each order created, then updated (the mix of `make load`)."""
    template = json.loads(load_fixture(SAMPLE)[0])
    out = []
    for n in range(ORDERS):
        order = {**template, "id": 7_000_000_000 + n, "name": f"#{7000 + n}"}
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
        out.append(("orders/create", f"{prefix}-c{n}", json.dumps(order).encode()))
        updated = {**order, "updated_at": "2025-01-24T03:15:00Z"}
        out.append(("orders/updated", f"{prefix}-u{n}", json.dumps(updated).encode()))
    return out


def deliver(api: Any, items: list[tuple[str, str, bytes]]) -> None:
    for topic, delivery, body in items:
        answer = api.http.post(
            "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery), body=body
        )
        assert answer.status_code == 200, answer.body


def variants() -> list[str]:
    template = json.loads(load_fixture(SAMPLE)[0])
    return [str(line["variant_id"]) for line in template["line_items"]]


def assert_counted_once_each(api: Any, runtime: Any) -> None:
    answer = api.http.get(f"/stores/demo/reports/sales?from={DAY}&to={DAY}", headers=AUTH)
    [row] = body_json(answer)["rows"]
    assert (row["orders"], row["units"]) == (ORDERS, 3 * ORDERS)
    for variant in variants():
        assert runtime.repo.variant_units_sold("demo", variant, DAY, DAY) == ORDERS
    top = body_json(api.http.get(f"/stores/demo/reports/top-products?from={DAY}&to={DAY}", headers=AUTH))
    assert sorted(r["units"] for r in top["rows"]) == [ORDERS] * 3
    events = listed(api, "demo", "events")
    assert {e["status"] for e in events} == {"processed"}


@pytest.fixture
def store(api: Any) -> Any:
    put_store(api, timezone="America/New_York", currency="HKD")
    return api


def test_a_batch_of_new_orders_writes_each_counter_once_and_counts_every_order_once(
    store: Any, pump: Any, runtime: Any, resources: Any, session: Any
) -> None:
    deliver(store, deliveries("d"))
    meter = metered_drain(pump, runtime, resources, session)
    assert_counted_once_each(store, runtime)
    # one stream batch: each variant's sales block and the day's sales items written once, and
    # each order's ledger once, with both domains' parts (its orders/updated read what its
    # orders/create left), no marker item per domain
    assert meter.writes["VSALES"] == 3, meter.writes
    assert meter.writes["LEDGER"] == ORDERS
    assert not meter.writes["SALESMARK/SALES"] and not meter.writes["RPTMARK/REPORT"]
    assert meter.writes["COUNTER sales/totals"] == 1
    assert meter.writes["COUNTER sales-products/products"] == 1
    # the same orders again under new delivery ids, in another order: nothing counts twice
    deliver(store, list(reversed(deliveries("again"))))
    pump.drain()
    assert_counted_once_each(store, runtime)


def test_a_batch_whose_counted_write_fails_counts_its_events_one_by_one(
    store: Any, pump: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = CountedRepository.flush_counted
    failed = []

    def throttled(self: CountedRepository, *, hold_on: bool = False) -> bool:
        if not failed:
            failed.append(True)
            self._counted_hold.held = None  # dropped: nothing of the batch was written
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "Transact")
        return real(self, hold_on=hold_on)

    monkeypatch.setattr(CountedRepository, "flush_counted", throttled)
    deliver(store, deliveries("d"))
    pump.drain()
    assert failed
    assert_counted_once_each(store, runtime)


def test_an_order_another_worker_counted_first_is_not_written_by_the_batch(runtime: Any) -> None:
    repo = runtime.repo
    ledger = keys.order_ledger("demo", "o1")
    totals = keys.sales_day("demo", DAY, "totals")

    def count(version: int | None, facts: dict[str, Any]) -> bool:
        item = {"facts": facts, "held": {}}
        change = CounterChange(totals, {"orders": Decimal(1)})
        return bool(repo.apply_order_counted("demo", "o1", "reports", item, version, [change]))

    def facts() -> Any:
        return repo.ledger_part("demo", "o1", "reports")["facts"]

    with repo.counting_held():
        assert count(None, {"v": 1})
        assert facts() == {"v": 1}  # read back before it is written
        assert repo._get(ledger) is None
        assert count(1, {"v": 2})  # a second event of the order in the batch, on the first
        assert count(None, {"v": 3}) is False  # read before the batch's: read again
        # meanwhile another worker (no hold: another thread) counts the same order first
        other = threading.Thread(target=lambda: count(None, {"v": "other"}))
        other.start()
        other.join()
        assert repo.flush_counted() is False
    [day] = repo.sales_days("demo", DAY, DAY)
    assert day["orders"] == 1  # the other worker's count, once; nothing of the batch's
    assert facts() == {"v": "other"}


def test_a_shop_redact_in_the_same_batch_as_new_orders_leaves_none_of_their_counts(
    store: Any, pump: Any, runtime: Any
) -> None:
    """What the batch holds is written before the redaction runs: nothing of the store is written
    back after it deletes the store's items."""
    deliver(store, deliveries("d")[:4])
    body = json.dumps({"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}).encode()
    deliver(store, [("shop/redact", "s-1", body)])
    pump.drain()
    assert store.http.get("/stores/demo", headers=AUTH).status_code == 404
    left = [item for item in runtime.table.scan()["Items"] if str(item["PK"]).startswith("STORE#demo#")]
    counted = [
        item["PK"]
        for item in left
        if any(k in str(item["PK"]) for k in ("LEDGER", "MARK", "VSALES", "COUNTER#sales"))
    ]
    assert counted == []
