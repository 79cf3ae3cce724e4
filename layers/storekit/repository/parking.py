"""Stream records that keep failing: their tries are counted, then they are parked with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storekit import keys
from storekit.records import ParkedRecord
from storekit.repository.base import TableRepository

#: how long a stream record's tries are remembered (Lambda gives up on a record well before)
_TRIES_KEPT = timedelta(days=7)


class ParkingRepository(TableRepository):
    def stream_item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        """The item a stream record names, read again (its record carried the keys only)."""
        return self._get(keys.item_key(key), consistent=True)

    def count_stream_try(self, record_id: str) -> int:
        expires = int((self._clock.now() + _TRIES_KEPT).timestamp())
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
