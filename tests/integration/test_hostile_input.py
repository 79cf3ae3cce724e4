"""Hostile bodies and forged signatures (issue 17, item 3).

- Every route that takes a JSON body (read from infra/openapi.yaml, so a new one is covered) refuses
  a body over 256 KiB with 413 before parsing it, a deeply nested one with 400, and one with
  thousands of wrong fields with a short 400 naming the first few; none of them writes anything.
  (Webhook bodies: 413 over 5 MiB and 400 when nested too deeply, in test_ingest.)
- A webhook's signature cannot be skipped: not by the header's case, not by leaving headers out or
  blank, not by dressing a delivery up as WooCommerce's unsigned ping, and not with another store's
  secret. (A foreign shop with a valid signature: test_shop_ownership; another store's token on
  every admin route: test_route_isolation.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.admin.handlers import MAX_JSON_BODY_BYTES
from storekit.signatures import sign
from tests.payloads import load_fixture
from tests.support import (
    AUTH,
    SECRET,
    body_json,
    put_store,
    shopify_headers,
    store_body,
    table_items,
    woo_headers,
)

pytestmark = pytest.mark.integration

SPEC = Path(__file__).resolve().parents[2] / "infra" / "openapi.yaml"
ORDER = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0]
WOO_ORDER = load_fixture("woocommerce/order_created__rest-api-docs.json")[0]
SALE = {
    "kind": "sale",
    "name": "Winter",
    "product_ids": ["1"],
    "percent_off": 10,
    "starts_at": "2026-12-01T00:00:00Z",
    "ends_at": "2026-12-02T00:00:00Z",
}


def json_body_routes() -> list[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation and not path.startswith("/webhooks")
    )


ROUTES = json_body_routes()
HOSTILE = {
    "oversize": (json.dumps({"message": "x" * MAX_JSON_BODY_BYTES}).encode(), 413),
    "nested": (b"[" * 100_000 + b"]" * 100_000, 400),
    "15k-wrong-fields": (json.dumps({f"f{n}": 0 for n in range(15_000)}).encode(), 400),
}


def test_the_json_body_routes_are_found() -> None:
    assert ("POST", "/stores/{store_id}/waitlist") in ROUTES and ("PUT", "/stores/{store_id}") in ROUTES
    assert len(ROUTES) >= 6


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_oversize_nested_and_sprawling_bodies_are_refused_and_write_nothing(
    api: Any, runtime: Any, method: str, path: str
) -> None:
    put_store(api)
    sale = api.http.post("/stores/demo/schedules", headers=AUTH, body=json.dumps(SALE))
    assert sale.status_code == 201, sale.body
    url = path.replace("{store_id}", "demo").replace("{job_id}", body_json(sale)["job_id"])
    before = table_items(runtime.table)
    for name, (body, status) in HOSTILE.items():
        answer = api.http.request(method, url, headers=AUTH, body=body)
        assert answer.status_code == status, (name, answer.status_code, answer.body[:300])
        error = body_json(answer)["error"]
        assert len(error) < 2_000, (name, len(error))
        if name == "15k-wrong-fields":
            assert "f0" in error or "required" in error, error
        assert table_items(runtime.table) == before, name


def test_a_body_just_under_the_limit_is_still_read(api: Any) -> None:
    put_store(api)
    padded = store_body(shop_domain="demo-shop.myshopify.com", name="Demo")
    padded["automations"] = {"digest": {"settings": {}}}
    body = json.dumps(padded).encode()
    body = body[:-1] + b" " * (MAX_JSON_BODY_BYTES - len(body)) + b"}"
    assert len(body) == MAX_JSON_BODY_BYTES
    answer = api.http.put("/stores/demo", headers=AUTH, body=body)
    assert answer.status_code == 200, answer.body


# --- signatures -------------------------------------------------------------------------------
def events(api: Any, store_id: str = "demo") -> list[Any]:
    return body_json(api.http.get(f"/stores/{store_id}/events", headers=AUTH))["items"]


def signed(secret: str = SECRET) -> dict[str, str]:
    return shopify_headers(ORDER, "orders/create", "d-sig", secret=secret, shop="demo-shop.myshopify.com")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            {
                k if k != "X-Shopify-Hmac-Sha256" else "x-SHOPIFY-hmac-SHA256": v
                for k, v in signed("wrong").items()
            },
            id="odd-case-wrong-signature",
        ),
        pytest.param({**signed(), "X-Shopify-Hmac-Sha256": ""}, id="blank-signature"),
        pytest.param({**signed(), "X-Shopify-Hmac-Sha256": "   "}, id="whitespace-signature"),
        pytest.param(
            {k: v for k, v in signed().items() if not k.lower().startswith("x-shopify")},
            id="no-shopify-headers",
        ),
        pytest.param(signed("the-other-stores-secret"), id="another-stores-secret"),
    ],
)
def test_a_shopify_signature_cannot_be_skipped(api: Any, headers: dict[str, str]) -> None:
    put_store(api)
    put_store(api, "other", webhook_secret="the-other-stores-secret")
    answer = api.http.post("/webhooks/shopify/demo", headers=headers, body=ORDER)
    assert answer.status_code == 401, answer.body
    assert "signature" in body_json(answer)["error"]
    assert events(api) == []


def test_a_signature_header_in_any_case_still_verifies(api: Any) -> None:
    put_store(api)
    headers = {k if k != "X-Shopify-Hmac-Sha256" else "x-SHOPIFY-hmac-SHA256": v for k, v in signed().items()}
    assert api.http.post("/webhooks/shopify/demo", headers=headers, body=ORDER).status_code == 200
    assert len(events(api)) == 1


def woo_signed(body: bytes = WOO_ORDER, secret: str = SECRET) -> dict[str, str]:
    return woo_headers(body, "order.created", "w-sig", secret=secret)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(
            WOO_ORDER, {k: v for k, v in woo_signed().items() if k != "X-WC-Webhook-Signature"}, id="missing"
        ),
        pytest.param(WOO_ORDER, {**woo_signed(), "X-WC-Webhook-Signature": "AAAA"}, id="wrong"),
        pytest.param(WOO_ORDER, woo_signed(secret="the-other-stores-secret"), id="another-stores-secret"),
        pytest.param(
            WOO_ORDER,
            {"Content-Type": "application/json"},
            id="an-order-without-any-woocommerce-header-is-no-ping",
        ),
        pytest.param(
            b"webhook_id=12",
            {k: v for k, v in woo_signed(b"webhook_id=12").items() if k != "X-WC-Webhook-Signature"}
            | {"Content-Type": "application/x-www-form-urlencoded"},
            id="a-ping-body-with-woocommerce-headers-is-no-ping",
        ),
        pytest.param(
            WOO_ORDER,
            {
                ("x-wc-WEBHOOK-signature" if k == "X-WC-Webhook-Signature" else k): v
                for k, v in woo_signed(secret="wrong").items()
            },
            id="odd-case-wrong-signature",
        ),
    ],
)
def test_a_woocommerce_signature_cannot_be_skipped(api: Any, body: bytes, headers: dict[str, str]) -> None:
    put_store(api, "woo", platform="woocommerce")
    put_store(api, "other", webhook_secret="the-other-stores-secret")
    answer = api.http.post("/webhooks/woocommerce/woo", headers=headers, body=body)
    assert answer.status_code == 401, answer.body
    assert events(api, "woo") == []


def test_the_same_signed_delivery_for_another_store_id_is_refused(api: Any) -> None:
    """Signed for store `demo` (its secret, its shop), posted to `other`'s URL: not `other`'s."""
    put_store(api)
    put_store(api, "other", webhook_secret="the-other-stores-secret")
    answer = api.http.post("/webhooks/shopify/other", headers=signed(), body=ORDER)
    assert answer.status_code == 401
    assert events(api, "other") == [] and events(api) == []
    assert sign(ORDER, "the-other-stores-secret") != signed()["X-Shopify-Hmac-Sha256"]
