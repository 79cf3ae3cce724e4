"""The one place that reads and writes the storeflow table. Methods say what they decide."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import Clock, iso, parse_iso
from storekit.errors import BadRequest
from storekit.models import Order
from storekit.order_proofs import OrderProofs
from storekit.records import ActionRecord, EventRecord, JobRecord, ParkedRecord, RunRecord
from storekit.store import StoreConfig

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_NOT_EXISTS = "attribute_not_exists(PK)"
#: what replaces personal data kept for the audit trail after a customers/redact
REDACTED = "redacted (customer data request)"


def is_conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """The item without its key attributes, item type and TTL: what a listing shows."""
    out: dict[str, Any] = {}
    for name, value in item.items():
        if name in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "type", "expires_at"):
            continue
        out[name] = value
    return out


class Repository:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    # --- stores ---------------------------------------------------------------------
    def get_store(self, store_id: str) -> StoreConfig | None:
        item = self._table.get_item(Key=keys.store_config(store_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        return StoreConfig.model_validate_json(item["config"])

    def put_store(self, config: StoreConfig) -> None:
        self._table.put_item(
            Item={
                **keys.store_config(config.store_id),
                **keys.store_listing(config.store_id),
                "type": keys.STORE,
                "store_id": config.store_id,
                "config": config.model_dump_json(),
            }
        )

    def store_ids(self) -> list[str]:
        """Every store's id (a narrow Query of the store listing, for the sweeper)."""
        query: dict[str, Any] = {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq("STORES")}
        out: list[str] = []
        while True:
            page = self._table.query(**query)
            out += [str(item["GSI1SK"]) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- events (ingest: exactly one conditional write) ---------------------------------
    def _put_once(self, item: dict[str, Any], condition: Any = _NOT_EXISTS) -> bool:
        """One conditional put; False when the condition (by default: no such item yet) fails."""
        try:
            self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def _update_if(self, **update: Any) -> bool:
        """One conditional update_item; False when its ConditionExpression fails."""
        try:
            self._table.update_item(**update)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def record_event(self, item: dict[str, Any]) -> bool:
        """Write a delivery once. False if this delivery id was already recorded."""
        return self._put_once(item)

    def get_event_item(self, store_id: str, platform: str, delivery_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._table.get_item(
            Key=keys.event(store_id, platform, delivery_id), ConsistentRead=True
        ).get("Item")
        return item

    def mark_event(self, record: EventRecord, status: str, reason: str | None = None) -> bool:
        """Move an event out of `received`; False if another worker already did."""
        return self._update_if(
            Key=keys.event(record.store_id, record.platform, record.delivery_id),
            UpdateExpression="SET #s = :s, reason = :r",
            ConditionExpression="#s = :received",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status, ":r": reason, ":received": "received"},
        )

    # --- entity state: out-of-order updates never overwrite newer ones ------------------------
    def advance_entity(
        self,
        store_id: str,
        kind: str,
        entity_id: str,
        updated_at: str,
        event_id: str,
        snapshot: bytes | None = None,
        order_number: str | None = None,
    ) -> bool:
        """Record the newest known version of an entity (and, for the kinds automations read,
        its compressed canonical snapshot). False if a newer one is already known."""
        key = keys.entity_state(store_id, kind, entity_id)
        item: dict[str, Any] = {
            **key,
            **keys.store_member(store_id, key),
            "type": keys.STATE,
            "store_id": store_id,
            "updated_at": updated_at,
            "event_id": event_id,
        }
        if snapshot is not None:
            item["snapshot"] = snapshot
        if order_number:
            number = keys.normalized_order_number(order_number)
            item.update(keys.order_number_lookup(store_id, number, entity_id))
        return self._put_once(item, Attr("PK").not_exists() | Attr("updated_at").lte(updated_at))

    def order_snapshot_by_number(self, store_id: str, number: str) -> bytes | None:
        """The newest snapshot of the order with this number (a narrow GSI1 Query)."""
        normalized = keys.normalized_order_number(number)
        if not normalized:
            return None
        page = self._table.query(
            IndexName="GSI1",
            KeyConditionExpression=Key("GSI1PK").eq(f"STORE#{store_id}#ORDERNO#{normalized}"),
            Limit=5,
        )
        items = [item for item in page.get("Items", []) if "snapshot" in item]
        return bytes(items[0]["snapshot"]) if len(items) == 1 else None

    def entity_snapshot(self, store_id: str, kind: str, entity_id: str) -> bytes | None:
        item = self._table.get_item(Key=keys.entity_state(store_id, kind, entity_id)).get("Item")
        return bytes(item["snapshot"]) if item and "snapshot" in item else None

    def keep_order_shipment(
        self, store_id: str, order_id: str, fulfillment_id: str, updated_at: str, snapshot: bytes
    ) -> bool:
        """Keep the newest version (by the payload's updated_at) of one shipment of an order, for
        the order-status assistant. False if a newer one is already kept."""
        key = keys.order_shipment(store_id, order_id, fulfillment_id)
        item = {
            **key,
            **keys.store_member(store_id, key),  # shop/redact finds it; customers/redact via the order
            "type": keys.SHIPMENT,
            "store_id": store_id,
            "updated_at": updated_at,
            "snapshot": snapshot,
        }
        return self._put_once(item, Attr("PK").not_exists() | Attr("updated_at").lte(updated_at))

    def order_shipment_snapshots(self, store_id: str, order_id: str, limit: int = 100) -> list[bytes]:
        """The kept shipments of one order (one narrow Query on the order's partition)."""
        page = self._table.query(
            KeyConditionExpression=Key("PK").eq(keys.entity_state(store_id, "order", order_id)["PK"])
            & Key("SK").begins_with(keys.order_shipments_prefix()),
            Limit=limit,
        )
        return [bytes(item["snapshot"]) for item in page.get("Items", []) if "snapshot" in item]

    # --- facts customer messages rely on (returns / post-delivery follow-ups) ---------------
    def note_refund(self, store_id: str, order_id: str, refund_id: str) -> None:
        """Remember that an order got a refund (refunds/create), whatever its snapshot says yet."""
        key = keys.order_refunds(store_id, order_id)
        member = keys.store_member(store_id, key)  # shop/redact finds it
        self._table.update_item(
            Key=key,
            UpdateExpression="ADD refund_ids :r SET #t = :t, store_id = :s, GSI2PK = :mp, GSI2SK = :ms",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":r": {refund_id},
                ":t": keys.ORDER_REFUNDS,
                ":s": store_id,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
        )

    def order_refund_ids(self, store_id: str, order_id: str) -> set[str]:
        item = self._table.get_item(Key=keys.order_refunds(store_id, order_id)).get("Item")
        return {str(r) for r in item.get("refund_ids", set())} if item else set()

    def note_contact(self, store_id: str, address: str, channel: str, at: str, keep_days: int = 400) -> None:
        """Record that storeflow reached `address` on `channel` at `at` (a later contact wins)."""
        expires = int((parse_iso(at) + timedelta(days=keep_days)).timestamp())
        key = keys.last_contact(store_id, address)
        self._put_once(
            {
                **key,
                **keys.store_member(store_id, key),  # shop/redact finds it
                "type": keys.CONTACT,
                "store_id": store_id,
                "channel": channel,
                "at": at,
                "expires_at": expires,
            },
            Attr("PK").not_exists() | Attr("at").lte(at),
        )

    def last_contact(self, store_id: str, addresses: list[str]) -> tuple[str, str] | None:
        """(channel, at) of the latest contact with any of these addresses, None if none."""
        wanted = {key["PK"]: key for key in (keys.last_contact(store_id, a) for a in addresses if a)}
        latest: tuple[str, str] | None = None
        for key in wanted.values():
            item = self._table.get_item(Key=key).get("Item")
            if item and (latest is None or str(item["at"]) > latest[1]):
                latest = (str(item["channel"]), str(item["at"]))
        return latest

    # --- inventory: which variant an inventory item is; each product's stock ---------------
    def keep_inventory_item(self, store_id: str, inventory_item_id: str, fields: dict[str, Any]) -> None:
        """Remember which variant an inventory item is (product, variant, sku, titles, tracking);
        what inventory_items/update said about tracking (`item_tracked`) is kept."""
        self._set_attributes(
            keys.inventory_item(store_id, inventory_item_id), store_id, keys.INVENTORY_ITEM, fields
        )

    def note_inventory_item_tracked(self, store_id: str, inventory_item_id: str, tracked: bool) -> None:
        self._set_attributes(
            keys.inventory_item(store_id, inventory_item_id),
            store_id,
            keys.INVENTORY_ITEM,
            {"item_tracked": tracked},
        )

    def inventory_item(self, store_id: str, inventory_item_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.inventory_item(store_id, inventory_item_id)).get("Item")
        return _plain(item) if item else None

    def product_stock(self, store_id: str, product_id: str) -> dict[str, Any]:
        """A product's stock item ({} when nothing is known yet): one GetItem."""
        item = self._table.get_item(Key=keys.product_stock(store_id, product_id), ConsistentRead=True).get(
            "Item"
        )
        return _plain(item) if item else {}

    def update_product_stock(
        self,
        store_id: str,
        product_id: str,
        values: dict[str, Any],
        *,
        remove: tuple[str, ...] = (),
        newer: tuple[str, str] | None = None,
        condition: Any = None,
    ) -> dict[str, Any] | None:
        """Set (and remove) attributes of a product's stock item in one conditional update and return
        the item as it is now. `newer` = (time attribute, time): only when that attribute is older
        (a stock level out of order never overwrites a newer one); `condition` a boto3 condition.
        None when the condition failed."""
        key = keys.product_stock(store_id, product_id)
        member = keys.store_member(store_id, key)
        names: dict[str, str] = {"#type": "type"}
        expr_values: dict[str, Any] = {
            ":type": keys.STOCK,
            ":store": store_id,
            ":mp": member["GSI2PK"],
            ":ms": member["GSI2SK"],
        }
        sets = ["#type = :type", "store_id = :store", "GSI2PK = :mp", "GSI2SK = :ms"]
        for i, (name, value) in enumerate(values.items()):
            names[f"#a{i}"] = name
            expr_values[f":v{i}"] = value
            sets.append(f"#a{i} = :v{i}")
        update = "SET " + ", ".join(sets)
        if remove:
            for i, name in enumerate(remove):
                names[f"#r{i}"] = name
            update += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        request: dict[str, Any] = {
            "Key": key,
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": expr_values,
            "ReturnValues": "ALL_NEW",
        }
        if newer is not None:
            names["#at"] = newer[0]
            expr_values[":at"] = newer[1]
            request["ConditionExpression"] = "attribute_not_exists(#at) OR #at <= :at"
        elif condition is not None:
            request["ConditionExpression"] = condition
        try:
            answer = self._table.update_item(**request)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return _plain(answer["Attributes"])

    # --- inventory: per-variant daily sales (ADD counters), counted once per order and refund ----
    def sales_marker(self, store_id: str, order_id: str) -> dict[str, Any] | None:
        """What of an order the sales counters hold (None: nothing yet), read consistently."""
        item = self._table.get_item(Key=keys.sales_marker(store_id, order_id), ConsistentRead=True).get(
            "Item"
        )
        return _plain(item) if item else None

    def apply_sales(
        self,
        store_id: str,
        order_id: str,
        marker: dict[str, Any],
        version_before: int | None,
        deltas: dict[tuple[str, str], int],
    ) -> bool:
        """Write an order's new sales marker and ADD `deltas` ((variant, day) -> units) to the
        variant sales counters in one transaction, only if the marker is still at `version_before`
        (None: no marker yet). False when another worker changed it first (nothing written)."""
        client = self._table.meta.client
        table = self._table.name
        key = keys.sales_marker(store_id, order_id)
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(PK)"}
            if version_before is None
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": version_before},
            }
        )
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {
                        **key,
                        **keys.store_member(store_id, key),
                        "type": keys.SALES_MARKER,
                        "store_id": store_id,
                        **marker,
                    },
                    **condition,
                }
            }
        ]
        for (variant_id, day), units in sorted(deltas.items()):
            if units == 0:
                continue
            counter = keys.variant_sales(store_id, variant_id, day)
            member = keys.store_member(store_id, counter)
            items.append(
                {
                    "Update": {
                        "TableName": table,
                        "Key": counter,
                        "UpdateExpression": "ADD #v :a SET #t = :t, GSI2PK = :mp, GSI2SK = :ms",
                        "ExpressionAttributeNames": {"#v": "value", "#t": "type"},
                        "ExpressionAttributeValues": {
                            ":a": units,
                            ":t": keys.VARIANT_SALES,
                            ":mp": member["GSI2PK"],
                            ":ms": member["GSI2SK"],
                        },
                    }
                }
            )
        try:
            for start in range(
                0, len(items), 100
            ):  # the marker is in the first (an order of 100+ variants: rare)
                client.transact_write_items(TransactItems=items[start : start + 100])
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def variant_units_sold(self, store_id: str, variant_id: str, first_day: str, last_day: str) -> int:
        """Units of a variant sold from first_day to last_day (store-local, inclusive): one Query of
        at most that many counter items, whatever the number of orders."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(keys.variant_sales(store_id, variant_id, "x")["PK"])
            & Key("SK").between(first_day, last_day),
        }
        return sum(int(item["value"]) for item in self._query_all(query))

    # --- inventory: purchase orders ---------------------------------------------------------
    def file_purchase_order(
        self, store_id: str, item: dict[str, Any], open_on: dict[str, dict[str, int]]
    ) -> str:
        """File a purchase order and mark each of its variants' open PO (and units on order) on
        their product's stock item, in one transaction: "filed"; "exists" when this PO was filed
        already (a retry); "conflict" when a variant has another open PO (nothing written).
        `open_on`: product id -> {variant id: units}."""
        number = str(item["number"])
        key = keys.purchase_order(store_id, number)
        created = str(item["created_at"])
        status = str(item["status"])
        transact: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {
                        **key,
                        **keys.purchase_order_listing(store_id, created, number),
                        **keys.purchase_order_status_listing(store_id, status, created, number),
                        "type": keys.PURCHASE_ORDER,
                        "store_id": store_id,
                        **item,
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        for product_id, variants in sorted(open_on.items()):
            stock_key = keys.product_stock(store_id, product_id)
            member = keys.store_member(store_id, stock_key)
            names: dict[str, str] = {"#type": "type"}
            values: dict[str, Any] = {
                ":type": keys.STOCK,
                ":store": store_id,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
                ":po": number,
            }
            sets = ["#type = :type", "store_id = :store", "GSI2PK = :mp", "GSI2SK = :ms"]
            conditions = []
            for i, (variant_id, units) in enumerate(sorted(variants.items())):
                names[f"#p{i}"] = f"PO#{variant_id}"
                names[f"#q{i}"] = f"POQ#{variant_id}"
                values[f":q{i}"] = units
                sets += [f"#p{i} = :po", f"#q{i} = :q{i}"]
                conditions.append(f"attribute_not_exists(#p{i})")
            transact.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": stock_key,
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": " AND ".join(conditions),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        try:
            self._table.meta.client.transact_write_items(TransactItems=transact)
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return "exists" if self.purchase_order(store_id, number) is not None else "conflict"
        return "filed"

    def purchase_order(self, store_id: str, number: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.purchase_order(store_id, number), ConsistentRead=True).get(
            "Item"
        )
        return _plain(item) if item else None

    def move_purchase_order(
        self,
        store_id: str,
        number: str,
        to_status: str,
        from_statuses: tuple[str, ...],
        release: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Move a PO from one of `from_statuses` to `to_status` (conditional); with `release`
        (product id -> variant ids) also clear those variants' open-PO marks and count a new PO
        generation for them (received or cancelled: the variant's reorder is re-armed). False when
        the PO is in none of `from_statuses`."""
        item = self.purchase_order(store_id, number)
        if item is None:
            return False
        now = iso(self._clock.now())
        created = str(item["created_at"])
        status_keys = keys.purchase_order_status_listing(store_id, to_status, created, number)
        names = {"#s": "status"}
        values: dict[str, Any] = {":s": to_status, ":u": now, ":g": status_keys["GSI2PK"]}
        sets = ["#s = :s", "updated_at = :u", "GSI2PK = :g"]
        for i, (name, value) in enumerate((extra or {}).items()):
            names[f"#e{i}"] = name
            values[f":e{i}"] = value
            sets.append(f"#e{i} = :e{i}")
        placeholders = []
        for i, status in enumerate(from_statuses):
            values[f":f{i}"] = status
            placeholders.append(f":f{i}")
        transact: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": keys.purchase_order(store_id, number),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": f"#s IN ({', '.join(placeholders)})",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        for product_id, variants in sorted((release or {}).items()):
            rnames: dict[str, str] = {}
            rvalues: dict[str, Any] = {":po": number, ":one": 1}
            removes, adds, conditions = [], [], []
            for i, variant_id in enumerate(sorted(variants)):
                rnames[f"#p{i}"] = f"PO#{variant_id}"
                rnames[f"#q{i}"] = f"POQ#{variant_id}"
                rnames[f"#g{i}"] = f"POGEN#{variant_id}"
                removes += [f"#p{i}", f"#q{i}"]
                adds.append(f"#g{i} :one")
                conditions.append(f"(attribute_not_exists(#p{i}) OR #p{i} = :po)")
            transact.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": keys.product_stock(store_id, product_id),
                        "UpdateExpression": "REMOVE " + ", ".join(removes) + " ADD " + ", ".join(adds),
                        "ConditionExpression": " AND ".join(conditions),
                        "ExpressionAttributeNames": rnames,
                        "ExpressionAttributeValues": rvalues,
                    }
                }
            )
        try:
            self._table.meta.client.transact_write_items(TransactItems=transact)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def _set_attributes(self, key: keys.Key, store_id: str, item_type: str, fields: dict[str, Any]) -> None:
        member = keys.store_member(store_id, key)
        names = {"#type": "type"}
        values: dict[str, Any] = {
            ":type": item_type,
            ":store": store_id,
            ":mp": member["GSI2PK"],
            ":ms": member["GSI2SK"],
        }
        sets = ["#type = :type", "store_id = :store", "GSI2PK = :mp", "GSI2SK = :ms"]
        for i, (name, value) in enumerate(fields.items()):
            names[f"#a{i}"] = name
            values[f":v{i}"] = value
            sets.append(f"#a{i} = :v{i}")
        self._table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def jobs_due_at(self, store_id: str, kind: str, due_iso: str) -> list[JobRecord]:
        """A store's jobs of one kind due at exactly this time (one narrow Query of its schedules)."""
        query: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": Key("GSI1PK").eq(f"STORE#{store_id}#SCHEDULES")
            & Key("GSI1SK").begins_with(f"{due_iso}#"),
        }
        return [job for job in map(job_from_item, self._query_all(query)) if job.kind == kind]

    # --- runs and the action outbox ------------------------------------------------------
    def put_run(self, run: RunRecord) -> bool:
        return self._put_once(
            {
                **keys.run(run.store_id, run.run_id),
                **keys.run_listing(run.store_id, run.created_at, run.run_id),
                "type": keys.RUN,
                **run.model_dump(),
            }
        )

    def put_action(self, record: ActionRecord) -> bool:
        """Write an action to the outbox once per idempotency key. False if it exists."""
        return self._put_once(
            {
                **keys.action(record.store_id, record.action_id),
                **keys.action_listing(record.store_id, record.created_at, record.action_id),
                **keys.action_status_listing(
                    record.store_id, record.status, record.created_at, record.action_id
                ),
                "type": keys.ACTION,
                **record.model_dump(exclude_none=True),
                "action": json.dumps(record.action, default=str),
            }
        )

    def actions_in_status(self, store_id: str, status: str) -> Iterator[ActionRecord]:
        for item in self.items_of(store_id, "actions", status):
            yield action_from_item(item)

    def get_action(self, store_id: str, action_id: str) -> ActionRecord | None:
        item = self._table.get_item(Key=keys.action(store_id, action_id), ConsistentRead=True).get("Item")
        return action_from_item(item) if item else None

    def move_action(
        self,
        record: ActionRecord,
        to_status: str,
        *,
        from_statuses: tuple[str, ...],
        reason: str | None = None,
        result: str | None = None,
        next_attempt_at: str | None = None,
        count_attempt: bool = False,
        mode: str | None = None,
    ) -> ActionRecord | None:
        """Conditionally move an action between statuses; None if it was not in `from_statuses`."""
        now = iso(self._clock.now())
        names = {"#s": "status"}
        values: dict[str, Any] = {
            ":s": to_status,
            ":u": now,
            ":r": reason,
            ":res": result,
            ":n": next_attempt_at,
            ":g": keys.action_status_listing(record.store_id, to_status, record.created_at, record.action_id)[
                "GSI2PK"
            ],
        }
        update = "SET #s = :s, updated_at = :u, reason = :r, #res = :res, next_attempt_at = :n, GSI2PK = :g"
        names["#res"] = "result"
        if count_attempt:
            update += ", attempts = if_not_exists(attempts, :zero) + :one"
            values[":zero"] = 0
            values[":one"] = 1
        if mode is not None:
            update += ", #m = :m"
            names["#m"] = "mode"
            values[":m"] = mode
        placeholders = []
        for i, status in enumerate(from_statuses):
            values[f":f{i}"] = status
            placeholders.append(f":f{i}")
        try:
            answer = self._table.update_item(
                Key=keys.action(record.store_id, record.action_id),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(PK) AND #s IN ({', '.join(placeholders)})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return action_from_item(answer["Attributes"])

    # --- due jobs, found by minute bucket (never a scan) ----------------------------------
    def put_job(self, job: JobRecord) -> JobRecord | None:
        """File a job under its due minute (the current one if already due). None if it exists."""
        due = parse_iso(job.due_at)
        bucket = keys.minute_bucket(max(due, self._clock.now()))
        job = job.model_copy(update={"bucket": bucket})
        written = self._put_once(
            {
                **keys.job(bucket, job.store_id, job.job_id, job.due_at),
                **keys.job_listing(job.store_id, job.due_at, job.job_id),
                "type": keys.JOB,
                **job.model_dump(),
                "params": json.dumps(job.params, default=str),
            }
        )
        return job if written else None

    def due_jobs(self, bucket: str, until_iso: str) -> Iterator[JobRecord]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(f"JOBS#{bucket}") & Key("SK").lte(until_iso + "~"),
            # claimed too: a claim whose sweeper died is taken over once it is old enough
            "FilterExpression": Attr("status").is_in(["pending", "claimed"]),
        }
        while True:
            page = self._table.query(**query)
            for item in page.get("Items", []):
                if item["due_at"] <= until_iso:
                    yield job_from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def find_job(self, store_id: str, job_id: str) -> JobRecord | None:
        query: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": Key("GSI1PK").eq(f"STORE#{store_id}#SCHEDULES"),
            "FilterExpression": Attr("job_id").eq(job_id),
        }
        while True:  # a filter applies per 1 MB page: follow the pages until it is found
            page = self._table.query(**query)
            items = page.get("Items", [])
            if items:
                return job_from_item(items[0])
            if "LastEvaluatedKey" not in page:
                return None
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_job(self, job: JobRecord, stalled_before: str) -> JobRecord | None:
        """Claim a pending job, or take over a claim made before `stalled_before` by a sweeper that
        died mid-way. None if another sweeper holds it (or it finished)."""
        assert job.bucket is not None, "a stored job knows its bucket"
        now = iso(self._clock.now())
        claimed = self._update_if(
            Key=keys.job(job.bucket, job.store_id, job.job_id, job.due_at),
            UpdateExpression="SET #s = :claimed, claimed_at = :now",
            ConditionExpression="#s = :pending OR (#s = :claimed AND claimed_at < :stalled)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":claimed": "claimed",
                ":pending": "pending",
                ":now": now,
                ":stalled": stalled_before,
            },
        )
        return job.model_copy(update={"status": "claimed", "claimed_at": now}) if claimed else None

    def move_job(self, job: JobRecord, to_status: str, from_status: str, reason: str | None = None) -> bool:
        assert job.bucket is not None, "a stored job knows its bucket"
        return self._update_if(
            Key=keys.job(job.bucket, job.store_id, job.job_id, job.due_at),
            UpdateExpression="SET #s = :s, reason = :r",
            ConditionExpression="#s = :from",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": to_status, ":from": from_status, ":r": reason},
        )

    def sweeper_cursor(self) -> str | None:
        item = self._table.get_item(Key=keys.sweeper_cursor(), ConsistentRead=True).get("Item")
        return str(item["bucket"]) if item else None

    def set_sweeper_cursor(self, bucket: str) -> None:
        self._table.put_item(Item={**keys.sweeper_cursor(), "type": "CURSOR", "bucket": bucket})

    # --- stream records that keep failing ----------------------------------------------
    def count_stream_try(self, record_id: str) -> int:
        expires = int((self._clock.now() + timedelta(days=7)).timestamp())
        answer = self._table.update_item(
            Key=keys.stream_try(record_id),
            UpdateExpression="ADD tries :one SET expires_at = :e, #t = :t",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":one": 1, ":e": expires, ":t": keys.STREAM_TRY},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["tries"])

    def park(self, record: ParkedRecord) -> None:
        self._table.put_item(
            Item={
                **keys.parked(record.store_id, record.parked_at, record.record_id),
                **keys.parked_listing(record.store_id, record.parked_at, record.record_id),
                "type": keys.PARKED,
                **record.model_dump(exclude_none=True),
            }
        )

    # --- counters (reports read O(days), not O(orders)) -------------------------------------
    def add_to_counter(
        self, store_id: str, name: str, day: str, dimension: str | None = None, amount: int | Any = 1
    ) -> None:
        key = keys.counter(store_id, name, day, dimension)
        member = keys.store_member(store_id, key)
        self._table.update_item(
            Key=key,
            UpdateExpression="ADD #v :a SET #t = :t, GSI2PK = :mp, GSI2SK = :ms",
            ExpressionAttributeNames={"#v": "value", "#t": "type"},
            ExpressionAttributeValues={
                ":a": amount,
                ":t": keys.COUNTER,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
        )

    def counters(
        self, store_id: str, name: str, first_day: str, last_day: str
    ) -> list[tuple[str, str | None, int]]:
        """(day, dimension, value) for each counter of `name` from first_day to last_day inclusive."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(keys.counter(store_id, name, "x")["PK"])
            & Key("SK").between(first_day, last_day + "~"),
        }
        out: list[tuple[str, str | None, int]] = []
        while True:
            page = self._table.query(**query)
            for item in page.get("Items", []):
                day, _, dimension = str(item["SK"]).partition("#")
                out.append((day, dimension or None, int(item["value"])))
            if "LastEvaluatedKey" not in page:
                return out
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- listings: newest first, paginated -------------------------------------------------
    def listing(
        self,
        store_id: str,
        what: str,
        *,
        status: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        index, partition = keys.listing_partition(store_id, what, status)
        pk_name = f"{index}PK"
        query: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(pk_name).eq(partition),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            start = decode_cursor(cursor)
            # exactly the keys DynamoDB gives out for this index (a real table refuses others)
            if start.get(pk_name) != partition or set(start) != {"PK", "SK", pk_name, f"{index}SK"}:
                raise BadRequest("cursor does not belong to this listing")
            query["ExclusiveStartKey"] = start
        page = self._table.query(**query)
        items = [view_of(item) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return items, encode_cursor(last) if last else None

    def _query_all(self, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item a Query finds, page after page."""
        while True:
            page = self._table.query(**query)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def items_of(self, store_id: str, what: str, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a per-store listing, with keys (shop/redact, the sweeper)."""
        index, partition = keys.listing_partition(store_id, what, status)
        condition = Key(f"{index}PK").eq(partition)
        return self._query_all({"IndexName": index, "KeyConditionExpression": condition})

    # --- redaction (customers/redact, shop/redact): narrow Queries, never a Scan ----------------
    def store_member_keys(self, store_id: str) -> Iterator[dict[str, Any]]:
        """PK/SK of every item carrying `keys.store_member` (entity state, counters, ...)."""
        return self._query_all(
            {
                "IndexName": "GSI2",
                "KeyConditionExpression": Key("GSI2PK").eq(keys.store_members_partition(store_id)),
                "ProjectionExpression": "PK, SK",
            }
        )

    def partition_keys(self, pk: str) -> Iterator[dict[str, Any]]:
        """PK/SK of every item in one partition (all items about one entity, a store's parked records)."""
        return self._query_all({"KeyConditionExpression": Key("PK").eq(pk), "ProjectionExpression": "PK, SK"})

    def redact_action(self, item: dict[str, Any]) -> None:
        """Keep an action for the audit trail (automation, kind, status, reason, times) without the
        recipient, message or anything else personal it carried."""
        kind = str(item.get("kind", "action"))
        self._update_if(  # gone meanwhile: nothing left to redact
            Key={"PK": item["PK"], "SK": item["SK"]},
            UpdateExpression="SET #a = :a, target = :t, summary = :s, #res = :n",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#a": "action", "#res": "result"},
            ExpressionAttributeValues={
                ":a": json.dumps({"kind": kind, "redacted": True}),
                ":t": REDACTED,
                ":s": f"{kind.replace('_', ' ')} ({REDACTED})",
                ":n": None,
            },
        )

    def redact_run_reason(self, item: dict[str, Any]) -> None:
        self._table.update_item(
            Key={"PK": item["PK"], "SK": item["SK"]},
            UpdateExpression="SET reason = :r",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":r": REDACTED},
        )

    def replace_event_raw(self, store_id: str, platform: str, delivery_id: str, blob: bytes) -> None:
        """Swap a stored delivery's raw payload for a scrubbed one (kept inline)."""
        self._table.update_item(
            Key=keys.event(store_id, platform, delivery_id),
            UpdateExpression="SET #raw = :b REMOVE raw_s3_key",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#raw": "raw"},
            ExpressionAttributeValues={":b": blob},
        )

    def delete_item_keys(self, items: list[dict[str, Any]]) -> None:
        """Delete items by their PK/SK (repeats are fine)."""
        with self._table.batch_writer(overwrite_by_pkeys=["PK", "SK"]) as batch:
            for item in items:
                batch.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})

    # --- the order-status assistant's proofs (storekit.order_proofs) ---------------------------
    def keep_order_proof(self, store_id: str, order: Order, updated_at: str) -> bool:
        return OrderProofs(self._table).keep(store_id, order, updated_at)

    def proven_order_id(self, store_id: str, number: str, email: str) -> tuple[str | None, bool]:
        return OrderProofs(self._table).proven_order_id(store_id, number, email)


