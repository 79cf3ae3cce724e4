"""Adapters on the real payloads in tests/events/real: every file parses, values come out exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from storekit.adapters import (
    EntityKind,
    Parsed,
    Topic,
    canonical_topic,
    key_delivery,
    key_payload,
    parse_delivery,
)
from storekit.errors import MalformedPayload
from storekit.models import (
    Checkout,
    Customer,
    Dispute,
    Fulfillment,
    InventoryItem,
    InventoryLevel,
    Order,
    Product,
    Refund,
    Shop,
)
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


def real(relpath: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(load_fixture(relpath)[0])
    return payload


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


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ingest_key_is_the_full_parse_key_on_every_real_fixture(path: Path) -> None:
    """Ingest keys an event from the raw shape alone; the dispatcher's full parse must name the same
    entity and updated_at (the stored item is keyed by ingest's, the resource built by dispatch)."""
    platform, header = topic_for(path)
    topic = canonical_topic(platform, header)
    assert topic is not None
    body = path.read_bytes()
    parsed = parse_delivery(platform, topic, json.loads(body))
    full = (parsed.topic, parsed.entity_kind, parsed.entity_id, parsed.updated_at)
    for key in (key_delivery(platform, topic, body), key_payload(platform, topic, json.loads(body))):
        assert key is not None
        assert (key.topic, key.entity_kind, key.entity_id, key.updated_at) == full


def test_key_from_bytes_leaves_json_it_does_not_read_to_json_loads() -> None:
    body, _ = load_fixture("shopify/orders_create__python-api-order.json")
    nested = body.rstrip()[:-1] + b', "note_attributes_x": ' + b"[" * 300 + b"]" * 300 + b"}"
    for refused in (b"\xef\xbb\xbf" + body, body.decode().encode("utf-16"), nested, b"{not json"):
        assert key_delivery("shopify", Topic.ORDER_CREATED, refused) is None
    key = key_payload("shopify", Topic.ORDER_CREATED, json.loads(nested))
    assert key.entity_id == parse("shopify/orders_create__python-api-order.json").entity_id
    with pytest.raises(MalformedPayload, match="body must be a JSON object"):
        key_delivery("shopify", Topic.ORDER_CREATED, b"[1, 2]")


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
    ordered = sum((li.price or Decimal("0")) * li.quantity for li in order.line_items)
    assert order.total_discounts == Decimal("25.00")
    assert ordered - order.total_discounts == order.subtotal == Decimal("374.00")
    assert sum(li.total_discount for li in order.line_items) == order.total_discounts  # allocations
    assert order.subtotal + (order.total_shipping or 0) == order.total == Decimal("394.00")
    assert all(li.sku is None for li in order.line_items)  # empty sku means none
    assert order.discount_codes[0].code == "Wing Test 0123B"
    assert order.discount_codes[0].amount == Decimal("20.00")
    assert order.client_ip == "223.197.189.54"
    assert order.customer is not None and order.customer.id == "8658316394796"
    assert order.source_name == "shopify_draft_order"
    assert parsed.updated_at == datetime(2025, 1, 23, 6, 59, 38, tzinfo=UTC)  # -05:00 converted


def test_line_discounts_come_from_discount_allocations() -> None:
    order = parse("shopify/orders_create__2025-store-line-item-discount.json").resource
    assert isinstance(order, Order)
    # the line's own total_discount says "0.00"; its discount_allocations hold the 5.00 off
    assert [li.total_discount for li in order.line_items] == [Decimal("5.00"), Decimal("0"), Decimal("0")]
    assert order.discount_codes == []  # an automatic discount is no code
    assert order.subtotal == Decimal("294.00")
    assert order.total == Decimal("304.00")


def test_percentage_discount_code() -> None:
    order = parse("shopify/orders_create__2025-store-percentage-discount.json").resource
    assert isinstance(order, Order)
    assert [code.type for code in order.discount_codes] == ["percentage"]


def test_cancelled_refunded_order_keeps_what_was_ordered() -> None:
    parsed = parse("shopify/orders_cancelled__2025-store-refunded.json")
    order = parsed.resource
    assert isinstance(order, Order)
    assert parsed.topic == Topic.ORDER_CANCELLED
    assert (order.total, order.current_total) == (Decimal("99.00"), Decimal("0.00"))
    assert order.financial_status == "refunded"
    assert order.cancel_reason == "customer"
    assert order.cancelled_at == datetime(2025, 1, 24, 2, 57, 18, tzinfo=UTC)  # -05:00 converted
    [refund] = order.refunds
    assert refund.total == Decimal("99.00")
    [line] = refund.refund_line_items
    assert (line.line_item_id, line.quantity, line.subtotal) == ("15515765276972", 1, Decimal("99"))


def test_marketing_consent_of_an_order_customer() -> None:
    order = parse("shopify/orders_create__2025-store-fixed-discount.json").resource
    assert isinstance(order, Order) and order.customer is not None
    assert (order.customer.accepts_email_marketing, order.customer.accepts_sms_marketing) == (False, False)
    consenting = parse_event("shopify/orders_create__sms-consent.json", "shopify", "orders/create").resource
    assert isinstance(consenting, Order) and consenting.customer is not None
    assert consenting.customer.accepts_sms_marketing


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


def test_modern_fulfillment_keeps_every_tracking_number_and_recipient() -> None:
    parsed = parse("shopify/fulfillments_create__hookdeck-2024-10.json")
    fulfillment = parsed.resource
    assert isinstance(fulfillment, Fulfillment)
    assert parsed.entity_id == "123456"
    assert fulfillment.tracking_company == "UPS"
    assert fulfillment.tracking_numbers == ["1z827wk74630"]
    assert fulfillment.tracking_url is not None and "trackNums=1z827wk74630" in fulfillment.tracking_url
    assert (fulfillment.email, fulfillment.phone, fulfillment.status) == (
        "jon@example.com",
        "555-555-SHIP",
        "pending",
    )
    assert parsed.updated_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)


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


