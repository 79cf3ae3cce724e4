"""Shopify Admin GraphQL client: the mutations storeflow's actions need (API version 2025-01).

Errors: HTTP level through storekit.clients.http; a top-level GraphQL `THROTTLED` error -> Throttled
with the wait computed from the query cost; `INTERNAL_SERVER_ERROR` -> TransientError; other
top-level errors -> PermanentError (codes only: their messages may echo variable values);
mutation `userErrors` -> PermanentError listing field and message.

Ids are accepted as numeric strings ("450789469") or GIDs ("gid://shopify/Order/450789469").
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import requests

from storekit.clients.http import json_of, send
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
_VERSION = re.compile(r"^(?:\d{4}-\d{2}|unstable)$")
_NUMERIC = re.compile(r"^[0-9]{1,20}$")

TAG_RESOURCES: Final = frozenset({"Order", "Customer", "Product"})
PRODUCT_STATUSES: Final = frozenset({"ACTIVE", "DRAFT", "ARCHIVED"})
CANCEL_REASONS: Final = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})
HOLD_REASONS: Final = frozenset(
    {
        "AWAITING_PAYMENT",
        "AWAITING_RETURN_ITEMS",
        "HIGH_RISK_OF_FRAUD",
        "INCORRECT_ADDRESS",
        "INVENTORY_OUT_OF_STOCK",
        "OTHER",
        "UNKNOWN_DELIVERY_DATE",
    }
)
#: free-text hold reasons -> FulfillmentHoldReason (first keyword found wins)
_HOLD_KEYWORDS: Final = (
    ("fraud", "HIGH_RISK_OF_FRAUD"),
    ("risk", "HIGH_RISK_OF_FRAUD"),
    ("address", "INCORRECT_ADDRESS"),
    ("payment", "AWAITING_PAYMENT"),
    ("stock", "INVENTORY_OUT_OF_STOCK"),
    ("inventory", "INVENTORY_OUT_OF_STOCK"),
)

TAGS_ADD = """mutation tagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""
TAGS_REMOVE = """mutation tagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""
ORDER_UPDATE = """mutation orderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) { order { id } userErrors { field message } } }"""
FULFILLMENT_ORDERS = """query fulfillmentOrders($id: ID!) {
  order(id: $id) { id fulfillmentOrders(first: 50) { nodes {
    id status supportedActions { action } fulfillmentHolds { id heldByRequestingApp } } } } }"""
HOLD = """mutation fulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentHold { id } userErrors { field message } } }"""
RELEASE = """mutation fulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id } userErrors { field message } } }"""
CANCEL = """mutation orderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id } orderCancelUserErrors { field message } } }"""
REFUND_PLAN = """query suggestedRefund($id: ID!) {
  order(id: $id) { id presentmentCurrencyCode
    suggestedRefund(suggestFullRefund: true, refundShipping: true) {
      refundLineItems { lineItem { id } quantity }
      suggestedTransactions { gateway parentTransaction { id }
        maximumRefundableSet { presentmentMoney { amount } } } } } }"""
REFUND = """mutation refundCreate($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } } }"""
PRODUCT_UPDATE = """mutation productUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id status } userErrors { field message } } }"""
PUBLISH = """mutation publishablePublish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) { userErrors { field message } } }"""
UNPUBLISH = """mutation publishableUnpublish($id: ID!, $input: [PublicationInput!]!) {
  publishableUnpublish(id: $id, input: $input) { userErrors { field message } } }"""
VARIANTS_UPDATE = """mutation productVariantsBulkUpdate($productId: ID!,
  $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price compareAtPrice } userErrors { field message } } }"""
SHOP_CURRENCY = """query shop { shop { currencyCode } }"""
DISCOUNT_CREATE = """mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id } userErrors { field message } } }"""


def gid(kind: str, ident: str | int) -> str:
    """'123' -> 'gid://shopify/Order/123'; a GID of the same kind passes unchanged."""
    text = str(ident).strip()
    if _NUMERIC.match(text):
        return f"gid://shopify/{kind}/{text}"
    prefix = f"gid://shopify/{kind}/"
    if text.startswith(prefix) and _NUMERIC.match(text[len(prefix) :].split("?", 1)[0]):
        return text
    raise PermanentError(f"not a Shopify {kind} id (give a number or a gid://shopify/{kind}/ GID)")


def money(value: Decimal, what: str) -> str:
    """A Decimal as the exact string the Money/Decimal scalars take ('19.99'); never a float."""
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise PermanentError(f"{what}: amounts must be finite, non-negative Decimals")
    return format(value, "f")


def _positive(value: Decimal, what: str) -> None:
    money(value, what)
    if value <= 0:
        raise PermanentError(f"{what}: amount must be above zero")


def _aware(at: datetime, what: str) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise PermanentError(f"{what}: times must be timezone-aware")
    return at.isoformat()


def throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until the query's cost is available again: (requested - available) / restoreRate, >= 1."""
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(cost, dict) or not isinstance(status, dict):
        return None
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
    """'field.path: message; ...' for the first few userErrors."""
    parts = []
    for err in errors[:5]:
        if isinstance(err, dict):
            field = ".".join(str(f) for f in (err.get("field") or []))
            message = str(err.get("message") or "").strip()
            parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)[:400] or "user error"


