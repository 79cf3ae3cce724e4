"""Sales with `method: "discount"`: a platform discount with the sale's window instead of changed
prices (Shopify automatic discount; WooCommerce coupon). Started and ended by the same sweeper
steps as price sales; dry-run keeps the call it would send. Bundles and gifts (schedule kinds
"bundle", "gift") are discount sales too, with their own terms (`Sale.offer`): a Shopify buy X get Y
automatic discount, or a WooCommerce coupon with a cart minimum (its coupon fields can say no more)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from functions.sales.models import Offer, Progress, Sale
from functions.sales.runner import SALES, StoreCalls, change_sale, is_dry_run
from storekit.clients.discounts import (
    created_discount_id,
    shopify_automatic_discount,
    shopify_bundle_discount,
    shopify_delete_automatic,
    shopify_gift_discount,
    woo_coupon,
    woo_coupon_minimum,
    woo_delete_coupon,
)
from storekit.clients.prices import price_book
from storekit.errors import PermanentError
from storekit.outbound import ApiCall, shown
from storekit.runtime import Runtime
from storekit.store import StoreConfig

__all__ = ["SALES", "discount_call", "end_discount", "start_discount"]


def _targets(sale: Sale, store: StoreConfig, calls: StoreCalls) -> dict[str, list[str]]:
    """What the discount applies to: the sale's ids, or (tags, SKUs) the products read from the store."""
    if sale.selector == "product_ids":
        return {"product_ids": sale.selected}
    if sale.selector == "collection_ids":
        return {"collection_ids": sale.selected}
    products = list(
        price_book(store.platform, store.shop_domain).selected(sale.selector, sale.selected, calls)
    )
    if sale.selector == "skus" and store.platform == "shopify":
        return {"variant_ids": [v.variant_id for _, variants in products for v in variants]}
    return {"product_ids": [product_id for product_id, variants in products if variants]}


def lowest_prices(sale: Sale, store: StoreConfig, calls: StoreCalls) -> dict[str, Decimal]:
    """Product id -> its lowest variant price now (what a WooCommerce cart minimum is built from)."""
    out: dict[str, Decimal] = {}
    book = price_book(store.platform, store.shop_domain)
    for product_id, variants in book.selected(sale.selector, sale.selected, calls):
        if variants:
            out[product_id] = min(v.price for v in variants)
    return out


def woo_minimum(sale: Sale, store: StoreConfig, calls: StoreCalls) -> Decimal | None:
    """The cart subtotal a WooCommerce coupon asks for: a bundle, A's and B's lowest prices together;
    a quantity break, N times the cheapest selected product; a gift, its min_subtotal."""
    offer = sale.offer
    if offer is not None and offer.min_subtotal is not None:
        return offer.min_subtotal
    if sale.kind == "bundle":
        lowest = lowest_prices(sale, store, calls)
        missing = [p for p in sale.selected if p not in lowest]
        if missing:
            raise PermanentError(f"the bundle's product(s) {', '.join(missing)} are not in the store")
        return sum((lowest[p] for p in sale.selected), Decimal(0))
    if sale.min_quantity is not None:
        lowest = lowest_prices(sale, store, calls)
        if not lowest:
            raise PermanentError("the sale selects no product: nothing to discount")
        return min(lowest.values()) * sale.min_quantity
    return None


def _code(sale: Sale) -> str:
    code = "".join(ch if ch.isalnum() else "-" for ch in sale.name.lower()).strip("-")[:30]
    return f"{code}-{sale.job_id[:6]}"


def discount_call(
    sale: Sale, store: StoreConfig, targets: dict[str, list[str]], minimum: Decimal | None = None
) -> ApiCall:
    d = sale.discount
    offer = sale.offer or Offer()
    if sale.kind == "bundle" and store.platform == "shopify":
        first, second = offer.bundle
        assert d.percent_off is not None
        return shopify_bundle_discount(
            store.shop_domain, sale.name, sale.starts_at, sale.ends_at, d.percent_off, first, second
        )
    if sale.kind == "gift" and store.platform == "shopify":
        assert offer.gift_variant_id is not None
        return shopify_gift_discount(
            store.shop_domain,
            sale.name,
            sale.starts_at,
            sale.ends_at,
            offer.gift_variant_id,
            offer.buy_product_ids,
            offer.buy_collection_ids,
            offer.min_quantity,
            offer.min_subtotal,
        )
    if sale.kind == "gift":  # WooCommerce: the gift at 100% off, one unit, from the cart minimum
        assert offer.gift_variant_id is not None
        return woo_coupon_minimum(
            store.shop_domain,
            _code(sale),
            sale.ends_at,
            Decimal(100),
            [offer.gift_variant_id],
            minimum,
            max_items=1,
        )
    if sale.kind == "bundle" or (sale.min_quantity is not None and store.platform == "woocommerce"):
        assert d.percent_off is not None or d.amount_off is not None
        return woo_coupon_minimum(
            store.shop_domain,
            _code(sale),
            sale.ends_at,
            d.percent_off or Decimal(0),
            targets.get("product_ids", []),
            minimum,
            category_ids=targets.get("collection_ids", []),
            amount_off=d.amount_off,
        )
    if store.platform == "shopify":
        return shopify_automatic_discount(
            store.shop_domain,
            sale.name,
            sale.starts_at,
            sale.ends_at,
            d.percent_off,
            d.amount_off,
            product_ids=targets.get("product_ids", []),
            variant_ids=targets.get("variant_ids", []),
            collection_ids=targets.get("collection_ids", []),
            min_quantity=sale.min_quantity,
        )
    return woo_coupon(
        store.shop_domain,
        _code(sale),
        sale.ends_at,
        d.percent_off,
        d.amount_off,
        product_ids=targets.get("product_ids", []),
        category_ids=targets.get("collection_ids", []),
    )


