"""Supplier reorder: when a variant's available stock plus what is on order falls to its reorder
point, draft a purchase order for its supplier.

velocity      = units sold over the last `window_days` store-local days (net of refunds and
                cancellations, functions/inventory/sales.py) / window_days
reorder point = velocity x the supplier's lead_time_days + safety stock (`safety_stock_units`, else
                velocity x `safety_stock_days`)
quantity      = cover_days x velocity - available - on order, rounded up to the supplier's pack
                size, and at least its minimum order quantity

One PO per supplier per decision (the variants of one product event that reach their point
together share it). The store chooses: `send` "email" mails it to the supplier at once (an HTML
table and a CSV attachment); "approval" holds it until `POST .../purchase-orders/{po}/approve`.
A variant has at most one open PO (functions/inventory/purchase_orders.py); it is re-armed when
that PO is received or cancelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from functions.inventory.facts import StockFacts, stock_of_event
from functions.inventory.models import (
    ON_ORDER,
    OPEN_PO,
    PO_GENERATION,
    REORDER_NAME,
    ProductFacts,
    ReorderSettings,
    Supplier,
    counts,
)
from functions.inventory.purchase_orders import PoLine, PurchaseOrder, po_number, supplier_email
from functions.inventory.sales import velocity, window
from storekit.actions import Action, DraftPurchaseOrder
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.models import InventoryLevel, Product


@dataclass(frozen=True)
class ReorderFacts:
    stock: StockFacts = field(default_factory=StockFacts)
    #: variant id -> units sold (net) over the window
    sold: dict[str, int] = field(default_factory=dict)
    #: the window the units were read for (first day, last day), store-local
    window: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class Candidate:
    product_id: str
    variant_id: str
    sku: str | None
    title: str
    facts: ProductFacts


def candidates(resource: InventoryLevel | Product, stock: StockFacts) -> list[Candidate]:
    """The variants this event may change the stock of (counted ones)."""
    if isinstance(resource, InventoryLevel):
        item = stock.item
        if item is None or not item.counted:
            return []
        title = " - ".join(t for t in (item.product_title, item.variant_title) if t and t != "Default Title")
        return [
            Candidate(
                item.product_id, item.variant_id, item.sku, title or f"variant {item.variant_id}", item.facts
            )
        ]
    known = stock.product
    facts = ProductFacts.of(resource if resource.title is not None else known)
    name = resource.title or (known.title if known else None) or f"product {resource.id}"
    out = []
    for variant in resource.variants:
        if not variant.id or (resource.variation_ids and variant.id == resource.id) or not counts(variant):
            continue
        suffix = f" - {variant.title}" if variant.title and variant.title != "Default Title" else ""
        out.append(Candidate(resource.id, variant.id, variant.sku, f"{name}{suffix}", facts))
    return out


_READ: WeakKeyDictionary[Reader, ReorderFacts] = WeakKeyDictionary()


def load_reorder(resource: InventoryLevel | Product, read: Reader) -> ReorderFacts:
    """The stock (shared with low-stock and sold-out: read once per event) and, per counted variant,
    its units sold over the window: one Query of the window's blocks of daily counters each."""
    if read in _READ:
        return _READ[read]
    stock = stock_of_event(resource, read)
    found = candidates(resource, stock)
    if not found or read.store is None or read.now is None:
        return ReorderFacts(stock=stock)
    try:
        settings = ReorderSettings.model_validate(read.store.automation(REORDER_NAME).settings)
    except ValidationError:
        return ReorderFacts(stock=stock)  # the run records the invalid settings
    days = settings.window_days
    # only variants a supplier supplies have a velocity worth reading (none without suppliers)
    found = [c for c in found if settings.supplier_for(c.facts, c.sku) is not None]
    if not found:
        return ReorderFacts(stock=stock)
    today = read.now.astimezone(ZoneInfo(read.store.timezone)).date()
    first, last = window(today, days)
    sold = {
        c.variant_id: read.repo.variant_units_sold(read.store_id, c.variant_id, first, last) for c in found
    }
    facts = ReorderFacts(stock=stock, sold=sold, window=(first, last))
    _READ[read] = facts
    return facts


def reorder_point(speed: Decimal, supplier: Supplier, settings: ReorderSettings) -> Decimal:
    safety = (
        Decimal(settings.safety_stock_units)
        if settings.safety_stock_units is not None
        else speed * settings.safety_stock_days
    )
    return speed * supplier.lead_time_days + safety