class ShopifyClient:
    """Admin GraphQL calls for one shop. Every method raises a typed ExternalCallError on failure."""

    def __init__(
        self, shop_domain: str, access_token: str, session: requests.Session, api_version: str = "2025-01"
    ) -> None:
        domain = shop_domain.strip().lower()
        if not _DOMAIN.match(domain):
            raise ConfigurationError("Shopify shop domain must be a bare host name like shop.myshopify.com")
        if not _VERSION.match(api_version):
            raise ConfigurationError("Shopify API version must look like 2025-01")
        if not access_token:
            raise ConfigurationError("Shopify access token is empty")
        self._url = f"https://{domain}/admin/api/{api_version}/graphql.json"
        self._token = access_token
        self._session = session

    def __repr__(self) -> str:
        return f"ShopifyClient({self._url!r})"  # never the token

    # --- transport ----------------------------------------------------------------------
    def graphql(self, query: str, variables: dict[str, Any], root: str) -> dict[str, Any]:
        """POST one operation; returns `data`. `root` is the top-level field, whose userErrors are checked."""
        what = f"Shopify {root}"
        resp = send(
            self._session,
            "POST",
            self._url,
            what,
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self._token, "Accept": "application/json"},
        )
        body = json_of(resp, what)
        if not isinstance(body, dict):
            raise PermanentError(f"{what}: unexpected answer")
        errors = body.get("errors")
        if errors:
            codes = _error_codes(errors)
            if "THROTTLED" in codes:
                raise Throttled(f"{what}: THROTTLED", throttle_wait(body))
            if "INTERNAL_SERVER_ERROR" in codes:
                raise TransientError(f"{what}: GraphQL INTERNAL_SERVER_ERROR")
            raise PermanentError(f"{what}: GraphQL error {', '.join(codes) or 'without a code'}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise PermanentError(f"{what}: answer has no data")
        payload = data.get(root)
        if isinstance(payload, dict):
            user_errors = [
                err
                for key, value in payload.items()
                if key == "userErrors" or key.endswith("UserErrors")
                for err in (value or [])
            ]
            if user_errors:
                raise PermanentError(f"{what}: {format_user_errors(user_errors)}")
        return data

    # --- tags and notes ------------------------------------------------------------------
    def add_tags(self, resource_type: str, resource_id: str, tags: list[str]) -> None:
        """Add tags to an Order, Customer or Product (tags already there are kept)."""
        self._tags(TAGS_ADD, "tagsAdd", resource_type, resource_id, tags)

    def remove_tags(self, resource_type: str, resource_id: str, tags: list[str]) -> None:
        """Remove tags from an Order, Customer or Product (absent tags are ignored by Shopify)."""
        self._tags(TAGS_REMOVE, "tagsRemove", resource_type, resource_id, tags)

    def _tags(self, query: str, root: str, resource_type: str, ident: str, tags: list[str]) -> None:
        if resource_type not in TAG_RESOURCES:
            raise PermanentError(
                f"Shopify {root}: tags go on Order, Customer or Product, not {resource_type}"
            )
        clean = [tag.strip() for tag in tags if tag.strip()]
        if not clean:
            return
        self.graphql(query, {"id": gid(resource_type, ident), "tags": clean}, root)

    def set_order_note(self, order_id: str, note: str) -> None:
        """Replace the order's note (the staff-visible note field)."""
        self.graphql(ORDER_UPDATE, {"input": {"id": gid("Order", order_id), "note": note}}, "orderUpdate")

    # --- fulfillment holds ---------------------------------------------------------------
    def _fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        data = self.graphql(FULFILLMENT_ORDERS, {"id": gid("Order", order_id)}, "order")
        order = data.get("order")
        if not isinstance(order, dict):
            raise PermanentError("Shopify order: no such order")
        nodes = (order.get("fulfillmentOrders") or {}).get("nodes") or []
        return [node for node in nodes if isinstance(node, dict)]

    def hold_fulfillment(self, order_id: str, reason: str, note: str) -> int:
        """Hold every fulfillment order Shopify allows to hold (supportedActions has HOLD) and that
        this app does not hold already (so a retry adds no second hold). Returns how many were held.

        `reason` is a FulfillmentHoldReason ("HIGH_RISK_OF_FRAUD") or free text mapped to one
        ("fraud risk" -> HIGH_RISK_OF_FRAUD, unknown -> OTHER); `note` becomes reasonNotes.
        """
        hold = {"reason": hold_reason(reason), "reasonNotes": (note or reason)[:255], "notifyMerchant": False}
        held = 0
        for node in self._fulfillment_orders(order_id):
            if "HOLD" not in _actions(node) or _our_holds(node):
                continue
            self.graphql(HOLD, {"id": node["id"], "fulfillmentHold": hold}, "fulfillmentOrderHold")
            held += 1
        return held

    def release_fulfillment(self, order_id: str) -> int:
        """Release the holds this app placed (never holds by the merchant or other apps).
        Returns how many fulfillment orders had a hold released."""
        released = 0
        for node in self._fulfillment_orders(order_id):
            ours = _our_holds(node)
            if ours:
                self.graphql(RELEASE, {"id": node["id"], "holdIds": ours}, "fulfillmentOrderReleaseHold")
                released += 1
        return released

    # --- cancel / refund -----------------------------------------------------------------
    def cancel_order(
        self,
        order_id: str,
        reason: str,
        refund: bool,
        restock: bool,
        notify_customer: bool,
        staff_note: str | None = None,
    ) -> str | None:
        """Cancel the order (Shopify does it in a background job); returns the job id."""
        code = reason.strip().upper()
        if code not in CANCEL_REASONS:
            raise PermanentError(f"Shopify orderCancel: reason must be one of {sorted(CANCEL_REASONS)}")
        variables = {
            "orderId": gid("Order", order_id),
            "reason": code,
            "refund": refund,
            "restock": restock,
            "notifyCustomer": notify_customer,
            "staffNote": staff_note,
        }
        data = self.graphql(CANCEL, variables, "orderCancel")
        job = (data.get("orderCancel") or {}).get("job") or {}
        return job.get("id")

    def refund_order(self, order_id: str, amount: Decimal | None, note: str | None, notify: bool) -> str:
        """Refund money to the original payment methods; returns the refund id.

        Reads the order's `suggestedRefund(suggestFullRefund: true, refundShipping: true)` first, then:
        - amount None: a full refund of what is still refundable: every refundable line item
          (restockType NO_RESTOCK: stock is its own action), full shipping, and the suggested
          transactions. Retrying is safe: a second attempt only sees what is left, and fails with
          "nothing left to refund" if the first went through.
        - amount given (in the order's presentment currency): that sum, no line items, spread over
          the suggested transactions' maximum refundable amounts in order. A partial refund is not
          idempotent, so an ambiguous failure (5xx, timeout) is a PermanentError saying the outcome
          is unknown, never a retry that could refund twice.
        """
        what = "Shopify refundCreate"
        order_gid = gid("Order", order_id)
        if amount is not None:
            _positive(amount, what)
        data = self.graphql(REFUND_PLAN, {"id": order_gid}, "order")
        order = data.get("order")
        if not isinstance(order, dict):
            raise PermanentError("Shopify order: no such order")
        plan = order.get("suggestedRefund") or {}
        refundable = [
            (tx, most)
            for tx in plan.get("suggestedTransactions") or []
            if isinstance(tx, dict) and (most := _refundable(tx)) > 0
        ]
        if not refundable:
            raise PermanentError(f"{what}: nothing left to refund")
        refund_input: dict[str, Any] = {
            "orderId": order_gid,
            "note": note,
            "notify": notify,
            "currency": order.get("presentmentCurrencyCode"),
        }
        if amount is None:
            refund_input["refundLineItems"] = [
                {
                    "lineItemId": item["lineItem"]["id"],
                    "quantity": item["quantity"],
                    "restockType": "NO_RESTOCK",
                }
                for item in plan.get("refundLineItems") or []
            ]
            refund_input["shipping"] = {"fullRefund": True}
            shares = refundable
        else:
            shares = _spread(amount, refundable, what)
        refund_input["transactions"] = [
            {
                "orderId": order_gid,
                "parentId": (tx.get("parentTransaction") or {}).get("id"),
                "gateway": tx.get("gateway"),
                "kind": "REFUND",
                "amount": money(share, what),
            }
            for tx, share in shares
        ]
        try:
            created = self.graphql(REFUND, {"input": refund_input}, "refundCreate")
        except TransientError as exc:
            if amount is None:
                raise
            raise PermanentError(
                f"{exc}; outcome unknown: check the order's refunds before refunding again"
            ) from exc
        refund_id = ((created.get("refundCreate") or {}).get("refund") or {}).get("id")
        if not refund_id:
            raise PermanentError(f"{what}: answer has no refund id")
        return str(refund_id)

    # --- products ------------------------------------------------------------------------
    def set_product_status(self, product_id: str, status: str) -> None:
        """Set ACTIVE, DRAFT or ARCHIVED."""
        code = status.strip().upper()
        if code not in PRODUCT_STATUSES:
            raise PermanentError(f"Shopify productUpdate: status must be one of {sorted(PRODUCT_STATUSES)}")
        self.graphql(
            PRODUCT_UPDATE, {"product": {"id": gid("Product", product_id), "status": code}}, "productUpdate"
        )

    def publish_product(self, product_id: str, publication_id: str) -> None:
        """Publish the product on one publication (sales channel)."""
        self._publication(PUBLISH, "publishablePublish", product_id, publication_id)

    def unpublish_product(self, product_id: str, publication_id: str) -> None:
        """Withdraw the product from one publication (sales channel)."""
        self._publication(UNPUBLISH, "publishableUnpublish", product_id, publication_id)

    def _publication(self, query: str, root: str, product_id: str, publication_id: str) -> None:
        variables = {
            "id": gid("Product", product_id),
            "input": [{"publicationId": gid("Publication", publication_id)}],
        }
        self.graphql(query, variables, root)

    def set_variant_price(
        self, product_id: str, variant_id: str, price: Decimal, compare_at_price: Decimal | None
    ) -> None:
        """Set a variant's price; compare_at_price None clears the compare-at ("was") price."""
        what = "Shopify productVariantsBulkUpdate"
        variant = {
            "id": gid("ProductVariant", variant_id),
            "price": money(price, what),
            "compareAtPrice": money(compare_at_price, what) if compare_at_price is not None else None,
        }
        self.graphql(
            VARIANTS_UPDATE,
            {"productId": gid("Product", product_id), "variants": [variant]},
            "productVariantsBulkUpdate",
        )

    # --- discounts -----------------------------------------------------------------------
    def create_discount_code(
        self,
        title: str,
        code: str,
        percentage: Decimal | None,
        amount: Decimal | None,
        currency_code: str | None,
        starts_at: datetime,
        ends_at: datetime | None,
        usage_limit: int | None,
        once_per_customer: bool,
    ) -> str:
        """Create an order-wide code discount for all customers; returns the DiscountCodeNode id.

        Exactly one of `percentage` (0 < p <= 100, sent as the Float fraction the API takes) or
        `amount` (a fixed amount off, sent as a string). Shopify applies a fixed amount in the shop's
        currency: when `currency_code` is given it is checked against the shop's and a mismatch is a
        PermanentError (so 10 EUR is never created as 10 USD).
        """
        what = "Shopify discountCodeBasicCreate"
        if (percentage is None) == (amount is None):
            raise PermanentError(f"{what}: give either a percentage or an amount")
        value: dict[str, Any]
        if percentage is not None:
            if not percentage.is_finite() or not 0 < percentage <= 100:
                raise PermanentError(f"{what}: percentage must be above 0 and at most 100")
            value = {"percentage": float(percentage / Decimal(100))}  # the API's type is Float
        else:
            assert amount is not None
            _positive(amount, what)
            if currency_code is not None:
                self._check_currency(currency_code, what)
            value = {"discountAmount": {"amount": money(amount, what), "appliesOnEachItem": False}}
        if usage_limit is not None and usage_limit < 1:
            raise PermanentError(f"{what}: usage limit must be at least 1")
        start = _aware(starts_at, what)
        end = _aware(ends_at, what) if ends_at is not None else None
        if ends_at is not None and ends_at <= starts_at:
            raise PermanentError(f"{what}: the discount must end after it starts")
        discount = {
            "title": title,
            "code": code,
            "startsAt": start,
            "endsAt": end,
            "customerSelection": {"all": True},
            "customerGets": {"value": value, "items": {"all": True}},
            "usageLimit": usage_limit,
            "appliesOncePerCustomer": once_per_customer,
        }
        data = self.graphql(DISCOUNT_CREATE, {"basicCodeDiscount": discount}, "discountCodeBasicCreate")
        node_id = ((data.get("discountCodeBasicCreate") or {}).get("codeDiscountNode") or {}).get("id")
        if not node_id:
            raise PermanentError(f"{what}: answer has no discount id")
        return str(node_id)

    def _check_currency(self, currency_code: str, what: str) -> None:
        data = self.graphql(SHOP_CURRENCY, {}, "shop")
        shop_currency = (data.get("shop") or {}).get("currencyCode")
        if str(shop_currency).upper() != currency_code.strip().upper():
            raise PermanentError(
                f"{what}: amount is in {currency_code.upper()} but the shop's currency is {shop_currency}"
            )


def hold_reason(reason: str) -> str:
    """A FulfillmentHoldReason for `reason`: the enum value itself, a keyword match, or OTHER."""
    code = re.sub(r"[\s-]+", "_", reason.strip()).upper()
    if code in HOLD_REASONS:
        return code
    lowered = reason.lower()
    return next((enum for word, enum in _HOLD_KEYWORDS if word in lowered), "OTHER")


def _error_codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    codes = []
    for err in errors:
        code = (err.get("extensions") or {}).get("code") if isinstance(err, dict) else None
        if isinstance(code, str) and re.match(r"^[A-Za-z_]{1,64}$", code):
            codes.append(code)
    return codes


def _actions(node: dict[str, Any]) -> set[str]:
    return {str(a.get("action")) for a in node.get("supportedActions") or [] if isinstance(a, dict)}


def _our_holds(node: dict[str, Any]) -> list[str]:
    return [
        str(hold["id"])
        for hold in node.get("fulfillmentHolds") or []
        if isinstance(hold, dict) and hold.get("heldByRequestingApp") and hold.get("id")
    ]


def _refundable(tx: dict[str, Any]) -> Decimal:
    """A suggested transaction's maximum refundable amount (presentment currency); 0 if unreadable."""
    try:
        value = Decimal(str(tx["maximumRefundableSet"]["presentmentMoney"]["amount"]))
    except (KeyError, TypeError, ArithmeticError):
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _spread(
    amount: Decimal, refundable: list[tuple[dict[str, Any], Decimal]], what: str
) -> list[tuple[dict[str, Any], Decimal]]:
    """Split `amount` over transactions in order, each up to its maximum refundable amount."""
    shares = []
    left = amount
    for tx, most in refundable:
        if left <= 0:
            break
        share = min(left, most)
        shares.append((tx, share))
        left -= share
    if left > 0:
        raise PermanentError(
            f"{what}: amount is more than the {sum(m for _, m in refundable)} left to refund"
        )
    return shares
