"""Inventory: which variant a Shopify inventory item is, and each product's stock item (the
inventory domain's state, functions/inventory/facts.py). Flat attributes, conditional updates."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.records import JobRecord
from storekit.repository.base import TableRepository, is_conditional_failure
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


class InventoryRepository(TableRepository):
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

    def jobs_due_at(self, store_id: str, kind: str, due_iso: str) -> list[JobRecord]:
        """A store's jobs of one kind due at exactly this time (one narrow Query of its schedules)."""
        index, partition = keys.listing_partition(store_id, "schedules")
        query = {
            "IndexName": index,
            "KeyConditionExpression": Key(f"{index}PK").eq(partition)
            & Key(f"{index}SK").begins_with(f"{due_iso}#"),
        }
        return [job for job in map(job_from_item, self._query(query)) if job.kind == kind]
