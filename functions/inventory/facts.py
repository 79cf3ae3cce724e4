"""What the inventory automations read before deciding, and what the domain keeps after an event.

Kept after (hooks, idempotent, run when an event's state is applied):
- products/create|update (and WooCommerce product.created|updated): which variant each Shopify
  inventory item is (with what rules read of its product), and in the product's stock item each
  variant's total, whether its stock counts, the product's variants, publication and sold-out tag;
- inventory_levels/update: the level at its location (an older level never overwrites a newer);
- inventory_items/update: whether the item is tracked;
- then, from the stock item as it now is: a low-stock crossing (the alert is out: no repeat until
  re-armed above threshold + margin) and the product selling out or coming back (what storeflow
  changed, so a restock undoes exactly that). Conditional writes: two workers record one crossing.

Read before (loaders): for a stock level, the inventory item's variant (1 read) and the product's
stock item (1 read); for a product event, the product's previous snapshot and its stock item. At most
3 reads decide an inventory update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from boto3.dynamodb.conditions import Attr
from pydantic import ValidationError

from functions.inventory import stock as s
from functions.inventory.models import (
    LowStockSettings,
    ProductFacts,
    SoldOutSettings,
    counts,
)
from storekit.automation import AppliedEvent, Reader
from storekit.clock import iso
from storekit.models import InventoryItem, InventoryLevel, Product, Variant
from storekit.observability import logger
from storekit.records import JobRecord
from storekit.store import StoreConfig

LOW_STOCK_NAME = "low-stock"
SOLD_OUT_NAME = "sold-out"


@dataclass(frozen=True)
class ItemVariant:
    """Which variant of which product a Shopify inventory item is (from the product events)."""

    product_id: str
    variant_id: str
    product_title: str | None = None
    variant_title: str | None = None
    sku: str | None = None
    counted: bool = True
    facts: ProductFacts = field(default_factory=ProductFacts)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ItemVariant:
        tracked = item.get("item_tracked")
        counted = bool(item.get("counted", True))
        if tracked is not None:  # inventory_items/update said whether it is tracked: that wins
            counted = bool(tracked) and not bool(item.get("keeps_selling", False))
        return cls(
            product_id=str(item["product_id"]),
            variant_id=str(item["variant_id"]),
            product_title=item.get("product_title"),
            variant_title=item.get("variant_title"),
            sku=item.get("sku"),
            counted=counted,
            facts=ProductFacts(
                tags=list(item.get("tags") or []),
                product_type=item.get("product_type"),
                vendor=item.get("vendor"),
            ),
        )


@dataclass(frozen=True)
class StockFacts:
    """What a stock automation knows beside the event."""

    #: the inventory item's variant (stock levels); None when storeflow has no product naming it
    item: ItemVariant | None = None
    #: the product as storeflow knew it before this event (product events)
    product: Product | None = None
    #: the product's stock item before this event (as stored)
    stock_item: dict[str, Any] = field(default_factory=dict)

    @property
    def stock(self) -> s.StockState:
        return s.StockState.from_item(self.stock_item)

    def stock_after(self, resource: InventoryLevel | Product) -> s.StockState:
        """The product's stock once this event is applied (what the keep hook writes)."""
        if isinstance(resource, Product):
            return s.StockState.from_item({**self.stock_item, **product_stock_values(resource)})
        if self.item is None or resource.available is None or not resource.location_id:
            return self.stock
        level = {s.level_attr(self.item.variant_id, resource.location_id): resource.available}
        return s.StockState.from_item(
            {**self.stock_item, **level, f"{s.COUNTED}{self.item.variant_id}": self.item.counted}
        )


#: what stock_of_event read for one event, so low-stock and sold-out share the reads (a Reader lives
#: for one event)
_READ: WeakKeyDictionary[Reader, StockFacts] = WeakKeyDictionary()


def stock_of_event(resource: InventoryLevel | Product, read: Reader) -> StockFacts:
    """The inventory item's variant and the product's stock (read once per event, however many
    automations ask)."""
    if read not in _READ:
        _READ[read] = _stock_of_event(resource, read)
    return _READ[read]


def _stock_of_event(resource: InventoryLevel | Product, read: Reader) -> StockFacts:
    if isinstance(resource, InventoryLevel):
        found = read.repo.inventory_item(read.store_id, resource.inventory_item_id)
        if not found or "product_id" not in found:
            return StockFacts()
        item = ItemVariant.from_item(found)
        return StockFacts(item=item, stock_item=read.repo.product_stock(read.store_id, item.product_id))
    previous = read.snapshot("product", resource.id)
    return StockFacts(
        product=previous if isinstance(previous, Product) else None,
        stock_item=read.repo.product_stock(read.store_id, resource.id),
    )


def product_before(resource: Product, read: Reader) -> StockFacts:
    previous = read.snapshot("product", resource.id)
    return StockFacts(product=previous if isinstance(previous, Product) else None)


@dataclass(frozen=True)
class DigestFacts:
    """The low-stock alerts due in one digest window (jobs of the automation's own)."""

    jobs: tuple[JobRecord, ...] = ()


def alerts_due_with(job: JobRecord, read: Reader) -> DigestFacts:
    return DigestFacts(jobs=tuple(read.repo.jobs_due_at(read.store_id, job.kind, job.due_at)))


# --- kept after an event -------------------------------------------------------------------------
def is_full_product(product: Product) -> bool:
    """A product event that lists all of the product's variants (a WooCommerce variation's does not)."""
    return not (len(product.variants) == 1 and product.variants[0].id != product.id and product.title is None)


