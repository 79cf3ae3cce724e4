"""Inventory automations through signed webhooks, the stream, the executor and the sweeper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers, store_body, woo_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
TRACKED_IPOD = (EVENTS / "shopify" / "products_update__tracked-ipod.json").read_bytes()
LEVEL = json.loads(load_fixture("shopify/inventory_levels_update__python-api.json")[0])  # Pink, 6
PINK, RED = 808950810, 49148385


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer), answer.body


def level(api: Any, pump: Any, delivery: str, available: int, at: str, item: int = PINK) -> None:
    body = {**LEVEL, "inventory_item_id": item, "available": available, "updated_at": at}
    deliver(api, json.dumps(body).encode(), "inventory_levels/update", delivery)
    pump.drain()


def actions(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == automation]


def runs(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    return [r for r in items if r["automation"] == automation]


def low_stock_store(api: Any, **low: Any) -> None:
    put_store(
        api,
        automations={
            "low-stock": {"settings": {"rules": [{"sku": "IPOD2008PINK", "threshold": 8}], **low}},
            "sold-out": {"enabled": False},
        },
    )


def test_low_stock_once_per_crossing_then_one_digest(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    low_stock_store(api)
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    assert actions(api, "low-stock") == []
    level(api, pump, "l-1", 6, "2026-11-24T11:00:00Z")  # Pink 10 -> 6, below its SKU rule's 8
    [filed] = actions(api, "low-stock")
    assert filed["kind"] == "schedule_job" and filed["status"] == "done"  # internal: filed in dry-run too
    level(api, pump, "l-1b", 6, "2026-11-24T11:00:00Z")  # the same update again
    level(api, pump, "l-2", 3, "2026-11-24T11:01:00Z")  # lower still: the same drop
    level(api, pump, "l-3", 9, "2026-11-24T11:02:00Z")  # 9: not above 8 + margin 2
    level(api, pump, "l-4", 2, "2026-11-24T11:03:00Z")
    assert len(actions(api, "low-stock")) == 1
    reasons = [r["reason"] or "" for r in runs(api, "low-stock")]
    assert sum("alert already out for this drop (again once stock rises above 10)" in r for r in reasons) == 4
    level(api, pump, "l-old", 1, "2026-11-24T10:00:00Z")  # an older level, late: changes nothing
    assert len(actions(api, "low-stock")) == 1
    level(api, pump, "l-5", 11, "2026-11-24T11:04:00Z")  # re-armed
    level(api, pump, "l-6", 4, "2026-11-24T11:05:00Z")  # a second drop
    level(api, pump, "r-1", 5, "2026-11-24T11:05:00Z", item=RED)  # Red 20 -> 5: the default 5
    assert len(actions(api, "low-stock")) == 3
    clock.advance(minutes=16)  # the 12:00-12:15 window closed
    for _ in range(2):
        sweep(runtime)
    pump.drain()
    [digest] = [a for a in actions(api, "low-stock") if a["kind"] == "post_slack"]
    assert digest["status"] == "planned"  # dry-run
    assert digest["summary"].startswith("post to Slack: Low stock: 3 variants")


def test_one_inventory_update_decides_with_at_most_three_reads(api: Any, pump: Any, runtime: Any) -> None:
    low_stock_store(api)
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    table = runtime.repo._table
    reads: list[str] = []
    writes: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(table, name)

        def get_item(self, **kw: Any) -> Any:
            reads.append(kw["Key"]["PK"])
            return table.get_item(**kw)

        def query(self, **kw: Any) -> Any:
            reads.append("query")
            return table.query(**kw)

        def put_item(self, **kw: Any) -> Any:
            writes.append(str(kw["Item"].get("type")))
            return table.put_item(**kw)

    runtime.repo._table = Counting()
    try:
        level(api, pump, "l-1", 3, "2026-11-24T11:00:00Z")
    finally:
        runtime.repo._table = table
    domain = [pk for pk in reads if "#INVITEM#" in pk or "#STOCK#" in pk or "#PRODUCT#" in pk]
    # deciding (low-stock and sold-out share their reads): the item's variant and the product's
    # stock; keeping the level: the item's variant again
    assert len(domain) == 3, reads
    assert "query" not in reads
    assert writes.count("EVENT") == 1


def test_catalog_rule_tags_a_new_product_once(api: Any, pump: Any) -> None:
    put_store(
        api,
        automations={"catalog-rules": {"settings": {"rules": [{"vendor": "Acme", "add_tags": ["acme"]}]}}},
    )
    body = load_fixture("shopify/products_create__hookdeck-2024-10.json")[0]
    deliver(api, body, "products/create", "c-1")
    pump.drain()
    [tag] = actions(api, "catalog-rules")
    assert tag["kind"] == "add_tags" and tag["status"] == "planned"
    assert tag["summary"] == "add tags acme to product 788032119674292922"
    stock_only = json.loads(body)
    stock_only["variants"][0]["inventory_quantity"] = 3
    stock_only["updated_at"] = "2022-01-01T00:00:00-05:00"
    deliver(api, json.dumps(stock_only).encode(), "products/update", "c-2")
    pump.drain()
    assert len(actions(api, "catalog-rules")) == 1
    assert any(
        "nothing a catalog rule reads changed" in (r["reason"] or "") for r in runs(api, "catalog-rules")
    )


def test_sold_out_tags_then_back_in_stock_tells_marketing(api: Any, pump: Any) -> None:
    put_store(api, automations={"low-stock": {"enabled": False}})
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    at = "2026-11-24T11:00:00Z"
    for item in (PINK, RED, 39072856, 457924702):
        level(api, pump, f"z-{item}", 0, at, item=item)
    [tag] = actions(api, "sold-out")
    assert tag["summary"] == "add tags sold-out to product 632910392"
    level(api, pump, "z-again", 0, "2026-11-24T11:01:00Z")  # still sold out: nothing more
    assert len(actions(api, "sold-out")) == 1
    level(api, pump, "back", 5, "2026-11-24T11:02:00Z")
    notices = [a for a in actions(api, "sold-out") if a["kind"] == "post_slack"]
    [notice] = notices
    assert notice["summary"].startswith("post to Slack: Back in stock: IPod Nano - 8GB")
    [untag] = [a for a in actions(api, "sold-out") if a["kind"] == "remove_tags"]
    assert untag["summary"] == "remove tags sold-out from product 632910392"


def test_woocommerce_product_with_managed_stock_goes_low(api: Any, pump: Any) -> None:
    put_store(api, platform="woocommerce", automations={"low-stock": {"settings": {"threshold": 3}}})
    product = json.loads(load_fixture("woocommerce/product_created__rest-api-docs.json")[0])
    product.update({"manage_stock": True, "stock_quantity": 10})
    body = json.dumps(product).encode()
    answer = api.http.post(
        "/webhooks/woocommerce/demo", headers=woo_headers(body, "product.created", "w-1"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    product.update({"stock_quantity": 2, "date_modified_gmt": "2030-01-01T00:00:00"})
    body = json.dumps(product).encode()
    answer = api.http.post(
        "/webhooks/woocommerce/demo", headers=woo_headers(body, "product.updated", "w-2"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    [filed] = actions(api, "low-stock")
    assert filed["kind"] == "schedule_job"


def test_an_item_inventory_items_update_says_is_untracked_is_never_low(api: Any, pump: Any) -> None:
    low_stock_store(api)
    ipod = json.loads(TRACKED_IPOD)
    item_id = 271878346596884015  # the real inventory_items/update's item (its admin_graphql_api_id)
    ipod["variants"][0]["inventory_item_id"] = item_id
    deliver(api, json.dumps(ipod).encode(), "products/update", "p-1")
    untracked = json.loads(load_fixture("shopify/inventory_items_update__hookdeck-2024-10.json")[0])
    untracked["tracked"] = False
    deliver(api, json.dumps(untracked).encode(), "inventory_items/update", "i-1")
    pump.drain()
    level(api, pump, "l-1", 0, "2026-11-24T11:00:00Z", item=item_id)
    assert actions(api, "low-stock") == []
    assert any("stock not tracked or sold on when out" in (r["reason"] or "") for r in runs(api, "low-stock"))


def test_bad_inventory_settings_are_refused_naming_the_field(api: Any) -> None:
    put_store(api)
    for automation, settings, field in (
        ("low-stock", {"rules": [{"sku": "A", "tag": "b", "threshold": 1}]}, "rules"),
        ("low-stock", {"digest_minutes": 0}, "digest_minutes"),
        ("sold-out", {"on_sold_out": "delete"}, "on_sold_out"),
        ("catalog-rules", {"rules": [{"add_tags": ["x"]}]}, "rules"),
    ):
        answer = api.http.put(
            "/stores/demo",
            headers=AUTH,
            body=json.dumps(store_body(automations={automation: {"settings": settings}})),
        )
        assert answer.status_code == 400, answer.body
        assert field in answer.body.decode(), answer.body
    stored = body_json(api.http.get("/stores/demo", headers=AUTH))
    assert "low-stock" in json.dumps(stored)  # the store is still there, its settings untouched


def test_hidden_when_sold_out_and_shown_again_on_restock_with_a_preview(api: Any, pump: Any) -> None:
    put_store(
        api, automations={"low-stock": {"enabled": False}, "sold-out": {"settings": {"on_sold_out": "hide"}}}
    )
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    for item in (PINK, RED, 39072856, 457924702):
        level(api, pump, f"z-{item}", 0, "2026-11-24T11:00:00Z", item=item)
    [hide] = actions(api, "sold-out")
    assert hide["summary"] == "hide product 632910392 in the online store"
    detail = body_json(api.http.get(f"/stores/demo/actions/{hide['action_id']}", headers=AUTH))
    preview = detail["preview"]
    assert preview["operation"] == "publishableUnpublish"
    assert preview["body"]["variables"]["id"] == "gid://shopify/Product/632910392"
    level(api, pump, "back", 2, "2026-11-24T11:02:00Z")
    shown = [
        a for a in actions(api, "sold-out") if a["summary"] == "show product 632910392 in the online store"
    ]
    assert len(shown) == 1


def test_marketing_hears_of_a_product_going_low_at_once(api: Any, pump: Any) -> None:
    put_store(api, automations={"sold-out": {"enabled": False}})
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    level(api, pump, "l-1", 4, "2026-11-24T11:00:00Z")  # Pink 10 -> 4: below the default 5
    level(api, pump, "l-2", 3, "2026-11-24T11:01:00Z")  # the same drop: nothing more
    [notice] = actions(api, "marketing-notices")
    assert notice["kind"] == "post_slack" and notice["status"] == "planned"
    assert notice["summary"].startswith("post to Slack: Going low\nGoing low: IPod Nano - 8GB - Pink: 4 left")
    reasons = [r["reason"] or "" for r in runs(api, "marketing-notices")]
    assert any("nothing for marketing" in r for r in reasons)


def test_marketing_digest_goes_out_once_a_day_at_the_local_time(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(
        api,
        automations={
            "sold-out": {"enabled": False},
            "marketing-notices": {"settings": {"digest_at": "09:00"}},
        },
    )
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    level(api, pump, "l-1", 4, "2026-11-24T11:00:00Z")  # Pink low
    level(api, pump, "r-1", 2, "2026-11-24T11:01:00Z", item=RED)  # Red low
    filed = actions(api, "marketing-notices")
    assert [a["kind"] for a in filed] == ["schedule_job", "schedule_job"]
    clock.advance(hours=19)  # 12:00 UTC -> 07:00 UTC next day = 08:00 in Berlin: not yet
    sweep(runtime)
    pump.drain()
    assert [a["kind"] for a in actions(api, "marketing-notices")].count("post_slack") == 0
    clock.advance(hours=1, minutes=1)  # 09:01 in Berlin
    for _ in range(2):
        sweep(runtime)
    pump.drain()
    [digest] = [a for a in actions(api, "marketing-notices") if a["kind"] == "post_slack"]
    assert digest["summary"].startswith("post to Slack: Product notices: 2")


def test_bad_marketing_settings_are_a_400_naming_the_field(api: Any) -> None:
    body = store_body(
        shop_domain=shop_of(), automations={"marketing-notices": {"settings": {"digest_at": "25:00"}}}
    )
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(body))
    assert answer.status_code == 400
    assert "marketing-notices.settings: digest_at" in body_json(answer)["error"]
    assert api.http.get("/stores/demo", headers=AUTH).status_code == 404  # nothing saved
