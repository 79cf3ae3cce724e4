"""Sold out and back in stock.

When every counted variant of a product is at 0 (tracked, not sold on when out), the store's
choice: hide it from the online store (Shopify: unpublish from the Online Store publication;
WooCommerce: catalog visibility hidden) or keep it visible with a `sold-out` tag themes use for a
banner. What storeflow changed is recorded with the product's stock (functions/inventory/facts.py),
so when stock returns it undoes exactly that and nothing else: a product the merchant had hidden
stays hidden, a tag the merchant had set stays. Back in stock also tells marketing; the variants'
waitlists are emailed by their own automation (functions/inventory/waitlist.py).
"""

from __future__ import annotations

from typing import Any, Literal

from functions.inventory.facts import SOLD_OUT_NAME, StockFacts, stock_of_event
from functions.inventory.low_stock import _staff_message, admin_link, no_channel_reason
from functions.inventory.models import SoldOutSettings
from functions.inventory.stock import SoldOutChanges, StockState, changes_when_sold_out
from storekit.actions import Action, AddTags, RemoveTags, SetProductVisibility
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.models import InventoryLevel, Product


def planned_changes(state: StockState, settings: SoldOutSettings, platform: str) -> SoldOutChanges:
    """What storeflow changes when the product sells out (only what is not so already)."""
    return changes_when_sold_out(state, settings.on_sold_out == "hide", settings.tag, platform)


def change_actions(
    product_id: str, changes: SoldOutChanges, settings: SoldOutSettings, undo: bool, platform: str
) -> list[Action]:
    """The store writes that make (or undo) the changes."""
    out: list[Action] = []
    if changes.hid is not None:
        out.append(
            SetProductVisibility(
                product_id=product_id,
                visible=undo,
                woo_visibility=_shown_as(changes.visibility_before),
                publication_id=settings.publication_id,
            )
        )
    if changes.tagged:
        tags = [settings.tag]
        out.append(
            RemoveTags(resource="product", resource_id=product_id, tags=tags)
            if undo
            else AddTags(resource="product", resource_id=product_id, tags=tags)
        )
    return out


def _shown_as(visibility: str | None) -> Literal["visible", "catalog", "search"]:
    if visibility == "catalog":
        return "catalog"
    if visibility == "search":
        return "search"
    return "visible"


def _name(product: Product | None, product_id: str, fallback: str | None = None) -> str:
    title = (product.title if product else None) or fallback
    return f"{title} ({product_id})" if title else f"product {product_id}"


def sold_out(resource: InventoryLevel | Product, ctx: Context[SoldOutSettings, StockFacts]) -> Decision:
    facts = ctx.related
    if isinstance(resource, InventoryLevel):
        if facts.item is None:
            return nothing(
                f"inventory item {resource.inventory_item_id} is in no product storeflow has received: "
                "it learns the items of each variant from products/create and products/update"
            )
        product_id, title = facts.item.product_id, facts.item.product_title
    else:
        product_id, title = resource.id, resource.title
    name = _name(facts.product, product_id, title)
    before, after = facts.stock, facts.stock_after(resource)
    now_sold_out = after.product_sold_out()
    recorded = before.sold_out
    if now_sold_out is None:
        if not after.variants:
            return nothing(
                f"{name}: its variants are not known yet (storeflow learns them from the product's "
                "create/update events: subscribe products/create and products/update)"
            )
        return nothing(f"{name}: no variant's stock is tracked, or some tracked variant's stock is unknown")
    if now_sold_out and recorded is None:
        changes = planned_changes(after, ctx.settings, ctx.store.platform)
        actions = change_actions(product_id, changes, ctx.settings, undo=False, platform=ctx.store.platform)
        notes: list[str] = []
        if not changes.changed_anything():
            how = "hidden" if ctx.settings.on_sold_out == "hide" else f"tagged {ctx.settings.tag}"
            notes.append(f"{name} sold out and is already {how}: nothing to change (nor to undo later)")
        return Decision(actions, "; ".join(notes) or None)
    if not now_sold_out and recorded is not None:
        actions = change_actions(product_id, recorded, ctx.settings, undo=True, platform=ctx.store.platform)
        notes = []
        if ctx.settings.notify_back_in_stock:
            heading = f"Back in stock: {title or name}"
            link = admin_link(ctx.store, product_id)
            actions += _staff_message(
                heading,
                f"{name} is back in stock. {link}",
                ctx.settings,
                f"back:{product_id}:{ctx.event.event_id}",
            )
            if why := no_channel_reason(ctx.settings):
                notes.append(f"no back-in-stock notice: {why}")
        else:
            notes.append("no back-in-stock notice (setting notify_back_in_stock)")
        return Decision(actions, "; ".join(notes) or None)
    if now_sold_out:
        return nothing(f"{name} is still sold out (already handled when it sold out)")
    return nothing(f"{name} is in stock")


SOLD_OUT: Automation[InventoryLevel | Product, SoldOutSettings, Any] = Automation(
    name=SOLD_OUT_NAME,
    description="Hide or tag a product when every variant is sold out; undo exactly that on restock",
    topics=frozenset(
        {Topic.INVENTORY_UPDATED, Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED, Topic.VARIANT_OUT_OF_STOCK}
    ),
    settings_model=SoldOutSettings,
    takes=(InventoryLevel, Product),
    run=sold_out,
    load=stock_of_event,
    reads=frozenset({"product", "inventory_item"}),
)
