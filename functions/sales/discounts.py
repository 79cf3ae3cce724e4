"""Sales with `method: "discount"`: a platform discount with the sale's window instead of changed
prices (Shopify automatic discount; WooCommerce coupon). Started and ended by the same sweeper
steps as price sales; dry-run keeps the call it would send."""

from __future__ import annotations

from typing import Any

from functions.sales.models import Progress, Sale
from functions.sales.runner import SALES, StoreCalls, change_sale, is_dry_run
from storekit.clients.discounts import (
    created_discount_id,
    shopify_automatic_discount,
    shopify_delete_automatic,
    woo_coupon,
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


def discount_call(sale: Sale, store: StoreConfig, targets: dict[str, list[str]]) -> ApiCall:
    d = sale.discount
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
    code = "".join(ch if ch.isalnum() else "-" for ch in sale.name.lower()).strip("-")[:30]
    return woo_coupon(
        store.shop_domain,
        f"{code}-{sale.job_id[:6]}",
        sale.ends_at,
        d.percent_off,
        d.amount_off,
        product_ids=targets.get("product_ids", []),
        category_ids=targets.get("collection_ids", []),
    )


def start_discount(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    if sale.discount_id or sale.phase == "on":
        return "the discount exists already"
    call = discount_call(sale, store, _targets(sale, store, calls))
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
