"""WooCommerce REST API v3 client (HTTP Basic auth with a REST key pair, HTTPS only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from storekit.clients.http import TIMEOUT, call, json_of
from storekit.errors import ConfigurationError

_LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def _money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


class WooClient:
    def __init__(
        self, base_url: str, consumer_key: str, consumer_secret: str, session: requests.Session
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" and parts.hostname not in _LOCAL_HOSTS:
            raise ConfigurationError("WooCommerce API keys are only sent over https")
        self._api = base_url.rstrip("/") + "/wp-json/wc/v3"
        self._auth = (consumer_key, consumer_secret)
        self._session = session

    def _send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        what = f"WooCommerce {method} {path.split('/')[1] if '/' in path else path}"
        resp = call(
            what,
            lambda: self._session.request(
                method, f"{self._api}/{path}", json=body, auth=self._auth, timeout=TIMEOUT
            ),
        )
        return json_of(resp, what)

    def set_order_status(self, order_id: str, status: str) -> None:
        self._send("PUT", f"orders/{order_id}", {"status": status})

    def add_order_note(self, order_id: str, note: str, customer_note: bool = False) -> None:
        self._send("POST", f"orders/{order_id}/notes", {"note": note, "customer_note": customer_note})

    def set_order_meta(self, order_id: str, key: str, value: str) -> None:
        self._send("PUT", f"orders/{order_id}", {"meta_data": [{"key": key, "value": value}]})

    def set_customer_meta(self, customer_id: str, key: str, value: str) -> None:
        self._send("PUT", f"customers/{customer_id}", {"meta_data": [{"key": key, "value": value}]})

    def set_product_status(self, product_id: str, status: str) -> None:
        self._send("PUT", f"products/{product_id}", {"status": status})

    def _product_path(self, product_id: str, variation_id: str | None) -> str:
        return (
            f"products/{product_id}/variations/{variation_id}" if variation_id else f"products/{product_id}"
        )

    def set_stock(self, product_id: str, quantity: int, variation_id: str | None = None) -> None:
        body = {"manage_stock": True, "stock_quantity": quantity}
        self._send("PUT", self._product_path(product_id, variation_id), body)

    def set_prices(
        self,
        product_id: str,
        regular: Decimal | None,
        sale: Decimal | None,
        variation_id: str | None = None,
        sale_from: datetime | None = None,
        sale_to: datetime | None = None,
    ) -> None:
        body: dict[str, Any] = {}
        if regular is not None:
            body["regular_price"] = _money(regular)
        body["sale_price"] = _money(sale)
        if sale_from is not None:
            body["date_on_sale_from_gmt"] = sale_from.strftime("%Y-%m-%dT%H:%M:%S")
        if sale_to is not None:
            body["date_on_sale_to_gmt"] = sale_to.strftime("%Y-%m-%dT%H:%M:%S")
        self._send("PUT", self._product_path(product_id, variation_id), body)

    def create_coupon(
        self,
        code: str,
        discount_type: str,
        amount: Decimal,
        expires: datetime | None,
        usage_limit: int | None,
        individual_use: bool,
    ) -> str:
        body: dict[str, Any] = {
            "code": code,
            "discount_type": discount_type,
            "amount": _money(amount),
            "individual_use": individual_use,
        }
        if expires is not None:
            body["date_expires_gmt"] = expires.strftime("%Y-%m-%dT%H:%M:%S")
        if usage_limit is not None:
            body["usage_limit"] = usage_limit
        answer = self._send("POST", "coupons", body)
        return str(answer.get("id")) if isinstance(answer, dict) else ""