def test_out_of_stock_variant_is_a_product_with_that_variant() -> None:
    parsed = parse("shopify/variants_out_of_stock__hookdeck-2024-10.json")
    product = parsed.resource
    assert isinstance(product, Product)
    [variant] = product.variants
    assert variant.id == "642667041472713922"  # from the GID, the number itself was rounded
    assert (variant.sku, variant.inventory_quantity) == ("example-shirt-s", 0)
    assert (variant.price, variant.compare_at_price) == (Decimal("19.99"), Decimal("24.99"))


def test_inventory_item_dispute_and_uninstall() -> None:
    item = parse("shopify/inventory_items_update__hookdeck-2024-10.json")
    assert isinstance(item.resource, InventoryItem)
    assert item.entity_id == "271878346596884015"
    assert (item.resource.sku, item.resource.cost, item.resource.tracked) == ("example-sku", None, True)
    dispute = parse("shopify/disputes_create__hookdeck-2024-10.json").resource
    assert isinstance(dispute, Dispute)
    assert (dispute.amount, dispute.currency, dispute.reason) == (Decimal("11.50"), "CAD", "fraudulent")
    assert dispute.evidence_due_by == datetime(2021, 12, 31, 0, 0, tzinfo=UTC)
    shop = parse("shopify/app_uninstalled__hookdeck-2024-10.json")
    assert isinstance(shop.resource, Shop)
    assert (shop.entity_kind, shop.entity_id, shop.resource.currency) == (EntityKind.SHOP, "548380009", "USD")


def test_abandoned_checkout_totals() -> None:
    parsed = parse("shopify/checkouts_update__hookdeck-2024-10.json")
    checkout = parsed.resource
    assert isinstance(checkout, Checkout)
    assert (parsed.topic, parsed.entity_id) == (Topic.CHECKOUT_UPDATED, "123123123")
    assert (checkout.subtotal, checkout.total_tax, checkout.total) == (
        Decimal("398.00"),
        Decimal("23.88"),
        Decimal("421.88"),
    )
    assert checkout.currency == "USD"
    assert checkout.abandoned_checkout_url is not None and "/recover" in checkout.abandoned_checkout_url
    assert not checkout.accepts_marketing


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
    assert order.fulfillment_status is None
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.line_items[1].title == "Ship Your Idea \u2013 Color: Black, Size: M Test"  # &ndash;
    assert order.source_name == "rest-api"
    assert order.payment is not None and order.payment.gateway == "bacs"


def test_woocommerce_partially_refunded_order() -> None:
    payload = real("woocommerce/order_updated__rest-api-docs.json")
    payload["refunds"] = [{"id": 726, "reason": "", "total": "-10.00"}]
    order = parse_delivery("woocommerce", Topic.ORDER_UPDATED, payload).resource
    assert isinstance(order, Order)
    assert order.financial_status == "partially_refunded"  # completed, with money returned
    assert (order.total, order.current_total) == (Decimal("29.35"), Decimal("19.35"))
    assert [r.total for r in order.refunds] == [Decimal("10.00")]


