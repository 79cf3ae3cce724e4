"""What the fulfillment automations read before deciding, and what the domain keeps after an event.

Read before (loaders, one per need):
- a shipment's order: the newest order snapshot (a fulfillment carries no consent or customer);
- the order before this update: a WooCommerce refund shows only as a refund id not seen before;
- for a due follow-up: the order, the refund ids recorded for it, the last channel used.
Kept after (hooks, run when the event's state is applied):
- a refund marks its order refunded at once (a follow-up due later sees it before any
  orders/updated says so);
- a shipment's newest version beside its order, for the order-status assistant.
"""

from __future__ import annotations

from dataclasses import dataclass

from storekit.automation import AppliedEvent, Reader
from storekit.clock import iso
from storekit.models import Fulfillment, Order, Refund
from storekit.order_proofs import proof_of
from storekit.payload_store import compress
from storekit.records import JobRecord


@dataclass(frozen=True)
class OrderFacts:
    """What a fulfillment automation knows beside the event: each loader fills what it reads."""

    #: the newest order snapshot (None: storeflow has not received the order)
    order: Order | None = None
    #: the order as storeflow knew it before this update (WooCommerce refunds)
    previous_order: Order | None = None
    #: refund ids recorded for the order (refunds/create, kept at once)
    refund_ids: frozenset[str] = frozenset()
    #: (channel, at) of the last message storeflow really sent to the order's customer
    last_contact: tuple[str, str] | None = None


def order_of_shipment(resource: Fulfillment | Order, read: Reader) -> OrderFacts:
    """A fulfillment's order; an order event is its own order (nothing to read)."""
    if isinstance(resource, Fulfillment):
        return OrderFacts(order=read.order(resource.order_id))
    return OrderFacts()


def order_before_refunds(resource: Refund | Order, read: Reader) -> OrderFacts:
    """The order before this update, read only for an order that carries refunds (no extra read on
    other order events)."""
    if isinstance(resource, Order) and resource.refunds and resource.id:
        return OrderFacts(previous_order=read.order(resource.id))
    return OrderFacts()


def _job_order_id(job: JobRecord) -> str | None:
    order_id = job.params.get("order_id")
    return order_id if isinstance(order_id, str) and order_id else None


def order_and_refunds(job: JobRecord, read: Reader) -> OrderFacts:
    order_id = _job_order_id(job)
    if order_id is None:
        return OrderFacts()
    refund_ids = frozenset(read.repo.order_refund_ids(read.store_id, order_id))
    return OrderFacts(order=read.order(order_id), refund_ids=refund_ids)


def order_and_last_contact(job: JobRecord, read: Reader) -> OrderFacts:
    order_id = _job_order_id(job)
    order = read.order(order_id)
    if order is None:
        return OrderFacts()
    customer = order.customer
    addresses = [
        order.email,
        order.phone,
        customer.email if customer else None,
        customer.phone if customer else None,
        order.shipping_address.phone if order.shipping_address else None,
    ]
    contact = read.repo.last_contact(read.store_id, [a for a in addresses if a])
    return OrderFacts(order=order, last_contact=contact)


def note_refund(applied: AppliedEvent) -> None:
    """A refund event marks its order refunded at once (the order snapshot only shows it when an
    orders/updated follows), so a post-delivery follow-up due later sees it."""
    refund = applied.parsed.resource
    if isinstance(refund, Refund) and refund.order_id and refund.id:
        applied.repo.note_refund(applied.store.store_id, refund.order_id, refund.id)


def keep_order_proof(applied: AppliedEvent) -> None:
    """Keep what proves an order is a shopper's (its number with digests of its emails) apart from
    its snapshot, so the assistant checks the email before reading any order (storekit.order_proofs).
    Written only when it changes: not by an event that came after a newer version of the order (that
    version's event keeps the proof), nor when the version it replaced has the same proof."""
    order = applied.parsed.resource
    if not isinstance(order, Order) or applied.parsed.updated_at is None or applied.behind:
        return
    store_id = applied.store.store_id
    previous = applied.previous()
    if isinstance(previous, Order) and proof_of(store_id, previous) == proof_of(store_id, order):
        return
    applied.repo.keep_order_proof(store_id, order, iso(applied.parsed.updated_at))


def keep_order_shipment(applied: AppliedEvent) -> None:
    """Keep the newest version of a shipment next to its order, for the order-status assistant
    (fulfillments/create|update may be newer than the order snapshot's copy). Without the
    shipment's name, email, phone and lines: only what tells where the parcel is."""
    shipment = applied.parsed.resource
    updated_at = applied.parsed.updated_at
    if not isinstance(shipment, Fulfillment) or not (shipment.id and shipment.order_id and updated_at):
        return
    kept = shipment.model_copy(update={"email": None, "phone": None, "name": None, "line_items": []})
    applied.repo.keep_order_shipment(
        applied.store.store_id,
        shipment.order_id,
        shipment.id,
        iso(updated_at),
        compress(kept.model_dump_json().encode()),
    )
