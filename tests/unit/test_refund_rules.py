"""Refund and store-credit rules on real cancelled orders (tests/events, hand-edited from real
payloads): what is decided, what each money movement would send, and that it is sent once."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
import requests
import responses
from pydantic import ValidationError

from functions.engine.perform import render
from functions.fraud.models import RiskSettings
from functions.fraud.money import credit_code, money_key
from functions.fraud.refunds import MoneyMoved, RefundSettings, refund_rule
from functions.fraud.risk import band_actions
from functions.fraud.signals import Score, Signal
from storekit import actions as a
from storekit.adapters import canonical_topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.clients import ShopifyClient
from storekit.clients.shopify import refund_call
from storekit.errors import PermanentError
from storekit.models import Order
from storekit.outbound import ApiCall
from storekit.store import StoreConfig

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SHOP = "demo-shop.myshopify.com"
REFUND_URL = f"https://{SHOP}/admin/api/2026-01/graphql.json"
URL = f"https://{SHOP}/admin/api/2025-01/graphql.json"


def event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_bytes()))


def parsed(data: dict[str, Any], platform: str) -> Order:
    topic = canonical_topic(platform, "orders/cancelled" if platform == "shopify" else "order.updated")
    assert topic is not None
    resource = parse_delivery(platform, topic, data).resource
    assert isinstance(resource, Order)
    return resource


def shopify_cancelled(**changes: Any) -> Order:
    data = copy.deepcopy(event("shopify/orders_cancelled__paid-unfulfilled.json"))
    data.update(changes)
    return parsed(data, "shopify")


def woo_cancelled(**changes: Any) -> Order:
    data = copy.deepcopy(event("woocommerce/order_updated__cancelled-paid.json"))
    data.update(changes)
    return parsed(data, "woocommerce")


def store(platform: str = "shopify") -> StoreConfig:
    return StoreConfig(
        store_id="demo",
        platform=platform,
        shop_domain=SHOP if platform == "shopify" else "https://woo.example",
        name="Demo Shop",
        timezone="UTC",
        created_at=NOW,
        updated_at=NOW,
    )


def ctx(
    settings: RefundSettings, platform: str = "shopify", moved: list[dict[str, Any]] | None = None
) -> Any:
    meta = EventMeta(
        event_id="e1", platform=platform, topic="order.cancelled", delivery_id="d1", received_at="x"
    )
    return Context(
        store=store(platform), settings=settings, event=meta, now=NOW, related=MoneyMoved(moved or [])
    )


ON = RefundSettings(refund_cancelled_unfulfilled=True)


def preview(action: a.Action, platform: str = "shopify") -> ApiCall:
    return cast(ApiCall, render(action, store(platform), cast(Any, None)))


def test_off_by_default_the_run_says_what_it_would_refund() -> None:
    decision = refund_rule(shopify_cancelled(), ctx(RefundSettings()))
    assert list(decision) == []
    assert decision.reason == (
        "order #1065 was cancelled (customer) before fulfillment with 99.00 HKD captured: would refund "
        "99.00 HKD; money moves only when the store turns refund_cancelled_unfulfilled on"
    )


def test_a_paid_unfulfilled_cancelled_shopify_order_is_refunded_once_with_a_deterministic_key() -> None:
    [action] = refund_rule(shopify_cancelled(), ctx(ON))
    assert isinstance(action, a.RefundOrder)
    assert action.amount == Decimal("99.00") and action.currency == "HKD"
    assert action.reason == "cancelled-before-fulfillment"
    assert action.once_per == "money:6198821716268:cancelled-before-fulfillment"
    # the same order and reason always give the same key (a repeat delivery decides the same action)
    again = refund_rule(shopify_cancelled(), ctx(ON))[0]
    assert isinstance(again, a.RefundOrder)
    assert (
        again.idempotency_key == action.idempotency_key == money_key("demo", "6198821716268", action.reason)
    )
    call = preview(action)
    assert call.operation == "refundCreate" and call.url == REFUND_URL
    assert call.body is not None
    assert f'@idempotent(key: "{action.idempotency_key}")' in call.body["query"]
    assert call.body["variables"]["input"]["orderId"] == "gid://shopify/Order/6198821716268"
    assert call.body["variables"]["refundAmount"] == "99.00"
    assert call.reads_first is not None and "transactions" in call.reads_first


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"financial_status": "refunded"}, "it is refunded already"),
        ({"financial_status": "voided"}, "no money was captured (financial status voided)"),
        ({"fulfillment_status": "fulfilled"}, "was (partly) fulfilled before it was cancelled"),
        ({"cancelled_at": None}, "is not cancelled"),
    ],
)
def test_nothing_moves_when_there_is_nothing_to_give_back(changes: dict[str, Any], why: str) -> None:
    decision = refund_rule(shopify_cancelled(**changes), ctx(ON))
    assert list(decision) == []
    assert decision.reason is not None and why in decision.reason


def test_a_movement_already_recorded_for_the_order_is_never_made_again() -> None:
    moved = [
        {
            "kind": "refund_order",
            "amount": Decimal("99.00"),
            "currency": "HKD",
            "reason": "cancel-fraud",
            "status": "done",
        }
    ]
    decision = refund_rule(shopify_cancelled(), ctx(ON, moved=moved))
    assert list(decision) == []
    assert (
        decision.reason is not None
        and "already recorded refund_order of 99.00 HKD (cancel-fraud, done)" in decision.reason
    )


def test_store_credit_instead_of_a_refund_for_the_reasons_the_store_chose() -> None:
    settings = RefundSettings(
        refund_cancelled_unfulfilled=True, store_credit_reasons=["customer"], store_credit_expires_days=365
    )
    [action] = refund_rule(shopify_cancelled(), ctx(settings))
    assert isinstance(action, a.IssueStoreCredit)
    assert (action.amount, action.currency, action.customer_id) == (Decimal("99.00"), "HKD", "8658316394796")
    call = preview(action)
    assert call.operation == "storeCreditAccountCredit"
    assert call.body is not None
    assert call.body["variables"] == {
        "id": "gid://shopify/Customer/8658316394796",
        "creditInput": {
            "creditAmount": {"amount": "99.00", "currencyCode": "HKD"},
            "expiresAt": "2027-11-24T12:00:00.000000Z",
        },
    }
    # another reason is refunded
    other = refund_rule(shopify_cancelled(cancel_reason="inventory"), ctx(settings))
    assert isinstance(other[0], a.RefundOrder)


def test_fraud_is_never_a_store_credit_reason() -> None:
    with pytest.raises(ValidationError):
        RefundSettings.model_validate({"store_credit_reasons": ["fraud"]})


def test_woocommerce_cancelled_paid_order_refund_goes_through_the_gateway() -> None:
    [action] = refund_rule(woo_cancelled(), ctx(ON, "woocommerce"))
    assert isinstance(action, a.RefundOrder)
    assert action.amount == Decimal("29.35")
    call = preview(action, "woocommerce")
    assert (call.method, call.path) == ("POST", "/wp-json/wc/v3/orders/727/refunds")
    assert call.body == {
        "amount": "29.35",
        "reason": "order #727 cancelled before fulfillment (other)",
        "api_refund": True,
    }


def test_woocommerce_store_credit_is_a_coupon_for_the_customers_email_with_a_derived_code() -> None:
    settings = RefundSettings(refund_cancelled_unfulfilled=True, store_credit_reasons=["other"])
    [action] = refund_rule(woo_cancelled(), ctx(settings, "woocommerce"))
    assert isinstance(action, a.IssueStoreCredit)
    assert action.code == credit_code("demo", "727", "cancelled-before-fulfillment")
    call = preview(action, "woocommerce")
    assert (call.method, call.path) == ("POST", "/wp-json/wc/v3/coupons")
    assert call.body is not None
    assert call.body["discount_type"] == "fixed_cart" and call.body["amount"] == "29.35"
    assert call.body["email_restrictions"] == ["john.doe@example.com"]
    assert call.body["usage_limit"] == 1 and call.body["code"] == action.code


def test_a_woocommerce_order_never_paid_is_not_refunded() -> None:
    decision = refund_rule(woo_cancelled(date_paid_gmt=None), ctx(ON, "woocommerce"))
    assert list(decision) == []
    assert decision.reason is not None and "no money was captured" in decision.reason


def test_woocommerce_cancel_ends_cancelled_and_its_refund_is_a_separate_movement() -> None:
    order = parsed(
        json.loads((EVENTS / "real/woocommerce/order_updated__rest-api-docs.json").read_bytes())
        | {"status": "processing"},
        "woocommerce",
    )
    score = Score(total=95, signals=(Signal("cvv_no_match", 95, "CVV N"),), unavailable=())
    settings = RiskSettings(cancel_and_refund=True)
    actions, _ = band_actions(order, score, settings, store("woocommerce"))
    cancel = next(x for x in actions if isinstance(x, a.CancelOrder))
    refund = next(x for x in actions if isinstance(x, a.RefundOrder))
    assert preview(cancel, "woocommerce").body == {"status": "cancelled"}  # not "refunded"
    assert refund.reason == "fraud" and refund.amount == Decimal("29.35")
    # Shopify's orderCancel refunds by itself: no second movement there
    shop_actions, _ = band_actions(order, score, settings, store("shopify"))
    assert not any(isinstance(x, a.RefundOrder) for x in shop_actions)


@pytest.fixture
def http() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_the_shopify_refund_reads_the_captured_transactions_and_sends_the_key(http: Any) -> None:
    transactions = [
        {
            "id": "gid://shopify/OrderTransaction/1",
            "kind": "AUTHORIZATION",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "amountSet": {"shopMoney": {"amount": "99.00", "currencyCode": "HKD"}},
        },
        {
            "id": "gid://shopify/OrderTransaction/2",
            "kind": "CAPTURE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "amountSet": {"shopMoney": {"amount": "60.00", "currencyCode": "HKD"}},
        },
        {
            "id": "gid://shopify/OrderTransaction/3",
            "kind": "CAPTURE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "amountSet": {"shopMoney": {"amount": "39.00", "currencyCode": "HKD"}},
        },
    ]
    http.post(REFUND_URL, json={"data": {"order": {"transactions": transactions}}})
    http.post(
        REFUND_URL,
        json={"data": {"refundCreate": {"refund": {"id": "gid://shopify/Refund/9"}, "userErrors": []}}},
    )
    call = refund_call(SHOP, "6198821716268", Decimal("80.00"), "cancelled", False, "storeflow-" + "a" * 32)
    ShopifyClient(SHOP, "shpat_x", requests.Session()).send(call)
    body = json.loads(http.calls[1].request.body)
    assert '@idempotent(key: "storeflow-' in body["query"]
    assert body["variables"]["input"]["transactions"] == [
        {
            "orderId": "gid://shopify/Order/6198821716268",
            "parentId": "gid://shopify/OrderTransaction/2",
            "amount": "60.00",
            "gateway": "shopify_payments",
            "kind": "REFUND",
        },
        {
            "orderId": "gid://shopify/Order/6198821716268",
            "parentId": "gid://shopify/OrderTransaction/3",
            "amount": "20.00",
            "gateway": "shopify_payments",
            "kind": "REFUND",
        },
    ]
    assert "refundAmount" not in body["variables"]


def test_a_shopify_order_with_nothing_captured_is_refused_before_any_refund(http: Any) -> None:
    http.post(REFUND_URL, json={"data": {"order": {"transactions": []}}})
    call = refund_call(SHOP, "6198821716268", Decimal("10"), "x", False, "storeflow-" + "b" * 32)
    with pytest.raises(PermanentError, match="no captured transaction"):
        ShopifyClient(SHOP, "shpat_x", requests.Session()).send(call)
    assert len(http.calls) == 1


def test_a_refund_call_for_another_shop_is_refused() -> None:
    call = refund_call("other-shop.myshopify.com", "1", Decimal("1"), "x", False, "storeflow-" + "c" * 32)
    with pytest.raises(PermanentError, match="not for this shop"):
        ShopifyClient(SHOP, "shpat_x", requests.Session()).send(call)
    assert URL != REFUND_URL
