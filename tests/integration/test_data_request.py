"""customers/data_request: everything storeflow keeps about the customer, compiled for the store's
staff at GET /stores/{id}/data-requests/{request_id}; also on request (WooCommerce's personal data
export has no webhook) with POST /stores/{id}/data-requests; gone after the customer's redact."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.customers.flows import ABANDONED_CHECKOUT, WELCOME
from functions.customers.loyalty import NAME as LOYALTY
from tests.integration.test_customer_flows import (
    CUSTOMER,
    EMAIL,
    abandoned,
    deliver,
    flows,
    order_now,
    welcome_customer,
)
from tests.support import AUTH, body_json, put_store, shop_of

pytestmark = pytest.mark.integration

#: Shopify's documented customers/data_request body (shopify.dev, "Privacy law compliance")
DATA_REQUEST = {
    "shop_id": 954889,
    "shop_domain": shop_of("demo"),
    "orders_requested": [450789469],
    "customer": {"id": CUSTOMER["id"], "email": EMAIL, "phone": "555-625-1199"},
    "data_request": {"id": 9999},
}


def customer_with_history(api: Any, pump: Any, runtime: Any) -> None:
    automations = flows()
    automations[LOYALTY] = {"enabled": True}
    put_store(api, automations=automations)
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    pump.drain()
    deliver(api, order_now(runtime), "orders/create", "o-1")
    pump.drain()


def test_a_data_request_compiles_what_every_domain_keeps_for_the_staff(
    api: Any, pump: Any, runtime: Any
) -> None:
    customer_with_history(api, pump, runtime)
    deliver(api, DATA_REQUEST, "customers/data_request", "dr-1")
    pump.drain()
    events = body_json(api.http.get("/stores/demo/events?limit=500", headers=AUTH))["items"]
    [request] = [e for e in events if e["delivery_id"] == "dr-1"]
    assert request["status"] == "processed"
    listed = body_json(api.http.get("/stores/demo/data-requests", headers=AUTH))["items"]
    assert [r["request_id"] for r in listed] == ["shopify-9999"]
    answer = api.http.get("/stores/demo/data-requests/shopify-9999", headers=AUTH)
    assert answer.status_code == 200
    export = body_json(answer)
    assert export["customer"]["id"] == str(CUSTOMER["id"]) and EMAIL in export["customer"]["addresses"]
    topics = sorted(d["topic"] for d in export["deliveries"])
    assert topics == ["checkout.created", "customer.created", "order.created"]
    assert {(r["kind"], r["id"]) for r in export["records"]} >= {("customer", str(CUSTOMER["id"]))}
    kinds = sorted(a["automation"] for a in export["actions"])
    assert WELCOME in kinds  # the welcome email (and its code) planned for the customer
    assert any(j["kind"] == ABANDONED_CHECKOUT for j in export["schedules"])
    kept = {i["item"] for i in export["domains"]["customers"]}
    assert kept == {"marketing contact", "loyalty profile"}  # the cart's shopper went with the order
    [profile] = [i for i in export["domains"]["customers"] if i["item"] == "loyalty profile"]
    assert profile["orders"] == 1
    assert export["counts"]["total"] == sum(v for k, v in export["counts"].items() if k != "total")


def test_staff_can_ask_for_an_export_and_a_redact_deletes_it(api: Any, pump: Any, runtime: Any) -> None:
    customer_with_history(api, pump, runtime)
    bad = api.http.post("/stores/demo/data-requests", headers=AUTH, body=json.dumps({}))
    assert bad.status_code == 400 and "customer_id, email or phone" in body_json(bad)["error"]
    answer = api.http.post("/stores/demo/data-requests", headers=AUTH, body=json.dumps({"email": EMAIL}))
    assert answer.status_code == 201
    made = body_json(answer)
    assert made["counts"]["deliveries"] == 3 and made["domains"]["customers"]
    fetched = api.http.get(f"/stores/demo/data-requests/{made['request_id']}", headers=AUTH)
    assert body_json(fetched)["request_id"] == made["request_id"]
    assert api.http.get(f"/stores/demo/data-requests/{made['request_id']}").status_code == 401
    redact = {
        "shop_id": 1,
        "shop_domain": shop_of("demo"),
        "customer": {"id": CUSTOMER["id"], "email": EMAIL},
        "orders_to_redact": [],
    }
    deliver(api, redact, "customers/redact", "r-1")
    pump.drain()
    gone = api.http.get(f"/stores/demo/data-requests/{made['request_id']}", headers=AUTH)
    assert gone.status_code == 404
    assert body_json(api.http.get("/stores/demo/data-requests", headers=AUTH))["items"] == []
