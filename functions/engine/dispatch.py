"""Event items from the stream -> the automations for their topic -> the action outbox + runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from functions.engine.catalog import registry
from functions.engine.privacy import PRIVACY_TOPICS, handle_privacy_topic
from functions.engine.registry import Automation, Context, EventMeta
from functions.reports.activity import count_event
from storekit import keys, snapshots
from storekit.actions import Action
from storekit.adapters import EntityKind, Parsed, Topic, parse_delivery, related_ids, resource_from_json
from storekit.clock import iso
from storekit.errors import MalformedPayload
from storekit.models import Order, Refund
from storekit.observability import logger
from storekit.order_proofs import OrderProofs
from storekit.payload_store import compress, decompress
from storekit.records import ActionRecord, EventRecord, RunRecord
from storekit.runtime import Runtime
from storekit.store import StoreConfig

#: entity kinds whose newest version is kept as a snapshot for automations that need them
SNAPSHOT_KINDS = frozenset({EntityKind.ORDER, EntityKind.CUSTOMER, EntityKind.PRODUCT})


def load_parsed(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> Parsed:
    """Re-read the raw payload the event item points at and parse it again (deterministic)."""
    blob = bytes(item["raw"]) if "raw" in item else runtime.archive.get(str(record.raw_s3_key))
    return parse_delivery(record.platform, Topic(record.topic), json.loads(decompress(blob)))


def dispatch_event(item: dict[str, Any], runtime: Runtime) -> str:
    """Handle one event item (idempotent: stream records repeat). Returns what happened."""
    record = EventRecord.model_validate(item)
    if record.status != "received":
        return "already handled"
    full = runtime.repo.get_event_item(record.store_id, record.platform, record.delivery_id)
    if full is None or full.get("status") != "received":
        return "already handled"
    store = runtime.store(record.store_id, fresh=True)
    if store is None:
        runtime.repo.mark_event(record, "failed", "store no longer exists")
        return "store gone"
    if record.topic in PRIVACY_TOPICS:
        reason = handle_privacy_topic(record, full, runtime)
        runtime.repo.mark_event(record, "processed", reason)
        return reason
    try:
        parsed = load_parsed(record, full, runtime)
    except (MalformedPayload, ValueError) as exc:
        runtime.repo.mark_event(record, "failed", f"stored payload no longer parses: {exc}")
        return "unparseable"
    # a newer version of this entity was already applied (deliveries come in any order)
    previous = previous_order(parsed, store, record.topic, runtime)
    note_refund(parsed, record.store_id, runtime)
    behind = record.updated_at is not None and not runtime.repo.advance_entity(
        record.store_id,
        record.entity_kind,
        record.entity_id,
        record.updated_at,
        record.event_id,
        snapshots.kept(
            snapshot_of(parsed),
            runtime.archive,
            record.store_id,
            record.entity_kind,
            record.entity_id,
            record.event_id,
        ),
        order_number_of(parsed),
    )
    if behind and not announces_occurrence(record.topic):
        runtime.repo.mark_event(record, "stale", "a newer update of this entity was already processed")
        return "stale"
    keep_order_shipment(parsed, record.store_id, runtime)
    if not behind and record.updated_at and isinstance(parsed.resource, Order):  # the assistant's proof
        OrderProofs(runtime.table).keep(record.store_id, parsed.resource, record.updated_at)

    meta = EventMeta(
        event_id=record.event_id,
        platform=record.platform,
        topic=record.topic,
        delivery_id=record.delivery_id,
        received_at=record.received_at,
    )
    automations = registry().enabled_for(store, record.topic)
    related = load_related(
        parsed, frozenset().union(*(a.needs for a in automations)), record.store_id, runtime
    )
    related.update(previous)
    ran = 0
    for automation in automations:
        run_automation(automation, parsed, meta, record, runtime, related)
        ran += 1
    outcome = f"{ran} automation(s) ran"
    if behind:
        outcome += " (arrived after a newer update of this entity: its state was not applied)"
    if runtime.repo.mark_event(record, "processed", outcome):
        count_event(store, record.topic, runtime)
    return outcome


def announces_occurrence(topic: str) -> bool:
    """Whether a topic tells that something happened (an order was created, paid, cancelled; a
    shipment left) rather than only syncing state. Such an event still runs its automations when it
    arrives after a newer update of the same entity (deliveries come in any order; the outbox keys
    keep the effects once); only its older state is not applied. A late `*.updated` is just stale."""
    return not topic.endswith(".updated")


def snapshot_of(parsed: Parsed) -> bytes | None:
    """The compressed canonical snapshot kept for the kinds automations read as related data."""
    if parsed.entity_kind not in SNAPSHOT_KINDS:
        return None
    return compress(parsed.resource.model_dump_json().encode())  # too big for an item: S3 (snapshots.kept)


def order_number_of(parsed: Parsed) -> str | None:
    """What a shopper calls the order ('#1001'), for the order-status assistant's lookup."""
    resource = parsed.resource
    if isinstance(resource, Order):
        return resource.name or resource.number
    return None


