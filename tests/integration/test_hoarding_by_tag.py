"""Stock hoarding by product tag: products/create|update keep the fraud domain's small set of the
store's products tagged `limited_tag` (orders carry no product tags), and orders of them are limited."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

AUD = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])
PRODUCT = json.loads(load_fixture("shopify/products_create__hookdeck-2024-10.json")[0])
ORDER_ID = 2998557704341
PRODUCT_ID = AUD["line_items"][0]["product_id"]


def deliver(api: Any, data: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(data).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def order(n: int, units: int) -> dict[str, Any]:
    data = copy.deepcopy(AUD)
    data["id"] = ORDER_ID + n
    data["admin_graphql_api_id"] = f"gid://shopify/Order/{ORDER_ID + n}"
    data["name"] = f"#{1200 + n}"
    data["line_items"][0]["quantity"] = units
    return data


def hoarding_actions(api: Any) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == "stock-hoarding"]


def test_a_product_tagged_limited_is_limited_until_the_tag_comes_off(api: Any, pump: Any) -> None:
    put_store(api, automations={"stock-hoarding": {"settings": {"limited_tag": "limited-drop"}}})
    gid = f"gid://shopify/Product/{PRODUCT_ID}"
    tagged = PRODUCT | {"id": PRODUCT_ID, "admin_graphql_api_id": gid, "tags": "example, Limited-Drop"}
    deliver(api, tagged, "products/create", "p-1")
    pump.drain()
    deliver(api, order(0, 2), "orders/create", "o-0")
    pump.drain()
    deliver(api, order(1, 1), "orders/create", "o-1")  # same email, IP, address: 3 units > 2
    pump.drain()
    held = hoarding_actions(api)
    assert sorted(a["kind"] for a in held) == ["add_tags", "hold_fulfillment", "post_slack"]
    assert {a["target"] for a in held if a["kind"] != "post_slack"} == {f"order:{ORDER_ID + 1}"}
    # the tag is taken off: later orders of it are not limited any more
    deliver(api, tagged | {"tags": "example"}, "products/update", "p-2")
    pump.drain()
    deliver(api, order(2, 5), "orders/create", "o-2")
    pump.drain()
    assert len(hoarding_actions(api)) == 3
    runs = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    last = next(r for r in runs if r["automation"] == "stock-hoarding")  # newest first
    assert last["reason"] == "order #1202 has no limited product"
