"""An order too big for a table item keeps its newest snapshot in S3 (issue 9, item 7)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from storekit import snapshots
from tests.payloads import load_fixture
from tests.support import body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])  # #1001, Bob, 450789469
EMAIL = "bob.norman@hostmail.com"


def deliver(api: Any, order: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(order).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def ask(api: Any) -> dict[str, Any]:
    answer = api.http.post(
        "/stores/demo/assistant",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"message": "where is my order?", "order_number": "#1001", "email": EMAIL}),
    )
    assert answer.status_code == 200, answer.body
    return dict(body_json(answer))


def objects(runtime: Any, prefix: str) -> list[str]:
    listed = runtime.client("s3").list_objects_v2(Bucket=runtime.settings.archive_bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_snapshot_too_big_for_an_item_is_kept_in_s3_and_replaces_the_older_one(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    deliver(api, ORDER, "orders/create", "o-1")
    pump.drain()
    big = dict(ORDER, note=os.urandom(700 * 1024).hex(), updated_at="2030-01-01T00:00:00-05:00")
    big["cancelled_at"] = "2030-01-01T00:00:00-05:00"  # the newer version says something new
    deliver(api, big, "orders/updated", "o-2")
    pump.drain()

    blob = runtime.repo.entity_snapshot("demo", "order", "450789469")
    assert blob is not None and blob.startswith(snapshots.POINTER)  # not inline: too big
    kept = json.loads(snapshots.opened(blob, runtime.archive))
    assert kept["note"] == big["note"]  # the newest version, not the older one
    answer = ask(api)
    assert answer["order"]["status"] == "cancelled"  # the assistant reads it (from S3)


def test_redacts_delete_the_snapshots_kept_in_s3(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api)
    deliver(api, dict(ORDER, note=os.urandom(700 * 1024).hex()), "orders/create", "o-1")
    pump.drain()
    assert objects(runtime, snapshots.entity_prefix("demo", "order", "450789469"))
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": ORDER["customer"]["id"], "email": EMAIL},
        "orders_to_redact": [450789469],
    }
    deliver(api, redact, "customers/redact", "r-1")
    pump.drain()
    assert objects(runtime, snapshots.entity_prefix("demo", "order", "450789469")) == []


def test_shop_redact_deletes_every_snapshot_kept_in_s3(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api)
    deliver(api, dict(ORDER, note=os.urandom(700 * 1024).hex()), "orders/create", "o-1")
    pump.drain()
    assert objects(runtime, snapshots.store_prefix("demo"))
    deliver(api, {"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}, "shop/redact", "s-1")
    pump.drain()
    assert objects(runtime, snapshots.store_prefix("demo")) == []