def keep_order_shipment(parsed: Parsed, store_id: str, runtime: Runtime) -> None:
    """Keep the newest version of a shipment next to its order, for the order-status assistant
    (fulfillments/create|update may be newer than the order snapshot's copy). Without the
    shipment's name, email, phone and lines: only what tells where the parcel is."""
    from storekit.models import Fulfillment

    shipment = parsed.resource
    if not isinstance(shipment, Fulfillment) or not (shipment.id and shipment.order_id and parsed.updated_at):
        return
    kept = shipment.model_copy(update={"email": None, "phone": None, "name": None, "line_items": []})
    runtime.repo.keep_order_shipment(
        store_id,
        shipment.order_id,
        shipment.id,
        iso(parsed.updated_at),
        compress(kept.model_dump_json().encode()),
    )


# --- facts the follow-ups read (functions/fulfillment/returns.py, follow_up.py) -------------------
def previous_order(parsed: Parsed, store: StoreConfig, topic: str, runtime: Runtime) -> dict[str, Any]:
    """The order as storeflow knew it before this update ({"previous_order": Order}), read before
    the update is applied, for automations that need it to tell a refund id not seen before (so
    only for an order carrying refunds: no extra read on other order events)."""
    order = parsed.resource
    if (
        not isinstance(order, Order)
        or not order.refunds
        or not any("previous_order" in a.needs for a in registry().enabled_for(store, topic))
    ):
        return {}
    blob = runtime.repo.entity_snapshot(store.store_id, "order", parsed.entity_id)
    return (
        {"previous_order": resource_from_json(snapshots.opened(blob, runtime.archive))}
        if blob is not None
        else {}
    )


def note_refund(parsed: Parsed, store_id: str, runtime: Runtime) -> None:
    """A refund event marks its order refunded at once (the order snapshot only shows it when an
    orders/updated follows), so a post-delivery follow-up due later sees it."""
    refund = parsed.resource
    if isinstance(refund, Refund) and refund.order_id and refund.id:
        runtime.repo.note_refund(store_id, refund.order_id, refund.id)


def job_facts(
    needs: frozenset[str], store_id: str, order_id: str, order: Any, runtime: Runtime
) -> dict[str, Any]:
    """What a due job of an order-related automation may read besides the order snapshot:
    "refund" (refund ids recorded for the order) and "contact" ((channel, at) of the last message
    storeflow sent to the order's customer)."""
    facts: dict[str, Any] = {}
    if "refund" in needs:
        facts["refund"] = runtime.repo.order_refund_ids(store_id, order_id)
    if "contact" in needs and isinstance(order, Order):
        customer = order.customer
        addresses = [
            order.email,
            order.phone,
            customer.email if customer else None,
            customer.phone if customer else None,
            order.shipping_address.phone if order.shipping_address else None,
        ]
        contact = runtime.repo.last_contact(store_id, [a for a in addresses if a])
        if contact is not None:
            facts["contact"] = contact
    return facts


