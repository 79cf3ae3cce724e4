"""Privacy-law and lifecycle topics every store gets, whatever automations it enables.

- customers/redact: forget what we hold about one customer: their entity state, and every stored
  delivery about them or about the orders Shopify lists in `orders_to_redact` (raw payloads and
  archived copies included).
- shop/redact (48 h after uninstall): delete everything of the store, its secrets included.
- customers/data_request: recorded as an event so the merchant sees it; the export is theirs to send.
- app/uninstalled: the store is switched to dry-run so nothing acts on it any more.
"""

from __future__ import annotations

from typing import Any

from storekit import keys
from storekit.adapters import Topic
from storekit.observability import logger
from storekit.payload_store import archive_prefix
from storekit.records import EventRecord
from storekit.runtime import Runtime

PRIVACY_TOPICS = frozenset(
    {Topic.CUSTOMER_REDACT, Topic.SHOP_REDACT, Topic.CUSTOMER_DATA_REQUEST, Topic.APP_UNINSTALLED}
)
_LISTINGS = ("events", "runs", "actions", "schedules", "parked")


def handle_privacy_topic(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> str:
    if record.topic == Topic.SHOP_REDACT:
        return redact_shop(record.store_id, runtime)
    if record.topic == Topic.CUSTOMER_REDACT:
        return redact_customer(record, item, runtime)
    if record.topic == Topic.APP_UNINSTALLED:
        store = runtime.store(record.store_id, fresh=True)
        if store is not None and store.mode != "dry-run":
            runtime.repo.put_store(
                store.model_copy(update={"mode": "dry-run", "updated_at": runtime.clock.now()})
            )
            runtime.forget_store(record.store_id)
        return "app uninstalled: store switched to dry-run"
    return "customer data request recorded; send the customer their data from your store admin"


def redact_customer(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> str:
    from functions.engine.dispatch import load_parsed

    request = load_parsed(record, item, runtime).resource
    customer_id = str(getattr(request, "customer_id", "") or "")
    order_ids = {str(o) for o in getattr(request, "orders_to_redact", []) or []}
    doomed: list[dict[str, Any]] = []
    for event in runtime.repo.items_of(record.store_id, "events"):
        if event.get("delivery_id") == record.delivery_id:
            continue
        kind, entity = event.get("entity_kind"), str(event.get("entity_id"))
        if (kind == "customer" and entity == customer_id) or (kind == "order" and entity in order_ids):
            doomed.append(event)
            if event.get("raw_s3_key") and runtime.archive.available:
                runtime.archive.delete_prefix(str(event["raw_s3_key"]))
    states = [keys.entity_state(record.store_id, "customer", customer_id)] if customer_id else []
    states += [keys.entity_state(record.store_id, "order", order_id) for order_id in order_ids]
    runtime.repo.delete_item_keys(doomed + states)
    logger.info("customer redacted", extra={"store_id": record.store_id, "deliveries": len(doomed)})
    return f"customer redacted: {len(doomed)} stored deliveries deleted"


def redact_shop(store_id: str, runtime: Runtime) -> str:
    deleted = 0
    for what in _LISTINGS:
        batch = list(runtime.repo.items_of(store_id, what))
        runtime.repo.delete_item_keys(batch)
        deleted += len(batch)
    if runtime.archive.available:
        runtime.archive.delete_prefix(archive_prefix(store_id))
    runtime.delete_store_secrets(store_id)
    runtime.repo.delete_item_keys([keys.store_config(store_id)])
    runtime.forget_store(store_id)
    logger.info("shop redacted", extra={"store_id": store_id, "items": deleted})
    return f"shop redacted: {deleted} items deleted"
