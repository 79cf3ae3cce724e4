"""The order-status and reorder assistant: answers only with proof, never reveals an order otherwise."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # #1001, bob.norman@hostmail.com
SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
PRODUCT = load_fixture("shopify/products_update__python-api-product.json")[0]  # product 632910392


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def ask(api: Any, **question: Any) -> Any:
    answer = api.http.post(
        "/stores/demo/assistant", headers={"Content-Type": "application/json"}, body=json.dumps(question)
    )
    assert answer.status_code == 200, answer.body
    return body_json(answer)


@pytest.fixture
def shop(api: Any, pump: Any) -> Any:
    put_store(api)
    shipped = json.loads(ORDER)
    shipped["fulfillments"] = [json.loads(SHIPMENT) | {"shipment_status": "in_transit"}]
    deliver(api, json.dumps(shipped).encode(), "orders/create", "o-1")
    deliver(api, PRODUCT, "products/update", "p-1")
    pump.drain()
    return api


def test_where_is_my_order_with_number_and_email(shop: Any) -> None:
    answer = ask(shop, message="Where is my order?", order_number="#1001", email="Bob.Norman@hostmail.com ")
    assert answer["intent"] == "where_is_my_order"
    assert answer["order"]["status"] == "shipped"
    assert answer["order"]["tracking_number"] == "1Z2345"
    assert "http://www.google.com/search?q=1Z2345" in answer["reply"]
    assert "in transit" in answer["reply"]


@pytest.mark.parametrize(
    "proof",
    [
        {"order_number": "1001", "email": "someone.else@example.com"},
        {"order_number": "9999", "email": "bob.norman@hostmail.com"},
        {"order_number": "1001", "email": ""},
        {"link": "forged.token"},
    ],
    ids=["wrong-email", "unknown-number", "empty-email", "forged-link"],
)
def test_nothing_is_revealed_without_proof(shop: Any, proof: dict[str, str]) -> None:
    for message in ("where is my order", "order again"):
        answer = ask(shop, message=message, **proof)
        text = json.dumps(answer)
        assert answer["order"] is None
        assert answer["cart_url"] is None
        for secret in ("1Z2345", "hostmail", "IPod", "1001", "Bob"):
            assert secret not in text.replace(proof.get("order_number", "") or "§", "")


def test_wrong_email_and_unknown_order_get_the_same_answer(shop: Any) -> None:
    wrong_email = ask(shop, message="where is my order", order_number="1001", email="x@example.com")
    unknown = ask(shop, message="where is my order", order_number="424242", email="x@example.com")
    assert wrong_email == unknown


def test_order_again_builds_a_cart_of_in_stock_variants(shop: Any) -> None:
    answer = ask(shop, message="I want to order again", order_number="1001", email="bob.norman@hostmail.com")
    assert answer["intent"] == "order_again"
    assert answer["cart_url"] == "https://demo-shop.myshopify.com/cart/39072856:1,49148385:1,457924702:1"


def test_order_again_leaves_out_sold_out_variants(shop: Any, pump: Any) -> None:
    sold_out = json.loads(PRODUCT)
    for variant in sold_out["variants"]:
        if variant["id"] != 457924702:
            variant["inventory_quantity"] = 0
    sold_out["updated_at"] = "2026-11-24T10:00:00-05:00"
    deliver(shop, json.dumps(sold_out).encode(), "products/update", "p-2")
    pump.drain()
    answer = ask(shop, message="buy it again please", order_number="1001", email="bob.norman@hostmail.com")
    assert answer["cart_url"] == "https://demo-shop.myshopify.com/cart/457924702:1"
    assert "2 item(s) are out of stock" in answer["reply"]


def test_signed_customer_link_is_proof_until_it_expires(shop: Any, clock: Any) -> None:
    made = shop.http.post(
        "/stores/demo/customer-links", headers=AUTH, body=json.dumps({"order_id": "450789469", "days": 7})
    )
    assert made.status_code == 201
    link = body_json(made)["link"]
    assert ask(shop, message="where's my package?", link=link)["order"]["tracking_number"] == "1Z2345"
    tampered = link[:-2] + ("A" if link[-2] != "A" else "B") + link[-1]
    assert ask(shop, message="where's my package?", link=tampered)["order"] is None
    clock.advance(days=8)
    assert ask(shop, message="where's my package?", link=link)["order"] is None


def test_customer_links_need_a_store_or_admin_token(shop: Any) -> None:
    answer = shop.http.post(
        "/stores/demo/customer-links",
        body=json.dumps({"order_id": "1"}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 401


@pytest.mark.parametrize("message", ["do you sell gift cards?", "hello", "¿habláis español?"])
def test_unknown_questions_get_help_not_an_error(shop: Any, message: str) -> None:
    answer = ask(shop, message=message)
    assert answer["intent"] == "help"
    assert "where is my order" in answer["reply"]


def test_a_known_question_without_proof_asks_for_it(shop: Any) -> None:
    answer = ask(shop, message="where is my order")
    assert answer["order"] is None
    assert "order number" in answer["reply"]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        json.dumps({"message": ""}).encode(),
        json.dumps({"message": "x" * 1001}).encode(),
        json.dumps({"message": "hi", "extra": 1}).encode(),
    ],
)
def test_bad_questions_are_400(shop: Any, body: bytes) -> None:
    answer = shop.http.post("/stores/demo/assistant", headers={"Content-Type": "application/json"}, body=body)
    assert answer.status_code == 400
    assert body_json(answer)["error"]


def test_unknown_store_is_404(api: Any) -> None:
    answer = api.http.post(
        "/stores/nope/assistant",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"message": "where is my order"}),
    )
    assert answer.status_code == 404


def test_link_lifetime_is_bounded(shop: Any) -> None:
    answer = shop.http.post(
        "/stores/demo/customer-links", headers=AUTH, body=json.dumps({"order_id": "450789469", "days": 1000})
    )
    assert answer.status_code == 400
    assert timedelta(days=365)  # the documented maximum
