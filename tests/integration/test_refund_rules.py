"""Refund rules through signed webhooks, the stream and the executor (dry-run), on real cancelled
orders: one money movement per order and reason, however often the webhooks come."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import AUTH, body_json, put_store, shopify_headers, store_body, woo_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
CANCELLED = (EVENTS / "shopify" / "orders_cancelled__paid-unfulfilled.json").read_bytes()
WOO_CANCELLED = (EVENTS / "woocommerce" / "order_updated__cancelled-paid.json").read_bytes()
ON = {"refund-rules": {"settings": {"refund_cancelled_unfulfilled": True}}}


def items(api: Any, what: str, automation: str) -> list[dict[str, Any]]:
    found = body_json(api.http.get(f"/stores/demo/{what}?limit=500", headers=AUTH))["items"]
    return [x for x in found if x["automation"] == automation]


def deliver_shopify(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def test_a_cancelled_paid_order_delivered_three_times_is_refunded_once(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api, automations=ON)
    for n in range(3):
        deliver_shopify(api, CANCELLED, "orders/cancelled", f"c-{n}")
        pump.drain()
    deliver_shopify(api, CANCELLED, "orders/updated", "u-1")  # Shopify also sends orders/updated
    pump.drain()
    [refund] = items(api, "actions", "refund-rules")
    assert refund["kind"] == "refund_order" and refund["status"] == "planned"  # dry-run: nothing sent
    detail = body_json(api.http.get(f"/stores/demo/actions/{refund['action_id']}", headers=AUTH))
    preview = detail["preview"]
    assert preview["operation"] == "refundCreate"
    assert preview["url"].endswith("/admin/api/2026-01/graphql.json")
    assert '@idempotent(key: "storeflow-' in preview["body"]["query"]
    assert preview["body"]["variables"]["refundAmount"] == "99.00"
    # the movement is recorded on the order with its reason
    [moved] = runtime.repo.money_movements("demo", "6198821716268")
    assert moved["reason"] == "cancelled-before-fulfillment"
    assert (moved["kind"], str(moved["amount"]), moved["currency"], moved["status"]) == (
        "refund_order",
        "99.00",
        "HKD",
        "planned",
    )
    # the later deliveries decided nothing new, and said why
    reasons = [r["reason"] for r in items(api, "runs", "refund-rules")]
    assert any("already recorded refund_order of 99.00 HKD" in r for r in reasons)


def test_off_by_default_a_cancelled_order_moves_no_money_and_the_run_says_what_it_would_do(
    api: Any, pump: Any
) -> None:
    put_store(api)
    deliver_shopify(api, CANCELLED, "orders/cancelled", "c-off")
    pump.drain()
    assert items(api, "actions", "refund-rules") == []
    [run] = items(api, "runs", "refund-rules")
    assert "would refund 99.00 HKD" in run["reason"]
    assert "refund_cancelled_unfulfilled" in run["reason"]


def test_woocommerce_cancelled_order_store_credit_coupon_once(api: Any, pump: Any) -> None:
    settings = {"refund_cancelled_unfulfilled": True, "store_credit_reasons": ["other"]}
    put_store(api, platform="woocommerce", automations={"refund-rules": {"settings": settings}})
    for n in range(3):
        answer = api.http.post(
            "/webhooks/woocommerce/demo",
            headers=woo_headers(WOO_CANCELLED, "order.updated", f"w-{n}"),
            body=WOO_CANCELLED,
        )
        assert answer.status_code == 200, answer.body
        pump.drain()
    [credit] = items(api, "actions", "refund-rules")
    assert credit["kind"] == "issue_store_credit"
    preview = body_json(api.http.get(f"/stores/demo/actions/{credit['action_id']}", headers=AUTH))["preview"]
    assert preview["path"] == "/wp-json/wc/v3/coupons"
    assert preview["body"]["amount"] == "29.35"
    assert preview["body"]["email_restrictions"] == ["john.doe@example.com"]


def test_bad_refund_settings_are_a_400(api: Any) -> None:
    put_store(api)
    bad = {"automations": {"refund-rules": {"settings": {"store_credit_reasons": ["fraud"]}}}}
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps({**store_body(), **bad}))
    assert answer.status_code == 400, answer.body
    assert "store_credit_reasons" in answer.body.decode()
