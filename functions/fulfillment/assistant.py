"""The order-status and reorder assistant: a shopper asks, proving the order is theirs.

Proof is the order number with the order's email, or a signed customer link the store sent them
(signed for one order of one store). Without proof nothing about any order is revealed, and "no
such order", "wrong email" and "bad link" get the same answer, so the assistant cannot be used to
find out which orders exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storekit.models import Fulfillment, LineItem, Order, Product
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
#: plain intent rules, any letter case; a few German, French and Spanish phrasings too
_WISMO = re.compile(
    r"\b(where|status|track\w*|ship(ped|ment|ments)?|dispatched|deliver\w*|arriv\w*|parcel|package"
    r"|courier|carrier|wo ist|sendung\w*|liefer\w*|paket|où est|colis|livraison|suivi|dónde"
    r"|envío|paquete|seguimiento)\b",
    re.I,
)
_REORDER = re.compile(
    r"\b(again|re-?order\w*|repeat\w*|same (order|items|things)|nochmal|wieder bestellen"
    r"|erneut bestellen|à nouveau|de nouveau|otra vez|volver a pedir|de nuevo)\b",
    re.I,
)


class AssistantQuestion(BaseModel):
    """Body of POST /stores/{store_id}/assistant.

    Proof fields that are empty or only whitespace count as not given (what an empty storefront
    form sends); a link together with an order number and email is refused (which would count?)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=1000)
    order_number: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    link: str | None = Field(default=None, max_length=500)

    @field_validator("order_number", "email", "link")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _one_kind_of_proof(self) -> AssistantQuestion:
        if self.link and (self.order_number or self.email):
            raise ValueError("give either a link or order_number and email, not both")
        return self

    @property
    def has_proof(self) -> bool:
        return self.link is not None or (self.order_number is not None and self.email is not None)


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
#: links are "v2.<payload>.<mac>"; the mac covers the version, the store id and the payload, so a
#: link is proof only at the store that made it (stores may share a secret; order ids repeat)
LINK_VERSION = "v2"


def _link_key(webhook_secret: str) -> bytes:
    return hmac.new(webhook_secret.encode(), b"storeflow customer link", hashlib.sha256).digest()


def _link_mac(webhook_secret: str, store_id: str, payload: str) -> bytes:
    signed = f"{LINK_VERSION}\n{store_id}\n{payload}".encode()
    return hmac.new(_link_key(webhook_secret), signed, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(store_id: str, order_id: str, expires: datetime, webhook_secret: str) -> str:
    payload = _b64(json.dumps({"o": order_id, "e": int(expires.timestamp())}).encode())
    return f"{LINK_VERSION}.{payload}.{_b64(_link_mac(webhook_secret, store_id, payload))}"


def order_of_link(link: str, store_id: str, now: datetime, webhook_secrets: Iterable[str]) -> str | None:
    """The order id a valid, unexpired link of this store was signed for; None for anything else."""
    version, _, rest = link.partition(".")
    payload, _, mac = rest.partition(".")
    if version != LINK_VERSION or not payload or not mac or not link.isascii():
        return None
    try:
        given = _unb64(mac)
    except ValueError:
        return None
    valid = False
    for secret in webhook_secrets:
        valid |= hmac.compare_digest(_link_mac(secret, store_id, payload), given)
    if not valid:
        return None
    try:
        data = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    order_id, expires = data.get("o"), data.get("e")
    if not isinstance(order_id, str) or not order_id or type(expires) is not int:
        return None
    return order_id if now.timestamp() <= expires else None


# --- answers ------------------------------------------------------------------------------
_EPOCH = datetime.min.replace(tzinfo=UTC)
_NOT_SHIPPED = frozenset({"cancelled", "error", "failure"})


def _when(shipment: Fulfillment) -> datetime:
    return shipment.updated_at or shipment.created_at or _EPOCH


def shipments_of(order: Order, updates: Iterable[Fulfillment] = ()) -> list[Fulfillment]:
    """The order's shipments: those its snapshot lists, and those seen in fulfillment events (which
    may be newer, or not listed yet). Per shipment the newest version by updated_at wins (a tie goes
    to the fulfillment event); cancelled or failed shipments are left out. Oldest first."""
    newest: dict[str, Fulfillment] = {}
    unnamed: list[Fulfillment] = []
    for shipment in [*order.fulfillments, *updates]:
        if shipment.order_id and order.id and shipment.order_id != order.id:
            continue
        if shipment.id is None:
            unnamed.append(shipment)
        elif shipment.id not in newest or _when(shipment) >= _when(newest[shipment.id]):
            newest[shipment.id] = shipment
    shipped = [
        f
        for f in [*unnamed, *newest.values()]
        if (f.tracking_number or f.shipment_status or f.status)
        and (f.status or "").lower() not in _NOT_SHIPPED
    ]
    return sorted(shipped, key=_when)


def latest_shipment(order: Order, updates: Iterable[Fulfillment] = ()) -> Fulfillment | None:
    shipped = shipments_of(order, updates)
    return shipped[-1] if shipped else None


def order_status(order: Order, updates: Iterable[Fulfillment] = ()) -> dict[str, Any]:
    """What the shopper sees of the order: its state, carrier, tracking and the newest shipment update."""
    shipment = latest_shipment(order, updates)
    last_event_at = _when(shipment) if shipment is not None else None
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
        "last_event_at": last_event_at.astimezone(UTC).isoformat()
        if last_event_at and last_event_at > _EPOCH
        else None,
    }


