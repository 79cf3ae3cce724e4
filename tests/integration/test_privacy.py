"""customers/redact, shop/redact and app/uninstalled delete or disarm what they must."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"  # order 6198432301356, customer 8658316394796


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer)


def events(api: Any) -> dict[str, str]:
    items = body_json(api.http.get("/stores/demo/events?limit=500", headers=AUTH))["items"]
    return {e["delivery_id"]: e["status"] for e in items}


def test_customer_redact_deletes_deliveries_about_the_customer_and_orders(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    deliver(api, load_fixture(ORDER)[0], "orders/create", "o-1")
    deliver(
        api, load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0], "orders/create", "o-2"
    )
    pump.drain()
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 8658316394796, "email": "someone@example.com", "phone": None},
        "orders_to_redact": [6198432301356],
    }
    deliver(api, json.dumps(redact).encode(), "customers/redact", "r-1")
    pump.drain()
    remaining = events(api)
    assert "o-1" not in remaining
    assert remaining["o-2"] == "processed"
    assert remaining["r-1"] == "processed"
    assert runtime.repo.get_event_item("demo", "shopify", "o-1") is None


def test_shop_redact_deletes_the_whole_store(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api)
    deliver(api, load_fixture(ORDER)[0], "orders/create", "o-1")
    pump.drain()
    body = json.dumps({"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}).encode()
    deliver(api, body, "shop/redact", "s-1")
    pump.drain()
    assert api.http.get("/stores/demo", headers=AUTH).status_code == 404
    assert runtime.repo.get_event_item("demo", "shopify", "o-1") is None
    secrets = runtime.client("secretsmanager").list_secrets()["SecretList"]
    assert not [s for s in secrets if s["Name"].endswith("/stores/demo")]


def test_app_uninstalled_switches_a_live_store_to_dry_run(api: Any, pump: Any) -> None:
    put_store(api, mode="live")
    body, _ = load_fixture("shopify/app_uninstalled__hookdeck-2024-10.json")
    deliver(api, body, "app/uninstalled", "u-1")
    pump.drain()
    assert body_json(api.http.get("/stores/demo", headers=AUTH))["mode"] == "dry-run"
