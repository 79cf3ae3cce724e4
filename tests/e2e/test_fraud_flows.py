"""Issue 13's fraud automations end to end on the local stack (what `make run` starts), through
signed webhooks over real HTTP: a risky order is scored, tagged, noted, held and reported with its
reasons on the run and in the previews; an order to a blocked country is held. The demo store is in
dry-run, so the decisions show up as planned actions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from storekit.signatures import sign
from tests.e2e.conftest import DEMO_SECRET, call
from tests.e2e.test_fulfillment_flows import AUTH, actions_of, configure, send, wait_for
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e

AUD = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])


def order(n: int, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(AUD)
    data["id"] = 7700000000 + n
    data["admin_graphql_api_id"] = f"gid://shopify/Order/{7700000000 + n}"
    data["name"] = f"#E2E{n}"
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def demo(stack: Any) -> str:
    base, _, _ = stack
    configure(
        base,
        {"restricted-destinations": {"settings": {"blocked_countries": ["NG"]}}},
        slack_webhook_url="https://hooks.slack.com/services/T000/B000/demo",
    )
    return str(base)


def test_a_risky_order_is_tagged_noted_held_and_reported_with_its_reasons(demo: str) -> None:
    risky = order(
        1, payment_details={**AUD["payment_details"], "avs_result_code": "N", "cvv_result_code": "N"}
    )
    send(demo, "orders/create", "e2e-risky", risky)

    def planned() -> list[dict[str, Any]]:
        found = [a for a in actions_of(demo, "risk-score") if a["target"] in ("order:7700000001", "slack")]
        return found if len(found) >= 4 and all(a["status"] == "planned" for a in found) else []

    found = wait_for(planned)
    assert sorted(a["kind"] for a in found) == [
        "add_order_note",
        "add_tags",
        "hold_fulfillment",
        "post_slack",
    ]
    status, runs = call("GET", f"{demo}/stores/demo/runs?limit=500", headers=AUTH)
    assert status == 200
    [run] = [r for r in runs["items"] if r["automation"] == "risk-score" and r["action_ids"]]
    assert run["reason"].startswith("risk score 55/100: +25 avs_no_match")
    slack = next(a for a in found if a["kind"] == "post_slack")
    status, detail = call("GET", f"{demo}/stores/demo/actions/{slack['action_id']}", headers=AUTH)
    assert status == 200
    text = detail["preview"]["payload"]["text"]
    assert "Risky order #E2E1: score 55/100" in text
    assert "https://demo-shop.myshopify.com/admin/orders/7700000001" in text


def test_an_order_to_a_blocked_country_is_held(demo: str) -> None:
    shipping = {**AUD["shipping_address"], "country_code": "NG", "country": "Nigeria"}
    send(demo, "orders/create", "e2e-blocked", order(2, shipping_address=shipping))

    def planned() -> list[dict[str, Any]]:
        found = [
            a
            for a in actions_of(demo, "restricted-destinations")
            if a["target"] in ("order:7700000002", "slack")
        ]
        return found if len(found) >= 3 else []

    found = wait_for(planned)
    assert sorted(a["kind"] for a in found) == ["add_tags", "hold_fulfillment", "post_slack"]
    hold = next(a for a in found if a["kind"] == "hold_fulfillment")
    status, detail = call("GET", f"{demo}/stores/demo/actions/{hold['action_id']}", headers=AUTH)
    assert status == 200
    assert detail["preview"]["body"]["variables"]["fulfillmentHold"]["reason"] == "OTHER"


def deliver_again(base: str, topic: str, delivery_id: str, payload: dict[str, Any]) -> Any:
    """A retry of a delivery (Shopify resends with the same webhook id)."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
        "X-Shopify-API-Version": "2025-01",
    }
    status, answer = call("POST", f"{base}/webhooks/shopify/demo", body, headers)
    assert status == 200
    return answer


TXN = json.loads(load_fixture("shopify/order_transactions_create__hookdeck-2024-10.json")[0])
RISK = json.loads(load_fixture("shopify/orders_risk_assessment_changed__hookdeck-2024-10.json")[0])


def test_a_risky_orders_webhooks_three_times_each_tag_note_and_hold_it_once(demo: str) -> None:
    """The real order, then its card checks (AVS N, CVV N) and the platform's medium risk: each
    webhook delivered three times (a retry with the same id, and the same body under a new id).
    The order ends tagged, noted and held (planned: the demo store is in dry-run), each once."""
    order_id = 7700000003
    slack_before = [a for a in actions_of(demo, "risk-score") if a["kind"] == "post_slack"]
    txn = copy.deepcopy(TXN)
    txn.update(
        order_id=order_id,
        id=order_id + 7,
        admin_graphql_api_id=f"gid://shopify/OrderTransaction/{order_id + 7}",
    )
    txn["payment_details"].update(avs_result_code="N", cvv_result_code="N", credit_card_bin="424242")
    risk = RISK | {"order_id": order_id, "risk_level": "medium"}
    # its own buyer (email, IP, address): judged on its own signals, not the earlier tests' orders
    fresh = order(
        3,
        email="three@e2e.example",
        browser_ip="49.180.247.99",
        client_details={**AUD["client_details"], "browser_ip": "49.180.247.99"},
        shipping_address={**AUD["shipping_address"], "address1": "3 Other Street"},
        billing_address={**AUD["billing_address"], "address1": "3 Other Street"},
    )
    for topic, payload, name in (
        ("orders/create", fresh, "o"),
        ("order_transactions/create", txn, "t"),
        ("orders/risk_assessment_changed", risk, "r"),
    ):
        send(demo, topic, f"e2e-3{name}", payload)
        assert deliver_again(demo, topic, f"e2e-3{name}", payload) == {"ok": True, "duplicate": True}
        send(demo, topic, f"e2e-3{name}-again", payload)  # the same body under a new delivery id

    def settled() -> list[dict[str, Any]]:
        found = [a for a in actions_of(demo, "risk-score") if a["target"] == f"order:{order_id}"]
        return found if len(found) >= 3 and all(a["status"] == "planned" for a in found) else []

    found = wait_for(settled)
    assert sorted(a["kind"] for a in found) == ["add_order_note", "add_tags", "hold_fulfillment"]

    def rescored_twice() -> list[dict[str, Any]]:
        status, runs = call("GET", f"{demo}/stores/demo/runs?limit=500", headers=AUTH)
        assert status == 200
        mine = [
            r for r in runs["items"] if r["automation"] == "risk-score" and "rescored" in (r["reason"] or "")
        ]
        return mine if len(mine) >= 2 else []

    runs = wait_for(rescored_twice)  # both rescores ran: the later one added nothing
    assert any(r["reason"].startswith("rescored with the platform's risk level medium") for r in runs)
    assert any(r["reason"].startswith("rescored with transaction") for r in runs)
    found = [a for a in actions_of(demo, "risk-score") if a["target"] == f"order:{order_id}"]
    assert sorted(a["kind"] for a in found) == ["add_order_note", "add_tags", "hold_fulfillment"]
    slack_after = [a for a in actions_of(demo, "risk-score") if a["kind"] == "post_slack"]
    assert len(slack_after) == len(slack_before) + 1  # the fraud team hears once
    note = next(a for a in found if a["kind"] == "add_order_note")
    status, detail = call("GET", f"{demo}/stores/demo/actions/{note['action_id']}", headers=AUTH)
    assert status == 200
    assert "+30 cvv_no_match" in detail["preview"]["body"]["variables"]["input"]["note"]
