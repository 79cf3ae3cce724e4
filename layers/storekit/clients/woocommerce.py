"""WooCommerce REST API v3 client (HTTP Basic auth with a REST key pair, HTTPS only).

Tags: WooCommerce orders and customers have none, so storeflow keeps its tags in an order/customer
meta field (`change_tags_meta`). Product tags are set by tag id, which needs a lookup-or-create of
each tag first; no action needs that yet, so tagging products is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from storekit.clients.http import LOCAL_HOSTS, json_of, send
from storekit.errors import ConfigurationError, PermanentError

ORDER_STATUSES: Final = frozenset(
    {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"}
)
PRODUCT_STATUSES: Final = frozenset({"publish", "draft", "private", "pending"})
COUPON_TYPES: Final = frozenset({"percent", "fixed_cart", "fixed_product"})
_NUMERIC = re.compile(r"^[0-9]{1,20}$")


def money(value: Decimal, what: str) -> str:
    """A Decimal as the exact string WooCommerce prices take ('19.99'); never a float."""
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise PermanentError(f"{what}: amounts must be finite, non-negative Decimals")
    return format(value, "f")


def gmt(at: datetime, what: str) -> str:
    """An aware datetime as WooCommerce's `*_gmt` field format (UTC, no offset)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise PermanentError(f"{what}: times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _id(value: str | int, what: str) -> str:
    text = str(value).strip()
    if not _NUMERIC.match(text):
        raise PermanentError(f"{what}: WooCommerce ids are numbers")
    return text


