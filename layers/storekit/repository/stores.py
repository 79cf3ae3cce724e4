"""Stores: each store's config, the list of stores, and the shop claims that route an app's
deliveries to the store of their shop (one shop, one store).

A store's config and the claim of its shop are written in one transaction; the claim is
conditional (free, or already this store's), so two stores can never hold the same shop and a
delivery's shop names at most one store. Read by key (one GetItem), never by a Scan.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.errors import Conflict
from storekit.repository.base import TableRepository
from storekit.store import StoreConfig

#: a shop claim may be written or given up only by the store holding it (or when nobody does)
_MINE = "attribute_not_exists(PK) OR store_id = :me"


def store_item(config: StoreConfig) -> dict[str, Any]:
    return {
        **keys.store_config(config.store_id),
        **keys.store_listing(config.store_id),
        "type": keys.STORE,
        "store_id": config.store_id,
        "config": config.model_dump_json(),
    }


def _claim_of(config: StoreConfig) -> keys.Key:
    return keys.shop_claim(config.platform, config.shop)


class StoreRepository(TableRepository):
    def get_store(self, store_id: str) -> StoreConfig | None:
        item = self._get(keys.store_config(store_id), consistent=True)
        if not item:
            return None
        return StoreConfig.model_validate_json(item["config"])

    def put_store(self, config: StoreConfig) -> None:
        """Write a store's config alone (no shop claim: `save_store_claiming_shop` does both)."""
        self._table.put_item(Item=store_item(config))

    def store_ids(self) -> list[str]:
        """Every store's id (a narrow Query of the store listing, for the sweeper)."""
        query = {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(keys.STORES)}
        return [str(item["GSI1SK"]) for item in self._query(query)]

    # --- shop claims: one shop, one store -------------------------------------------------------
    def store_of_shop(self, platform: str, shop: str) -> str | None:
        """The id of the store whose shop this is (`shop` as `store.shop_identity` gives it)."""
        item = self._get(keys.shop_claim(platform, shop), consistent=True)
        return str(item["store_id"]) if item else None

    def save_store_claiming_shop(self, config: StoreConfig, previous: StoreConfig | None) -> None:
        """Write the config and claim its shop in one transaction (and give up the shop the store
        had before, if it changed). Conflict (409) if another store holds the shop."""
        claim = _claim_of(config)
        mine = {"ConditionExpression": _MINE, "ExpressionAttributeValues": {":me": config.store_id}}
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table.name, "Item": store_item(config)}},
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {**claim, "type": keys.SHOP_CLAIM, "store_id": config.store_id},
                    **mine,
                }
            },
        ]
        if previous is not None and _claim_of(previous) != claim:
            writes.append({"Delete": {"TableName": self._table.name, "Key": _claim_of(previous), **mine}})
        try:  # the table's own client: it takes plain Python values, like the Table does
            self._table.meta.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[1:2]):
                holder = self.store_of_shop(config.platform, config.shop) or "another store"
                raise Conflict(
                    f"shop_domain {config.shop_domain[:100]} already belongs to store {holder[:64]!r}: "
                    "one shop, one store (delete or change that store first)"
                ) from exc
            raise

    def release_shop(self, config: StoreConfig) -> None:
        """Give up the store's shop (shop/redact), unless another store holds it by now."""
        self._delete_if(
            Key=_claim_of(config),
            ConditionExpression=_MINE,
            ExpressionAttributeValues={":me": config.store_id},
        )
