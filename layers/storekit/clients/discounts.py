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


def woo_delete_coupon(base_url: str, coupon_id: str) -> ApiCall:
    if not coupon_id.isdigit():
        raise PermanentError("WooCommerce coupon ids are numbers")
    return rest_call(base_url, "delete coupon", "DELETE", f"coupons/{coupon_id}?force=true", None)


def created_discount_id(platform: str, answer: Any) -> str:
    """The id of the discount or coupon a create call answered with."""
    if platform == "shopify":
        node = ((answer or {}).get("discountAutomaticBasicCreate") or {}).get("automaticDiscountNode") or {}
        found = node.get("id")
    else:
        found = (answer or {}).get("id") if isinstance(answer, dict) else None
    if found is None:
        raise PermanentError("the store answered without the new discount's id")
    return str(found).rsplit("/", 1)[-1]