def where_is(order: Order, updates: Iterable[Fulfillment] = (), timezone: str = "UTC") -> AssistantAnswer:
    """The 'where is my order' answer; times in the store's time zone."""
    status = order_status(order, updates)
    reply = f"Your order {order.name or order.number or ''} is {status['status']}.".replace("  ", " ")
    if status["carrier"] or status["tracking_number"]:
        reply += f" It is with {status['carrier'] or 'the carrier'}"
        reply += f", tracking number {status['tracking_number']}." if status["tracking_number"] else "."
    if status["last_event"]:
        reply += f" Last update: {status['last_event'].replace('_', ' ')}"
        if status["last_event_at"]:
            local = datetime.fromisoformat(status["last_event_at"]).astimezone(ZoneInfo(timezone))
            reply += f" ({local:%d %b %Y, %H:%M} {local.tzname()})"
        reply += "."
    if status["tracking_url"]:
        reply += f" Track it here: {status['tracking_url']}"
    return AssistantAnswer(intent="where_is_my_order", reply=reply, order=status)


def in_stock(line: LineItem, products: dict[str, Product], platform: str) -> bool:
    """Whether a line's variant can be bought again: False when it is known to be sold out, the
    product is no longer active, or (Shopify, whose product snapshots list every variant) the
    variant is gone; True when the stock is unknown (no product seen, or stock not tracked).
    `products` holds the product snapshots by id; WooCommerce variations by their own id too."""
    wanted = line.variant_id or line.product_id
    for key in (line.variant_id, line.product_id):
        product = products.get(key) if key else None
        if product is None:
            continue
        for variant in product.variants:
            if variant.id == wanted:
                stock = variant.inventory_quantity
                return product.status == "active" and (stock is None or stock > 0)
        if platform == "shopify" and key == line.product_id:
            return False  # the variant no longer exists
    return True


def cart_url(store: StoreConfig, items: list[tuple[str, int]]) -> str | None:
    """A cart link with these (variant or product id, quantity) items: Shopify's cart permalink
    `https://<domain>/cart/<variant>:<qty>,...`; WooCommerce's `?add-to-cart=<id>&quantity=<n>`,
    which takes one product (the first)."""
    if not items:
        return None
    if store.platform == "shopify":
        lines = ",".join(f"{quote(variant, safe='')}:{quantity}" for variant, quantity in items)
        return f"https://{store.shop_domain}/cart/{lines}"
    item, quantity = items[0]
    return f"{store.shop_domain.rstrip('/')}/?add-to-cart={quote(item, safe='')}&quantity={quantity}"


def reorder_items(
    order: Order, products: dict[str, Product], platform: str
) -> tuple[list[tuple[str, int]], int]:
    """(the cart items: variant (or WooCommerce product) id and quantity, in order, one per
    variant; how many of the order's lines were left out as not available)."""
    wanted: dict[str, int] = {}
    left_out = 0
    for line in order.line_items:
        item = line.variant_id if platform == "shopify" else (line.variant_id or line.product_id)
        if line.quantity <= 0 or (not item and not line.product_id):
            continue  # nothing to buy (removed line, custom line without a product)
        if not item or not in_stock(line, products, platform):
            left_out += 1
            continue
        wanted[item] = wanted.get(item, 0) + line.quantity
    return list(wanted.items()), left_out


def order_again(
    order: Order, store: StoreConfig, products: dict[str, Product], updates: Iterable[Fulfillment] = ()
) -> AssistantAnswer:
    """A cart rebuilt from the order's lines whose variants are not known to be unavailable."""
    items, left_out = reorder_items(order, products, store.platform)
    url = cart_url(store, items)
    status = order_status(order, updates)
    if url is None:
        reply = "Sorry, none of the items of your last order are in stock right now."
        return AssistantAnswer(intent="order_again", reply=reply, order=status)
    reply = "Here is your cart with the same items: " + url
    if left_out:
        reply += f" ({left_out} item(s) are out of stock and were left out.)"
    if store.platform == "woocommerce" and len(items) > 1:
        reply += " (This link adds the first product; add the others from your account.)"
    return AssistantAnswer(intent="order_again", reply=reply, order=status, cart_url=url)
