"""The store's running order value (what the risk score judges a first order by) counts each new
order once, written once per stream batch (the fraud domain's part of the order's ledger, in the
transaction with the summed stats: storekit.repository.counted), never once per order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from storekit import keys
from tests.integration.test_batch_counting import ORDERS, deliver, deliveries
from tests.support import dynamodb_calls, put_store
from tests.write_units import metered_drain

pytestmark = pytest.mark.integration

TOTAL = Decimal("304.00")  # the sample order's total_price


def stats(runtime: Any) -> tuple[int, Decimal]:
    item = runtime.table.get_item(Key=keys.fraud_stats("demo"), ConsistentRead=True).get("Item") or {}
    return int(item.get("orders", 0)), Decimal(str(item.get("amount_sum", 0)))


@pytest.fixture
def store(api: Any) -> Any:
    put_store(api, timezone="America/New_York", currency="HKD")
    return api


def test_a_batch_of_new_orders_writes_the_store_stats_once_and_counts_each_order_once(
    store: Any, pump: Any, runtime: Any, resources: Any, session: Any
) -> None:
    deliver(store, deliveries("d"))
    meter = metered_drain(pump, runtime, resources, session)
    assert stats(runtime) == (ORDERS, ORDERS * TOTAL)
    assert meter.writes["FRAUDSTATS/STATS"] == 1, meter.writes  # one stream batch, one write
    # the same orders again under new delivery ids, in another order: none counts twice
    deliver(store, list(reversed(deliveries("again"))))
    pump.drain()
    assert stats(runtime) == (ORDERS, ORDERS * TOTAL)


def test_an_order_whose_value_was_counted_before_the_ledger_is_not_counted_again(
    store: Any, pump: Any, runtime: Any
) -> None:
    """Before the ledger an order's value was marked `counted` on its fraud facts: that mark is
    read while the order's ledger has no fraud part."""
    first = deliveries("d")[0]
    order_id = str(7_000_000_000)
    facts = keys.fraud_facts("demo", order_id)
    runtime.table.put_item(Item={**facts, "type": keys.FRAUD_FACTS, "store_id": "demo", "counted": True})
    runtime.table.put_item(
        Item={**keys.fraud_stats("demo"), "type": keys.FRAUD_STATS, "orders": 1, "amount_sum": TOTAL}
    )
    deliver(store, [first])
    pump.drain()
    assert stats(runtime) == (1, TOTAL)


def test_a_batch_reads_the_stats_it_holds_before_writing_them(runtime: Any) -> None:
    """The second new order of a batch is judged with the first in the store's average."""
    repo = runtime.repo
    key = keys.fraud_stats("demo")
    with repo.counting_held():
        assert repo.count_fraud_part("demo", "o1", "fraud", {"counted": True}, None, {}, TOTAL)
        assert repo.count_fraud_part("demo", "o2", "fraud", {"counted": True}, None, {}, Decimal("10"))
        seen = repo.fraud_items([key])[(key["PK"], key["SK"])]
        assert (seen["orders"], seen["amount_sum"]) == (2, TOTAL + 10)
        assert runtime.table.get_item(Key=key).get("Item") is None  # not written yet
        assert repo.flush_counted()
    assert stats(runtime) == (2, TOTAL + 10)


def test_the_fraud_facts_the_score_read_are_not_read_again_for_the_ledger(runtime: Any) -> None:
    """Within a batch, the order's fraud facts the risk score's loader read (one BatchGetItem) are
    what the fraud part of its ledger falls back on: only the ledger is read after it."""
    repo = runtime.repo
    facts = keys.fraud_facts("demo", "o1")
    with dynamodb_calls(runtime.table) as calls, repo.counting_held():
        repo.fraud_items([facts, keys.fraud_stats("demo")])
        assert repo.ledger_part("demo", "o1", "fraud", facts) is None
    assert calls == ["BatchGetItem", "GetItem"]
