"""Shopify Admin GraphQL client: the mutations storeflow's actions need.

Errors: HTTP level through storekit.clients.http; a GraphQL `THROTTLED` error -> Throttled with the
wait computed from the query cost; other top-level errors and mutation `userErrors` -> PermanentError.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from storekit.clients.http import TIMEOUT, call, json_of
from storekit.errors import PermanentError, Throttled


def gid(kind: str, ident: str) -> str:
    """'123' -> 'gid://shopify/Order/123'; a GID passes unchanged."""
    ident = str(ident)
    return ident if ident.startswith("gid://") else f"gid://shopify/{kind}/{ident}"


def _money(value: Decimal) -> str:
    return format(value, "f")


TAGS_ADD = """mutation tagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""
TAGS_REMOVE = """mutation tagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""
ORDER_NOTE = """mutation orderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) { order { id } userErrors { field message } } }"""
FULFILLMENT_ORDERS = """query fulfillmentOrders($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 20) { nodes { id status } } } }"""
HOLD = """mutation fulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentOrder { id } userErrors { field message } } }"""
RELEASE = """mutation fulfillmentOrderReleaseHold($id: ID!) {
  fulfillmentOrderReleaseHold(id: $id) { fulfillmentOrder { id } userErrors { field message } } }"""
CANCEL = """mutation orderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
  $restock: Boolean!, $notifyCustomer: Boolean) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
    notifyCustomer: $notifyCustomer) { job { id } orderCancelUserErrors { field message } } }"""
REFUND = """mutation refundCreate($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } } }"""
PRODUCT_UPDATE = """mutation productUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id status } userErrors { field message } } }"""
PUBLISH = """mutation publishablePublish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) { userErrors { field message } } }"""
UNPUBLISH = """mutation publishableUnpublish($id: ID!, $input: [PublicationInput!]!) {
  publishableUnpublish(id: $id, input: $input) { userErrors { field message } } }"""
VARIANT_PRICE = """mutation productVariantsBulkUpdate($productId: ID!,
  $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price } userErrors { field message } } }"""
DISCOUNT = """mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id } userErrors { field message } } }"""

_CANCEL_REASONS = {
    "customer": "CUSTOMER",
    "fraud": "FRAUD",
    "inventory": "INVENTORY",
    "declined": "DECLINED",
    "other": "OTHER",
}


class ShopifyClient:
    def __init__(
        self, shop_domain: str, access_token: str, session: requests.Session, api_version: str = "2025-01"
    ) -> None:
        self._url = f"https://{shop_domain}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._session = session

    # --- transport ----------------------------------------------------------------
    def graphql(self, query: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        what = f"Shopify {operation}"
        resp = call(
            what,
            lambda: self._session.post(
                self._url,
                json={"query": query, "variables": variables},
                headers={"X-Shopify-Access-Token": self._token, "Content-Type": "application/json"},
                timeout=TIMEOUT,
            ),
        )
        body = json_of(resp, what)
        if not isinstance(body, dict):
            raise PermanentError(f"{what}: unexpected answer")
        errors = body.get("errors")
        if errors:
            codes = [str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)]
            if "THROTTLED" in codes:
                raise Throttled(f"{what}: THROTTLED", throttle_wait(body))
            messages = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
            raise PermanentError(f"{what}: {messages[:300] or 'GraphQL error'}")
        data = body.get("data") or {}
        payload = data.get(operation) if isinstance(data, dict) else None
        if isinstance(payload, dict):
            user_errors = payload.get("userErrors") or payload.get("orderCancelUserErrors") or []
            if user_errors:
                raise PermanentError(f"{what}: {format_user_errors(user_errors)}")
        return data if isinstance(data, dict) else {}

    # --- tags and notes -----------------------------------------------------------------
    def add_tags(self, resource_type: str, ident: str, tags: list[str]) -> None:
        self.graphql(TAGS_ADD, {"id": gid(resource_type, ident), "tags": tags}, "tagsAdd")

    def remove_tags(self, resource_type: str, ident: str, tags: list[str]) -> None:
        self.graphql(TAGS_REMOVE, {"id": gid(resource_type, ident), "tags": tags}, "tagsRemove")

    def set_order_note(self, order_id: str, note: str) -> None:
        self.graphql(ORDER_NOTE, {"input": {"id": gid("Order", order_id), "note": note}}, "orderUpdate")

    # --- fulfillment holds ----------------------------------------------------------------
    def _fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        data = self.graphql(FULFILLMENT_ORDERS, {"id": gid("Order", order_id)}, "order")
        order = data.get("order") or {}
        nodes: list[dict[str, Any]] = ((order.get("fulfillmentOrders") or {}).get("nodes")) or []
        return nodes

    def hold_fulfillment(self, order_id: str, reason: str, note: str) -> int:
        """Hold every open fulfillment order of the order; returns how many were held."""
        held = 0
        for node in self._fulfillment_orders(order_id):
            if node.get("status") in ("OPEN", "SCHEDULED"):
                hold = {"reason": "OTHER", "reasonNotes": f"{reason}: {note}"[:255]}
                self.graphql(HOLD, {"id": node["id"], "fulfillmentHold": hold}, "fulfillmentOrderHold")
                held += 1
        return held

    def release_fulfillment(self, order_id: str) -> int:
        released = 0
        for node in self._fulfillment_orders(order_id):
            if node.get("status") == "ON_HOLD":
                self.graphql(RELEASE, {"id": node["id"]}, "fulfillmentOrderReleaseHold")
                released += 1
        return released

    # --- cancel / refund ----------------------------------------------------------------
    def cancel_order(
        self, order_id: str, reason: str, refund: bool, restock: bool, notify_customer: bool
    ) -> None:
        variables = {
            "orderId": gid("Order", order_id),
            "reason": _CANCEL_REASONS.get(reason, "OTHER"),
            "refund": refund,
            "restock": restock,
            "notifyCustomer": notify_customer,
        }
        self.graphql(CANCEL, variables, "orderCancel")

    def refund_order(
        self, order_id: str, amount: Decimal | None, note: str | None, notify: bool
    ) -> str | None:
        """Refund `amount` to the original gateway (no line items restocked); None amount is refused
        here: a full refund needs the order's transactions, which the caller must look up first."""
        if amount is None:
            raise PermanentError("Shopify refundOrder: give an amount (full refunds are not automated yet)")
        refund_input = {
            "orderId": gid("Order", order_id),
            "note": note,
            "notify": notify,
            "transactions": [
                {
                    "amount": _money(amount),
                    "kind": "REFUND",
                    "gateway": "shopify_payments",
                    "orderId": gid("Order", order_id),
                }
            ],
        }
        data = self.graphql(REFUND, {"input": refund_input}, "refundCreate")
        refund = (data.get("refundCreate") or {}).get("refund") or {}
        return refund.get("id")

    # --- products ------------------------------------------------------------------------
    def set_product_status(self, product_id: str, status: str) -> None:
        if status not in ("ACTIVE", "DRAFT", "ARCHIVED"):
            raise PermanentError(f"Shopify productUpdate: invalid status {status!r}")
        self.graphql(
            PRODUCT_UPDATE, {"product": {"id": gid("Product", product_id), "status": status}}, "productUpdate"
        )

    def publish_product(self, product_id: str, publication_id: str) -> None:
        self.graphql(
            PUBLISH,
            {
                "id": gid("Product", product_id),
                "input": [{"publicationId": gid("Publication", publication_id)}],
            },
            "publishablePublish",
        )

    def unpublish_product(self, product_id: str, publication_id: str) -> None:
        self.graphql(
            UNPUBLISH,
            {
                "id": gid("Product", product_id),
                "input": [{"publicationId": gid("Publication", publication_id)}],
            },
            "publishableUnpublish",
        )

    def set_variant_price(
        self, product_id: str, variant_id: str, price: Decimal, compare_at_price: Decimal | None
    ) -> None:
        variant: dict[str, Any] = {"id": gid("ProductVariant", variant_id), "price": _money(price)}
        variant["compareAtPrice"] = _money(compare_at_price) if compare_at_price is not None else None
        self.graphql(
            VARIANT_PRICE,
            {"productId": gid("Product", product_id), "variants": [variant]},
            "productVariantsBulkUpdate",
        )

    def create_discount_code(
        self,
        *,
        title: str,
        code: str,
        percentage: Decimal | None,
        amount: Decimal | None,
        currency_code: str | None,
        starts_at: datetime,
        ends_at: datetime | None,
        usage_limit: int | None,
        once_per_customer: bool,
    ) -> str | None:
        if (percentage is None) == (amount is None):
            raise PermanentError("Shopify discountCodeBasicCreate: give a percentage or an amount")
        value: dict[str, Any]
        if percentage is not None:
            value = {"percentage": float(percentage / 100)}  # the API takes a Float fraction here
        else:
            assert amount is not None
            value = {"discountAmount": {"amount": _money(amount), "appliesOnEachItem": False}}
        discount = {
            "title": title,
            "code": code,
            "startsAt": starts_at.isoformat(),
            "endsAt": ends_at.isoformat() if ends_at else None,
            "customerSelection": {"all": True},
            "customerGets": {"value": value, "items": {"all": True}},
            "usageLimit": usage_limit,
            "appliesOncePerCustomer": once_per_customer,
        }
        data = self.graphql(DISCOUNT, {"basicCodeDiscount": discount}, "discountCodeBasicCreate")
        node = (data.get("discountCodeBasicCreate") or {}).get("codeDiscountNode") or {}
        return node.get("id")


def throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until the query's cost is available again, from the answer's cost extension."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        requested = float(cost["requestedQueryCost"])
        available = float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    return max((requested - available) / rate, 1.0)


def format_user_errors(errors: list[Any]) -> str:
    parts = []
    for err in errors[:5]:
        if isinstance(err, dict):
            field = ".".join(str(f) for f in (err.get("field") or []))
            parts.append(f"{field}: {err.get('message')}" if field else str(err.get("message")))
    return "; ".join(parts)[:400]