def test_woocommerce_customer() -> None:
    parsed = parse("woocommerce/customer_created__rest-api-docs.json")
    customer = parsed.resource
    assert isinstance(customer, Customer)
    assert (parsed.entity_id, customer.email, customer.phone) == (
        "25",
        "john.doe@example.com",
        "(555) 555-5555",
    )
    assert parsed.updated_at == datetime(2017, 3, 21, 19, 9, 30, tzinfo=UTC)


def test_woocommerce_products_price_and_sale() -> None:
    on_sale = parse("woocommerce/product.created__hookdeck.json").resource
    assert isinstance(on_sale, Product)
    assert (on_sale.id, on_sale.title, on_sale.status) == ("18", "Perpemint", "active")
    [variant] = on_sale.variants
    assert (variant.price, variant.compare_at_price) == (Decimal("150"), Decimal("200"))
    regular = parse("woocommerce/product_created__rest-api-docs.json").resource
    assert isinstance(regular, Product)
    assert (regular.variants[0].price, regular.variants[0].compare_at_price) == (Decimal("21.99"), None)


def test_woocommerce_order_attribution() -> None:
    order = parse_event(
        "woocommerce/order_created__with-attribution.json", "woocommerce", "order.created"
    ).resource
    assert isinstance(order, Order)
    assert order.utm == {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring-sale"}
    assert order.referring_site == "https://mail.example.com/"
    assert order.landing_site == "https://woo.example/shop/?utm_source=newsletter"
    assert order.attribution_source_type == "utm"
    assert order.source_name == "checkout"
    assert order.client_ip is None  # the documentation example has an empty customer_ip_address


def test_woocommerce_direct_visit_has_no_campaign() -> None:
    order = parse_event(
        "woocommerce/order_created__typein-attribution.json", "woocommerce", "order.created"
    ).resource
    assert isinstance(order, Order)
    assert order.attribution_source_type == "typein"
    assert order.utm == {}  # "(direct)" and "(none)" are WooCommerce's words for nothing
    assert order.referring_site is None
    assert order.landing_site == "https://woo.example/product/ship-your-idea/"


def test_woocommerce_shipment_tracking_meta() -> None:
    order = parse_event(
        "woocommerce/order_updated__with-shipment-tracking.json", "woocommerce", "order.updated"
    ).resource
    assert isinstance(order, Order)
    assert order.fulfillment_status == "fulfilled"
    [shipment] = order.fulfillments
    assert shipment.tracking_company == "USPS"
    assert shipment.tracking_number == "9400111899223817574657"
    assert shipment.created_at == datetime(2024, 4, 1, tzinfo=UTC)  # date_shipped 1711929600
    assert shipment.order_id == "727"


def test_unreadable_shipment_tracking_meta_never_costs_the_order() -> None:
    payload = json.loads((EVENTS / "woocommerce/order_updated__with-shipment-tracking.json").read_bytes())
    tracking = payload["meta_data"][-1]["value"]
    payload["meta_data"][-1]["value"] = [{"tracking_number": {"bad": 1}}, "x", *tracking]
    order = parse_delivery("woocommerce", Topic.ORDER_UPDATED, payload).resource
    assert isinstance(order, Order)
    assert [f.tracking_number for f in order.fulfillments] == ["9400111899223817574657"]


def test_woocommerce_refund_and_variation() -> None:
    refund = parse("woocommerce/order_refund__rest-api-docs.json").resource
    assert isinstance(refund, Refund)
    assert (refund.order_id, refund.total) == ("723", Decimal("10.00"))
    variation = parse("woocommerce/product_variation__rest-api-docs.json")
    product = variation.resource
    assert isinstance(product, Product)
    assert product.id == "22"  # the parent, from _links.up
    assert variation.entity_id == "732"  # each variation's updates are ordered on their own
    assert (product.variants[0].id, product.variants[0].price) == ("732", Decimal("9.00"))


def test_woocommerce_refund_lines_are_positive_and_point_at_the_order_line() -> None:
    refund = parse_event(
        "woocommerce/order_refund__with-line-items.json", "woocommerce", "order_refund.created"
    ).resource
    assert isinstance(refund, Refund)
    assert (refund.total, refund.note) == (Decimal("12.00"), "Wrong size")
    [line] = refund.refund_line_items
    assert (line.line_item_id, line.quantity, line.subtotal) == ("316", 1, Decimal("12.00"))


@pytest.mark.parametrize(
    ("platform", "header", "expected"),
    [
        ("shopify", "orders/create", Topic.ORDER_CREATED),
        ("shopify", "ORDERS/CREATE", Topic.ORDER_CREATED),
        ("shopify", " customers/redact ", Topic.CUSTOMER_REDACT),
        ("woocommerce", "Order.Updated", Topic.ORDER_UPDATED),
        ("woocommerce", "coupon.created", None),
        ("woocommerce", "order_refund.created", Topic.REFUND_CREATED),
        ("woocommerce", "product.restored", Topic.PRODUCT_UPDATED),
        ("shopify", "bulk_operations/finish", None),
        ("shopify", "orders/edited", None),  # its body is an order_edit, not an order
        ("shopify", "fulfillment_events/create", Topic.FULFILLMENT_EVENT_CREATED),
        ("shopify", "orders/risk_assessment_changed", Topic.ORDER_RISK_CHANGED),
        ("Shopify", "products/delete", Topic.PRODUCT_DELETED),
        ("woocommerce", "orders/create", None),
        ("magento", "orders/create", None),
        ("shopify", "", None),
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


def test_a_broken_landing_site_never_costs_the_order() -> None:
    payload = real("shopify/orders_create__python-api-order.json")
    payload["landing_site"] = "http://[::1/?utm_source=x"
    order = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(order, Order)
    assert order.utm == {}


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("total_price", "1e300", "total_price"),
        ("total_price", 5e-324, "total_price"),
        ("total_price", "1_000.00", "total_price"),
        ("total_price", "12,50", "total_price"),
        ("updated_at", "0001-01-01T00:00:00+05:00", "updated_at"),
        ("updated_at", "yesterday", "updated_at"),
        ("line_items", [{"quantity": 10**30}], "line_items.0.quantity"),
        ("id", None, "order has no id"),
    ],
)
def test_bad_values_are_malformed_and_named_without_echoing(field: str, value: Any, named: str) -> None:
    payload = real("shopify/orders_create__python-api-order.json")
    payload[field] = value
    payload.pop("admin_graphql_api_id", None)
    with pytest.raises(MalformedPayload) as caught:
        parse_delivery("shopify", Topic.ORDER_CREATED, payload)
    assert named in str(caught.value)
    assert str(value) not in str(caught.value) or value is None
    # ingest's shape check refuses the same body the same way (a 400 before anything is written)
    with pytest.raises(MalformedPayload) as at_ingest:
        key_delivery("shopify", Topic.ORDER_CREATED, json.dumps(payload).encode())
    assert str(at_ingest.value) == str(caught.value)


def test_a_body_the_shape_takes_but_the_canonical_parse_refuses_is_keyed_at_ingest() -> None:
    """Two shipping lines each within range whose sum is not (over 10**15): the raw shape is
    fine, so ingest keys and keeps the event; the dispatcher's full parse refuses it (and marks the
    event failed with this reason: tests/integration/test_engine.py)."""
    payload = real("shopify/orders_create__python-api-order.json")
    payload["total_shipping_price_set"] = None
    payload["shipping_lines"] = [{"price": "900000000000000"}] * 2
    key = key_delivery("shopify", Topic.ORDER_CREATED, json.dumps(payload).encode())
    assert key is not None and key.entity_id
    with pytest.raises(MalformedPayload, match="total_shipping"):
        parse_delivery("shopify", Topic.ORDER_CREATED, payload)


@pytest.mark.parametrize(
    ("platform", "topic"),
    [("woocommerce", Topic.CART_UPDATED), ("magento", Topic.ORDER_CREATED), (None, Topic.ORDER_CREATED)],
)
def test_topics_a_platform_does_not_send_are_malformed(platform: Any, topic: Topic) -> None:
    with pytest.raises(MalformedPayload):
        parse_delivery(platform, topic, {"id": 1})


def test_woocommerce_tip_fee_lines_are_the_orders_tip() -> None:
    order = parse_event("woocommerce/order_created__with-tip.json", "woocommerce", "order.created").resource
    assert isinstance(order, Order)
    assert order.total_tip == Decimal("5.00")
    plain = parse_event(
        "woocommerce/order_created__with-attribution.json", "woocommerce", "order.created"
    ).resource
    assert isinstance(plain, Order) and plain.total_tip is None


@pytest.mark.parametrize(
    ("name", "is_tip"),
    [
        ("Tip", True),
        ("Tips for the team", True),
        ("Gratuity", True),
        ("Trinkgeld", True),
        ("Gift wrap", False),
        ("Shipping tip-top box", False),
        ("Add a tip", True),
        ("Multiple", False),
        ("Stipend", False),
    ],
)
def test_only_tip_named_fees_count_as_tips(name: str, is_tip: bool) -> None:
    from storekit.adapters.woocommerce import WFeeLine, tips_of

    found = tips_of([WFeeLine(name=name, total=Decimal("2.50"))])
    assert found == (Decimal("2.50") if is_tip else None)
