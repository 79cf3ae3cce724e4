"""Fraud: what the risk score reads besides the order (functions/fraud/facts.py): each order's
fraud facts (its transactions' card checks, the platform's risk level), the velocity counters per
email, IP, card and address (one item per window, an attribute per order: writing the same order
twice counts it once), the store's running order value, and the chargeback flags. Every item
carries the store-member index, so shop/redact deletes it with the rest of the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storekit import keys
from storekit.repository.base import TableRepository
from storekit.repository.items import attributes_of

#: a velocity window holds at most this many orders (a bot's flood is flagged long before)
VELOCITY_CAP = 500


def _member_set(
    store_id: str, key: keys.Key, item_type: str
) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    member = keys.store_member(store_id, key)
    return (
        ["#type = :type", "store_id = :store", "GSI2PK = :mp", "GSI2SK = :ms"],
        {"#type": "type"},
        {":type": item_type, ":store": store_id, ":mp": member["GSI2PK"], ":ms": member["GSI2SK"]},
    )


class FraudRepository(TableRepository):
    def keep_fraud_facts(self, store_id: str, order_id: str, fields: dict[str, Any]) -> None:
        """Set attributes of an order's fraud facts (card checks, platform risk level)."""
        key = keys.fraud_facts(store_id, order_id)
        sets, names, values = _member_set(store_id, key, keys.FRAUD_FACTS)
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        self._table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def fraud_facts(self, store_id: str, order_id: str) -> dict[str, Any]:
        """An order's fraud facts ({} when none): one GetItem."""
        item = self._get(keys.fraud_facts(store_id, order_id), consistent=True)
        return attributes_of(item) if item else {}

    def count_order_value(self, store_id: str, order_id: str, amount: Decimal) -> bool:
        """Add one order's value to the store's running sum, once per order: the order's facts are
        marked counted first (conditional), and only the write that marked them adds. False when it
        was counted already. (Not a transaction: moto answers a failed TransactWriteItems by
        restoring a copy of the table, which cuts the local stack's stream; a crash between the two
        writes leaves one order out of an average, which is harmless.)"""
        facts = keys.fraud_facts(store_id, order_id)
        sets, names, values = _member_set(store_id, facts, keys.FRAUD_FACTS)
        marked = self._update_if(
            Key=facts,
            UpdateExpression="SET " + ", ".join([*sets, "counted = :yes"]),
            ConditionExpression="attribute_not_exists(counted)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":yes": True},
        )
        if not marked:
            return False
        stats = keys.fraud_stats(store_id)
        stat_sets, stat_names, stat_values = _member_set(store_id, stats, keys.FRAUD_STATS)
        self._table.update_item(
            Key=stats,
            UpdateExpression="SET " + ", ".join(stat_sets) + " ADD orders :one, amount_sum :amount",
            ExpressionAttributeNames=stat_names,
            ExpressionAttributeValues={**stat_values, ":one": 1, ":amount": amount},
        )
        return True

    def note_velocity(
        self,
        store_id: str,
        dimension: str,
        value: str,
        window_start: int,
        order_id: str,
        at: int,
        expires_at: int,
        units: int | None = None,
    ) -> None:
        """Put one order into its window's counter (the same order again changes nothing; a full
        window takes no more); with `units`, how many units of a product it bought."""
        key = keys.fraud_velocity(store_id, dimension, value, window_start)
        sets, names, values = _member_set(store_id, key, keys.FRAUD_VELOCITY)
        names["#o"] = f"o#{order_id}"
        if units is not None:
            names["#u"] = f"u#{order_id}"
            values[":units"] = units
            sets.append("#u = :units")
        self._update_if(
            Key=key,
            UpdateExpression="SET " + ", ".join([*sets, "#o = :at", "expires_at = :exp"]) + " ADD n :one",
            ConditionExpression="attribute_not_exists(#o) AND (attribute_not_exists(n) OR n < :cap)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                **values,
                ":at": at,
                ":exp": expires_at,
                ":one": 1,
                ":cap": VELOCITY_CAP,
            },
        )

    def flag_for_fraud(self, store_id: str, dimension: str, value: str, fields: dict[str, Any]) -> None:
        """Mark an email, IP, card or address (a chargeback named it): later orders score higher."""
        key = keys.fraud_flag(store_id, dimension, value)
        sets, names, values = _member_set(store_id, key, keys.FRAUD_FLAG)
        for i, (name, field_value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = field_value
            sets.append(f"#f{i} = :f{i}")
        self._table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(sets) + " ADD flags :one",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":one": 1},
        )

    def fraud_items(self, item_keys: list[keys.Key]) -> dict[tuple[str, str], dict[str, Any]]:
        """The items at these keys (missing ones left out), by (PK, SK): one BatchGetItem (at most
        100 keys; keys DynamoDB leaves unprocessed under load are asked again)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list({(k["PK"], k["SK"]): k for k in item_keys}.values())[:100]
        if not unique:
            return found
        client = self._table.meta.client  # the table's own: it takes and gives plain values
        request: dict[str, Any] = {self._table.name: {"Keys": unique, "ConsistentRead": True}}
        for _ in range(5):
            answer = client.batch_get_item(RequestItems=request)
            for raw in answer.get("Responses", {}).get(self._table.name, []):
                item = dict(raw)  # the resource's client reads DynamoDB's typed values
                found[(str(item["PK"]), str(item["SK"]))] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        return found