def product_variants(product: Product) -> list[str]:
    """The variants whose stock makes up the product (a WooCommerce variable product: its variations)."""
    if product.variation_ids:
        return list(product.variation_ids)
    return [v.id for v in product.variants if v.id]


def keep_product_stock(applied: AppliedEvent) -> None:
    product = applied.parsed.resource
    if not isinstance(product, Product):
        return
    store_id = applied.store.store_id
    facts = ProductFacts.of(product)
    full = is_full_product(product)
    if applied.store.platform == "shopify" and product.title is not None:
        for variant in product.variants:
            if variant.inventory_item_id and variant.id:
                applied.repo.keep_inventory_item(
                    store_id,
                    variant.inventory_item_id,
                    {
                        "product_id": product.id,
                        "variant_id": variant.id,
                        "product_title": product.title,
                        "variant_title": variant.title,
                        "sku": variant.sku,
                        "counted": counts(variant),
                        "keeps_selling": variant.keeps_selling,
                        "tags": product.tags,
                        "product_type": product.product_type,
                        "vendor": product.vendor,
                    },
                )
    values = product_stock_values(product)
    state = applied.repo.update_product_stock(store_id, product.id, values)
    if state is None:
        return
    variants = [v for v in product.variants if v.id and (full or v.id != product.id)]
    settle(applied, product.id, s.StockState.from_item(state), variants, facts)


def product_stock_values(product: Product) -> dict[str, Any]:
    """The stock item attributes a product event sets."""
    values: dict[str, Any] = {}
    full = is_full_product(product)
    for variant in product.variants:
        if not variant.id:
            continue
        if product.variation_ids and variant.id == product.id:
            continue  # a WooCommerce variable product: its variations carry the stock
        values[f"{s.COUNTED}{variant.id}"] = counts(variant)
        if variant.inventory_quantity is not None:
            values[f"{s.TOTAL}{variant.id}"] = variant.inventory_quantity
    if full and product.title is not None:
        values[s.VARIANTS] = product_variants(product)
        values[s.PUBLISHED] = product.published
        values[s.VISIBILITY] = product.catalog_visibility
        values[s.TAGS] = product.tags
    return values


def keep_stock_level(applied: AppliedEvent) -> None:
    level = applied.parsed.resource
    if not isinstance(level, InventoryLevel) or level.available is None or not level.location_id:
        return
    store_id = applied.store.store_id
    found = applied.repo.inventory_item(store_id, level.inventory_item_id)
    if not found or "product_id" not in found:
        return
    item = ItemVariant.from_item(found)
    at = iso(level.updated_at) if level.updated_at else iso(applied.now)
    state = applied.repo.update_product_stock(
        store_id,
        item.product_id,
        {
            s.level_attr(item.variant_id, level.location_id): level.available,
            s.level_at_attr(item.variant_id, level.location_id): at,
            f"{s.COUNTED}{item.variant_id}": item.counted,
        },
        newer=(s.level_at_attr(item.variant_id, level.location_id), at),
    )
    if state is None:
        return  # a newer level of this location is already kept
    variant = Variant(id=item.variant_id, sku=item.sku, tracked=item.counted)
    settle(applied, item.product_id, s.StockState.from_item(state), [variant], item.facts)


def keep_item_tracking(applied: AppliedEvent) -> None:
    item = applied.parsed.resource
    if isinstance(item, InventoryItem) and item.tracked is not None:
        applied.repo.note_inventory_item_tracked(applied.store.store_id, item.id, item.tracked)


def _settings(store: StoreConfig, name: str, model: type[Any]) -> Any:
    try:
        return model.model_validate(store.automation(name).settings)
    except ValidationError:
        logger.warning("stored settings no longer validate", extra={"automation": name})
        return None


def settle(
    applied: AppliedEvent,
    product_id: str,
    state: s.StockState,
    variants: list[Variant],
    facts: ProductFacts,
) -> None:
    """Record the low-stock crossings and the sold-out change the stock item now shows (each with a
    conditional write: the first worker records it, a repeat finds it recorded)."""
    repo, store_id = applied.repo, applied.store.store_id
    low = _settings(applied.store, LOW_STOCK_NAME, LowStockSettings)
    if low is not None:
        for variant in variants:
            assert variant.id is not None
            if not state.counted.get(variant.id, True):
                continue
            rule = low.rule_for(facts, variant.sku)
            threshold = rule.threshold if rule else low.threshold
            quantity = state.available(variant.id, rule.location if rule else None)
            change = s.low_transition(state, variant.id, quantity, threshold, low.margin)
            low_attr, crossings_attr = f"{s.LOW}{variant.id}", f"{s.CROSSINGS}{variant.id}"
            if change == "crossed":
                crossing = s.next_crossing(state, variant.id)
                repo.update_product_stock(
                    store_id,
                    product_id,
                    {low_attr: crossing, crossings_attr: crossing},
                    condition=Attr(low_attr).not_exists(),
                )
            elif change == "rearmed":
                repo.update_product_stock(
                    store_id, product_id, {}, remove=(low_attr,), condition=Attr(low_attr).exists()
                )
    sold = _settings(applied.store, SOLD_OUT_NAME, SoldOutSettings)
    if sold is None:
        return
    sold_out = state.product_sold_out()
    if sold_out and state.sold_out is None:
        changes = s.changes_when_sold_out(state, sold.on_sold_out == "hide", sold.tag, applied.store.platform)
        repo.update_product_stock(
            store_id, product_id, {s.SOLD_OUT: changes.to_json()}, condition=Attr(s.SOLD_OUT).not_exists()
        )
    elif sold_out is False and state.sold_out is not None:
        repo.update_product_stock(
            store_id, product_id, {}, remove=(s.SOLD_OUT,), condition=Attr(s.SOLD_OUT).exists()
        )
