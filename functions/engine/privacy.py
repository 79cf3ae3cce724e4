"""Privacy-law and lifecycle topics every store gets, whatever automations it enables.

- customers/redact: forget one customer. Deleted: every stored delivery about them or about the
  orders Shopify lists in `orders_to_redact` (fulfillments, refunds, checkouts included; archived
  raw payloads too), the snapshots and other items of those entities, their last-contact records,
  their due jobs (a follow-up email is never sent after the redact) and their actions not carried
  out yet; and what each domain keeps by address (its `Domain.forgets`). Actions already carried
  out (or planned in dry-run) stay for the audit trail with kind,
  status and reason, but their recipient, message and target are replaced by a redacted marker; a
  run's reason that quoted them is redacted too. The redact delivery itself keeps only ids.
- shop/redact (48 h after uninstall): delete everything of the store: its listings (events, runs,
  actions, due jobs, parked records), every item carrying the store-member index (entity state and
  snapshots, counters, refunds, contacts), the archived payloads, its secrets, and last its config.
- customers/data_request: everything storeflow keeps about the customer is compiled into one
  export the store's staff fetch from the admin API (functions/engine/data_export.py); storeflow
  does not send it to the customer: the merchant does, with what the platform itself holds.
- app/uninstalled: the store is switched to dry-run so nothing acts on it any more.

Everything is found by key or by a per-store Query (GSI1 listings, the GSI2 store-member
partition, an entity's partition), never by a Scan. A redact runs off the hot path (one stream
record); it reads each listing of the store once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from functions.engine.payloads import load_parsed
from storekit import keys, snapshots
from storekit.adapters import Topic, related_ids
from storekit.automation import ForgottenCustomer
from storekit.observability import logger
from storekit.payload_store import archive_prefix, compress, decompress
from storekit.records import EventRecord
from storekit.runtime import Runtime

PRIVACY_TOPICS = frozenset(
    {Topic.CUSTOMER_REDACT, Topic.SHOP_REDACT, Topic.CUSTOMER_DATA_REQUEST, Topic.APP_UNINSTALLED}
)
#: topics that delete or hand out data: honoured only when their signed body names the store's shop
SHOP_NAMING_TOPICS = frozenset({Topic.CUSTOMER_REDACT, Topic.SHOP_REDACT, Topic.CUSTOMER_DATA_REQUEST})
_LISTINGS = ("events", "runs", "actions", "schedules", "parked", "purchase-orders")
#: action statuses that mean "not carried out": a redacted customer's are deleted, never run
_NOT_CARRIED_OUT = frozenset({"pending", "retrying", "scheduled", "failed"})
#: entity kinds whose deliveries never carry customer data (not parsed by customers/redact)
_NO_CUSTOMER_DATA = frozenset({"product", "inventory", "inventory_item", "shop"})
#: fields of canonical resources that hold a way to reach a person
_ADDRESS_FIELDS = frozenset({"email", "phone", "to", "customer_email"})
_PHONE_CHARS = frozenset("0123456789+-(). ")
_DELETE_CHUNK = 500


def shop_named_in(resource: Any) -> str | None:
    """The shop a privacy request or shop payload names in its (signed) body, if any."""
    for name in ("shop_domain", "myshopify_domain"):
        value = getattr(resource, name, None)
        if isinstance(value, str) and value.strip():
            return value
    return None


def names_its_store(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> bool:
    """Whether a stored privacy delivery is about its store's own shop (ingest refuses any other;
    this guards deliveries stored before that check existed, or replayed from elsewhere)."""
    store = runtime.store(record.store_id, fresh=True)
    if store is None or store.platform != "shopify":
        return store is not None
    named = shop_named_in(load_parsed(record, item, runtime).resource)
    if named is None:
        return record.topic not in SHOP_NAMING_TOPICS
    return store.is_shop(named)


#: compiles a customers/data_request's export (functions/engine/data_export.py, handed in by the
#: dispatcher: it builds on this module) and says where the staff find it
DataExporter = Callable[[EventRecord, dict[str, Any], Runtime], str]


def handle_privacy_topic(
    record: EventRecord, item: dict[str, Any], runtime: Runtime, export: DataExporter | None = None
) -> str:
    if not names_its_store(record, item, runtime):
        logger.warning("privacy request for another shop ignored", extra={"store_id": record.store_id})
        return "ignored: the request does not name this store's shop_domain; nothing was deleted"
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
    if export is None:
        return "customer data request recorded: compile the export with POST /stores/{id}/data-requests"
    return export(record, item, runtime)


# --- who a customers/redact is about -----------------------------------------------------------
def normalized_address(value: str) -> str | None:
    """An email (lower-cased) or a phone number (its digits), else None: what addresses compare by."""
    text = value.strip()
    if "@" in text and " " not in text:
        return text.lower()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 7 and set(text) <= _PHONE_CHARS:
        return digits
    return None


def addresses_in(data: Any) -> set[str]:
    """Every email/phone held under an address field anywhere in a (dumped) resource."""
    found: set[str] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name in _ADDRESS_FIELDS and isinstance(value, str):
                if address := normalized_address(value):
                    found.add(address)
            else:
                found |= addresses_in(value)
    elif isinstance(data, list):
        for value in data:
            found |= addresses_in(value)
    return found


@dataclass
class Subject:
    """The customer being forgotten: their id, the orders to redact, and how they were reached."""

    customer_id: str | None
    order_ids: set[str]
    addresses: set[str] = field(default_factory=set)

    def is_entity(self, kind: str, entity_id: str) -> bool:
        if kind in ("customer", "privacy"):
            return bool(self.customer_id) and entity_id == self.customer_id
        return kind == "order" and entity_id in self.order_ids

    def is_mentioned_in(self, data: Any) -> bool:
        """True if a stored action/job payload names this customer, their orders or addresses."""
        if isinstance(data, dict):
            resource, resource_id = data.get("resource"), data.get("resource_id")
            if (
                isinstance(resource, str)
                and isinstance(resource_id, str | int)
                and self.is_entity(resource, str(resource_id))
            ):
                return True
            for name, value in data.items():
                if name == "order_id" and isinstance(value, str | int) and str(value) in self.order_ids:
                    return True
                if name == "customer_id" and self.customer_id and str(value) == self.customer_id:
                    return True
                if self.is_mentioned_in(value):
                    return True
            return False
        if isinstance(data, list):
            return any(self.is_mentioned_in(value) for value in data)
        if isinstance(data, str):
            return normalized_address(data) in self.addresses
        return False

    def is_quoted_in(self, text: str) -> bool:
        """True if free text (an error reason) quotes one of the customer's addresses."""
        lowered = text.lower()
        digits = "".join(ch for ch in text if ch.isdigit())
        return any((a in lowered) if "@" in a else (a in digits) for a in self.addresses)


