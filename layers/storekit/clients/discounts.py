"""Platform discounts for sales with `method: "discount"`: the platform applies the price at checkout
and storeflow changes no price. Shopify: an automatic discount with the sale's window
(`discountAutomaticBasicCreate`, so Shopify itself starts and ends it); WooCommerce: a coupon that
expires at the sale's end (WooCommerce coupons have no start: it is created at the start).
Rendered into ApiCalls first (what a dry-run shows), sent by the sale runner."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from storekit.clients.shopify import gid, graphql_call
from storekit.clients.woocommerce import rest_call
from storekit.errors import PermanentError
from storekit.outbound import ApiCall

AUTOMATIC_CREATE = """mutation discountAutomaticBasicCreate(
  $automaticBasicDiscount: DiscountAutomaticBasicInput!) {
  discountAutomaticBasicCreate(automaticBasicDiscount: $automaticBasicDiscount) {
    automaticDiscountNode { id } userErrors { field message } } }"""
AUTOMATIC_DELETE = """mutation discountAutomaticDelete($id: ID!) {
  discountAutomaticDelete(id: $id) { deletedAutomaticDiscountId userErrors { field message } } }"""


def shopify_automatic_discount(
    shop: str,
    title: str,
    starts_at: str,
    ends_at: str,
    percent_off: Decimal | None,
    amount_off: Decimal | None,
    product_ids: Sequence[str] = (),
    variant_ids: Sequence[str] = (),
    collection_ids: Sequence[str] = (),
    min_quantity: int | None = None,
) -> ApiCall:
    """An automatic discount on the products, variants or collections, from `starts_at` to `ends_at`
    (with `min_quantity`: only from that many units in the cart, a quantity break)."""
    if percent_off is not None:
        value: dict[str, Any] = {"percentage": float(percent_off / Decimal(100))}
    elif amount_off is not None:
        value = {"discountAmount": {"amount": str(amount_off), "appliesOnEachItem": True}}
    else:
        raise PermanentError("a platform discount takes percent_off or amount_off, not fixed prices")
    if collection_ids:
        items: dict[str, Any] = {"collections": {"add": [gid("Collection", c) for c in collection_ids]}}
    elif product_ids or variant_ids:
        items = {
            "products": {
                "productsToAdd": [gid("Product", p) for p in product_ids],
                "productVariantsToAdd": [gid("ProductVariant", v) for v in variant_ids],
            }
        }
    else:
        raise PermanentError("the sale selects no product: nothing to discount")
    discount: dict[str, Any] = {
        "title": title,
        "startsAt": starts_at,
        "endsAt": ends_at,
        "customerGets": {"value": value, "items": items},
    }
    if min_quantity is not None:
        discount["minimumRequirement"] = {"quantity": {"greaterThanOrEqualToQuantity": str(min_quantity)}}
    return graphql_call(
        shop, "discountAutomaticBasicCreate", AUTOMATIC_CREATE, {"automaticBasicDiscount": discount}
    )


def shopify_delete_automatic(shop: str, discount_id: str) -> ApiCall:
    return graphql_call(
        shop, "discountAutomaticDelete", AUTOMATIC_DELETE, {"id": gid("DiscountAutomaticNode", discount_id)}
    )


def woo_coupon(
    base_url: str,
    code: str,
    ends_at: str,
    percent_off: Decimal | None,
    amount_off: Decimal | None,
    product_ids: Sequence[str] = (),
    category_ids: Sequence[str] = (),
) -> ApiCall:
    """A coupon (percent, or a fixed amount off each product) expiring at the sale's end."""
    if percent_off is not None:
        kind, amount = "percent", percent_off
    elif amount_off is not None:
        kind, amount = "fixed_product", amount_off
    else:
        raise PermanentError("a platform discount takes percent_off or amount_off, not fixed prices")
    if not product_ids and not category_ids:
        raise PermanentError("the sale selects no product: nothing to discount")
    body = {
        "code": code,
        "discount_type": kind,
        "amount": str(amount),
        "date_expires_gmt": ends_at.removesuffix("Z").split(".")[0],
        "product_ids": [int(p) for p in product_ids],
        "product_categories": [int(c) for c in category_ids],
        "individual_use": False,
    }
    return rest_call(base_url, "create coupon", "POST", "coupons", body)


def woo_coupon_minimum(
    base_url: str,
    code: str,
    ends_at: str,
    percent: Decimal,
    product_ids: Sequence[str],
    minimum_amount: Decimal | None,
    category_ids: Sequence[str] = (),
    max_items: int | None = None,
    amount_off: Decimal | None = None,
) -> ApiCall:
    """A coupon with a cart minimum (bundles, quantity breaks, gifts): WooCommerce's coupon fields
    have no "all of these products" and no "at least N units" condition, so the nearest it can
    check is the cart subtotal (`minimum_amount`); `max_items` caps the discounted units
    (`limit_usage_to_x_items`, a gift: 1)."""
    call = woo_coupon(
        base_url,
        code,
        ends_at,
        None if amount_off is not None else percent,
        amount_off,
        product_ids=product_ids,
        category_ids=category_ids,
    )
    body = dict(call.body or {})
    if minimum_amount is not None:
        body["minimum_amount"] = str(minimum_amount)
    if max_items is not None:
        body["limit_usage_to_x_items"] = max_items
    return call.model_copy(update={"body": body})


def woo_coupon_expiry(base_url: str, coupon_id: str, expires_at: str) -> ApiCall:
    """Move a coupon's expiry: to now pauses it (WooCommerce refuses an expired coupon; REST v3
    coupons have no active switch), back to the sale's end resumes it."""
    if not coupon_id.isdigit():
        raise PermanentError("WooCommerce coupon ids are numbers")
    body = {"date_expires_gmt": expires_at.removesuffix("Z").split(".")[0]}
    return rest_call(base_url, "update coupon", "PUT", f"coupons/{coupon_id}", body)


