"""Events: each webhook delivery written once. The dispatcher's outcome of an event is kept with
its runs (storekit.repository.outbox: one item next to the event), not on the event item: the event
item holds the compressed payload, so every write to it costs its full size. Only the rare outcomes
(failed, stale, parked, privacy topics) are written on the event item itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storekit import keys
from storekit.records import EventRecord
from storekit.repository.base import TableRepository

#: BatchGetItem takes at most this many keys
_BATCH_KEYS = 100


def with_outcome(event: dict[str, Any], runs: dict[str, Any] | None) -> dict[str, Any]:
    """An event item as the dispatcher left it: still `received` on the item itself, its status and
    reason are the ones kept with its runs, when there are any."""
    if runs is None or event.get("status", "received") != "received" or not runs.get("event_status"):
        return event
    return {**event, "status": runs["event_status"], "reason": runs.get("event_reason")}


def with_outcomes(table: Any, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Event items (e.g. a listing's page) with their current status: one BatchGet of the runs kept
    next to the ones still `received` on the item itself."""
    items = list(items)
    wanted = [
        {"PK": str(item["PK"]), "SK": keys.RUNS}
        for item in items
        if item.get("type") == keys.EVENT and item.get("status", "received") == "received"
    ]
    runs: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), _BATCH_KEYS):
        request: dict[str, Any] = {
            table.name: {"Keys": wanted[start : start + _BATCH_KEYS], "ConsistentRead": True}
        }
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            for found in answer.get("Responses", {}).get(table.name, []):
                runs[str(found["PK"])] = found
            request = answer.get("UnprocessedKeys") or {}
    return [with_outcome(item, runs.get(str(item.get("PK")))) for item in items]


class EventRepository(TableRepository):
    def record_event(self, item: dict[str, Any]) -> bool:
        """Write a delivery once. False if this delivery id was already recorded."""
        return self._put_once(item)

    def get_event_item(self, store_id: str, platform: str, delivery_id: str) -> dict[str, Any] | None:
        """The stored delivery with its current status (one consistent BatchGet of the event item
        and, once dispatched, the runs item beside it)."""
        key = keys.event(store_id, platform, delivery_id)
        wanted = [key, {"PK": key["PK"], "SK": keys.RUNS}]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self._table.name: {"Keys": wanted, "ConsistentRead": True}}
        while request:
            answer = self._table.meta.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self._table.name, []):
                found[str(item["SK"])] = item
            request = answer.get("UnprocessedKeys") or {}
        event = found.get(key["SK"])
        return with_outcome(event, found.get(keys.RUNS)) if event is not None else None

    def mark_event(self, record: EventRecord, status: str, reason: str | None = None) -> bool:
        """Move an event out of `received` on the event item itself (the rare outcomes: failed,
        stale, parked, a privacy topic handled); False if another worker already did."""
        return self._update_if(
            Key=keys.event(record.store_id, record.platform, record.delivery_id),
            UpdateExpression="SET #s = :s, reason = :r",
            ConditionExpression="#s = :received",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status, ":r": reason, ":received": "received"},
        )
