"""Pure decisions of the order-status and reorder assistant: intents, signed links, carts, answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from functions.fulfillment.assistant import (
    AssistantQuestion,
    cart_url,
    intent_of,
    order_again,
    order_of_link,
    order_status,
    sign_link,
    where_is,
)
from storekit.adapters import Topic, parse_delivery
from storekit.models import Fulfillment, Order, Product, Variant
from storekit.store import StoreConfig
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SECRET = "shpss_secret_a"


def order(**changes: Any) -> Order:
    """#1001 (order 450789469): variants 39072856, 49148385, 457924702 of products 632910392 and
    (the last) 632910392 too, one each."""
    payload = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
    payload.update(changes)
    resource = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(resource, Order)
    return resource


def store(platform: str = "shopify", **changes: Any) -> StoreConfig:
    domain = "demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example/"
    fields: dict[str, Any] = {
        "store_id": "demo",
        "platform": platform,
        "shop_domain": domain,
        "timezone": "Europe/Berlin",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return StoreConfig.model_validate(fields | changes)


def shipment(**changes: Any) -> Fulfillment:
    fields: dict[str, Any] = {
        "id": "255858046",
        "order_id": "450789469",
        "status": "success",
        "shipment_status": "in_transit",
        "tracking_company": "UPS",
        "tracking_numbers": ["1Z2345"],
        "tracking_urls": ["https://ups.example/1Z2345"],
        "updated_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    }
    return Fulfillment.model_validate(fields | changes)


# --- intents ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "message",
    [
        "Where is my order?",
        "WHERE'S MY PACKAGE",
        "track my parcel please",
        "Tracking number?",
        "when will it be delivered",
        "has my order shipped yet",
        "order status",
        "Wo ist meine Bestellung?",
        "où est mon colis",
        "¿Dónde está mi pedido?",
    ],
)
def test_where_is_my_order_phrasings(message: str) -> None:
    assert intent_of(message) == "where_is_my_order"


@pytest.mark.parametrize(
    "message",
    [
        "order again",
        "I want to ORDER AGAIN",
        "reorder my last order",
        "Re-order please",
        "can I buy the same items",
        "nochmal bestellen",
        "commander à nouveau",
        "quiero pedir otra vez",
    ],
)
def test_order_again_phrasings(message: str) -> None:
    assert intent_of(message) == "order_again"


@pytest.mark.parametrize(
    "message", ["hello", "do you sell gift cards?", "¿habláis español?", "what is your return policy", "?"]
)
def test_anything_else_is_help(message: str) -> None:
    assert intent_of(message) == "help"


# --- the question body ------------------------------------------------------------------------
def test_blank_proof_fields_are_not_proof() -> None:
    question = AssistantQuestion.model_validate(
        {"message": " where ", "order_number": "  ", "email": "", "link": " "}
    )
    assert question.message == "where"
    assert (question.order_number, question.email, question.link) == (None, None, None)
    assert not question.has_proof
    assert not AssistantQuestion.model_validate({"message": "x", "order_number": "1001"}).has_proof
    assert AssistantQuestion.model_validate(
        {"message": "x", "order_number": "1001", "email": "a@b"}
    ).has_proof
    assert AssistantQuestion.model_validate({"message": "x", "link": "v2.a.b"}).has_proof


@pytest.mark.parametrize(
    "body",
    [
        {"message": "x", "link": "v2.a.b", "email": "a@b"},
        {"message": "   "},
        {"message": "x", "order_number": 1001},
        {"message": "x", "surprise": True},
    ],
)
def test_malformed_questions_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        AssistantQuestion.model_validate(body)


# --- signed customer links ----------------------------------------------------------------------
def test_a_link_is_proof_for_its_order_at_its_store_until_it_expires() -> None:
    link = sign_link("demo", "450789469", NOW + timedelta(days=7), SECRET)
    assert link.startswith("v2.")
    assert order_of_link(link, "demo", NOW, [SECRET]) == "450789469"
    assert order_of_link(link, "demo", NOW + timedelta(days=7), [SECRET]) == "450789469"
    assert order_of_link(link, "demo", NOW + timedelta(days=7, seconds=1), [SECRET]) is None


def test_a_link_of_another_store_with_the_same_secret_is_refused() -> None:
    link = sign_link("shop-a", "1001", NOW + timedelta(days=7), SECRET)
    assert order_of_link(link, "shop-a", NOW, [SECRET]) == "1001"
    assert order_of_link(link, "shop-b", NOW, [SECRET]) is None


def test_a_link_signed_with_another_secret_is_refused_but_a_rotated_one_is_kept() -> None:
    link = sign_link("demo", "1001", NOW + timedelta(days=7), "old-secret")
    assert order_of_link(link, "demo", NOW, [SECRET]) is None
    assert order_of_link(link, "demo", NOW, [SECRET, "old-secret"]) == "1001"


def test_a_link_cannot_be_moved_to_another_order() -> None:
    mine = sign_link("demo", "1001", NOW + timedelta(days=7), SECRET)
    theirs = sign_link("demo", "1002", NOW + timedelta(days=7), SECRET)
    version, _, mac = mine.split(".")
    other_payload = theirs.split(".")[1]
    assert order_of_link(f"{version}.{other_payload}.{mac}", "demo", NOW, [SECRET]) is None


def test_links_of_the_first_version_are_refused() -> None:
    """v1 links were signed without the store: valid at any store sharing the secret."""
    v2 = sign_link("demo", "1001", NOW + timedelta(days=7), SECRET)
    assert order_of_link(v2.removeprefix("v2."), "demo", NOW, [SECRET]) is None
    assert order_of_link("v1." + v2.removeprefix("v2."), "demo", NOW, [SECRET]) is None


@given(st.text(max_size=120))
def test_any_text_is_no_link_and_never_an_error(text: str) -> None:
    assert order_of_link(text, "demo", NOW, [SECRET]) is None


@given(st.integers(min_value=0, max_value=200), st.sampled_from("AQg_-=.é"))
def test_a_tampered_link_is_refused(position: int, char: str) -> None:
    link = sign_link("demo", "450789469", NOW + timedelta(days=7), SECRET)
    index = position % len(link)
    tampered = link[:index] + char + link[index + 1 :]
    if tampered != link:
        assert order_of_link(tampered, "demo", NOW, [SECRET]) in (None, "450789469")
        # only a change base64 ignores (the padding bits of the last char) can keep the order id
        if order_of_link(tampered, "demo", NOW, [SECRET]) is not None:
            assert index == len(link) - 1


# --- carts --------------------------------------------------------------------------------------
def product(stock: dict[str, int | None], status: str = "active") -> Product:
    return Product(
        id="632910392",
        status=status,  # type: ignore[arg-type]
        variants=[Variant(id=v, product_id="632910392", inventory_quantity=q) for v, q in stock.items()],
    )


def test_shopify_cart_permalink_format() -> None:
    assert cart_url(store(), [("39072856", 1), ("457924702", 3)]) == (
        "https://demo-shop.myshopify.com/cart/39072856:1,457924702:3"
    )
    assert cart_url(store(), []) is None


def test_woocommerce_add_to_cart_link() -> None:
    assert (
        cart_url(store("woocommerce"), [("77", 2), ("78", 1)])
        == "https://woo.example/?add-to-cart=77&quantity=2"
    )


def test_order_again_leaves_out_sold_out_and_vanished_variants() -> None:
    stock = product({"39072856": 0, "457924702": None})  # 49148385 no longer exists
    answer = order_again(order(), store(), {"632910392": stock})
    assert answer.cart_url == "https://demo-shop.myshopify.com/cart/457924702:1"
    assert "2 item(s) are out of stock" in answer.reply


def test_order_again_without_product_knowledge_keeps_every_line() -> None:
    answer = order_again(order(), store(), {})
    assert answer.cart_url == "https://demo-shop.myshopify.com/cart/39072856:1,49148385:1,457924702:1"
    assert "out of stock" not in answer.reply


def test_order_again_of_an_archived_product_offers_nothing() -> None:
    archived = product({"39072856": 5, "49148385": 5, "457924702": 5}, status="archived")
    answer = order_again(order(), store(), {"632910392": archived})
    assert answer.cart_url is None
    assert "none of the items" in answer.reply


def test_order_again_merges_repeated_variants() -> None:
    twice = order()
    lines = [twice.line_items[0], twice.line_items[0].model_copy(update={"quantity": 2})]
    answer = order_again(twice.model_copy(update={"line_items": lines}), store(), {})
    assert answer.cart_url == "https://demo-shop.myshopify.com/cart/39072856:3"


def test_woocommerce_reorder_checks_variations_kept_under_their_own_id() -> None:
    raw = json.loads(load_fixture("woocommerce/order_created__rest-api-docs.json")[0])
    woo = parse_delivery("woocommerce", Topic.ORDER_CREATED, raw).resource
    assert isinstance(woo, Order)
    lines = [li for li in woo.line_items if li.quantity > 0]
    assert lines
    first = lines[0]
    item = first.variant_id or first.product_id
    assert item is not None
    unknown_stock = order_again(woo, store("woocommerce"), {})
    assert unknown_stock.cart_url == f"https://woo.example/?add-to-cart={item}&quantity={first.quantity}"
    # a variation's snapshot is kept under the variation's id, its parent's under the parent's:
    # the parent's snapshot (not listing the variation) does not make it unavailable
    parent = Product(
        id=first.product_id or item, variants=[Variant(id=first.product_id, inventory_quantity=5)]
    )
    assert order_again(woo, store("woocommerce"), {parent.id: parent}).cart_url == unknown_stock.cart_url
    sold_out = Product(id=first.product_id or item, variants=[Variant(id=item, inventory_quantity=0)])
    answer = order_again(woo, store("woocommerce"), {item: sold_out})
    assert answer.cart_url is None or f"add-to-cart={item}&" not in answer.cart_url


# --- status answers ----------------------------------------------------------------------------
def test_status_answer_names_carrier_tracking_link_and_last_event() -> None:
    answer = where_is(order(fulfillments=[]), [shipment()], "Europe/Berlin")
    assert answer.order is not None
    assert answer.order["status"] == "shipped"
    assert answer.order["last_event_at"] == "2026-11-20T09:00:00+00:00"
    for part in ("UPS", "1Z2345", "https://ups.example/1Z2345", "in transit", "20 Nov 2026, 10:00 CET"):
        assert part in answer.reply


def test_the_newest_version_of_a_shipment_wins() -> None:
    older = shipment(shipment_status="in_transit", updated_at=datetime(2026, 11, 20, tzinfo=UTC))
    newer = shipment(shipment_status="delivered", updated_at=datetime(2026, 11, 22, tzinfo=UTC))
    snapshot_copy = order(fulfillments=[])
    snapshot_copy = snapshot_copy.model_copy(update={"fulfillments": [newer]})
    assert order_status(snapshot_copy, [older])["status"] == "delivered"  # a late update loses
    assert order_status(order(fulfillments=[]), [older, newer])["last_event"] == "delivered"


def test_the_newest_shipment_of_several_is_the_last_event() -> None:
    first = shipment(id="1", shipment_status="delivered", updated_at=datetime(2026, 11, 20, tzinfo=UTC))
    second = shipment(
        id="2",
        shipment_status="out_for_delivery",
        tracking_company="DHL",
        tracking_numbers=["JD1"],
        updated_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    status = order_status(order(fulfillments=[]), [second, first])
    assert (status["carrier"], status["tracking_number"], status["last_event"]) == (
        "DHL",
        "JD1",
        "out_for_delivery",
    )


def test_cancelled_shipments_and_other_orders_shipments_are_not_shown() -> None:
    cancelled = shipment(status="cancelled", updated_at=datetime(2026, 11, 23, tzinfo=UTC))
    foreign = shipment(id="9", order_id="999", tracking_numbers=["NOPE"])
    status = order_status(order(fulfillments=[]), [cancelled, foreign])
    assert status["status"] == "being prepared"
    assert status["tracking_number"] is None


def test_a_cancelled_order_says_so() -> None:
    status = order_status(order(fulfillments=[], cancelled_at="2026-11-21T10:00:00Z"), [shipment()])
    assert status["status"] == "cancelled"