def merge_tags(saved: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
    """Saved tags plus `add`, minus `remove`, in order, each once (tags compare case-insensitively,
    as in Shopify)."""
    dropped = {t.strip().casefold() for t in remove}
    out: list[str] = []
    seen: set[str] = set()
    for tag in [*saved, *add]:
        text = tag.strip()
        folded = text.casefold()
        if text and folded not in seen and folded not in dropped:
            seen.add(folded)
            out.append(text)
    return out


class WooClient:
    """REST calls for one WooCommerce store. Every method raises a typed ExternalCallError on failure."""

    def __init__(
        self, base_url: str, consumer_key: str, consumer_secret: str, session: requests.Session
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigurationError("WooCommerce store URL must look like https://shop.example")
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise ConfigurationError("WooCommerce API keys are only sent over https")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ConfigurationError(
                "WooCommerce store URL must not carry credentials, a query or a fragment"
            )
        if not consumer_key or not consumer_secret:
            raise ConfigurationError("WooCommerce API key or secret is empty")
        self._api = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/wp-json/wc/v3"
        self._auth = (consumer_key, consumer_secret)
        self._session = session

    def __repr__(self) -> str:
        return f"WooClient({self._api!r})"  # never the keys

    def _send(self, method: str, path: str, body: dict[str, Any] | None, what: str) -> Any:
        resp = send(
            self._session,
            method,
            f"{self._api}/{path}",
            f"WooCommerce {what}",
            json=body,
            auth=self._auth,
            headers={"Accept": "application/json"},
        )
        return json_of(resp, f"WooCommerce {what}")

    # --- orders --------------------------------------------------------------------------
    def set_order_status(self, order_id: str, status: str) -> None:
        """Set an order status (pending, processing, on-hold, completed, cancelled, refunded, failed)."""
        if status not in ORDER_STATUSES:
            raise PermanentError(f"WooCommerce order status must be one of {sorted(ORDER_STATUSES)}")
        self._send("PUT", f"orders/{_id(order_id, 'order')}", {"status": status}, "update order")

    def add_order_note(self, order_id: str, note: str, customer_note: bool = False) -> str:
        """Add a note to the order (customer_note=True also emails it to the customer); returns its id."""
        answer = self._send(
            "POST",
            f"orders/{_id(order_id, 'order')}/notes",
            {"note": note, "customer_note": customer_note},
            "add order note",
        )
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""

    def set_order_meta(self, order_id: str, key: str, value: str) -> None:
        """Set one order meta field (an existing key is updated)."""
        self._send(
            "PUT",
            f"orders/{_id(order_id, 'order')}",
            {"meta_data": [{"key": key, "value": value}]},
            "update order",
        )

    def set_customer_meta(self, customer_id: str, key: str, value: str) -> None:
        """Set one customer meta field (an existing key is updated)."""
        self._send(
            "PUT",
            f"customers/{_id(customer_id, 'customer')}",
            {"meta_data": [{"key": key, "value": value}]},
            "update customer",
        )

    def change_tags_meta(
        self,
        resource: str,
        resource_id: str,
        key: str,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
    ) -> str:
        """Add/remove tags in a comma-separated meta field, keeping the others already there
        (WooCommerce orders and customers have no tags). Returns the tags now saved.

        Read, then write: WooCommerce has no atomic way to change one value of a meta field, so two
        changes of the same field at the same moment could lose one (storeflow's actions on one
        resource run one after another, so only a merchant's own edit could race)."""
        if resource not in ("order", "customer"):
            raise PermanentError(f"WooCommerce keeps storeflow tags on orders and customers, not {resource}s")
        path = f"{resource}s/{_id(resource_id, resource)}"
        current = self._send("GET", path, None, f"read {resource}")
        meta = current.get("meta_data") if isinstance(current, dict) else None
        saved = next(
            (
                str(m.get("value") or "")
                for m in (meta if isinstance(meta, list) else [])
                if isinstance(m, dict) and m.get("key") == key
            ),
            "",
        )
        tags = merge_tags([t for t in saved.split(",") if t.strip()], add, remove)
        value = ",".join(tags)
        if value != saved:
            self._send("PUT", path, {"meta_data": [{"key": key, "value": value}]}, f"update {resource}")
        return value

    # --- products ------------------------------------------------------------------------
    def set_product_status(self, product_id: str, status: str) -> None:
        """Set publish, draft, private or pending."""
        if status not in PRODUCT_STATUSES:
            raise PermanentError(f"WooCommerce product status must be one of {sorted(PRODUCT_STATUSES)}")
        self._send("PUT", f"products/{_id(product_id, 'product')}", {"status": status}, "update product")

    def _product_path(self, product_id: str, variation_id: str | None) -> str:
        path = f"products/{_id(product_id, 'product')}"
        return f"{path}/variations/{_id(variation_id, 'variation')}" if variation_id else path

    def set_stock(self, product_id: str, quantity: int, variation_id: str | None = None) -> None:
        """Turn on stock management and set the stock quantity of a product or one variation."""
        self._send(
            "PUT",
            self._product_path(product_id, variation_id),
            {"manage_stock": True, "stock_quantity": int(quantity)},
            "update stock",
        )

    def set_prices(
        self,
        product_id: str,
        regular: Decimal | None,
        sale: Decimal | None,
        variation_id: str | None = None,
        sale_from: datetime | None = None,
        sale_to: datetime | None = None,
    ) -> None:
        """Set prices of a product or one variation.

        `regular` None leaves the regular price as it is; `sale` None clears the sale price (a stored
        sale schedule then has no effect), so the price customers pay is the regular one.
        `sale_from`/`sale_to` schedule the sale (timezone-aware, sent as UTC `*_gmt` fields).
        """
        what = "update prices"
        body: dict[str, Any] = {"sale_price": money(sale, what) if sale is not None else ""}
        if regular is not None:
            body["regular_price"] = money(regular, what)
        if sale is not None and regular is not None and sale >= regular:
            raise PermanentError(f"WooCommerce {what}: the sale price must be below the regular price")
        if (sale_from is not None or sale_to is not None) and sale is None:
            raise PermanentError(f"WooCommerce {what}: a sale schedule needs a sale price")
        if sale_from is not None:
            body["date_on_sale_from_gmt"] = gmt(sale_from, what)
        if sale_to is not None:
            body["date_on_sale_to_gmt"] = gmt(sale_to, what)
        if sale_from is not None and sale_to is not None and sale_to <= sale_from:
            raise PermanentError(f"WooCommerce {what}: the sale must end after it starts")
        self._send("PUT", self._product_path(product_id, variation_id), body, what)

    # --- coupons -------------------------------------------------------------------------
    def create_coupon(
        self,
        code: str,
        discount_type: str,
        amount: Decimal,
        expires: datetime | None,
        usage_limit: int | None,
        individual_use: bool,
    ) -> str:
        """Create a coupon (percent, fixed_cart or fixed_product); returns its id."""
        what = "create coupon"
        if discount_type not in COUPON_TYPES:
            raise PermanentError(f"WooCommerce coupon type must be one of {sorted(COUPON_TYPES)}")
        amount_text = money(amount, what)
        if amount <= 0 or (discount_type == "percent" and amount > 100):
            raise PermanentError(f"WooCommerce {what}: amount out of range")
        if usage_limit is not None and usage_limit < 1:
            raise PermanentError(f"WooCommerce {what}: usage limit must be at least 1")
        body: dict[str, Any] = {
            "code": code,
            "discount_type": discount_type,
            "amount": amount_text,
            "individual_use": individual_use,
        }
        if expires is not None:
            body["date_expires_gmt"] = gmt(expires, what)
        if usage_limit is not None:
            body["usage_limit"] = usage_limit
        answer = self._send("POST", "coupons", body, what)
        coupon_id = answer.get("id") if isinstance(answer, dict) else None
        if not coupon_id:
            raise PermanentError(f"WooCommerce {what}: answer has no coupon id")
        return str(coupon_id)
