"""The order-status and reorder assistant: answers only with proof, never reveals an order otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # #1001, bob.norman@hostmail.com
SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
PRODUCT = load_fixture("shopify/products_update__python-api-product.json")[0]  # product 632910392


def deliver(api: Any, body: bytes, topic: str, delivery_id: str, store_id: str = "demo") -> None:
    answer = api.http.post(
        f"/webhooks/shopify/{store_id}",
        headers=shopify_headers(body, topic, delivery_id, shop=shop_of(store_id)),
        body=body,
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer), answer.body


def ask(api: Any, store_id: str = "demo", **question: Any) -> Any:
    answer = api.http.post(
        f"/stores/{store_id}/assistant",
        headers={"Content-Type": "application/json"},
        body=json.dumps(question),
    )
    assert answer.status_code == 200, answer.body
    return body_json(answer)


def make_link(api: Any, order_id: str = "450789469", store_id: str = "demo", days: int = 7) -> str:
    made = api.http.post(
        f"/stores/{store_id}/customer-links",
        headers=AUTH,
        body=json.dumps({"order_id": order_id, "days": days}),
    )
    assert made.status_code == 201, made.body
    return str(body_json(made)["link"])


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
    for message in ("where is my order", "order again"):
        wrong_email = ask(shop, message=message, order_number="1001", email="x@example.com")
        unknown = ask(shop, message=message, order_number="424242", email="bob.norman@hostmail.com")
        near_miss = ask(shop, message=message, order_number="10010", email="bob.norman@hostmail.com")
        forged = ask(shop, message=message, link="forged.token")
        assert wrong_email == unknown == near_miss == forged
        assert wrong_email["order"] is None
        assert "couldn't find" in wrong_email["reply"]


@pytest.mark.parametrize("number", ["1001", "#1001", " #1001 ", "# 1001", "No. 1001"])
def test_order_number_is_found_however_the_shopper_writes_it(shop: Any, number: str) -> None:
    answer = ask(shop, message="where is my order", order_number=number, email="bob.norman@hostmail.com")
    assert answer["order"]["name"] == "#1001"


@pytest.mark.parametrize("number", ["100", "10010", "1001-2", "1O01", "#1002"])
def test_order_number_is_never_guessed(shop: Any, number: str) -> None:
    answer = ask(shop, message="where is my order", order_number=number, email="bob.norman@hostmail.com")
    assert answer["order"] is None


def test_last_event_follows_fulfillment_updates(shop: Any, pump: Any) -> None:
    delivered = json.loads(SHIPMENT) | {
        "shipment_status": "delivered",
        "status": "success",
        "updated_at": "2013-11-03T09:30:00-04:00",
    }
    deliver(shop, json.dumps(delivered).encode(), "fulfillments/update", "f-2")
    pump.drain()
    proof = {"order_number": "1001", "email": "bob.norman@hostmail.com"}
    answer = ask(shop, message="has my parcel been delivered?", **proof)
    assert answer["order"]["status"] == "delivered"
    assert answer["order"]["last_event"] == "delivered"
    assert answer["order"]["last_event_at"] == "2013-11-03T13:30:00+00:00"
    assert "Last update: delivered" in answer["reply"]
    # a late, older update of the same shipment does not take the newer status back
    late = json.loads(SHIPMENT) | {
        "shipment_status": "out_for_delivery",
        "updated_at": "2013-11-02T08:00:00-04:00",
    }
    deliver(shop, json.dumps(late).encode(), "fulfillments/update", "f-3")
    pump.drain()
    assert ask(shop, message="where is my order", **proof)["order"]["status"] == "delivered"


def test_a_shipment_the_order_snapshot_does_not_list_yet_is_shown(shop: Any, pump: Any) -> None:
    second = json.loads(SHIPMENT) | {
        "id": 255858047,
        "tracking_company": "DHL",
        "tracking_number": "JD0001",
        "tracking_numbers": ["JD0001"],
        "tracking_url": "https://dhl.example/JD0001",
        "tracking_urls": ["https://dhl.example/JD0001"],
        "shipment_status": "in_transit",
        "updated_at": "2013-11-05T10:00:00-04:00",
    }
    deliver(shop, json.dumps(second).encode(), "fulfillments/create", "f-4")
    pump.drain()
    answer = ask(shop, message="track my order", order_number="#1001", email="bob.norman@hostmail.com")
    assert answer["order"]["carrier"] == "DHL"
    assert answer["order"]["tracking_number"] == "JD0001"
    assert "https://dhl.example/JD0001" in answer["reply"]
    # the same shipment for another store's order of the same id stays in its own store
    put_store(shop, "other")
    deliver(shop, ORDER, "orders/create", "o-9", store_id="other")
    pump.drain()
    other = ask(shop, "other", message="track my order", order_number="1001", email="bob.norman@hostmail.com")
    assert other["order"]["tracking_number"] is None


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
    link = make_link(shop, days=7)
    assert ask(shop, message="where's my package?", link=link)["order"]["tracking_number"] == "1Z2345"
    tampered = link[:-2] + ("A" if link[-2] != "A" else "B") + link[-1]
    assert ask(shop, message="where's my package?", link=tampered)["order"] is None
    clock.advance(days=8)
    assert ask(shop, message="where's my package?", link=link)["order"] is None


def test_a_link_of_one_store_is_no_proof_at_another_with_the_same_secret(shop: Any, pump: Any) -> None:
    put_store(shop, "other")  # same webhook secret, and the same order id in both stores
    deliver(shop, ORDER, "orders/create", "o-2", store_id="other")
    pump.drain()
    own = make_link(shop, store_id="other")
    assert ask(shop, "other", message="where is my order", link=own)["order"]["name"] == "#1001"
    foreign = make_link(shop, store_id="demo")
    for message in ("where is my order", "order again"):
        refused = ask(shop, "other", message=message, link=foreign)
        assert refused["order"] is None and refused["cart_url"] is None
        assert refused == ask(shop, "other", message=message, link="forged.token")
        assert refused == ask(shop, "other", message=message, order_number="1001", email="x@example.com")


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


BOB = {"order_number": "1001", "email": "bob.norman@hostmail.com"}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{", "JSON object"),
        (b"", "JSON object"),
        (b"\xff\xfe", "JSON object"),
        (b"[]", "JSON object"),
        (b"null", "JSON object"),
        (b"{}", "message"),
        (json.dumps({"message": ""}).encode(), "message"),
        (json.dumps({"message": "   "}).encode(), "message"),
        (json.dumps({"message": "x" * 1001}).encode(), "message"),
        (json.dumps({"message": 42}).encode(), "message"),
        (json.dumps({"message": ["where is my order"]}).encode(), "message"),
        (json.dumps({"message": "where is my order", "email": 7, "order_number": "1001"}).encode(), "email"),
        (
            json.dumps({"message": "where is my order", "order_number": 1001, "email": "a@b.c"}).encode(),
            "order_number",
        ),
        (json.dumps({"message": "where is my order", "link": {"o": "1"}}).encode(), "link"),
        (json.dumps({"message": "where is my order", "link": "x" * 501}).encode(), "link"),
        (
            json.dumps({"message": "where is my order", "email": "a" * 321, "order_number": "1"}).encode(),
            "email",
        ),
        (json.dumps({"message": "hi", "extra": 1}).encode(), "extra"),
        (json.dumps({"message": "where is my order", "link": "a.b", **BOB}).encode(), "either"),
    ],
    ids=[
        "not-json",
        "empty-body",
        "not-utf8",
        "array",
        "null",
        "no-message",
        "empty-message",
        "blank-message",
        "huge-message",
        "message-number",
        "message-list",
        "email-number",
        "order-number-int",
        "link-object",
        "huge-link",
        "huge-email",
        "unknown-field",
        "both-proofs",
    ],
)
def test_bad_questions_are_400(shop: Any, body: bytes, says: str) -> None:
    answer = shop.http.post("/stores/demo/assistant", headers={"Content-Type": "application/json"}, body=body)
    assert answer.status_code == 400, answer.body
    assert says in body_json(answer)["error"]


@pytest.mark.parametrize(
    "proof",
    [
        {"link": ""},
        {"link": "   "},
        {"order_number": "", "email": ""},
        {"order_number": " ", "email": "bob.norman@hostmail.com"},
        {"order_number": "1001", "email": "  "},
        {"order_number": "1001"},
        {"email": "bob.norman@hostmail.com"},
        {"link": "", "order_number": "", "email": ""},
        {"link": None, "order_number": None, "email": None},
    ],
)
def test_empty_proof_fields_count_as_no_proof(shop: Any, proof: dict[str, Any]) -> None:
    """What an empty storefront form sends: the shopper is asked for proof, never an error."""
    for message in ("where is my order", "order again"):
        answer = ask(shop, message=message, **proof)
        assert answer["order"] is None and answer["cart_url"] is None
        assert "order number" in answer["reply"]


def test_empty_link_next_to_a_real_proof_is_ignored(shop: Any) -> None:
    answer = ask(shop, message="where is my order", link="", **BOB)
    assert answer["order"]["tracking_number"] == "1Z2345"


def test_unknown_store_is_404(api: Any) -> None:
    answer = api.http.post(
        "/stores/nope/assistant",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"message": "where is my order"}),
    )
    assert answer.status_code == 404


@pytest.mark.parametrize("order_id", ["", "   ", 450789469, None, "x" * 101])
def test_a_link_needs_an_order_id(shop: Any, order_id: Any) -> None:
    answer = shop.http.post(
        "/stores/demo/customer-links", headers=AUTH, body=json.dumps({"order_id": order_id, "days": 7})
    )
    assert answer.status_code == 400
    assert "order_id" in body_json(answer)["error"]


@pytest.mark.parametrize("days", [0, -1, 366, 1000, "soon", None])
def test_link_lifetime_outside_1_to_365_days_is_refused(shop: Any, days: Any) -> None:
    answer = shop.http.post(
        "/stores/demo/customer-links", headers=AUTH, body=json.dumps({"order_id": "450789469", "days": days})
    )
    assert answer.status_code == 400
    assert "days" in body_json(answer)["error"]


def test_a_link_lives_exactly_the_days_asked(shop: Any, clock: Any) -> None:
    made = shop.http.post(
        "/stores/demo/customer-links", headers=AUTH, body=json.dumps({"order_id": "450789469", "days": 365})
    )
    assert made.status_code == 201
    assert body_json(made)["expires_at"] == "2027-11-24T12:00:00+00:00"
    link = body_json(made)["link"]
    clock.advance(days=365)
    assert ask(shop, message="where is my order", link=link)["order"]["name"] == "#1001"
    clock.advance(seconds=1)
    assert ask(shop, message="where is my order", link=link)["order"] is None
