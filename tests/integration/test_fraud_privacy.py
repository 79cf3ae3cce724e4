"""customers/redact forgets what the fraud domain keeps by a customer's email, IP, card and address
(velocity counters, chargeback flags, purchase-limit counters), found by key, never by a scan."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from storekit import keys
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

AUD = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])
DISPUTE = json.loads(load_fixture("shopify/disputes_create__hookdeck-2024-10.json")[0])
ORDER_ID = 2998557704341
EMAIL = "river.buyer@example.com"  # the real order's


def deliver(api: Any, data: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(data).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def kept(runtime: Any) -> dict[str, bool]:
    """Whether the chargeback flags of the real order's email, IP and card are kept."""
    values = {"email": EMAIL, "ip": "49.180.247.34", "card": "424242:4242"}
    found = runtime.repo.fraud_items([keys.fraud_flag("demo", d, v) for d, v in values.items()])
    return {d: (keys.fraud_flag("demo", d, v)["PK"], "FLAG") in found for d, v in values.items()}


def test_customers_redact_deletes_the_fraud_flags_and_counters_of_the_customer(
    api: Any, pump: Any, runtime: Any
) -> None:
    product = str(AUD["line_items"][0]["product_id"])
    put_store(api, automations={"stock-hoarding": {"settings": {"limited_product_ids": [product]}}})
    deliver(api, AUD, "orders/create", "o-1")
    pump.drain()
    deliver(api, DISPUTE | {"order_id": ORDER_ID}, "disputes/create", "d-1")  # reason fraudulent
    pump.drain()
    assert kept(runtime) == {"email": True, "ip": True, "card": True}
    velocity = keys.fraud_velocity("demo", "email", EMAIL, 0)["PK"]
    units = keys.fraud_velocity("demo", "units-email", f"{EMAIL}|{product}", 0)["PK"]
    assert list(runtime.repo.partition_keys(velocity)) and list(runtime.repo.partition_keys(units))

    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 4206822293653, "email": EMAIL, "phone": None},
        "orders_to_redact": [ORDER_ID],
    }
    deliver(api, redact, "customers/redact", "r-1")
    pump.drain()
    assert kept(runtime) == {"email": False, "ip": False, "card": False}
    assert (
        list(runtime.repo.partition_keys(velocity)) == [] and list(runtime.repo.partition_keys(units)) == []
    )
    # a later order from the same email no longer carries the forgotten chargeback
    gid = f"gid://shopify/Order/{ORDER_ID + 1}"
    later = copy.deepcopy(AUD) | {"id": ORDER_ID + 1, "admin_graphql_api_id": gid, "name": "#1031"}
    deliver(api, later, "orders/create", "o-2")
    pump.drain()
    runs = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    scored = [r for r in runs if r["automation"] == "risk-score"]
    assert scored and not any("chargeback_history" in (r["reason"] or "") for r in scored)
