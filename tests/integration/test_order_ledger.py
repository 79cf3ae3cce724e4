"""The per-order ledger (storekit.repository.counted, keys.order_ledger): each counting domain's
marker of an order is its part of one item, written alone (outside a batch) or with the other
domains' parts (a batch), each conditional on its own version; a store counted before the ledger
keeps counting each order exactly once after the upgrade (the old markers are read while the
ledger has no part)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from storekit import keys
from storekit.repository.items import attributes_of
from storekit.repository.reports import CounterChange
from tests.integration.test_batch_counting import DAY, SAMPLE, variants
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, dynamodb_calls, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER_ID = "7100000000"
NEXT_DAY = "2025-01-24"


def the_order(**changes: Any) -> bytes:
    order = {**json.loads(load_fixture(SAMPLE)[0]), "id": int(ORDER_ID), "name": "#7100"}
    order["admin_graphql_api_id"] = f"gid://shopify/Order/{ORDER_ID}"
    return json.dumps({**order, **changes}).encode()


def deliver(api: Any, pump: Any, topic: str, delivery: str, body: bytes) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()


def counted(api: Any, runtime: Any) -> tuple[int, int, int, list[int]]:
    """(orders, units, cancelled orders) the sales report shows for the order's day and the next
    (a cancellation counts on its own day), and each of its variants' units in the inventory's
    sales counters."""
    answer = api.http.get(f"/stores/demo/reports/sales?from={DAY}&to={NEXT_DAY}", headers=AUTH)
    rows = body_json(answer)["rows"]
    units = [runtime.repo.variant_units_sold("demo", v, DAY, NEXT_DAY) for v in variants()]
    return (
        sum(int(r["orders"]) for r in rows),
        sum(int(r["units"]) for r in rows),
        sum(int(r.get("cancelled_orders", 0)) for r in rows),
        units,
    )


def as_before_the_ledger(runtime: Any) -> None:
    """Make the table what a store counted before the ledger has: the order's markers as the old
    code wrote them (one item per domain: reports' RPTMARK, inventory's SALESMARK), no ledger."""
    table = runtime.table
    ledger = table.get_item(Key=keys.order_ledger("demo", ORDER_ID))["Item"]
    reports = ledger[keys.ledger_part_attr("reports")]
    sales = ledger[keys.ledger_part_attr("sales")]
    for key, item_type, part in (
        (keys.report_marker("demo", ORDER_ID), keys.REPORT_MARKER, reports),
        (keys.sales_marker("demo", ORDER_ID), keys.SALES_MARKER, sales),
    ):
        table.put_item(
            Item={
                **key,
                **keys.store_member("demo", key),
                "type": item_type,
                "store_id": "demo",
                **part,
                "version": 3,
            }
        )
    table.delete_item(Key=keys.order_ledger("demo", ORDER_ID))


@pytest.fixture
def store(api: Any) -> Any:
    put_store(api, timezone="America/New_York", currency="HKD")
    return api


def test_an_order_counted_before_the_ledger_is_not_counted_again_after_the_upgrade(
    store: Any, pump: Any, runtime: Any
) -> None:
    deliver(store, pump, "orders/create", "c-1", the_order())
    assert counted(store, runtime) == (1, 3, 0, [1, 1, 1])
    as_before_the_ledger(runtime)
    # the upgraded dispatcher gets the order again (a redelivery under a new id, an update)
    deliver(store, pump, "orders/create", "c-2", the_order())
    deliver(store, pump, "orders/updated", "u-1", the_order(updated_at="2025-01-24T03:15:00Z"))
    assert counted(store, runtime) == (1, 3, 0, [1, 1, 1])
    # a cancellation after the upgrade takes off what the old markers said was counted, once
    cancelled = the_order(updated_at="2025-01-24T05:00:00Z", cancelled_at="2025-01-24T05:00:00Z")
    deliver(store, pump, "orders/cancelled", "x-1", cancelled)
    deliver(store, pump, "orders/cancelled", "x-2", cancelled)
    assert counted(store, runtime) == (1, 3, 1, [0, 0, 0])
    # both domains now count the order on its ledger, continuing from the old markers
    ledger = runtime.table.get_item(Key=keys.order_ledger("demo", ORDER_ID))["Item"]
    assert ledger[keys.ledger_part_attr("sales")]["cancelled"] is True
    assert ledger[keys.ledger_part_attr("reports")]["facts"]["order"]["cancel_day"] == NEXT_DAY
    assert ledger[keys.ledger_version_attr("sales")] == 1  # its first write: the cancellation


def test_a_part_is_read_with_the_old_marker_in_one_call_and_written_alone(runtime: Any) -> None:
    repo = runtime.repo
    legacy = keys.report_marker("demo", "o1")
    runtime.table.put_item(Item={**legacy, "type": keys.REPORT_MARKER, "facts": {"v": 0}, "version": 4})
    with dynamodb_calls(runtime.table) as calls:
        part = repo.ledger_part("demo", "o1", "reports", legacy)
    assert calls == ["BatchGetItem"]
    assert part == {"facts": {"v": 0}}  # no version: the part is not in the ledger yet
    totals = keys.sales_day("demo", DAY, "totals")

    def count(part: str, version: int | None, attrs: dict[str, Any]) -> bool:
        change = CounterChange(totals, {"orders": Decimal(1)})
        return bool(repo.apply_order_counted("demo", "o1", part, attrs, version, [change]))

    assert count("reports", None, {"facts": {"v": 1}})
    assert count("reports", None, {"facts": {"v": "again"}}) is False  # the part is there now
    assert count("sales", None, {"day": DAY})  # another domain's part: its own version
    assert count("reports", 1, {"facts": {"v": 2}})
    assert count("sales", 2, {"day": "stale"}) is False
    item = attributes_of(runtime.table.get_item(Key=keys.order_ledger("demo", "o1"))["Item"])
    assert item == {
        "store_id": "demo",
        "P#reports": {"facts": {"v": 2}},
        "V#reports": 2,
        "P#sales": {"day": DAY},
        "V#sales": 1,
    }
    [day] = repo.sales_days("demo", DAY, DAY)
    assert day["orders"] == 3  # the three writes that went through, each once
    assert repo.ledger_part("demo", "o1", "reports", legacy) == {"facts": {"v": 2}, "version": 2}


def test_within_a_batch_the_second_domain_reads_only_its_old_marker(runtime: Any) -> None:
    repo = runtime.repo
    with dynamodb_calls(runtime.table) as calls, repo.counting_held():
        repo.ledger_part("demo", "o2", "reports", keys.report_marker("demo", "o2"))
        repo.ledger_part("demo", "o2", "sales", keys.sales_marker("demo", "o2"))
        repo.ledger_part("demo", "o2", "reports", keys.report_marker("demo", "o2"))
    assert calls == ["BatchGetItem", "GetItem"]


def test_a_customer_redact_keeps_the_ledger_so_a_later_delivery_does_not_count_the_order_again(
    store: Any, pump: Any, runtime: Any
) -> None:
    """The ledger holds no personal data (item ids, amounts, days): customers/redact leaves it, so
    the order's counts stay exact when one of its deliveries comes again after the redact."""
    deliver(store, pump, "orders/create", "c-1", the_order())
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 1, "email": "someone@example.com"},
        "orders_to_redact": [int(ORDER_ID)],
    }
    deliver(store, pump, "customers/redact", "r-1", json.dumps(redact).encode())
    assert runtime.table.get_item(Key=keys.entity_state("demo", "order", ORDER_ID)).get("Item") is None
    ledger = runtime.table.get_item(Key=keys.order_ledger("demo", ORDER_ID))["Item"]
    names = set(attributes_of(ledger))
    assert {"P#reports", "P#sales", "P#fraud"} <= names
    assert all(n == "store_id" or n[:2] in ("P#", "V#") for n in names), names
    deliver(store, pump, "orders/create", "c-2", the_order())
    assert counted(store, runtime) == (1, 3, 0, [1, 1, 1])