def woo_delete_coupon(base_url: str, coupon_id: str) -> ApiCall:
    if not coupon_id.isdigit():
        raise PermanentError("WooCommerce coupon ids are numbers")
    return rest_call(base_url, "delete coupon", "DELETE", f"coupons/{coupon_id}?force=true", None)


def created_discount_id(platform: str, answer: Any) -> str:
    """The id of the discount or coupon a create call answered with."""
    if platform == "shopify":
        found = None
        for root in ("discountAutomaticBasicCreate", "discountAutomaticBxgyCreate"):
            node = ((answer or {}).get(root) or {}).get("automaticDiscountNode") or {}
            found = found or node.get("id")
    else:
        found = (answer or {}).get("id") if isinstance(answer, dict) else None
    if found is None:
        raise PermanentError("the store answered without the new discount's id")
    return str(found).rsplit("/", 1)[-1]


BXGY_CREATE = """mutation discountAutomaticBxgyCreate(
  $automaticBxgyDiscount: DiscountAutomaticBxgyInput!) {
  discountAutomaticBxgyCreate(automaticBxgyDiscount: $automaticBxgyDiscount) {
    automaticDiscountNode { id } userErrors { field message } } }"""
AUTOMATIC_ACTIVATE = """mutation discountAutomaticActivate($id: ID!) {
  discountAutomaticActivate(id: $id) { automaticDiscountNode { id } userErrors { field message } } }"""
AUTOMATIC_DEACTIVATE = """mutation discountAutomaticDeactivate($id: ID!) {
  discountAutomaticDeactivate(id: $id) { automaticDiscountNode { id } userErrors { field message } } }"""


def _items(
    product_ids: Sequence[str], variant_ids: Sequence[str], collection_ids: Sequence[str]
) -> dict[str, Any]:
    if collection_ids:
        return {"collections": {"add": [gid("Collection", c) for c in collection_ids]}}
    if not product_ids and not variant_ids:
        raise PermanentError("the offer names no product: nothing to discount")
    return {
        "products": {
            "productsToAdd": [gid("Product", p) for p in product_ids],
            "productVariantsToAdd": [gid("ProductVariant", v) for v in variant_ids],
        }
    }


def shopify_bxgy_discount(
    shop: str,
    title: str,
    starts_at: str,
    ends_at: str,
    percent_off: Decimal,
    buys: dict[str, Any],
    gets: dict[str, Any],
    get_quantity: int = 1,
    uses_per_order: int | None = None,
) -> ApiCall:
    """A buy X get Y automatic discount for the window: with `buys` in the cart (its items and a
    quantity or amount), `get_quantity` of `gets` at `percent_off` (a gift: 100). BXGY takes only a
    percentage on the "get" items (discountOnQuantity), never an amount."""
    discount: dict[str, Any] = {
        "title": title,
        "startsAt": starts_at,
        "endsAt": ends_at,
        "customerBuys": buys,
        "customerGets": {
            "items": gets,
            "value": {
                "discountOnQuantity": {
                    "quantity": str(get_quantity),
                    "effect": {"percentage": float(percent_off / Decimal(100))},
                }
            },
        },
    }
    if uses_per_order is not None:
        discount["usesPerOrderLimit"] = str(uses_per_order)
    return graphql_call(shop, "discountAutomaticBxgyCreate", BXGY_CREATE, {"automaticBxgyDiscount": discount})


def shopify_bundle_discount(
    shop: str, title: str, starts_at: str, ends_at: str, percent_off: Decimal, first: str, second: str
) -> ApiCall:
    """ "Buy A and B together, X% off" as Shopify expresses it natively: buy one A, get one B at X% off
    (the percentage comes off B; X% off both needs a Shopify Functions discount)."""
    buys = {"items": _items([first], [], []), "value": {"quantity": "1"}}
    return shopify_bxgy_discount(shop, title, starts_at, ends_at, percent_off, buys, _items([second], [], []))


def shopify_gift_discount(
    shop: str,
    title: str,
    starts_at: str,
    ends_at: str,
    gift_variant_id: str,
    buy_product_ids: Sequence[str],
    buy_collection_ids: Sequence[str],
    min_quantity: int | None,
    min_subtotal: Decimal | None,
) -> ApiCall:
    """A free gift: with the qualifying items in the cart (a quantity, or an amount spent on them),
    one unit of the gift variant at 100% off, once per order. Shopify does not add the gift to the
    cart: the shopper adds it (the storefront says so)."""
    value = (
        {"amount": str(min_subtotal)} if min_subtotal is not None else {"quantity": str(min_quantity or 1)}
    )
    buys = {"items": _items(buy_product_ids, [], buy_collection_ids), "value": value}
    gets = _items([], [gift_variant_id], [])
    return shopify_bxgy_discount(
        shop, title, starts_at, ends_at, Decimal(100), buys, gets, get_quantity=1, uses_per_order=1
    )


def shopify_set_active(shop: str, discount_id: str, active: bool) -> ApiCall:
    """Activate or deactivate (pause) an automatic discount; its window stays as it was."""
    root, query = (
        ("discountAutomaticActivate", AUTOMATIC_ACTIVATE)
        if active
        else ("discountAutomaticDeactivate", AUTOMATIC_DEACTIVATE)
    )
    return graphql_call(shop, root, query, {"id": gid("DiscountAutomaticNode", discount_id)})
