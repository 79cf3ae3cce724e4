"""One shop, one store: the shop claims that route an app's deliveries to the store of their shop.

A store's config and the claim of its shop are written in one transaction; the claim is
conditional (free, or already this store's), so two stores can never hold the same shop and a
delivery's shop names at most one store. Read by key (one GetItem), never by a Scan.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from storekit import keys
from storekit.errors import Conflict
from storekit.store import StoreConfig


def store_item(config: StoreConfig) -> dict[str, Any]:
    """The store config item (the same one `Repository.put_store` writes)."""
    return {
        **keys.store_config(config.store_id),
        **keys.store_listing(config.store_id),
        "type": keys.STORE,
        "store_id": config.store_id,
        "config": config.model_dump_json(),
    }


def claim_of(config: StoreConfig) -> dict[str, str]:
    return keys.shop_claim(config.platform, config.shop)


class ShopDirectory:
    """The shop -> store claims, next to the store configs in the one table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def store_of(self, platform: str, shop: str) -> str | None:
        """The id of the store whose shop this is (`shop` as `store.shop_identity` gives it)."""
        item = self._table.get_item(Key=keys.shop_claim(platform, shop), ConsistentRead=True).get("Item")
        return str(item["store_id"]) if item else None

    def save(self, config: StoreConfig, previous: StoreConfig | None) -> None:
        """Write the config and claim its shop in one transaction (and give up the shop the store
        had before, if it changed). Conflict (409) if another store holds the shop."""
        claim = claim_of(config)
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table.name, "Item": store_item(config)}},
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {**claim, "type": keys.SHOP_CLAIM, "store_id": config.store_id},
                    "ConditionExpression": "attribute_not_exists(PK) OR store_id = :me",
                    "ExpressionAttributeValues": {":me": config.store_id},
                }
            },
        ]
        if previous is not None and claim_of(previous) != claim:
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table.name,
                        "Key": claim_of(previous),
                        "ConditionExpression": "attribute_not_exists(PK) OR store_id = :me",
                        "ExpressionAttributeValues": {":me": config.store_id},
                    }
                }
            )
        try:  # the table's own client: it takes plain Python values, like the Table does
            self._table.meta.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[1:2]):
                holder = self.store_of(config.platform, config.shop) or "another store"
                raise Conflict(
                    f"shop_domain {config.shop_domain[:100]} already belongs to store {holder[:64]!r}: "
                    "one shop, one store (delete or change that store first)"
                ) from exc
            raise

    def release(self, config: StoreConfig) -> None:
        """Give up the store's shop (shop/redact), unless another store holds it by now."""
        try:
            self._table.delete_item(
                Key=claim_of(config),
                ConditionExpression="attribute_not_exists(PK) OR store_id = :me",
                ExpressionAttributeValues={":me": config.store_id},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
