"""Per-variant daily sales, kept as orders arrive: what a reorder velocity reads.

Each order adds its units to its variant's counter for its store-local day (an ADD counter; one
item holds a block of 32 days, storekit.keys.variant_sales); refunds and cancellations take them
off again, on the day of the order (so a velocity over the last N days counts what sold in them,
net). Deliveries repeat and come in any order, so each order keeps a marker of what the counters
hold of it (the domain's part, LEDGER_PART, of the order's ledger: storekit.keys.order_ledger): the
day it was counted on, the units still counted per line, the refund ids already netted, whether it
was cancelled. The marker and the counters change in one transaction, conditional on the marker
being as read: an order, a refund, a cancellation each count exactly once. An order counted before
the ledger is read from its old marker (storekit.keys.sales_marker) until its part is written.

A velocity reads one Query of the blocks its window spans (2 items for 28 days): its cost does not
grow with the order history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from storekit import keys
from storekit.automation import AppliedEvent
from storekit.errors import CountingBusy
from storekit.models import Order, Refund

#: order statuses that mean nothing was (or stays) sold (WooCommerce; Shopify says cancelled_at)
NOT_SOLD = frozenset({"cancelled", "refunded", "failed", "trash"})
#: a marker that another worker changed between our read and write is read again this many times
_ATTEMPTS = 5
#: the inventory's part of each order's ledger (storekit.repository.counted)
LEDGER_PART = "sales"


@dataclass(frozen=True)
class SalesMark:
    """What the counters hold of one order."""

    #: the store-local day its units were counted on (None: not counted yet)
    day: str | None = None
    #: line item id -> (variant id, units still counted)
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: units refunded before the order was counted (line item id -> units): left out when it is
    early_refunds: dict[str, int] = field(default_factory=dict)
    refund_ids: frozenset[str] = frozenset()
    cancelled: bool = False
    version: int = 0

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> SalesMark | None:
        if item is None:
            return None
        lines = {str(k): (str(v[0]), int(v[1])) for k, v in (item.get("lines") or {}).items()}
        return cls(
            day=str(item["day"]) if item.get("day") else None,
            lines=lines,
            early_refunds={str(k): int(v) for k, v in (item.get("early_refunds") or {}).items()},
            refund_ids=frozenset(str(r) for r in item.get("refund_ids") or ()),
            cancelled=bool(item.get("cancelled")),
            version=int(item.get("version", 0)),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "lines": {k: [v, n] for k, (v, n) in self.lines.items()},
            "early_refunds": dict(self.early_refunds),
            "refund_ids": sorted(self.refund_ids),
            "cancelled": self.cancelled,
            "version": self.version + 1,
        }


Deltas = dict[tuple[str, str], int]


def _add(deltas: Deltas, variant_id: str, day: str, units: int) -> None:
    deltas[(variant_id, day)] = deltas.get((variant_id, day), 0) + units


def order_units(order: Order) -> dict[str, tuple[str, int]]:
    """Line item id -> (variant id, units) of the lines that name a variant (WooCommerce: the
    variation, else the product, which is its own variant)."""
    out: dict[str, tuple[str, int]] = {}
    for index, line in enumerate(order.line_items):
        variant = line.variant_id or line.product_id
        if variant and line.quantity > 0:
            out[line.id or f"line-{index}"] = (str(variant), int(line.quantity))
    return out


def is_cancelled(order: Order) -> bool:
    return order.cancelled_at is not None or (order.status or "").lower() in NOT_SOLD


def on_order(mark: SalesMark, order: Order, day: str) -> tuple[SalesMark, Deltas] | None:
    """The marker and counter changes an order event makes (None: it changes nothing)."""
    if mark.cancelled:
        return None
    original = mark
    deltas: Deltas = {}
    if mark.day is None and not is_cancelled(order):
        lines: dict[str, tuple[str, int]] = {}
        for line_id, (variant, units) in order_units(order).items():
            counted = max(0, units - mark.early_refunds.get(line_id, 0))
            lines[line_id] = (variant, counted)
            _add(deltas, variant, day, counted)
        mark = replace(mark, day=day, lines=lines, early_refunds={})
    for refund in order.refunds:  # an orders/updated carries the refunds made so far
        step = on_refund(mark, refund)
        if step is not None:
            mark, more = step
            for (variant, on_day), units in more.items():
                _add(deltas, variant, on_day, units)
    if is_cancelled(order):
        if mark.day is not None:
            for variant, units in mark.lines.values():
                _add(deltas, variant, mark.day, -units)
        mark = replace(mark, cancelled=True, lines={k: (v, 0) for k, (v, _) in mark.lines.items()})
    if mark == original and not any(deltas.values()):
        return None
    return mark, deltas


def on_refund(mark: SalesMark, refund: Refund) -> tuple[SalesMark, Deltas] | None:
    """The changes a refund makes: its units come off the order's day, once per refund id."""
    if not refund.id or refund.id in mark.refund_ids or mark.cancelled:
        return None
    deltas: Deltas = {}
    ids = mark.refund_ids | {refund.id}
    if mark.day is None:  # refunded before the order was counted: left out when it is
        early = dict(mark.early_refunds)
        for line in refund.refund_line_items:
            if line.line_item_id and line.quantity > 0:
                early[line.line_item_id] = early.get(line.line_item_id, 0) + int(line.quantity)
        return replace(mark, early_refunds=early, refund_ids=ids), deltas
    lines = dict(mark.lines)
    for line in refund.refund_line_items:
        if not line.line_item_id or line.line_item_id not in lines:
            continue
        variant, counted = lines[line.line_item_id]
        taken = min(counted, int(line.quantity))
        lines[line.line_item_id] = (variant, counted - taken)
        _add(deltas, variant, mark.day, -taken)
    return replace(mark, lines=lines, refund_ids=ids), deltas


def store_day(at: datetime | None, timezone: str, fallback: datetime) -> str:
    return (at or fallback).astimezone(ZoneInfo(timezone)).date().isoformat()


def keep_sales(applied: AppliedEvent) -> None:
    """Count an order's units, a refund's or a cancellation's, exactly once (kept-after hook)."""
    resource = applied.parsed.resource
    if isinstance(resource, Order):
        order_id = resource.id
    elif isinstance(resource, Refund) and resource.order_id:
        order_id = resource.order_id
    else:
        return
    store_id = applied.store.store_id
    legacy = keys.sales_marker(store_id, order_id)
    for _ in range(_ATTEMPTS):
        found = applied.repo.ledger_part(store_id, order_id, LEDGER_PART, legacy)
        mark = SalesMark.from_item(found) or SalesMark()
        if isinstance(resource, Order):
            day = store_day(resource.created_at, applied.store.timezone, applied.now)
            step = on_order(mark, resource, day)
        else:
            step = on_refund(mark, resource)
        if step is None:
            return
        new_mark, deltas = step
        # None: no part yet (nothing counted, or counted on the old marker): written if still absent
        version = mark.version if found is not None and "version" in found else None
        if applied.repo.apply_sales(store_id, order_id, LEDGER_PART, new_mark.to_item(), version, deltas):
            return
    raise CountingBusy(f"order {order_id}'s sales counts changed under each of {_ATTEMPTS} tries")


def window(today: date, days: int) -> tuple[str, str]:
    """(first day, last day) of the `days` store-local days up to and including today."""
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


def velocity(units_sold: int, window_days: int) -> Decimal:
    """Units per day over the window (never below zero: a refund of an older sale can net a day
    negative)."""
    return max(Decimal(0), Decimal(units_sold) / Decimal(window_days))
