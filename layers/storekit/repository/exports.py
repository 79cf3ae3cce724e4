"""Customer data exports (customers/data_request): compiled once, kept for the store's staff to
fetch until they expire (TTL) or the customer is redacted."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from storekit import keys
from storekit.repository.base import TableRepository


class ExportRepository(TableRepository):
    def keep_data_export(
        self,
        store_id: str,
        request_id: str,
        blob: bytes,
        created_at: str,
        expires_at: int,
        customer_id: str | None,
        digests: list[str],
    ) -> None:
        """The export (compressed JSON, or a pointer to it in the archive). `customer_id` and the
        hashed addresses let customers/redact find it; nothing else about the customer is in the item."""
        key = keys.data_export(store_id, request_id)
        item: dict[str, Any] = {
            **key,
            **keys.store_member(store_id, key),
            "type": keys.DATA_EXPORT,
            "request_id": request_id,
            "created_at": created_at,
            "expires_at": expires_at,
            "export": blob,
            "digests": digests,
        }
        if customer_id:
            item["customer_id"] = customer_id
        self._table.put_item(Item=item)

    def data_export(self, store_id: str, request_id: str) -> dict[str, Any] | None:
        return self._get(keys.data_export(store_id, request_id), consistent=True)

    def data_exports(self, store_id: str) -> list[dict[str, Any]]:
        """Every export the store keeps (id, when, who by id/hash; not the export itself)."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.data_export_partition(store_id)),
            "ProjectionExpression": "PK, SK, request_id, created_at, customer_id, digests",
        }
        return list(self._query(query))
