"""Stream record routing with parking: a record that keeps failing is parked with its reason
(shown by the admin API) and let go, so it never blocks its shard and is never silently dropped.

Records arrive parsed at the edge (functions/batch.py) as Powertools parser models, their images
already turned from DynamoDB JSON into plain values."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from storekit import keys
from storekit.clock import iso
from storekit.observability import logger
from storekit.records import EventRecord, ParkedRecord
from storekit.repository import action_from_item
from storekit.runtime import Runtime

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel

#: tries of one stream record (Lambda retries included) before it is parked
MAX_STREAM_TRIES = 3

#: action statuses an action can still leave (it is not done, failed or planned yet)
OPEN_ACTION_STATUSES = ("pending", "running", "retrying", "scheduled")

ItemHandler = Callable[[dict[str, Any], Runtime], str]


def item_of(record: DynamoDBStreamRecordModel, runtime: Runtime) -> dict[str, Any] | None:
    """The item a record is about; re-read when the image carries keys only (seen under moto)."""
    if record.eventName == "REMOVE":
        return None
    image = record.dynamodb.NewImage
    if isinstance(image, dict) and "type" in image:
        return image
    if not record.dynamodb.Keys:
        return None
    return runtime.repo.stream_item(record.dynamodb.Keys)


def handle_record(
    record: DynamoDBStreamRecordModel,
    runtime: Runtime,
    *,
    item_type: str,
    handler_name: str,
    handle: ItemHandler,
) -> None:
    item = item_of(record, runtime)
    if item is None or item.get("type") != item_type:
        return
    try:
        outcome = handle(item, runtime)
    except Exception as exc:
        if record_failed(record, item, exc, runtime, item_type=item_type, handler_name=handler_name):
            raise
        return
    logger.debug("stream record handled", extra={"handler": handler_name, "outcome": outcome})


def record_failed(
    record: DynamoDBStreamRecordModel,
    item: dict[str, Any],
    exc: Exception,
    runtime: Runtime,
    *,
    item_type: str,
    handler_name: str,
) -> bool:
    """A record's handling failed: True when it is to be tried again (its tries so far counted),
    False when it was parked with its reason after its last try."""
    record_id = record.eventID
    tries = runtime.repo.count_stream_try(record_id)
    if tries < MAX_STREAM_TRIES:
        logger.warning(
            "stream record failed, will retry",
            extra={"handler": handler_name, "tries": tries, "fault": type(exc).__name__},
        )
        return True
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    store_id = str(item.get("store_id") or "unknown")
    runtime.repo.park(
        ParkedRecord(
            store_id=store_id,
            record_id=record_id,
            handler=handler_name,
            item_type=item_type,
            item_key=str(item.get("PK")),
            reason=reason,
            tries=tries,
            parked_at=iso(runtime.clock.now()),
        )
    )
    mark_parked(item, item_type, f"parked after {tries} tries: {reason}", runtime)
    logger.error("stream record parked", extra={"handler": handler_name, "store_id": store_id})
    return False


def mark_parked(item: dict[str, Any], item_type: str, reason: str, runtime: Runtime) -> None:
    """Show a parked record's item as failed (with the reason) where its listing shows status, so
    an event or action that will never be handled again does not look pending forever."""
    try:
        if item_type == keys.EVENT:
            runtime.repo.mark_event(EventRecord.model_validate(item), "failed", reason)
        elif item_type == keys.ACTION:
            runtime.repo.move_action(
                action_from_item(item), "failed", from_statuses=OPEN_ACTION_STATUSES, reason=reason
            )
    except Exception:
        # the parked record itself is kept and listed; a malformed item just keeps its status
        logger.exception("could not mark a parked item failed", extra={"item_type": item_type})
