"""Report counters: ADD counters with many attributes per item (a store-day's sales per bucket, a
cohort month's customers), changed in one transaction with the marker that says what they hold (an
order's: the reports domain's part of the order's ledger, storekit.repository.counted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key as Cond

from storekit import keys
from storekit.repository.counted import CountedRepository, CounterWrite


@dataclass(frozen=True)
class CounterChange:
    """ADD `adds` to one counter item's attributes (and SET `labels`, e.g. a product's title)."""

    key: keys.Key
    adds: dict[str, Decimal]
    labels: dict[str, str] = field(default_factory=dict)


class ReportRepository(CountedRepository):
    def report_customer(self, store_id: str, customer: str) -> dict[str, Any] | None:
        key = keys.report_customer(store_id, customer)
        return self._held_marker(key) or self._get(key, consistent=True)

    def apply_counted(
        self,
        store_id: str,
        key: keys.Key,
        item: dict[str, Any],
        version_before: int | None,
        changes: list[CounterChange],
    ) -> bool:
        """Put a marker (`key`, `item`) and apply `changes` to counters in one transaction, only if
        the marker is still at `version_before` (None: none yet). False: another worker was first.
        Within a stream batch the write is held and summed with the batch's others
        (storekit.repository.counted)."""
        marker = {**key, **keys.store_member(store_id, key), "store_id": store_id, **item}
        writes = [
            CounterWrite(store_id, change.key, keys.COUNTER, dict(change.adds), dict(change.labels))
            for change in changes
        ]
        return self._apply_counted(marker, version_before, writes)

    def apply_order_counted(
        self,
        store_id: str,
        order_id: str,
        part: str,
        attrs: dict[str, Any],
        version_before: int | None,
        changes: list[CounterChange],
    ) -> bool:
        """Write the domain's `part` of an order's ledger and apply `changes` to counters in one
        transaction, only if the part is still at `version_before` (None: absent). False: another
        worker was first. Held within a stream batch, like `apply_counted`."""
        writes = [
            CounterWrite(store_id, change.key, keys.COUNTER, dict(change.adds), dict(change.labels))
            for change in changes
        ]
        return self._apply_ledger(store_id, order_id, part, attrs, version_before, writes)

    def sales_days(
        self, store_id: str, first_day: str, last_day: str, bucket: str = "totals"
    ) -> list[dict[str, Any]]:
        """The items of the sales counters (totals, or products) from first_day to last_day inclusive."""
        query = {
            "KeyConditionExpression": Cond("PK").eq(
                keys.counter_partition(store_id, keys.sales_counter(bucket))
            )
            & Cond("SK").between(*keys.counter_days(first_day, last_day)),
        }
        return list(self._query(query))

    def cohorts(self, store_id: str, first_month: str, last_month: str) -> list[dict[str, Any]]:
        query = {
            "KeyConditionExpression": Cond("PK").eq(keys.counter_partition(store_id, keys.COHORT_COUNTER))
            & Cond("SK").between(first_month, last_month),
        }
        return list(self._query(query))
