"""Inventory: which variant each inventory item is, each product's stock item (the inventory
domain's state, functions/inventory/facts.py), the per-variant daily sales counters (a block of
days per item) and the part of each order's ledger that counts it once, and purchase orders. Flat attributes,
conditional updates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import iso
from storekit.records import JobRecord
from storekit.repository.base import is_conditional_failure
from storekit.repository.counted import CountedRepository, CounterWrite
from storekit.repository.items import attributes_of, job_from_item


def _set_clause(store_id: str, key: keys.Key, item_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An UpdateExpression that sets `fields` (any attribute names) and the store-member keys."""
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
    return {
        "Key": key,
        "UpdateExpression": "SET " + ", ".join(sets),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


#: days a sales block is kept after its last day (longer than the longest velocity window, 365)
_SALES_KEPT_DAYS = 400


class InventoryRepository(CountedRepository):
    def keep_inventory_item(self, store_id: str, inventory_item_id: str, fields: dict[str, Any]) -> None:
        """Remember which variant an inventory item is (product, variant, sku, titles, tracking);
        what inventory_items/update said about tracking (`item_tracked`) is kept."""
        key = keys.inventory_item(store_id, inventory_item_id)
        self._table.update_item(**_set_clause(store_id, key, keys.INVENTORY_ITEM, fields))

    def note_inventory_item_tracked(self, store_id: str, inventory_item_id: str, tracked: bool) -> None:
        key = keys.inventory_item(store_id, inventory_item_id)
        self._table.update_item(**_set_clause(store_id, key, keys.INVENTORY_ITEM, {"item_tracked": tracked}))

    def inventory_item(self, store_id: str, inventory_item_id: str) -> dict[str, Any] | None:
        item = self._get(keys.inventory_item(store_id, inventory_item_id))
        return attributes_of(item) if item else None

    def product_stock(self, store_id: str, product_id: str) -> dict[str, Any]:
        """A product's stock item ({} when nothing is known yet): one GetItem."""
        item = self._get(keys.product_stock(store_id, product_id), consistent=True)
        return attributes_of(item) if item else {}

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
        request = _set_clause(store_id, keys.product_stock(store_id, product_id), keys.STOCK, values)
        if remove:
            for i, name in enumerate(remove):
                request["ExpressionAttributeNames"][f"#r{i}"] = name
            request["UpdateExpression"] += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        if newer is not None:
            request["ExpressionAttributeNames"]["#at"] = newer[0]
            request["ExpressionAttributeValues"][":at"] = newer[1]
            request["ConditionExpression"] = "attribute_not_exists(#at) OR #at <= :at"
        elif condition is not None:
            request["ConditionExpression"] = condition
        try:
            answer = self._table.update_item(**request, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return attributes_of(answer["Attributes"])

    # --- inventory: per-variant daily sales (ADD counters), counted once per order and refund ----
    def apply_sales(
        self,
        store_id: str,
        order_id: str,
        part: str,
        marker: dict[str, Any],
        version_before: int | None,
        deltas: dict[tuple[str, str], int],
    ) -> bool:
        """Write the domain's `part` of an order's ledger (what the sales counters hold of it) and
        ADD `deltas` ((variant, day) -> units) to the variants' daily sales counters (one item per
        variant and block of days) in one transaction, only if the part is still at
        `version_before` (None: absent). False when another worker changed it first (nothing
        written). Within a stream batch the write is held and summed with the batch's others
        (storekit.repository.counted)."""
        attrs = {k: v for k, v in marker.items() if k != "version"}
        blocks: dict[tuple[str, str], dict[str, int]] = {}
        for (variant_id, day), units in sorted(deltas.items()):
            if units:
                counter = keys.variant_sales(store_id, variant_id, day)
                days = blocks.setdefault((counter["PK"], counter["SK"]), {})
                days[day] = days.get(day, 0) + units
        writes = []
        for (pk, sk), days in sorted(blocks.items()):
            # a block no velocity window reaches any more expires (TTL)
            expires = int(
                datetime.combine(date.fromisoformat(max(days)), time(), UTC).timestamp()
                + _SALES_KEPT_DAYS * 86_400
            )
            adds: dict[str, int | Decimal] = {keys.sales_day_attr(day): units for day, units in days.items()}
            writes.append(
                CounterWrite(
                    store_id, {"PK": pk, "SK": sk}, keys.VARIANT_SALES, adds, {"expires_at": expires}
                )
            )
        return self._apply_ledger(store_id, order_id, part, attrs, version_before, writes)

    def variant_units_sold(self, store_id: str, variant_id: str, first_day: str, last_day: str) -> int:
        """Units of a variant sold from first_day to last_day (store-local, inclusive): one Query of
        the blocks the window spans (2 items for 28 days), whatever the number of orders."""
        first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        low, high = (
            keys.variant_sales(store_id, variant_id, first_day),
            keys.variant_sales(store_id, variant_id, last_day),
        )
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("PK").eq(low["PK"]) & Key("SK").between(low["SK"], high["SK"]),
        }
        blocks = {str(item["SK"]): item for item in self._query(query)}
        total = 0
        for day in days:
            key = keys.variant_sales(store_id, variant_id, day)
            attr = keys.sales_day_attr(day)
            total += int(blocks.get(key["SK"], {}).get(attr, 0))
            total += int(self._held_adds(key).get(attr, 0))  # the stream batch's, not written yet
        return total

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
            fields: dict[str, Any] = {}
            for variant_id, units in sorted(variants.items()):
                fields[f"PO#{variant_id}"] = number
                fields[f"POQ#{variant_id}"] = units
            update = _set_clause(store_id, keys.product_stock(store_id, product_id), keys.STOCK, fields)
            # one open PO per variant: none of these variants may have one already
            update["ConditionExpression"] = " AND ".join(
                f"attribute_not_exists({alias})"
                for alias, name in update["ExpressionAttributeNames"].items()
                if name.startswith("PO#")
            )
            transact.append({"Update": {"TableName": self._table.name, **update}})
        try:
            self._table.meta.client.transact_write_items(TransactItems=transact)
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return "exists" if self.purchase_order(store_id, number) is not None else "conflict"
        return "filed"

    def purchase_order(self, store_id: str, number: str) -> dict[str, Any] | None:
        item = self._get(keys.purchase_order(store_id, number), consistent=True)
        return attributes_of(item) if item else None

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

    def jobs_due_at(self, store_id: str, kind: str, due_iso: str) -> list[JobRecord]:
        """A store's jobs of one kind due at exactly this time (one narrow Query of its schedules)."""
        index, partition = keys.listing_partition(store_id, "schedules")
        query = {
            "IndexName": index,
            "KeyConditionExpression": Key(f"{index}PK").eq(partition)
            & Key(f"{index}SK").begins_with(f"{due_iso}#"),
        }
        return [job for job in map(job_from_item, self._query(query)) if job.kind == kind]
