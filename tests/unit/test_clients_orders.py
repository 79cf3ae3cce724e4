"""The order calls of the fraud automations (note, fulfillment hold, cancel) against recorded answers:
what is read first, what is sent, and what is left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from storekit.clients import ShopifyClient
from storekit.clients.shopify import cancel_call, hold_call, order_note_call
from storekit.clients.woocommerce import WooClient, refund_call
from storekit.clients.woocommerce import order_note_call as woo_note_call
from storekit.errors import PermanentError

pytestmark = pytest.mark.unit

URL = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
SHOP = "demo-shop.myshopify.com"


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def sent(http: responses.RequestsMock, index: int) -> dict[str, Any]:
    body = http.calls[index].request.body
    assert body is not None
    return dict(json.loads(body))


def client() -> ShopifyClient:
    return ShopifyClient(SHOP, "shpat_0123456789abcdef", requests.Session())


def test_the_note_keeps_what_the_order_already_says(http: responses.RequestsMock) -> None:
    http.post(URL, json={"data": {"order": {"note": "Leave at the back door"}}})
    http.post(URL, json={"data": {"orderUpdate": {"order": {"id": "x"}, "userErrors": []}}})
    client().send(order_note_call(SHOP, "450789469", "storeflow risk score 55/100"))
    update = sent(http, 1)["variables"]["input"]
    assert update == {
        "id": "gid://shopify/Order/450789469",
        "note": "Leave at the back door\n\nstoreflow risk score 55/100",
    }


def test_the_same_note_is_not_added_twice(http: responses.RequestsMock) -> None:
    http.post(URL, json={"data": {"order": {"note": "x\n\nstoreflow risk score 55/100"}}})
    client().send(order_note_call(SHOP, "450789469", "storeflow risk score 55/100"))
    assert len(http.calls) == 1  # read only


def test_the_hold_goes_on_each_open_fulfillment_order_only(http: responses.RequestsMock) -> None:
    nodes = [
        {"id": "gid://shopify/FulfillmentOrder/1", "status": "OPEN"},
        {"id": "gid://shopify/FulfillmentOrder/2", "status": "CLOSED"},
        {"id": "gid://shopify/FulfillmentOrder/3", "status": "OPEN"},
    ]
    http.post(URL, json={"data": {"order": {"fulfillmentOrders": {"nodes": nodes}}}})
    ok = {
        "data": {
            "fulfillmentOrderHold": {"fulfillmentOrder": {"id": "x", "status": "ON_HOLD"}, "userErrors": []}
        }
    }
    http.post(URL, json=ok)
    http.post(URL, json=ok)
    client().send(hold_call(SHOP, "450789469", "fraud", "storeflow risk score 55"))
    held = [sent(http, i)["variables"] for i in (1, 2)]
    assert [h["id"] for h in held] == ["gid://shopify/FulfillmentOrder/1", "gid://shopify/FulfillmentOrder/3"]
    assert held[0]["fulfillmentHold"] == {
        "reason": "HIGH_RISK_OF_FRAUD",
        "reasonNotes": "storeflow risk score 55",
    }


def test_a_refused_cancel_is_a_permanent_error_naming_the_field(http: responses.RequestsMock) -> None:
    refused = {"field": ["orderId"], "message": "Order has already been cancelled", "code": "INVALID"}
    http.post(URL, json={"data": {"orderCancel": {"job": None, "orderCancelUserErrors": [refused]}}})
    with pytest.raises(PermanentError, match="orderId: Order has already been cancelled"):
        client().send(cancel_call(SHOP, "450789469", "fraud", True, True, "storeflow risk score 90/100"))
    variables = sent(http, 0)["variables"]
    assert (
        variables["reason"] == "FRAUD"
        and variables["refund"] is True
        and variables["notifyCustomer"] is False
    )


def test_woocommerce_note_is_private_and_the_refund_goes_through_the_gateway(
    http: responses.RequestsMock,
) -> None:
    http.post("https://woo.example/wp-json/wc/v3/orders/727/notes", json={"id": 1})
    http.post("https://woo.example/wp-json/wc/v3/orders/727/refunds", json={"id": 2})
    woo = WooClient("https://woo.example", "ck_x", "cs_x", requests.Session())
    woo.send(woo_note_call("https://woo.example", "727", "storeflow risk score 55/100"))
    woo.send(refund_call("https://woo.example", "727", "29.35", "storeflow risk score 90/100"))
    assert sent(http, 0) == {"note": "storeflow risk score 55/100", "customer_note": False}
    assert sent(http, 1) == {"amount": "29.35", "reason": "storeflow risk score 90/100", "api_refund": True}
