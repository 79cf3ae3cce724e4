"""Issue 12's inventory automations end to end on the local stack (what `make run` starts), through
signed webhooks over real HTTP: a low-stock crossing files its digest job and the sweeper sends the
digest; a product that sells out is tagged; a catalog rule tags a new product. The demo store is in
dry-run, so the decisions show up as planned actions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, call
from tests.e2e.test_fulfillment_flows import AUTH, actions_of, configure, send, wait_for
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e

IPOD = json.loads((ROOT / "tests" / "events" / "shopify" / "products_update__tracked-ipod.json").read_text())
LEVEL = json.loads(load_fixture("shopify/inventory_levels_update__python-api.json")[0])


@pytest.fixture(scope="module")
def demo(stack: Any) -> str:
    base, _, _ = stack
    configure(
        base,
        {
            "low-stock": {"settings": {"threshold": 8, "digest_minutes": 1}},
            "catalog-rules": {"settings": {"rules": [{"vendor": "Apple", "add_tags": ["apple"]}]}},
        },
        slack_webhook_url="https://hooks.slack.com/services/T000/B000/demo",
    )
    send(base, "products/update", "e2e-ipod", IPOD)
    return str(base)


def test_catalog_rule_tags_the_product(demo: str) -> None:
    [tag] = wait_for(lambda: [a for a in actions_of(demo, "catalog-rules") if a["status"] == "planned"])
    assert tag["summary"] == "add tags apple to product 632910392"


def test_low_stock_digest_goes_out_once_when_its_window_ends(demo: str) -> None:
    wait_for(lambda: actions_of(demo, "catalog-rules"))  # the product is known
    send(demo, "inventory_levels/update", "e2e-low-1", LEVEL | {"available": 3})
    send(
        demo,
        "inventory_levels/update",
        "e2e-low-2",
        LEVEL | {"available": 2, "updated_at": "2030-01-01T00:00:00Z"},
    )

    def digest() -> list[dict[str, Any]]:
        found = actions_of(demo, "low-stock")
        return [a for a in found if a["kind"] == "post_slack" and a["status"] == "planned"]

    [slack] = wait_for(digest, seconds=150)  # the 1-minute window ends, the sweeper runs every 2 s
    assert slack["summary"].startswith("post to Slack: Low stock")
    assert len([a for a in actions_of(demo, "low-stock") if a["kind"] == "schedule_job"]) == 1


def test_a_product_whose_every_variant_is_at_zero_is_tagged_sold_out(demo: str) -> None:
    wait_for(lambda: actions_of(demo, "catalog-rules"))
    for variant in IPOD["variants"]:
        body = LEVEL | {
            "inventory_item_id": variant["id"],
            "available": 0,
            "updated_at": "2031-01-01T00:00:00Z",
        }
        send(demo, "inventory_levels/update", f"e2e-zero-{variant['id']}", body)
    [tag] = wait_for(lambda: actions_of(demo, "sold-out"))
    assert tag["summary"] == "add tags sold-out to product 632910392"


ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])  # GREEN, RED, BLACK
RED = 49148385


def test_reorder_drafts_a_po_from_sales_and_the_merchant_approves_it(demo: str) -> None:
    """Sales counted from orders give RED a velocity; its stock falling to the reorder point drafts a
    PO for the supplier (reorder live: filed and held for approval); the merchant approves it."""
    wait_for(lambda: actions_of(demo, "catalog-rules"))
    supplier = {
        "name": "Apple Wholesale",
        "email": "orders@apple.example",
        "lead_time_days": 14,
        "vendors": ["Apple"],
    }
    configure(
        demo,
        {
            "low-stock": {"settings": {"threshold": 8, "digest_minutes": 1}},
            "catalog-rules": {"settings": {"rules": [{"vendor": "Apple", "add_tags": ["apple"]}]}},
            "reorder": {"mode": "live", "settings": {"suppliers": [supplier], "send": "approval"}},
        },
        slack_webhook_url="https://hooks.slack.com/services/T000/B000/demo",
    )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for n in range(14):  # 14 RED in 28 days: 0.5/day; point 0.5 x 14 + 0.5 x 7 = 10.5
        send(demo, "orders/create", f"e2e-order-{n}", ORDER | {"id": 880000 + n, "created_at": yesterday})
    send(demo, "orders/create", "e2e-order-0-again", ORDER | {"id": 880000, "created_at": yesterday})
    level = LEVEL | {"inventory_item_id": RED, "available": 5, "updated_at": "2032-01-01T00:00:00Z"}

    def filed() -> list[dict[str, Any]]:
        status, answer = call(
            "GET", f"{demo}/stores/demo/purchase-orders?status=awaiting_approval", headers=AUTH
        )
        assert status == 200
        return list(answer["items"])

    # the orders are counted by the stream poller: send the level once they all are
    wait_for(lambda: len(processed_orders(demo)) >= 15)
    send(demo, "inventory_levels/update", "e2e-red-5", level)
    [po] = wait_for(filed, seconds=60)
    [line] = po["lines"]
    assert (line["sku"], line["quantity"]) == (
        "IPOD2008RED",
        10,
    )  # 30 x 0.5 - 5: a repeated order counted once
    status, moved = call(
        "POST",
        f"{demo}/stores/demo/purchase-orders/{po['number']}/approve",
        b"",
        {**AUTH, "Content-Type": "application/json"},
    )
    assert status == 200 and moved["status"] == "ordered" and moved["email_action_id"]


def processed_orders(base: str) -> list[dict[str, Any]]:
    status, answer = call("GET", f"{base}/stores/demo/events?limit=500", headers=AUTH)
    assert status == 200
    return [
        e for e in answer["items"] if e["delivery_id"].startswith("e2e-order-") and e["status"] != "received"
    ]
