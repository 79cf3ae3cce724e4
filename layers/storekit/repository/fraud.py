"""Fraud: what the risk score reads besides the order (functions/fraud/facts.py): each order's
fraud facts (its transactions' card checks, the platform's risk level), the velocity counters per
email, IP, card and address (one item per window, an attribute per order: writing the same order
twice counts it once; the risk score's windows keep only the orders that decide it), the store's
running order value and the fraud report's counters (each order counted once through the domain's
part of the order's ledger, storekit.repository.counted, which holds its value `counted`, its day,
risk band and outcomes: summed per stream batch), and the chargeback flags. Every item carries the
store-member index, so shop/redact deletes it with the rest of the store."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.repository.base import is_conditional_failure
from storekit.repository.counted import CountedRepository, CounterWrite
from storekit.repository.items import attributes_of

#: a velocity window holds at most this many orders (a bot's flood is flagged long before); the risk
#: score's windows keep at most this many earliest and as many latest (FraudRepository.note_velocity)
VELOCITY_CAP = 500
#: a trimmed velocity window: the middle proved droppable (created-at strictly between), and the
#: `keep` it was trimmed to (the risk score's reader tells a trimmed window by it)
_MID_LO, _MID_HI, VELOCITY_KEPT = "mid_lo", "mid_hi", "keep"
#: a velocity window is trimmed at most once per this many new orders (room kept for them)
_TRIM_EVERY = 8
#: at most this many orders are dropped by one write (the expression stays well under DynamoDB's
#: 4 KB, and moto's parser, which nests each name of a REMOVE one level deeper, copes)
_TRIM_MOST = 120
#: DynamoDB charges a write per started KB of the item: a trimmed window keeps to its KBs
_BLOCK = 1024
#: what a trim's marks add to the item (their names and values)
_TRIM_MARKS = 40


def _flat_size(item: dict[str, Any]) -> int:
    """About what DynamoDB counts of an item of plain strings and numbers (names + values)."""
    return sum(len(name.encode()) + len(str(value).encode()) for name, value in item.items())


def _member_set(
    store_id: str, key: keys.Key, item_type: str
) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    member = keys.store_member(store_id, key)
    return (
        ["#type = :type", "store_id = :store", "GSI2PK = :mp", "GSI2SK = :ms"],
        {"#type": "type"},
        {":type": item_type, ":store": store_id, ":mp": member["GSI2PK"], ":ms": member["GSI2SK"]},
    )


class FraudRepository(CountedRepository):
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
        keep: int | None = None,
    ) -> None:
        """Put one order into its window's counter (the same order again changes nothing).

        With `keep` (the risk score's velocity: keep = velocity_max_orders + 1, at most
        VELOCITY_CAP): the item keeps only the window's `keep` earliest and `keep` latest orders (by
        created-at), which answer every velocity question exactly (see `_trim_velocity`), so one
        identity's flood keeps it under a KB. Without `keep` (with `units`: the hoarding guard's unit
        sums, which dropping an order would undercount): the window's first VELOCITY_CAP orders,
        later ones refused."""
        key = keys.fraud_velocity(store_id, dimension, value, window_start)
        sets, names, values = _member_set(store_id, key, keys.FRAUD_VELOCITY)
        names["#o"] = f"o#{order_id}"
        if keep is not None and units is None:
            self._note_kept(key, sets, names, values, at, expires_at, min(max(keep, 1), VELOCITY_CAP))
            return
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

    def _note_kept(
        self,
        key: keys.Key,
        sets: list[str],
        names: dict[str, str],
        values: dict[str, Any],
        at: int,
        expires_at: int,
        keep: int,
    ) -> None:
        """One conditional UpdateItem: the order in, unless it is there already or it falls inside
        the middle a trim proved droppable (strictly between `mid_lo` and `mid_hi`: at least `keep`
        orders of the window before it and after it); the item comes back with the write, and when
        it has outgrown its KB the middle orders go (`_trim_velocity`)."""
        names |= {"#lo": _MID_LO, "#hi": _MID_HI}
        try:
            answer = self._table.update_item(
                Key=key,
                UpdateExpression="SET " + ", ".join([*sets, "#o = :at", "expires_at = :exp"]),
                ConditionExpression="attribute_not_exists(#o) AND "
                "(attribute_not_exists(#lo) OR :at <= #lo OR :at >= #hi)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":at": at, ":exp": expires_at},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_conditional_failure(exc):  # kept already, or in the middle: nothing to change
                return
            raise
        self._trim_velocity(key, answer.get("Attributes") or {}, keep, _flat_size({names["#o"]: at}))

    def _trim_velocity(self, key: keys.Key, item: dict[str, Any], keep: int, one_order: int) -> None:
        """Drop the orders of a velocity window other than its `keep` earliest and `keep` latest,
        once the next order would take the item past the KB it needs (with room for _TRIM_EVERY
        more orders): about one write in _TRIM_EVERY or more, however many orders one IP sends.

        Why no count changes: the orders of a window inside a velocity range [at - width, at] are
        the window's earliest ones (the window `at` is in: those up to `at`) or its latest ones (the
        window before: those from `at - width`). Such a range that takes in a dropped order takes
        in all `keep` orders on that side of it, which are kept: the count is exact while it is
        below `keep`, and at least `keep` (one of them may be the order scored: velocity_max_orders
        others, enough to fire) both kept and in truth. Only orders with `keep` orders before and
        after them, in the item as this write returned it (a subset of every order the window ever
        had: so also in truth, whatever other writers did since), are dropped: no condition needed
        but that the item still exists. `mid_lo`/`mid_hi` mark that middle, so a later write of an
        order inside it (a repeat, a late delivery) writes nothing; `keep` says the item dropped
        orders, for the reason text (functions.fraud.facts.read_facts)."""
        orders = sorted((int(when), name) for name, when in item.items() if name.startswith("o#"))
        if len(orders) <= 2 * keep:
            return
        middle = orders[keep:-keep]
        size = _flat_size(item)
        later = middle[_TRIM_MOST:]  # an item the old counter filled (500 orders): in a few writes
        middle = middle[:_TRIM_MOST]
        after = size - sum(_flat_size({name: when}) for when, name in middle)
        after += 0 if VELOCITY_KEPT in item else _TRIM_MARKS
        room = math.ceil((after + _TRIM_EVERY * one_order) / _BLOCK) * _BLOCK
        if not later and size + one_order <= room:
            return
        names = {f"#d{i}": name for i, (_, name) in enumerate(middle)}
        names |= {"#lo": _MID_LO, "#hi": _MID_HI, "#k": VELOCITY_KEPT}
        self._update_if(
            Key=key,
            UpdateExpression="REMOVE "
            + ", ".join(f"#d{i}" for i in range(len(middle)))
            + " SET #lo = :lo, #hi = :hi, #k = :k",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":lo": orders[keep - 1][0], ":hi": orders[-keep][0], ":k": keep},
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
        100 keys; keys DynamoDB leaves unprocessed under load are asked again), with what the
        stream batch being handled adds to them and holds (read-your-writes)."""
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
        held = self._held()
        for key in unique:  # kept for the stream batch: an order's facts are the fraud part's legacy
            slot = (key["PK"], key["SK"])
            if held is not None and slot not in held.reads:
                held.reads[slot] = dict(found[slot]) if slot in found else None
        for key in unique:  # what the stream batch adds and has not written yet (the store's sum)
            adds = self._held_adds(key)
            if adds:
                item = found.setdefault((key["PK"], key["SK"]), dict(key))
                for attr, amount in adds.items():
                    item[attr] = item.get(attr, 0) + amount
        return found

    # --- money movements (refunds, store credit), one item per order and reason ---------------------
    def record_money_movement(
        self, store_id: str, order_id: str, reason: str, fields: dict[str, Any]
    ) -> bool:
        """Record (or bring up to date) one money movement of an order for one reason. The first
        record wins its kind and amount (a second movement for the same order and reason is never
        recorded as another one); its status follows the action. False when it was there already."""
        key = keys.fraud_money(store_id, order_id, reason)
        sets, names, values = _member_set(store_id, key, keys.FRAUD_MONEY)
        first = {k: v for k, v in fields.items() if k != "status"}
        for i, (name, value) in enumerate(first.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = if_not_exists(#f{i}, :f{i})")
        names["#status"] = "status"
        values[":status"] = fields.get("status", "planned")
        sets.append("#status = :status")
        answer = self._table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_OLD",
        )
        return "Attributes" not in answer or "kind" not in answer["Attributes"]

    def money_movements(self, store_id: str, order_id: str) -> list[dict[str, Any]]:
        """An order's money movements (one Query of the order's partition)."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.entity_partition(store_id, "order", order_id))
            & Key("SK").begins_with(f"{keys.FRAUD_MONEY}#"),
            "ConsistentRead": True,
        }
        return [attributes_of(item) for item in self._query(query)]

    # --- the fraud report's per-day counters ---------------------------------------------------------
    def fraud_counts(
        self, store_id: str, first_day: str, last_day: str
    ) -> list[tuple[str, str, str, Decimal]]:
        """(day, band, metric, value) of every fraud counter first_day..last_day (store-local days):
        one Query of one partition, O(days x bands x metrics) items."""
        return self._day_counts(store_id, keys.FRAUD_COUNTER, first_day, last_day)

    def count_fraud_part(
        self,
        store_id: str,
        order_id: str,
        part: str,
        attrs: dict[str, Any],
        version_before: int | None,
        counts: dict[tuple[str, str, str], int],
        amount: Decimal | None = None,
    ) -> bool:
        """Write the domain's `part` of an order's ledger (`attrs`: what its counters hold of the
        order: its value `counted`, its day, band and outcomes) with what the write counts, in one
        transaction, only if the part is still at `version_before` (None: absent): `counts`, the
        report counters to add to by (day, band, metric) (-1 takes one off: a band that moves);
        `amount`, a new order's value into the store's running sum. Within a stream batch, held
        with the batch's other counted writes (each counter written once per batch). False:
        another worker changed the part first (the caller reads it again)."""
        changes = []
        if amount is not None:
            stats = keys.fraud_stats(store_id)
            changes.append(
                CounterWrite(
                    store_id,
                    stats,
                    keys.FRAUD_STATS,
                    {"orders": 1, "amount_sum": amount},
                    {"store_id": store_id},
                )
            )
        for (day, band, metric), amount_of in counts.items():
            if amount_of:
                key = keys.counter(store_id, keys.FRAUD_COUNTER, day, f"{band}#{metric}")
                changes.append(CounterWrite(store_id, key, keys.COUNTER, {"value": amount_of}))
        return self._apply_ledger(store_id, order_id, part, attrs, version_before, changes)

    def fraud_facts_as_read(self, store_id: str, order_id: str) -> dict[str, Any]:
        """An order's fraud facts ({} when none), read consistently, or as the stream batch read them
        (the risk score's loader): where an order scored before its outcomes moved to its ledger
        keeps its day, band and outcomes."""
        key = keys.fraud_facts(store_id, order_id)
        item = self._read_items([key])[(str(key["PK"]), str(key["SK"]))]
        return attributes_of(item) if item else {}

    # --- limited products (the hoarding guard's tag) -------------------------------------------------
    def set_limited_product(self, store_id: str, product_id: str, limited: bool) -> None:
        key = keys.fraud_limited_product(store_id, product_id)
        if not limited:
            self._table.delete_item(Key=key)
            return
        self._table.put_item(Item={**key, **keys.store_member(store_id, key), "type": keys.FRAUD_LIMITED})

    # --- customers/redact -----------------------------------------------------------------------
    def forget_fraud_identity(self, store_id: str, dimension: str, value: str) -> int:
        """Delete the chargeback flag and the velocity windows kept for one email or address (their
        keys are hashes of it: found by key, never by a scan). Returns the items deleted."""
        deleted = 0
        flag = keys.fraud_flag(store_id, dimension, value)
        if self._get(flag) is not None:
            self._table.delete_item(Key=flag)
            deleted += 1
        partition = keys.fraud_velocity(store_id, dimension, value, 0)["PK"]
        for item in list(self._query({"KeyConditionExpression": Key("PK").eq(partition)})):
            self._table.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
            deleted += 1
        return deleted
