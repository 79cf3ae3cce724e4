"""Stores: each store's config, and the list of stores."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from storekit import keys
from storekit.repository.base import TableRepository
from storekit.store import StoreConfig


class StoreRepository(TableRepository):
    def get_store(self, store_id: str) -> StoreConfig | None:
        item = self._get(keys.store_config(store_id), consistent=True)
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
        query = {"IndexName": "GSI1", "KeyConditionExpression": Key("GSI1PK").eq(keys.STORES)}
        return [str(item["GSI1SK"]) for item in self._query(query)]
