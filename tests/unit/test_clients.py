"""Outbound clients against recorded HTTP answers (`responses`): exact requests, typed outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st

from storekit.clients import (
    MessageTemplate,
    ShopifyClient,
    SlackChannel,
    WebhookChannel,
    WooClient,
    normalize_phone,
    render_message,
    verify_signature,
)
from storekit.clients.http import retry_after_seconds
from storekit.clock import FixedClock
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

SHOP = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
WOO = "https://woo.example/wp-json/wc/v3"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.fixture
def shopify() -> ShopifyClient:
    return ShopifyClient("demo-shop.myshopify.com", "shpat_x", requests.Session())


@pytest.fixture
def woo() -> WooClient:
    return WooClient("https://woo.example", "ck_x", "cs_x", requests.Session())


def sent(mock: responses.RequestsMock, index: int = 0) -> dict:  # type: ignore[type-arg]
    body = mock.calls[index].request.body
    return json.loads(body)  # type: ignore[arg-type]


@responses.activate
def test_tags_add_sends_the_mutation_with_a_gid(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP, json={"data": {"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}}
    )
    shopify.add_tags("Order", "1", ["vip", "channel:pos"])
    request = responses.calls[0].request
    assert request.headers["X-Shopify-Access-Token"] == "shpat_x"
    body = json.loads(request.body)  # type: ignore[arg-type]
    assert "tagsAdd(id: $id, tags: $tags)" in body["query"]
    assert body["variables"] == {"id": "gid://shopify/Order/1", "tags": ["vip", "channel:pos"]}


@responses.activate
def test_money_goes_out_as_exact_strings(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP, json={"data": {"productVariantsBulkUpdate": {"productVariants": [], "userErrors": []}}}
    )
    shopify.set_variant_price("10", "20", Decimal("19.99"), Decimal("24.90"))
    variables = json.loads(responses.calls[0].request.body)["variables"]  # type: ignore[arg-type]
    assert variables["variants"] == [
        {"id": "gid://shopify/ProductVariant/20", "price": "19.99", "compareAtPrice": "24.90"}
    ]


@responses.activate
def test_http_429_is_throttled_with_retry_after(shopify: ShopifyClient) -> None:
    responses.post(SHOP, status=429, headers={"Retry-After": "2.0"})
    with pytest.raises(Throttled) as info:
        shopify.add_tags("Order", "1", ["a"])
    assert info.value.retry_after == 2.0


@responses.activate
def test_graphql_throttled_waits_for_the_query_cost(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP,
        json={
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {
                "cost": {
                    "requestedQueryCost": 202,
                    "actualQueryCost": None,
                    "throttleStatus": {
                        "maximumAvailable": 2000.0,
                        "currentlyAvailable": 2,
                        "restoreRate": 100.0,
                    },
                }
            },
        },
    )
    with pytest.raises(Throttled) as info:
        shopify.add_tags("Order", "1", ["a"])
    assert info.value.retry_after == pytest.approx(2.0)


@pytest.mark.parametrize("status", [500, 502, 503, 408])
@responses.activate
def test_server_errors_are_transient(shopify: ShopifyClient, status: int) -> None:
    responses.post(SHOP, status=status)
    with pytest.raises(TransientError):
        shopify.add_tags("Order", "1", ["a"])


@responses.activate
def test_network_failure_is_transient(shopify: ShopifyClient) -> None:
    responses.post(SHOP, body=requests.ConnectionError("reset"))
    with pytest.raises(TransientError):
        shopify.add_tags("Order", "1", ["a"])


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@responses.activate
def test_client_errors_are_permanent(shopify: ShopifyClient, status: int) -> None:
    responses.post(SHOP, status=status)
    with pytest.raises(PermanentError, match=str(status)):
        shopify.add_tags("Order", "1", ["a"])


@responses.activate
def test_user_errors_are_permanent_and_named(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP,
        json={
            "data": {
                "orderCancel": {
                    "job": None,
                    "orderCancelUserErrors": [
                        {"field": ["orderId"], "message": "Order has already been cancelled"}
                    ],
                }
            }
        },
    )
    with pytest.raises(PermanentError, match="orderId: Order has already been cancelled"):
        shopify.cancel_order("5", "fraud", refund=True, restock=True, notify_customer=False)
    variables = json.loads(responses.calls[0].request.body)["variables"]  # type: ignore[arg-type]
    assert variables == {
        "orderId": "gid://shopify/Order/5",
        "reason": "FRAUD",
        "refund": True,
        "restock": True,
        "notifyCustomer": False,
    }


@responses.activate
def test_hold_fulfillment_holds_each_open_fulfillment_order(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP,
        json={
            "data": {
                "order": {
                    "fulfillmentOrders": {
                        "nodes": [
                            {"id": "gid://shopify/FulfillmentOrder/1", "status": "OPEN"},
                            {"id": "gid://shopify/FulfillmentOrder/2", "status": "CLOSED"},
                        ]
                    }
                }
            }
        },
    )
    responses.post(
        SHOP, json={"data": {"fulfillmentOrderHold": {"fulfillmentOrder": {"id": "x"}, "userErrors": []}}}
    )
    assert shopify.hold_fulfillment("7", "fraud risk", "AVS mismatch") == 1
    hold = json.loads(responses.calls[1].request.body)["variables"]  # type: ignore[arg-type]
    assert hold["id"] == "gid://shopify/FulfillmentOrder/1"


@responses.activate
def test_discount_code_percentage(shopify: ShopifyClient) -> None:
    responses.post(
        SHOP,
        json={
            "data": {
                "discountCodeBasicCreate": {
                    "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/9"},
                    "userErrors": [],
                }
            }
        },
    )
    made = shopify.create_discount_code(
        title="VIP",
        code="VIP10",
        percentage=Decimal("10"),
        amount=None,
        currency_code=None,
        starts_at=NOW,
        ends_at=None,
        usage_limit=1,
        once_per_customer=True,
    )
    assert made == "gid://shopify/DiscountCodeNode/9"
    discount = json.loads(responses.calls[0].request.body)["variables"]["basicCodeDiscount"]  # type: ignore[arg-type]
    assert discount["customerGets"]["value"] == {"percentage": 0.1}
    assert discount["code"] == "VIP10"


@responses.activate
def test_woocommerce_requests_and_auth(woo: WooClient) -> None:
    responses.put(f"{WOO}/orders/727", json={"id": 727})
    responses.put(f"{WOO}/products/22/variations/23", json={"id": 23})
    woo.set_order_meta("727", "_storeflow_tags", "channel:online-store")
    woo.set_prices("22", Decimal("12.00"), Decimal("9.99"), variation_id="23")
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert json.loads(responses.calls[0].request.body) == {  # type: ignore[arg-type]
        "meta_data": [{"key": "_storeflow_tags", "value": "channel:online-store"}]
    }
    assert json.loads(responses.calls[1].request.body) == {  # type: ignore[arg-type]
        "regular_price": "12.00",
        "sale_price": "9.99",
    }


@responses.activate
def test_woocommerce_errors_are_typed(woo: WooClient) -> None:
    responses.put(f"{WOO}/orders/1", status=429, headers={"Retry-After": "7"})
    responses.put(f"{WOO}/orders/2", status=404, json={"code": "woocommerce_rest_shop_order_invalid_id"})
    responses.put(f"{WOO}/orders/3", status=503)
    with pytest.raises(Throttled):
        woo.set_order_status("1", "cancelled")
    with pytest.raises(PermanentError):
        woo.set_order_status("2", "cancelled")
    with pytest.raises(TransientError):
        woo.set_order_status("3", "cancelled")


def test_woocommerce_keys_never_go_over_plain_http() -> None:
    with pytest.raises(ConfigurationError):
        WooClient("http://woo.example", "ck", "cs", requests.Session())


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("5") == 5
    assert retry_after_seconds("Tue, 24 Nov 2026 12:00:30 GMT", now=NOW.timestamp()) == 30
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@responses.activate
def test_slack_posts_text_and_maps_errors() -> None:
    url = "https://hooks.slack.com/services/T/B/x"
    responses.post(url, body="ok")
    responses.post(url, status=400, body="invalid_payload")
    slack = SlackChannel(requests.Session())
    slack.post(url, "Order #1001 failed delivery")
    assert json.loads(responses.calls[0].request.body) == {"text": "Order #1001 failed delivery"}  # type: ignore[arg-type]
    with pytest.raises(PermanentError):
        slack.post(url, "again")
    with pytest.raises(ConfigurationError):
        slack.post("https://evil.example/hook", "x")


@responses.activate
def test_outbound_webhook_is_signed_and_verifiable() -> None:
    responses.post("https://erp.example/hooks", status=204)
    WebhookChannel(requests.Session(), FixedClock(NOW)).post(
        "https://erp.example/hooks", {"order": "1001", "total": "19.99"}, "s3cret", event_id="a-1"
    )
    request = responses.calls[0].request
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    assert request.headers["X-Storeflow-Event-Id"] == "a-1"
    assert verify_signature(
        body,
        request.headers["X-Storeflow-Timestamp"],
        request.headers["X-Storeflow-Signature"],
        "s3cret",
        NOW,
    )
    assert not verify_signature(
        body, request.headers["X-Storeflow-Timestamp"], request.headers["X-Storeflow-Signature"], "other", NOW
    )


@given(body=st.binary(min_size=1, max_size=512), index=st.integers(min_value=0))
def test_tampering_any_byte_fails_outbound_verification(body: bytes, index: int) -> None:
    from storekit.clients.webhook import signature

    timestamp = str(int(NOW.timestamp()))
    good = signature(body, timestamp, "k")
    assert verify_signature(body, timestamp, good, "k", NOW)
    tampered = bytearray(body)
    tampered[index % len(body)] ^= 0x01
    assert not verify_signature(bytes(tampered), timestamp, good, "k", NOW)


def test_stale_outbound_signature_is_refused() -> None:
    from storekit.clients.webhook import signature

    old = str(int(NOW.timestamp()) - 3600)
    assert not verify_signature(b"{}", old, signature(b"{}", old, "k"), "k", NOW)


def test_templates_escape_html_but_not_text() -> None:
    rendered = render_message(
        None, "notice", {"store_name": "Bob's <Shop>", "heading": "Shipped", "body": "<b>x</b>"}
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in rendered.html
    assert "<b>x</b>" in rendered.text
    assert rendered.subject == "Shipped - Bob's <Shop>"


def test_template_typo_is_a_clear_permanent_error() -> None:
    custom = MessageTemplate(subject="Hi {{ nmae }}", html="<p>x</p>", text="x")
    with pytest.raises(PermanentError, match="nmae"):
        render_message(custom, "custom", {"name": "Ann"})


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-0132", "US", "+14155550132"),
        ("+61 491 570 156", "US", "+61491570156"),
        ("030 901820", "DE", "+4930901820"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555"])
def test_invalid_phone_numbers_are_permanent_errors_without_digits(raw: str) -> None:
    with pytest.raises(PermanentError) as info:
        normalize_phone(raw)
    assert not any(ch.isdigit() for ch in str(info.value))
