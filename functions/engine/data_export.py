"""Customer data exports: everything storeflow keeps about one customer, compiled for the store's
staff (Shopify customers/data_request; `POST /stores/{id}/data-requests` for WooCommerce's personal
data export, or any request the merchant receives).

The engine lists its own items (the stored deliveries about the customer, the snapshots of their
customer record and orders, the actions and due jobs that name them, when storeflow last reached
their addresses); each domain lists what it keeps (`Domain.lists`: marketing contacts, loyalty
profile, cart shoppers, waitlist signups). The export is kept (compressed; in the archive when too
big for an item, like snapshots) for `EXPORT_DAYS`, fetched with `GET /stores/{id}/data-requests/
{request_id}`, and deleted by a later customers/redact of the customer or shop/redact. Nothing of
it is logged.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from functions.engine.payloads import load_parsed
from functions.engine.privacy import (
    PRIVACY_TOPICS,
    Subject,
    _json,
    _subject_entities,
    customer_events,
    subject_of,
)
from storekit import keys, snapshots
from storekit.automation import RequestedCustomer
from storekit.clock import iso
from storekit.errors import NotFound
from storekit.observability import logger
from storekit.payload_store import compress
from storekit.records import EventRecord
from storekit.runtime import Runtime

#: how long a compiled export is kept for the staff to fetch (GDPR: answer within a month)
EXPORT_DAYS = 30
#: what of an action / due job item the export shows besides what it carried
_ACTION_FIELDS = ("action_id", "automation", "kind", "status", "reason", "created_at", "updated_at")
_JOB_FIELDS = ("job_id", "kind", "due_at", "status")


def export_requested(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> str:
    """customers/data_request: compile the export and keep it for the staff (a repeated stream
    record compiles it again under the same id)."""
    request = load_parsed(record, item, runtime).resource
    email = getattr(request, "customer_email", None)
    subject = subject_of(
        record.store_id,
        str(getattr(request, "customer_id", "") or "") or None,
        getattr(request, "orders_requested", []) or [],
        [email] if email else [],
        runtime,
    )
    data_request = getattr(request, "data_request_id", None)
    request_id = (
        f"{record.platform}-{data_request}" if data_request else f"{record.platform}-{record.delivery_id}"
    )
    export = compile_and_keep(record.store_id, request_id, subject, runtime, record.delivery_id)
    return (
        f"customer data compiled ({export['counts']['total']} items): "
        f"GET /stores/{record.store_id}/data-requests/{request_id}"
    )


def compile_and_keep(
    store_id: str, request_id: str, subject: Subject, runtime: Runtime, skip_delivery: str | None = None
) -> dict[str, Any]:
    export = compile_export(store_id, request_id, subject, runtime, skip_delivery)
    blob = compress(json.dumps(export, default=str, sort_keys=True).encode())
    kept = snapshots.kept(blob, runtime.archive, store_id, "data-export", request_id, "export")
    now = runtime.clock.now()
    runtime.repo.keep_data_export(
        store_id,
        request_id,
        kept or blob,
        iso(now),
        int((now + timedelta(days=EXPORT_DAYS)).timestamp()),
        subject.customer_id,
        sorted(keys.contact_digest(store_id, a) for a in subject.addresses),
    )
    logger.info("customer data compiled", extra={"store_id": store_id, "items": export["counts"]["total"]})
    return export


def compile_export(
    store_id: str, request_id: str, subject: Subject, runtime: Runtime, skip_delivery: str | None = None
) -> dict[str, Any]:
    deliveries: list[dict[str, Any]] = []
    entities = set(_subject_entities(subject))
    event_ids: set[str] = set()
    for event in customer_events(store_id, subject, runtime, skip_delivery):
        if event.get("topic") in PRIVACY_TOPICS:
            continue
        kind, entity_id = str(event.get("entity_kind")), str(event.get("entity_id"))
        entities.add((kind, entity_id))
        event_ids.add(f"{event.get('platform')}:{event.get('delivery_id')}")
        try:
            data: Any = load_parsed(EventRecord.model_validate(event), event, runtime).resource.model_dump(
                mode="json", exclude_none=True
            )
        except Exception:  # kept as stored: the export never drops an item it found
            data = "(a stored delivery storeflow can no longer read)"
        deliveries.append(
            {
                "platform": event.get("platform"),
                "topic": event.get("topic"),
                "delivery_id": event.get("delivery_id"),
                "received_at": event.get("received_at"),
                "data": data,
            }
        )
    records = []
    for kind, entity_id in sorted(entities):
        blob = runtime.repo.entity_snapshot(store_id, kind, entity_id)
        if blob is not None:
            records.append(
                {"kind": kind, "id": entity_id, "data": json.loads(snapshots.opened(blob, runtime.archive))}
            )
    jobs = []
    job_ids: set[str] = set()
    for job in runtime.repo.items_of(store_id, "schedules"):
        params = _json(job.get("params"))
        if subject.is_mentioned_in(params):
            job_ids.add(str(job.get("job_id")))
            jobs.append({**{f: job[f] for f in _JOB_FIELDS if f in job}, "params": params})
    actions = []
    for action in runtime.repo.items_of(store_id, "actions"):
        carried = _json(action.get("action"))
        source = str(action.get("event_id", ""))
        if source in event_ids or source.removeprefix("job:") in job_ids or subject.is_mentioned_in(carried):
            actions.append({**{f: action[f] for f in _ACTION_FIELDS if f in action}, "action": carried})
    contacts = []
    for address in sorted(subject.addresses):
        last = runtime.repo.last_contact(store_id, [address])
        if last is not None:
            contacts.append({"address": address, "channel": last[0], "at": last[1]})
    requested = RequestedCustomer(store_id, subject.customer_id, frozenset(subject.addresses), runtime.repo)
    domains: dict[str, list[dict[str, Any]]] = {}
    for name, lister in runtime.registry.listers:
        domains.setdefault(name, []).extend(lister(requested))
    counts = {
        "deliveries": len(deliveries),
        "records": len(records),
        "actions": len(actions),
        "schedules": len(jobs),
        "last_contact": len(contacts),
        **{f"domain:{name}": len(items) for name, items in domains.items()},
    }
    counts["total"] = sum(counts.values())
    return {
        "request_id": request_id,
        "store_id": store_id,
        "compiled_at": iso(runtime.clock.now()),
        "customer": {"id": subject.customer_id, "addresses": sorted(subject.addresses)},
        "orders_requested": sorted(subject.order_ids),
        "counts": counts,
        "deliveries": deliveries,
        "records": records,
        "actions": actions,
        "schedules": jobs,
        "last_contact": contacts,
        "domains": domains,
    }


def export_on_request(
    store_id: str, customer_id: str | None, addresses: list[str], runtime: Runtime
) -> dict[str, Any]:
    """`POST /stores/{id}/data-requests`: compile an export now (WooCommerce, or any request)."""
    import uuid

    subject = subject_of(store_id, customer_id, [], addresses, runtime)
    return compile_and_keep(store_id, f"request-{uuid.uuid4().hex}", subject, runtime)


def kept_export(store_id: str, request_id: str, runtime: Runtime) -> dict[str, Any]:
    item = runtime.repo.data_export(store_id, request_id)
    if item is None or "export" not in item:
        raise NotFound(f"no data export {request_id[:80]!r} in store {store_id!r} (expired or redacted?)")
    export: dict[str, Any] = json.loads(snapshots.opened(bytes(item["export"]), runtime.archive))
    return export
