"""Issue 12's inventory automations end to end on the local stack (what `make run` starts), through
signed webhooks over real HTTP: a low-stock crossing files its digest job and the sweeper sends the
digest; a product that sells out is tagged; a catalog rule tags a new product. The demo store is in
dry-run, so the decisions show up as planned actions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.test_fulfillment_flows import actions_of, configure, send, wait_for
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
