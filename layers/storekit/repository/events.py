"""Events: each webhook delivery written once, then marked as the dispatcher handles it."""

from __future__ import annotations

from typing import Any

from storekit import keys
from storekit.records import EventRecord
from storekit.repository.base import TableRepository


class EventRepository(TableRepository):
    def record_event(self, item: dict[str, Any]) -> bool:
        """Write a delivery once. False if this delivery id was already recorded."""
        return self._put_once(item)

    def get_event_item(self, store_id: str, platform: str, delivery_id: str) -> dict[str, Any] | None:
        return self._get(keys.event(store_id, platform, delivery_id), consistent=True)

    def mark_event(self, record: EventRecord, status: str, reason: str | None = None) -> bool:
        """Move an event out of `received`; False if another worker already did."""
        return self._update_if(
            Key=keys.event(record.store_id, record.platform, record.delivery_id),
            UpdateExpression="SET #s = :s, reason = :r",
            ConditionExpression="#s = :received",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status, ":r": reason, ":received": "received"},
        )