def subject_of(
    store_id: str,
    customer_id: str | None,
    order_ids: Iterable[Any],
    named: Iterable[str],
    runtime: Runtime,
) -> Subject:
    """Who a privacy request is about: the customer, their orders, and every address they were
    known by (those the request names, and those their snapshots name, phone included)."""
    subject = Subject(customer_id=customer_id or None, order_ids={str(o) for o in order_ids if o})
    for address in named:
        subject.addresses |= addresses_in({"email": address})
    for kind, entity_id in _subject_entities(subject):
        blob = runtime.repo.entity_snapshot(store_id, kind, entity_id)
        if blob is not None:
            subject.addresses |= addresses_in(json.loads(snapshots.opened(blob, runtime.archive)))
    return subject


def redact_customer(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> str:
    request = load_parsed(record, item, runtime).resource
    store_id = record.store_id
    email = getattr(request, "customer_email", None)
    subject = subject_of(
        store_id,
        str(getattr(request, "customer_id", "") or "") or None,
        getattr(request, "orders_to_redact", []) or [],
        [email] if email else [],
        runtime,
    )

    # what domains keep by address (waitlist signups): Domain.forgets
    forgotten = ForgottenCustomer(
        store_id, frozenset(subject.addresses), runtime.repo, frozenset(subject.order_ids)
    )
    kept_by_domains = sum(forget(forgotten) for forget in runtime.registry.forgets)

    exports = forget_exports(store_id, subject, runtime)
    events = [_key_fields(e) for e in customer_events(store_id, subject, runtime, record.delivery_id)]
    partitions = {
        keys.entity_partition(store_id, kind, entity_id) for kind, entity_id in _subject_entities(subject)
    }
    partitions |= {keys.entity_partition(store_id, e["entity_kind"], str(e["entity_id"])) for e in events}
    doomed_items: list[dict[str, Any]] = list(events)
    for pk in sorted(partitions):
        doomed_items += runtime.repo.partition_keys(pk)
    doomed_items += [keys.last_contact(store_id, address) for address in subject.addresses]
    for event in events:
        if event.get("raw_s3_key") and runtime.archive.available:
            runtime.archive.delete_prefix(str(event["raw_s3_key"]))
    if runtime.archive.available:  # snapshots too big for an item (storekit.snapshots)
        entities = set(_subject_entities(subject))
        entities |= {(str(e["entity_kind"]), str(e["entity_id"])) for e in events}
        for kind, entity_id in sorted(entities):
            runtime.archive.delete_prefix(snapshots.entity_prefix(store_id, kind, entity_id))

    event_ids = {f"{e['platform']}:{e['delivery_id']}" for e in events}
    jobs = list(runtime.repo.items_of(store_id, "schedules"))
    job_ids = {str(j["job_id"]) for j in jobs if subject.is_mentioned_in(_json(j.get("params")))}
    deleted_actions, redacted_actions, action_ids = 0, 0, set()
    for action in runtime.repo.items_of(store_id, "actions"):
        source = str(action.get("event_id", ""))
        if not (
            source in event_ids
            or source.removeprefix("job:") in job_ids
            or subject.is_mentioned_in(_json(action.get("action")))
        ):
            continue
        action_ids.add(str(action["action_id"]))
        if action.get("status") in _NOT_CARRIED_OUT:
            doomed_items.append(action)
            deleted_actions += 1
        else:
            runtime.repo.redact_action(action)
            redacted_actions += 1
    doomed_jobs = [
        j
        for j in jobs
        if str(j["job_id"]) in job_ids | action_ids
        or str(_json(j.get("params")).get("action_id")) in action_ids
    ]
    doomed_items += doomed_jobs
    for runs in runtime.repo.items_of(store_id, "runs"):
        runtime.repo.redact_run_reasons(runs, subject.is_quoted_in)
    runtime.repo.delete_item_keys(doomed_items)
    _keep_ids_only(record, request, runtime)
    logger.info(
        "customer redacted",
        extra={"store_id": store_id, "deliveries": len(events), "jobs": len(doomed_jobs)},
    )
    return (
        f"customer redacted: {len(events)} stored deliveries, {len(doomed_jobs)} due jobs and "
        f"{deleted_actions} actions not carried out deleted; {redacted_actions} actions kept redacted"
        + (f"; {kept_by_domains} other items deleted" if kept_by_domains else "")
        + (f"; {exports} data exports deleted" if exports else "")
    )


def _subject_entities(subject: Subject) -> Iterator[tuple[str, str]]:
    if subject.customer_id:
        yield "customer", subject.customer_id
    for order_id in sorted(subject.order_ids):
        yield "order", order_id


def customer_events(
    store_id: str, subject: Subject, runtime: Runtime, skip_delivery: str | None = None
) -> Iterator[dict[str, Any]]:
    """The stored deliveries about the subject: by entity, by the entities their resource points at
    (a fulfillment's or refund's order), or by the addresses they carry (a guest checkout)."""
    for event in runtime.repo.items_of(store_id, "events"):
        if event.get("delivery_id") == skip_delivery:
            continue
        kind, entity_id = str(event.get("entity_kind")), str(event.get("entity_id"))
        if subject.is_entity(kind, entity_id):
            yield event
            continue
        if kind in _NO_CUSTOMER_DATA:
            continue
        try:
            resource = load_parsed(EventRecord.model_validate(event), event, runtime).resource
        except Exception:  # a payload that no longer parses is judged by its text
            logger.warning("stored payload unparseable during redact", extra={"store_id": store_id})
            if _raw_quotes(event, subject, runtime):
                yield event
            continue
        related = related_ids(resource)
        dumped = resource.model_dump(mode="json")
        if (
            related.get("order", "") in subject.order_ids
            or (subject.customer_id and related.get("customer") == subject.customer_id)
            or addresses_in(dumped) & subject.addresses
        ):
            yield event


def forget_exports(store_id: str, subject: Subject, runtime: Runtime) -> int:
    """customers/redact: the customer's data exports go too (found by id or hashed address)."""
    digests = {keys.contact_digest(store_id, a) for a in subject.addresses}
    doomed = [
        e
        for e in runtime.repo.data_exports(store_id)
        if (subject.customer_id and e.get("customer_id") == subject.customer_id)
        or digests & {str(d) for d in e.get("digests", [])}
    ]
    for export in doomed:
        if runtime.archive.available:
            runtime.archive.delete_prefix(snapshots.entity_prefix(store_id, "data-export", str(export["SK"])))
    runtime.repo.delete_item_keys([{"PK": e["PK"], "SK": e["SK"]} for e in doomed])
    return len(doomed)


def _raw_quotes(event: dict[str, Any], subject: Subject, runtime: Runtime) -> bool:
    try:
        blob = bytes(event["raw"]) if "raw" in event else runtime.archive.get(str(event["raw_s3_key"]))
        text = decompress(blob).decode("utf-8", "replace")
    except Exception:
        return False
    return subject.is_quoted_in(text)


def _key_fields(event: dict[str, Any]) -> dict[str, Any]:
    """What a redact needs of an event item (not its payload: a store's listing may be large)."""
    names = ("PK", "SK", "platform", "delivery_id", "entity_kind", "entity_id", "raw_s3_key")
    return {name: event[name] for name in names if name in event}


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def redacted_id(store_id: str, customer_id: Any) -> str | None:
    """What the redact delivery keeps of the customer's id: a hash (the same customer's later
    deliveries can be matched to it by the merchant, the id itself is not kept)."""
    if customer_id is None or str(customer_id) == "":
        return None
    text = str(customer_id)
    if text.startswith(REDACTED_ID):  # a repeated stream record: already scrubbed
        return text
    return REDACTED_ID + hashlib.sha256(f"{store_id}\x1fcustomer\x1f{text}".encode()).hexdigest()[:24]


#: how the redact delivery shows the customer's id once it is carried out
REDACTED_ID = "redacted-"


def _keep_ids_only(record: EventRecord, request: Any, runtime: Runtime) -> None:
    """The redact delivery itself carried the customer's email/phone and id: keep only the orders'
    ids and a hash of the customer's (it still parses, so a repeated stream record redacts again,
    finding nothing more, instead of failing)."""
    hashed = redacted_id(record.store_id, getattr(request, "customer_id", None))
    scrubbed = {
        "shop_id": getattr(request, "shop_id", None),
        "shop_domain": getattr(request, "shop_domain", None),
        "customer": {"id": hashed},
        "orders_to_redact": list(getattr(request, "orders_to_redact", []) or []),
    }
    if record.raw_s3_key and runtime.archive.available:
        runtime.archive.delete_prefix(record.raw_s3_key)
    runtime.repo.replace_event_raw(
        record.store_id,
        record.platform,
        record.delivery_id,
        compress(json.dumps(scrubbed).encode()),
        entity_id=hashed,
    )


# --- shop/redact -----------------------------------------------------------------------------
def redact_shop(store_id: str, runtime: Runtime) -> str:
    """Delete every item of the store. The config goes last: if this fails half-way, the stream
    retries the shop/redact event and it finds the store still there."""
    deleted = 0
    entity_partitions: set[str] = set()
    for what in _LISTINGS:
        for chunk in _chunks(runtime.repo.items_of(store_id, what)):
            for item in chunk:
                if item.get("type") == keys.EVENT and item.get("entity_kind"):
                    kind, entity_id = str(item["entity_kind"]), str(item.get("entity_id"))
                    entity_partitions.add(keys.entity_partition(store_id, kind, entity_id))
            runtime.repo.delete_item_keys(chunk)
            deleted += len(chunk)
    # entity state and snapshots, counters, refunds, contacts: the store-member index; items
    # written before that index existed are still reached through the events that named them
    sources: list[Iterable[dict[str, Any]]] = [runtime.repo.store_member_keys(store_id)]
    sources += [runtime.repo.partition_keys(pk) for pk in sorted(entity_partitions)]
    for source in sources:
        for chunk in _chunks(source):
            runtime.repo.delete_item_keys(chunk)
            deleted += len(chunk)
    if runtime.archive.available:
        runtime.archive.delete_prefix(archive_prefix(store_id))
        runtime.archive.delete_prefix(f"fallback/{store_id}/")
        runtime.archive.delete_prefix(snapshots.store_prefix(store_id))
    runtime.delete_store_secrets(store_id)
    if (store := runtime.store(store_id, fresh=True)) is not None:
        runtime.repo.release_shop(store)  # the shop may be given to a new store
    runtime.repo.delete_item_keys([keys.store_config(store_id)])
    runtime.forget_store(store_id)
    logger.info("shop redacted", extra={"store_id": store_id, "items": deleted})
    return f"shop redacted: {deleted} items deleted"


def _chunks(items: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= _DELETE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