def reorder_quantity(
    speed: Decimal, available: int, on_order: int, supplier: Supplier, cover_days: int
) -> int:
    """cover_days x velocity - available - on order, rounded up to the pack size and at least the
    minimum order quantity; 0 when nothing is needed."""
    need = (speed * cover_days - available - on_order).to_integral_value(rounding=ROUND_CEILING)
    if need <= 0:
        return 0
    packs = math.ceil(int(need) / supplier.pack_size)
    quantity = packs * supplier.pack_size
    if quantity < supplier.min_order_qty:
        quantity = math.ceil(supplier.min_order_qty / supplier.pack_size) * supplier.pack_size
    return quantity


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def reorder(resource: InventoryLevel | Product, ctx: Context[ReorderSettings, ReorderFacts]) -> Decision:
    settings = ctx.settings
    if not settings.suppliers:
        return nothing("no suppliers are set (setting suppliers: name, email, and vendors or skus)")
    facts = ctx.related
    stock = facts.stock
    if isinstance(resource, InventoryLevel) and stock.item is None:
        return nothing(
            f"inventory item {resource.inventory_item_id} is in no product storeflow has received: "
            "it learns the items of each variant from products/create and products/update"
        )
    found = candidates(resource, stock)
    if not found:
        return nothing("no variant of this update has tracked stock (untracked or sold on when out)")
    after = stock.stock_after(resource)
    item = stock.stock_item
    reasons: list[str] = []
    by_supplier: dict[str, tuple[Supplier, list[PoLine], list[str]]] = {}
    for c in found:
        label = f"{c.title} (SKU {c.sku})" if c.sku else c.title
        supplier = settings.supplier_for(c.facts, c.sku)
        if supplier is None:
            reasons.append(f"{label}: no supplier supplies it (by vendor or SKU)")
            continue
        available = after.available(c.variant_id)
        if available is None:
            reasons.append(f"{label}: no stock level known")
            continue
        open_po = item.get(f"{OPEN_PO}{c.variant_id}")
        if open_po:
            reasons.append(
                f"{label}: purchase order {open_po} is open (again once it is received or cancelled)"
            )
            continue
        on_order = int(item.get(f"{ON_ORDER}{c.variant_id}", 0))
        sold = facts.sold.get(c.variant_id, 0)
        speed = velocity(sold, settings.window_days)
        point = reorder_point(speed, supplier, settings)
        if speed == 0:
            reasons.append(f"{label}: no sales in the last {settings.window_days} days: nothing to reorder")
            continue
        if available + on_order > point:
            reasons.append(
                f"{label}: {available} available + {on_order} on order, above the reorder point "
                f"{_fmt(point)} ({_fmt(speed)}/day over {settings.window_days} days)"
            )
            continue
        quantity = reorder_quantity(speed, max(available, 0), on_order, supplier, settings.cover_days)
        if quantity == 0:
            reasons.append(f"{label}: {settings.cover_days} days of sales are covered already")
            continue
        generation = int(item.get(f"{PO_GENERATION}{c.variant_id}", 0))
        cost = supplier.unit_costs.get(c.sku or "") if c.sku else None
        line = PoLine(
            product_id=c.product_id,
            variant_id=c.variant_id,
            sku=c.sku,
            title=c.title,
            quantity=quantity,
            unit_cost=cost,
            available=available,
            on_order=on_order,
            velocity=speed.quantize(Decimal("0.001")),
            reorder_point=point.quantize(Decimal("0.01")),
        )
        entry = by_supplier.setdefault(supplier.name, (supplier, [], []))
        entry[1].append(line)
        entry[2].append(f"{c.variant_id}:{generation}")
    actions: list[Action] = []
    day = ctx.now.date().isoformat()
    for name, (supplier, lines, marks) in sorted(by_supplier.items()):
        number = po_number(ctx.store.store_id, name, marks, day)
        po = PurchaseOrder(
            number=number,
            store_name=ctx.store.display_name,
            supplier=name,
            supplier_email=str(supplier.email),
            currency=supplier.currency or ctx.store.currency,
            lines=lines,
            created_on=day,
        )
        variants: dict[str, dict[str, int]] = {}
        for line in lines:
            variants.setdefault(line.product_id, {})[line.variant_id] = line.quantity
        email = supplier_email(po, settings.sender, settings.reply_to) if settings.send == "email" else None
        actions.append(
            DraftPurchaseOrder(
                number=number,
                supplier=name,
                document=po.document(),
                variants=variants,
                email=email,
                once_per=f"purchase-order:{name}:{','.join(sorted(marks))}",
            )
        )
    return Decision(actions, "; ".join(reasons) or None)


REORDER: Automation[InventoryLevel | Product, ReorderSettings, Any] = Automation(
    name=REORDER_NAME,
    description="Draft a purchase order for a variant's supplier when its stock falls to the reorder point",
    topics=frozenset(
        {Topic.INVENTORY_UPDATED, Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED, Topic.VARIANT_OUT_OF_STOCK}
    ),
    settings_model=ReorderSettings,
    takes=(InventoryLevel, Product),
    run=reorder,
    load=load_reorder,
    reads=frozenset({"product", "inventory_item", "order", "refund"}),
)
