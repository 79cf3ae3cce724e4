"""Free gift with purchase: the gift's stock pauses and resumes its discount.

A gift offer (schedule kind "gift", functions/sales/schedule.py) is a platform discount with the gift
variant at 100% off (Shopify buy X get Y; WooCommerce a coupon). While it runs, its gift variant is
watched (on its product's stock item, keys.gift_watch_attr). The `gift-stock` automation reads each stock
change of a watched variant (Shopify inventory_levels/update and products/update, WooCommerce
product.updated), with the stock the inventory domain keeps (functions/inventory/facts.py):

- sold out (available <= 0) and the discount on: one SetDiscountActive(active=False) and a staff
  notice (Slack and/or email, settings as the inventory alerts');
- back in stock and the discount paused: one SetDiscountActive(active=True) and a notice.

Each pause and resume is decided once per change, however often the webhooks repeat: its `once_per`
carries the offer's count of pauses and resumes so far (`Offer.toggles`), which the settle hook
(`record_toggle`) moves on once the action is carried out (or planned, in dry-run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.inventory.facts import StockFacts, product_variants, stock_of_event
from functions.inventory.models import StaffChannels
from functions.sales.models import Sale
from storekit import keys
from storekit.actions import Action, SetDiscountActive, staff_notice
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, SettledAction, nothing
from storekit.clock import iso, parse_iso
from storekit.models import InventoryLevel, Product

GIFT_STOCK = "gift-stock"


class GiftSettings(StaffChannels):
    """Who hears that a gift's discount was paused or resumed (Slack by default, and/or `email`)."""


@dataclass(frozen=True)
class GiftFacts:
    stock: StockFacts
    #: (gift variant id, the running offer whose gift it is)
    gifts: tuple[tuple[str, Sale], ...] = ()


def load_gifts(resource: InventoryLevel | Product, read: Reader) -> GiftFacts:
    """The offers whose gift is a variant of this event, and its stock: the watch list comes with the
    product's stock item the inventory automations read anyway (one read per event, shared); only a
    watched variant's offers are read (one GetItem each)."""
    facts = stock_of_event(resource, read)
    if isinstance(resource, InventoryLevel):
        variants = [facts.item.variant_id] if facts.item is not None else []
    else:
        variants = product_variants(resource)
    gifts = []
    for variant_id in variants[:100]:
        for job_id in sorted(str(j) for j in facts.stock_item.get(keys.gift_watch_attr(variant_id)) or ()):
            found = read.repo.sale(read.store_id, job_id)
            if found is not None:
                gifts.append((variant_id, Sale.model_validate(found[0])))
    return GiftFacts(stock=facts, gifts=tuple(gifts))


def _staff(heading: str, body: str, settings: GiftSettings, once: str) -> list[Action]:
    return staff_notice(heading, body, settings, once)


def gift_stock(resource: InventoryLevel | Product, ctx: Context[GiftSettings, GiftFacts]) -> Decision:
    facts = ctx.related
    if not facts.gifts:
        return nothing("no running gift offer has a variant of this event as its gift")
    after = facts.stock.stock_after(resource)
    actions: list[Action] = []
    notes: list[str] = []
    for variant_id, sale in facts.gifts:
        offer = sale.offer
        label = f"gift offer {sale.name!r} ({sale.job_id})"
        if offer is None or sale.state != "running" or sale.phase != "on" or sale.cancel_requested:
            notes.append(f"{label} is not on ({sale.state}): nothing to pause or resume")
            continue
        if sale.discount_id is None:
            notes.append(f"{label} ran in dry-run: no discount was created, nothing to pause")
            continue
        if after.counted.get(variant_id) is False:
            notes.append(f"{label}: the gift's stock is not tracked (it never sells out)")
            continue
        available = after.available(variant_id)
        if available is None:
            notes.append(f"{label}: the gift's stock is not known yet (products/update tells it)")
            continue
        sold_out = available <= 0
        if sold_out == offer.paused:
            state = "still sold out: its discount is paused already" if sold_out else "in stock"
            notes.append(f"{label}: gift {variant_id} {state} ({available})")
            continue
        resume = not sold_out
        once = f"gift:{sale.job_id}:{offer.toggles}:{'resume' if resume else 'pause'}"
        expires = parse_iso(sale.ends_at) if resume else ctx.now
        actions.append(
            SetDiscountActive(
                discount_id=sale.discount_id,
                active=resume,
                expires_at=expires,
                sale_id=sale.job_id,
                once_per=once,
            )
        )
        if resume:
            heading = f"Gift back on: {sale.name}"
            body = (
                f"The gift (variant {variant_id}) of {sale.name!r} is back in stock ({available}): "
                f"its discount {sale.discount_id} is on again until {sale.ends_at}."
            )
        else:
            heading = f"Gift paused: {sale.name}"
            body = (
                f"The gift (variant {variant_id}) of {sale.name!r} sold out: its discount "
                f"{sale.discount_id} is paused until the gift is back in stock."
            )
        actions += _staff(heading, body, ctx.settings, once)
        if not ctx.settings.slack and not ctx.settings.email:
            notes.append("staff are not told: gift-stock settings slack and email are off")
    return Decision(actions, "; ".join(notes) or None)


def record_toggle(settled: SettledAction) -> None:
    """Once a pause or resume is carried out (or planned), the offer records it: the next stock
    change decides from there."""
    action = settled.action
    if not isinstance(action, SetDiscountActive) or settled.status not in ("done", "planned"):
        return
    for _ in range(5):
        found = settled.repo.sale(settled.store.store_id, action.sale_id)
        if found is None:
            return
        data, version = found
        sale = Sale.model_validate(data)
        if sale.offer is None or sale.offer.paused == (not action.active):
            return  # recorded already (a settle seen twice)
        offer = sale.offer.model_copy(update={"paused": not action.active, "toggles": sale.offer.toggles + 1})
        changed = sale.model_copy(update={"offer": offer, "updated_at": iso(settled.now)})
        if settled.repo.save_sale(changed.model_dump(mode="json"), changed.view(), version):
            return


GIFT_STOCK_AUTOMATION: Automation[InventoryLevel | Product, GiftSettings, Any] = Automation(
    name=GIFT_STOCK,
    description="free gift with purchase: pauses a gift offer's discount when the gift sells out and "
    "resumes it on restock (once per change), telling staff",
    topics=frozenset({Topic.INVENTORY_UPDATED, Topic.PRODUCT_UPDATED}),
    settings_model=GiftSettings,
    takes=(InventoryLevel, Product),
    run=gift_stock,
    load=load_gifts,
    reads=frozenset({"product", "inventory_item"}),
)
