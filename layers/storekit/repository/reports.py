"""Report counters: ADD counters with many attributes per item (a store-day's sales per bucket, a
cohort month's customers), changed in one transaction with the marker that says what they hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key as Cond
from botocore.exceptions import ClientError

from storekit import keys
from storekit.repository.base import TableRepository, is_conditional_failure

#: DynamoDB takes at most 100 items in one transaction (one is the marker)
MAX_CHANGES = 99


@dataclass(frozen=True)
class CounterChange:
    """ADD `adds` to one counter item's attributes (and SET `labels`, e.g. a product's title)."""

    key: keys.Key
    adds: dict[str, Decimal]
    labels: dict[str, str] = field(default_factory=dict)


class ReportRepository(TableRepository):
    def report_marker(self, store_id: str, order_id: str) -> dict[str, Any] | None:
        return self._get(keys.report_marker(store_id, order_id), consistent=True)

    def report_customer(self, store_id: str, customer: str) -> dict[str, Any] | None:
        return self._get(keys.report_customer(store_id, customer), consistent=True)

    def apply_counted(
        self,
        store_id: str,
        key: keys.Key,
        item: dict[str, Any],
        version_before: int | None,
        changes: list[CounterChange],
    ) -> bool:
        """Put a marker (`key`, `item`) and apply `changes` to counters in one transaction, only if
        the marker is still at `version_before` (None: none yet). False: another worker was first."""
        client = self._table.meta.client
        table = self._table.name
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(PK)"}
            if version_before is None
            else {"ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": version_before}}
        )
        marker = {**key, **keys.store_member(store_id, key), "store_id": store_id, **item}
        marker["version"] = (version_before or 0) + 1
        if not changes:  # the marker alone (e.g. a newer version that counts the same): no transaction
            try:
                self._table.put_item(Item=marker, **condition)
            except ClientError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
            return True
        writes: list[dict[str, Any]] = [{"Put": {"TableName": table, "Item": marker, **condition}}]
        for change in changes[:MAX_CHANGES]:
            writes.append({"Update": _counter_update(table, store_id, change)})
        try:  # the resource's client takes plain values (boto3 serializes them)
            client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

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


def _counter_update(table: str, store_id: str, change: CounterChange) -> dict[str, Any]:
    names: dict[str, str] = {"#t": "type", "#gp": "GSI2PK", "#gs": "GSI2SK"}
    member = keys.store_member(store_id, change.key)
    values: dict[str, Any] = {":t": keys.COUNTER, ":gp": member["GSI2PK"], ":gs": member["GSI2SK"]}
    adds: list[str] = []
    sets = ["#t = :t", "#gp = :gp", "#gs = :gs"]
    for i, (attr, amount) in enumerate(sorted(change.adds.items())):
        names[f"#a{i}"] = attr
        values[f":a{i}"] = amount
        adds.append(f"#a{i} :a{i}")
    for i, (attr, text) in enumerate(sorted(change.labels.items())):
        names[f"#l{i}"] = attr
        values[f":l{i}"] = text
        sets.append(f"#l{i} = :l{i}")
    expression = "SET " + ", ".join(sets)
    if adds:
        expression += " ADD " + ", ".join(adds)
    return {
        "TableName": table,
        "Key": change.key,
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