def encode_cursor(last_key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise BadRequest("cursor is not one this API gave out") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadRequest("cursor is not one this API gave out")
    return data


def view_of(item: dict[str, Any]) -> dict[str, Any]:
    """What the admin API shows of a stored item (never raw payloads or key attributes)."""
    kind = item.get("type")
    if kind == keys.EVENT:
        return EventRecord.model_validate(_plain(item)).view()
    if kind == keys.ACTION:
        return action_from_item(item).view()
    if kind == keys.RUN:
        return RunRecord.model_validate(_plain(item)).view()
    if kind == keys.JOB:
        return job_from_item(item).view()
    if kind == keys.PARKED:
        return ParkedRecord.model_validate(_plain(item)).view()
    if kind == keys.PURCHASE_ORDER:
        return purchase_order_view(item)
    return _plain(item)


def action_from_item(item: dict[str, Any]) -> ActionRecord:
    data = _plain(item)
    if isinstance(data.get("action"), str):
        data["action"] = json.loads(data["action"])
    return ActionRecord.model_validate(data)


def job_from_item(item: dict[str, Any]) -> JobRecord:
    data = _plain(item)
    if isinstance(data.get("params"), str):
        data["params"] = json.loads(data["params"])
    return JobRecord.model_validate(data)


def purchase_order_view(item: dict[str, Any]) -> dict[str, Any]:
    """A purchase order as the admin API shows it: its document with its current status."""
    data = _plain(item)
    document = json.loads(str(data.pop("document", "{}")))
    return {**document, **{k: v for k, v in data.items() if k not in ("store_id", "variants")}}
