"""The order-status and reorder assistant: a shopper asks, proving the order is theirs.

Proof is the order number with the order's email, or a signed customer link the store sent them.
Without proof nothing about any order is revealed, and "no such order" and "wrong email" get the
same answer, so the assistant cannot be used to find out which orders exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from storekit.models import Fulfillment, Order, Product
from storekit.store import StoreConfig

Intent = Literal["where_is_my_order", "order_again", "help"]

NOT_FOUND = (
    "I couldn't find an order with that number and email address. Please check both, or use the link "
    "from your order confirmation."
)
NEED_PROOF = (
    "I can help with that. Please tell me your order number and the email address you ordered with, or "
    "open the link from your order confirmation."
)
HELP = (
    "I can tell you where your order is, or put your last order back in a cart for you. Ask me "
    '"where is my order?" or "order again", with your order number and email address.'
)
_WISMO = re.compile(
    r"\b(where|status|track|tracking|shipped|ship|deliver|delivery|arrive|parcel|package)\b", re.I
)
_REORDER = re.compile(r"\b(again|reorder|re-order|repeat|same order|buy it again)\b", re.I)


class AssistantQuestion(BaseModel):
    """Body of POST /stores/{store_id}/assistant."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    message: str = Field(min_length=1, max_length=1000)
    order_number: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    link: str | None = Field(default=None, max_length=500)

    @property
    def has_proof(self) -> bool:
        return self.link is not None or (bool(self.order_number) and bool(self.email))


class AssistantAnswer(BaseModel):
    intent: Intent
    reply: str
    order: dict[str, Any] | None = None
    cart_url: str | None = None


def intent_of(message: str) -> Intent:
    if _REORDER.search(message):
        return "order_again"
    if _WISMO.search(message):
        return "where_is_my_order"
    return "help"


def email_matches(order: Order, email: str) -> bool:
    """Constant-time comparison with the order's (or its customer's) address, case-insensitive."""
    given = email.strip().lower().encode()
    known = [a for a in (order.email, order.customer.email if order.customer else None) if a]
    matched = False
    for address in known:
        matched |= hmac.compare_digest(address.strip().lower().encode(), given)
    return matched


# --- signed customer links ---------------------------------------------------------------
def _link_key(webhook_secret: str) -> bytes:
    return hmac.new(webhook_secret.encode(), b"storeflow customer link v1", hashlib.sha256).digest()


def sign_link(order_id: str, expires: datetime, webhook_secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"o": order_id, "e": int(expires.timestamp())}).encode())
    mac = base64.urlsafe_b64encode(hmac.new(_link_key(webhook_secret), payload, hashlib.sha256).digest())
    return f"{payload.decode().rstrip('=')}.{mac.decode().rstrip('=')}"


def order_of_link(link: str, now: datetime, webhook_secrets: list[str]) -> str | None:
    """The order id a valid, unexpired link was signed for; None for anything else."""
    payload, _, mac = link.partition(".")
    if not payload or not mac:
        return None
    try:
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    padded = (payload + "=" * (-len(payload) % 4)).encode()
    valid = False
    for secret in webhook_secrets:
        valid |= hmac.compare_digest(hmac.new(_link_key(secret), padded, hashlib.sha256).digest(), given)
    if not valid or not isinstance(data, dict):
        return None
    order_id, expires = data.get("o"), data.get("e")
    if not isinstance(order_id, str) or not isinstance(expires, int) or expires < now.timestamp():
        return None
    return order_id


# --- answers ------------------------------------------------------------------------------
def latest_shipment(order: Order) -> Fulfillment | None:
    shipped = [f for f in order.fulfillments if f.tracking_number or f.shipment_status or f.status]
    return shipped[-1] if shipped else None


def order_status(order: Order) -> dict[str, Any]:
    shipment = latest_shipment(order)
    if order.cancelled_at is not None:
        state = "cancelled"
    elif shipment is not None and shipment.shipment_status == "delivered":
        state = "delivered"
    elif shipment is not None:
        state = "shipped"
    elif order.financial_status in ("refunded", "voided"):
        state = order.financial_status
    else:
        state = "being prepared"
    return {
        "name": order.name,
        "status": state,
        "carrier": shipment.tracking_company if shipment else None,
        "tracking_number": shipment.tracking_number if shipment else None,
        "tracking_url": shipment.tracking_url if shipment else None,
        "last_event": shipment.shipment_status if shipment else None,
    }


def where_is(order: Order) -> AssistantAnswer:
    status = order_status(order)
    reply = f"Your order {order.name or ''} is {status['status']}.".replace("  ", " ")
    if status["carrier"] or status["tracking_number"]:
        reply += f" It is with {status['carrier'] or 'the carrier'}"
        reply += f", tracking number {status['tracking_number']}." if status["tracking_number"] else "."
    if status["last_event"]:
        reply += f" Last update: {status['last_event'].replace('_', ' ')}."
    if status["tracking_url"]:
        reply += f" Track it here: {status['tracking_url']}"
    return AssistantAnswer(intent="where_is_my_order", reply=reply, order=status)


def in_stock(variant_id: str, product: Product | None) -> bool:
    """Known out of stock -> False; stock unknown (no product seen, or not tracked) -> True."""
    if product is None:
        return True
    for variant in product.variants:
        if variant.id == variant_id:
            return variant.inventory_quantity is None or variant.inventory_quantity > 0
    return False  # the variant no longer exists


def cart_url(store: StoreConfig, items: list[tuple[str, str, int]]) -> str | None:
    """A cart permalink with these (product id, variant id, quantity) items."""
    if not items:
        return None
    if store.platform == "shopify":
        lines = ",".join(f"{quote(variant)}:{quantity}" for _, variant, quantity in items)
        return f"https://{store.shop_domain}/cart/{lines}"
    product, variant, quantity = items[0]  # WooCommerce's add-to-cart link takes one product
    return f"{store.shop_domain.rstrip('/')}/?add-to-cart={quote(variant or product)}&quantity={quantity}"


def order_again(order: Order, store: StoreConfig, products: dict[str, Product]) -> AssistantAnswer:
    """A cart rebuilt from the order's lines whose variants are not known to be out of stock."""
    candidates = [li for li in order.line_items if li.quantity > 0 and (li.variant_id or li.product_id)]
    items: list[tuple[str, str, int]] = []
    for line in candidates:
        if line.variant_id and not in_stock(line.variant_id, products.get(line.product_id or "")):
            continue
        items.append((line.product_id or "", line.variant_id or line.product_id or "", line.quantity))
    url = cart_url(store, items)
    if url is None:
        reply = "Sorry, none of the items of your last order are in stock right now."
        return AssistantAnswer(intent="order_again", reply=reply, order=order_status(order))
    reply = "Here is your cart with the same items: " + url
    if len(candidates) > len(items):
        reply += f" ({len(candidates) - len(items)} item(s) are out of stock and were left out.)"
    if store.platform == "woocommerce" and len(items) > 1:
        reply += " (This link adds the first product; add the others from your account.)"
    return AssistantAnswer(intent="order_again", reply=reply, order=order_status(order), cart_url=url)