def start_discount(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    if sale.discount_id or sale.phase == "on":
        return "the discount exists already"
    minimum = woo_minimum(sale, store, calls) if store.platform == "woocommerce" else None
    targets = _targets(sale, store, calls) if sale.kind != "gift" else {}
    call = discount_call(sale, store, targets, minimum)
    if is_dry_run(sale, store):
        update: dict[str, Any] = {
            "discount_call": shown(call),
            "note": "dry-run: the discount was not created",
        }
    else:
        update = {
            "discount_id": created_discount_id(store.platform, calls(call)),
            "discount_call": shown(call),
        }
    if sale.offer is not None and minimum is not None:
        update["offer"] = sale.offer.model_copy(update={"minimum_amount": minimum})
    if sale.offer is not None and _watches_a_gift(sale):
        # the gift's stock is watched from now on (functions/sales/gifts.py pauses the discount)
        _watch_gift(sale, runtime, True)
        if "discount_id" in update and _sold_out_now(sale, runtime):
            offer = update.get("offer", sale.offer)
            _pause_at_start(store, runtime, calls, str(update["discount_id"]))
            update["offer"] = offer.model_copy(update={"paused": True, "toggles": offer.toggles + 1})
    n, t = calls.calls, calls.throttled
    change_sale(
        runtime,
        sale.store_id,
        sale.job_id,
        lambda s: s.model_copy(
            update={
                **update,
                "state": "running",
                "phase": "on",
                "progress": Progress(done=1, total=1),
                "api_calls": s.api_calls + n,
                "throttled": s.throttled + t,
            }
        ),
    )
    return (
        "discount planned (dry-run)"
        if is_dry_run(sale, store)
        else f"discount {update['discount_id']} created"
    )


def _sold_out_now(sale: Sale, runtime: Runtime) -> bool:
    """The gift is sold out as far as storeflow knows (the stock the inventory domain keeps)."""
    from functions.inventory.stock import StockState

    offer = sale.offer
    if offer is None or not offer.gift_product_id or not offer.gift_variant_id:
        return False
    state = StockState.from_item(runtime.repo.product_stock(sale.store_id, offer.gift_product_id))
    available = state.available(offer.gift_variant_id)
    return state.counted.get(offer.gift_variant_id) is not False and available is not None and available <= 0


def _pause_at_start(store: StoreConfig, runtime: Runtime, calls: StoreCalls, discount_id: str) -> None:
    """A gift sold out when its offer starts: its discount is paused at once (resumed on restock)."""
    from storekit.clients.discounts import shopify_set_active, woo_coupon_expiry
    from storekit.clock import iso

    if store.platform == "shopify":
        calls(shopify_set_active(store.shop_domain, discount_id, False))
    else:
        calls(woo_coupon_expiry(store.shop_domain, discount_id, iso(runtime.clock.now())))


def end_discount(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    """Cancelled: the discount is deleted. Ended: Shopify's ended by itself (it stays listed as
    expired); a WooCommerce coupon (which expires by the day) is deleted."""
    if sale.state == "scheduled":
        final = "cancelled" if sale.cancel_requested else "done"
        change_sale(runtime, sale.store_id, sale.job_id, lambda s: s.model_copy(update={"state": final}))
        return f"never started: {final}"
    if sale.phase is None:
        return f"nothing to end: the sale is {sale.state}"
    note = "ended by the platform at its end time"
    if _watches_a_gift(sale):
        _watch_gift(sale, runtime, False)
    if sale.discount_id and (sale.cancel_requested or store.platform == "woocommerce"):
        call = (
            shopify_delete_automatic(store.shop_domain, sale.discount_id)
            if store.platform == "shopify"
            else woo_delete_coupon(store.shop_domain, sale.discount_id)
        )
        try:
            calls(call)
            note = f"discount {sale.discount_id} deleted"
        except PermanentError as exc:
            note = f"discount {sale.discount_id} was gone already ({exc})"
    n, t = calls.calls, calls.throttled
    change_sale(
        runtime,
        sale.store_id,
        sale.job_id,
        lambda s: s.model_copy(
            update={
                "state": "cancelled" if s.cancel_requested else "done",
                "phase": None,
                "note": note,
                "api_calls": s.api_calls + n,
                "throttled": s.throttled + t,
            }
        ),
    )
    return note


def _watches_a_gift(sale: Sale) -> bool:
    """A gift offer naming its gift (product and variant): its gift's stock is watched while it runs."""
    offer = sale.offer
    return sale.kind == "gift" and offer is not None and bool(offer.gift_variant_id and offer.gift_product_id)


def _watch_gift(sale: Sale, runtime: Runtime, on: bool) -> None:
    offer = sale.offer
    assert offer is not None and offer.gift_product_id and offer.gift_variant_id
    runtime.repo.watch_gift(sale.store_id, offer.gift_product_id, offer.gift_variant_id, sale.job_id, on)
