"""Adapters on the real payloads in ../shared/fixtures: every file parses, values come out exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from storekit.adapters import EntityKind, Parsed, Topic, canonical_topic, parse_delivery
from storekit.models import Checkout, Customer, Fulfillment, InventoryLevel, Order, Product, Refund
from tests.payloads import FIXTURES, fixture_files, load_fixture, topic_for

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"


def parse(relpath: str, topic: str | None = None) -> Parsed:
    path = FIXTURES / relpath
    platform, header = topic_for(path)
    canonical = canonical_topic(platform, topic or header)
    assert canonical is not None, header
    return parse_delivery(platform, canonical, json.loads(path.read_bytes()))


def parse_event(relpath: str, platform: str, header: str) -> Parsed:
    canonical = canonical_topic(platform, header)
    assert canonical is not None
    return parse_delivery(platform, canonical, json.loads((EVENTS / relpath).read_bytes()))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_fixture_parses(path: Path) -> None:
    platform, header = topic_for(path)
    topic = canonical_topic(platform, header)
    assert topic is not None, f"{platform} topic {header} is not mapped"
    parsed = parse_delivery(platform, topic, json.loads(path.read_bytes()))
    assert parsed.topic == topic
    assert parsed.entity_id
    if parsed.updated_at is not None:
        assert parsed.updated_at.tzinfo is not None
        assert parsed.updated_at.utcoffset() == UTC.utcoffset(None)


def test_there_are_fixtures_to_test() -> None:
    assert len(fixture_files()) >= 40


def test_modern_order_money_discounts_and_customer() -> None:
    parsed = parse("shopify/orders_create__2025-store-fixed-discount.json")
    order = parsed.resource
    assert isinstance(order, Order)
    assert order.id == "6198432301356"
    assert order.total == Decimal("394.00")
    assert order.currency == "HKD"
    assert [li.price for li in order.line_items] == [
        Decimal("99.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("100.00"),
    ]
    assert (
        sum((li.price or 0) * li.quantity for li in order.line_items) - order.total_discounts
        == order.subtotal
    )
    assert all(li.sku is None for li in order.line_items)  # empty sku means none
    assert order.discount_codes[0].code == "Wing Test 0123B"
    assert order.discount_codes[0].amount == Decimal("20.00")
    assert order.client_ip == "223.197.189.54"
    assert order.customer is not None and order.customer.id == "8658316394796"
    assert order.source_name == "shopify_draft_order"
    assert parsed.updated_at == datetime(2025, 1, 23, 6, 59, 38, tzinfo=UTC)  # -05:00 converted


def test_guest_order_has_no_customer() -> None:
    order = parse("shopify/orders_create__2025-store-guest.json").resource
    assert isinstance(order, Order)
    assert order.customer is None


def test_fraud_signals_of_the_aud_order() -> None:
    order = parse("shopify/orders_create__bag-server-test-order-AUD.json").resource
    assert isinstance(order, Order)
    assert order.currency == "AUD"
    assert order.total == Decimal("59.45")
    assert order.payment is not None
    assert (order.payment.avs_result_code, order.payment.cvv_result_code) == ("Y", "M")
    assert order.payment.credit_card_bin == "424242"
    assert order.payment.credit_card_company == "Visa"
    assert order.client_ip == "49.180.247.34"
    assert order.accept_language == "en-GB,en-US;q=0.9,en;q=0.8"
    assert order.user_agent is not None and "Chrome/87" in order.user_agent


def test_rounded_sample_id_is_taken_from_the_gid() -> None:
    parsed = parse("shopify/orders_create__hookdeck-2024-10.json")
    assert parsed.entity_id == "820982911946154508"
    order = parsed.resource
    assert isinstance(order, Order)
    assert order.tags == ["tag1", "tag2"]
    assert [li.sku for li in order.line_items] == ["IPOD2008PINK", "IPOD2008PINK"]


def test_same_body_under_each_order_topic() -> None:
    for topic in ("orders_create", "orders_paid", "orders_updated", "orders_cancelled", "orders_fulfilled"):
        parsed = parse(f"shopify/{topic}__hookdeck-2024-10.json")
        assert parsed.entity_kind == EntityKind.ORDER
    assert parse("shopify/orders_paid__hookdeck-2024-10.json").topic == Topic.ORDER_PAID


def test_old_order_shape_with_fulfillments() -> None:
    order = parse("shopify/orders_create__python-api-order.json").resource
    assert isinstance(order, Order)
    assert order.referring_site == "http://www.otherexample.com"
    assert order.fulfillments and order.fulfillments[0].status


def test_utm_parameters_are_read_from_the_landing_site() -> None:
    order = parse_event("shopify/orders_create__utm-instagram.json", "shopify", "orders/create").resource
    assert isinstance(order, Order)
    assert order.utm == {
        "utm_source": "instagram",
        "utm_medium": "social",
        "utm_campaign": "Black Friday 2026",
    }


def test_fulfillment_tracking() -> None:
    fulfillment = parse("shopify/fulfillments_create__python-api-fulfillment.json").resource
    assert isinstance(fulfillment, Fulfillment)
    assert fulfillment.tracking_number == "1Z2345"
    assert fulfillment.tracking_company == "null-company"
    assert fulfillment.tracking_url == "http://www.google.com/search?q=1Z2345"
    assert [li.sku for li in fulfillment.line_items] == ["IPOD2008GREEN"]


def test_refund_total_is_the_sum_of_refund_transactions() -> None:
    refund = parse("shopify/refunds_create__python-api-refund.json").resource
    assert isinstance(refund, Refund)
    assert refund.total == Decimal("209.00")
    assert refund.order_id == "450789469"


def test_product_variants_and_inventory() -> None:
    product = parse("shopify/products_update__python-api-product.json").resource
    assert isinstance(product, Product)
    assert len(product.variants) == 4
    assert all(v.sku for v in product.variants)
    level = parse("shopify/inventory_levels_update__python-api.json").resource
    assert isinstance(level, InventoryLevel)
    assert level.inventory_item_id == "808950810"


def test_customer_and_checkout() -> None:
    customer = parse("shopify/customers_create__python-api-customer.json").resource
    assert isinstance(customer, Customer)
    assert customer.total_spent is not None and isinstance(customer.total_spent, Decimal)
    checkout = parse("shopify/checkouts_create__python-api-checkout.json").resource
    assert isinstance(checkout, Checkout)
    assert checkout.token == "2a1ace52255252df566af0faaedfbfa7"
    assert checkout.line_items


def test_woocommerce_order() -> None:
    order = parse("woocommerce/order_created__rest-api-docs.json").resource
    assert isinstance(order, Order)
    assert order.id == "727"
    assert order.email == "john.doe@example.com"
    assert order.total == Decimal("29.35")
    assert order.subtotal == Decimal("18.00")
    assert order.total_shipping == Decimal("10.00")
    assert [(li.sku, li.quantity) for li in order.line_items] == [(None, 2), ("Bar3", 1)]
    assert order.line_items[1].variant_id == "23"
    assert order.customer is None  # customer_id 0 is a guest
    assert order.financial_status == "paid"  # processing
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def test_woocommerce_order_attribution() -> None:
    order = parse_event(
        "woocommerce/order_created__with-attribution.json", "woocommerce", "order.created"
    ).resource
    assert isinstance(order, Order)
    assert order.utm == {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring-sale"}
    assert order.referring_site == "https://mail.example.com/"
    assert order.source_name == "checkout"


def test_woocommerce_shipment_tracking_meta() -> None:
    order = parse_event(
        "woocommerce/order_updated__with-shipment-tracking.json", "woocommerce", "order.updated"
    ).resource
    assert isinstance(order, Order)
    assert order.fulfillment_status == "fulfilled"
    [shipment] = order.fulfillments
    assert shipment.tracking_company == "USPS"
    assert shipment.tracking_number == "9400111899223817574657"


def test_woocommerce_refund_and_variation() -> None:
    refund = parse("woocommerce/order_refund__rest-api-docs.json").resource
    assert isinstance(refund, Refund)
    assert (refund.order_id, refund.total) == ("723", Decimal("10.00"))
    product = parse("woocommerce/product_variation__rest-api-docs.json").resource
    assert isinstance(product, Product)
    assert product.id == "22"
    assert product.variants[0].id == "732"


@pytest.mark.parametrize(
    ("platform", "header", "expected"),
    [
        ("shopify", "orders/create", Topic.ORDER_CREATED),
        ("shopify", "ORDERS/CREATE", Topic.ORDER_CREATED),
        ("shopify", " customers/redact ", Topic.CUSTOMER_REDACT),
        ("woocommerce", "Order.Updated", Topic.ORDER_UPDATED),
        ("woocommerce", "coupon.created", None),
        ("shopify", "bulk_operations/finish", None),
        ("magento", "orders/create", None),
    ],
)
def test_canonical_topic(platform: str, header: str, expected: Topic | None) -> None:
    assert canonical_topic(platform, header) == expected


def test_recorded_headers_are_loaded_lower_case() -> None:
    _, headers = load_fixture("woocommerce/product.created__hookdeck.json")
    assert headers["x-wc-webhook-topic"] == "product.created"


def test_money_is_never_a_float() -> None:
    payload: dict[str, Any] = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
    payload["total_price"] = 0.1 + 0.2
    order = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(order, Order)
    assert order.total == Decimal("0.30000000000000004")