def load_related(parsed: Parsed, kinds: frozenset[str], store_id: str, runtime: Runtime) -> dict[str, Any]:
    """The newest snapshots of the entities an event points at, for the kinds asked for."""
    related: dict[str, Any] = {}
    for kind, entity_id in related_ids(parsed.resource).items():
        if kind in kinds:
            blob = runtime.repo.entity_snapshot(store_id, kind, entity_id)
            if blob is not None:
                related[kind] = resource_from_json(snapshots.opened(blob, runtime.archive))
    return related


def run_automation(
    automation: Automation[Any],
    parsed: Parsed,
    meta: EventMeta,
    record: EventRecord,
    runtime: Runtime,
    related: Mapping[str, Any] | None = None,
) -> RunRecord:
    """Run one automation on one event and write its run record and outbox actions."""
    store = runtime.store(record.store_id)
    assert store is not None
    return decide_and_record(
        automation, store, meta, related or {}, runtime, lambda ctx: automation.run(parsed, ctx)
    )


def decide_and_record(
    automation: Automation[Any],
    store: StoreConfig,
    meta: EventMeta,
    related: Mapping[str, Any],
    runtime: Runtime,
    decide: Callable[[Context[Any]], list[Action]],
) -> RunRecord:
    """Let an automation decide (on an event, or a due job of its own) and write the outcome:
    the actions to the outbox, once each, and a run record that explains them."""
    now = runtime.clock.now()
    run_id = keys.idempotency_key(store.store_id, meta.event_id, automation.name)
    mode = store.mode_for(automation.name)
    actions: list[Action] = []
    outcome: str
    reason: str | None = None
    try:
        settings = automation.settings_for(store)
        needed = {k: v for k, v in related.items() if k in automation.needs}
        actions = decide(Context(store=store, settings=settings, event=meta, now=now, related=needed))
        outcome = "actions" if actions else "nothing-to-do"
    except ValidationError as exc:
        outcome, reason = "error", f"invalid settings: {exc.error_count()} problem(s)"
    except Exception as exc:
        # an automation bug must not block the others; it is recorded on the run
        logger.exception("automation failed", extra={"automation": automation.name})
        outcome, reason = "error", f"{type(exc).__name__}: {exc}"[:500]

    action_ids: list[str] = []
    for index, action in enumerate(actions):
        action_id = action_key(store.store_id, meta.event_id, automation.name, index, action)
        action_ids.append(action_id)
        runtime.repo.put_action(
            ActionRecord(
                action_id=action_id,
                store_id=store.store_id,
                automation=automation.name,
                run_id=run_id,
                event_id=meta.event_id,
                kind=action.kind,
                target=action.target(),
                summary=action.summary(),
                action=action.model_dump(mode="json"),
                status="pending",
                mode=mode,
                created_at=iso(now),
                updated_at=iso(now),
            )
        )
    run = RunRecord(
        run_id=run_id,
        store_id=store.store_id,
        event_id=meta.event_id,
        topic=meta.topic,
        automation=automation.name,
        mode=mode,
        outcome=outcome,
        reason=reason,
        action_ids=action_ids,
        created_at=iso(now),
    )
    runtime.repo.put_run(run)
    logger.info(
        "automation ran",
        extra={
            "automation": automation.name,
            "store_id": store.store_id,
            "actions": len(action_ids),
            "outcome": outcome,
        },
    )
    return run


def action_key(store_id: str, source_id: str, automation: str, index: int, action: Action) -> str:
    """Deterministic outbox key: by `once_per` when the automation names it, else by the event (or
    job) that led to it and the action's content."""
    if action.once_per:
        return keys.idempotency_key(store_id, automation, action.kind, action.once_per)
    content = action.model_dump_json()
    return keys.idempotency_key(store_id, automation, source_id, str(index), content)
