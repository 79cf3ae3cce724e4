"""Issue 13's fraud automations end to end on the local stack (what `make run` starts), through
signed webhooks over real HTTP: a risky order is scored, tagged, noted, held and reported with its
reasons on the run and in the previews; an order to a blocked country is held. The demo store is in
dry-run, so the decisions show up as planned actions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.e2e.conftest import call
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
