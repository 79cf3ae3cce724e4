"""customers/redact, shop/redact and app/uninstalled delete or disarm what they must."""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from functions.engine.sweep import sweep
from storekit.repository import REDACTED
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"  # order 6198432301356, customer 8658316394796


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer)


def events(api: Any) -> dict[str, str]:
    items = body_json(api.http.get("/stores/demo/events?limit=500", headers=AUTH))["items"]
    return {e["delivery_id"]: e["status"] for e in items}


def test_customer_redact_deletes_deliveries_about_the_customer_and_orders(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    deliver(api, load_fixture(ORDER)[0], "orders/create", "o-1")
    deliver(
        api, load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0], "orders/create", "o-2"
    )
    pump.drain()
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 8658316394796, "email": "someone@example.com", "phone": None},
        "orders_to_redact": [6198432301356],
    }
    deliver(api, json.dumps(redact).encode(), "customers/redact", "r-1")
    pump.drain()
    remaining = events(api)
    assert "o-1" not in remaining
    assert remaining["o-2"] == "processed"
    assert remaining["r-1"] == "processed"
    assert runtime.repo.get_event_item("demo", "shopify", "o-1") is None


def test_shop_redact_deletes_the_whole_store(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api)
    deliver(api, load_fixture(ORDER)[0], "orders/create", "o-1")
    pump.drain()
    body = json.dumps({"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}).encode()
    deliver(api, body, "shop/redact", "s-1")
    pump.drain()
    assert api.http.get("/stores/demo", headers=AUTH).status_code == 404
    assert runtime.repo.get_event_item("demo", "shopify", "o-1") is None
    secrets = runtime.client("secretsmanager").list_secrets()["SecretList"]
    assert not [s for s in secrets if s["Name"].endswith("/stores/demo")]


# --- the whole table, read by the test (a Scan is fine here: it proves absence) ---------------
PY_ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # 450789469, Bob (207119551)
PY_SHIPMENT = json.loads(load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0])
BOB = ("bob.norman@hostmail.com", "555-625-1199", "5556251199")
WING = "wing.buyer@example.com"  # the fixed-discount order's customer (8658316394796)
SENDER = "orders@demo-shop.example"


def table_items(runtime: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    scan: dict[str, Any] = {}
    while True:
        page = runtime.table.scan(**scan)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def item_text(item: dict[str, Any]) -> str:
    """Every attribute of an item as text, compressed raw payloads and snapshots decompressed."""
    parts: list[str] = []
    for value in item.values():
        if isinstance(value, Binary | bytes | bytearray):
            data = bytes(value.value if isinstance(value, Binary) else value)
            with contextlib.suppress(zlib.error):
                data = zlib.decompress(data)
            parts.append(data.decode("utf-8", "replace"))
        else:
            parts.append(str(value))
    return "\n".join(parts).lower()


def belongs_to(item: dict[str, Any], store_id: str) -> bool:
    key_text = " ".join(str(item.get(k, "")) for k in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"))
    return (
        item.get("store_id") == store_id
        or f"STORE#{store_id}#" in f"{key_text}#"
        or f"#{store_id}#" in key_text
        or str(item.get("PK")) == f"PARKED#{store_id}"
    )


def shipment(order_id: int, fulfillment_id: int) -> bytes:
    body = dict(PY_SHIPMENT, order_id=order_id, id=fulfillment_id, shipment_status="delivered")
    body["updated_at"] = datetime(2026, 11, 24, 11, tzinfo=UTC).isoformat()
    return json.dumps(body).encode()


def deliver_to(api: Any, store_id: str, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        f"/webhooks/shopify/{store_id}",
        headers=shopify_headers(body, topic, delivery_id, shop=shop_of(store_id)),
        body=body,
    )
    assert answer.status_code == 200, answer.body


def test_shop_redact_leaves_nothing_of_the_store_in_any_key_family(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api)
    put_store(api, "other")
    huge = json.loads(PY_ORDER)
    huge["id"], huge["name"] = 450789470, "#1002"
    huge["note"] = os.urandom(400 * 1024).hex()  # archived to S3, not kept inline
    for body, topic, delivery in (
        (PY_ORDER, "orders/create", "o-1"),
        (json.dumps(huge).encode(), "orders/create", "o-huge"),
        (load_fixture("shopify/customers_create__python-api-customer.json")[0], "customers/create", "c-1"),
        (shipment(450789469, 255858046), "fulfillments/update", "u-1"),
        (load_fixture("shopify/refunds_create__python-api-refund.json")[0], "refunds/create", "rf-1"),
    ):
        deliver_to(api, "demo", body, topic, delivery)
    deliver_to(api, "other", load_fixture(ORDER)[0], "orders/create", "x-1")
    deliver_to(api, "other", shipment(6198432301356, 255858047), "fulfillments/update", "x-2")
    pump.drain()
    bucket = runtime.settings.archive_bucket
    s3 = runtime.client("s3")
    demo_before = [i for i in table_items(runtime) if belongs_to(i, "demo")]
    kinds = {i.get("type") for i in demo_before}
    # the store really has items of every family (else the test below proves nothing)
    assert {"STORE", "EVENT", "STATE", "RUNS", "ACTION", "JOB", "COUNTER"} <= kinds, kinds
    assert s3.list_objects_v2(Bucket=bucket, Prefix="raw/demo/").get("KeyCount", 0) == 1
    other_before = sorted((i for i in table_items(runtime) if belongs_to(i, "other")), key=item_text)

    body = json.dumps({"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}).encode()
    deliver(api, body, "shop/redact", "s-1")
    pump.drain()
    clock.advance(days=8)  # the follow-up would have been due: nothing of demo runs
    sweep(runtime)
    pump.drain()

    left = [i for i in table_items(runtime) if belongs_to(i, "demo")]
    assert left == [], sorted({str(i.get("type")) for i in left})
    table = runtime.table
    for index, partition in [
        ("GSI1", f"STORE#demo#{what}") for what in ("EVENTS", "RUNS", "ACTIONS", "SCHEDULES", "PARKED")
    ] + [("GSI2", "STORE#demo#ITEMS"), ("GSI1", "STORE#demo#ORDERNO#1001")]:
        query = {"IndexName": index, "KeyConditionExpression": Key(f"{index}PK").eq(partition)}
        assert table.query(**query)["Items"] == [], partition
    for pk in (
        "STORE#demo",
        "STORE#demo#ORDER#450789469",
        "STORE#demo#CUSTOMER#207119551",
        "STORE#demo#FULFILLMENT#255858046",
        "STORE#demo#COUNTER#events",
        "STORE#demo#COUNTER#actions",
        "PARKED#demo",
    ):
        assert table.query(KeyConditionExpression=Key("PK").eq(pk))["Items"] == [], pk
    assert s3.list_objects_v2(Bucket=bucket, Prefix="raw/demo/").get("KeyCount", 0) == 0
    secrets = [s["Name"] for s in runtime.client("secretsmanager").list_secrets()["SecretList"]]
    assert not [n for n in secrets if n.endswith("/stores/demo")]
    assert [n for n in secrets if n.endswith("/stores/other")]
    # the other store is exactly as it was
    assert sorted((i for i in table_items(runtime) if belongs_to(i, "other")), key=item_text) == other_before
    assert api.http.get("/stores/other", headers=AUTH).status_code == 200


def test_customer_redact_forgets_the_customer_and_cancels_their_follow_up(
    api: Any, pump: Any, runtime: Any, clock: Any, session: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    put_store(
        api,
        mode="live",
        automations={
            "post-delivery-follow-up": {
                "settings": {"days_after_delivery": 5, "sender": SENDER, "needs_marketing_consent": False}
            },
            "delivery-updates": {"settings": {"sender": SENDER}},
            "channel-tags": {"enabled": False},
        },
    )
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # no real store API calls
        deliver(api, PY_ORDER, "orders/create", "o-bob")
        deliver(api, load_fixture(ORDER)[0], "orders/create", "o-wing")
        pump.drain()
        deliver(api, shipment(450789469, 255858046), "fulfillments/update", "u-bob")
        deliver(api, shipment(6198432301356, 255858047), "fulfillments/update", "u-wing")
        pump.drain()
        follow_ups = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
        assert len([j for j in follow_ups if j["kind"] == "post-delivery-follow-up"]) == 2
        assert any(BOB[0] in item_text(i) for i in table_items(runtime))  # Bob is in the table now
        already_sent = len(sent)

        redact = {
            "shop_id": 1,
            "shop_domain": "demo-shop.myshopify.com",
            "customer": {"id": 207119551, "email": BOB[0], "phone": BOB[1]},
            "orders_to_redact": [450789469],
        }
        deliver(api, json.dumps(redact).encode(), "customers/redact", "r-bob")
        pump.drain()
        clock.advance(days=5, minutes=2)
        for _ in range(2):  # a day of minute buckets is one sweep's share
            sweep(runtime)
        pump.drain()

    # Bob's follow-up was never sent; Wing's was
    follow_up_mails = [m.destinations["ToAddresses"] for m in sent[already_sent:]]
    assert follow_up_mails == [[WING]]
    actions = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    emails = [
        a for a in actions if a["automation"] == "post-delivery-follow-up" and a["kind"] == "send_email"
    ]
    assert [a["status"] for a in emails] == ["done"]
    assert emails[0]["target"] == "email:w***@example.com"
    # Bob's address, phone, name and street appear nowhere (payloads and snapshots decompressed)
    texts = [item_text(i) for i in table_items(runtime)]
    for needle in (*BOB, "chestnut street", "norman"):
        assert not [t for t in texts if needle in t], needle
    # what was done for him stays in the audit trail, without him
    redacted = [a for a in actions if a["target"] == REDACTED]
    assert redacted and all(a["status"] == "done" for a in redacted)
    assert {a["kind"] for a in redacted} >= {"send_email", "schedule_job"}
    assert runtime.repo.entity_snapshot("demo", "order", "450789469") is None
    assert runtime.repo.get_event_item("demo", "shopify", "u-bob") is None
    # Wing is untouched
    assert runtime.repo.entity_snapshot("demo", "order", "6198432301356") is not None
    assert runtime.repo.get_event_item("demo", "shopify", "u-wing") is not None
    assert any(WING in t for t in texts)
    assert events(api)["r-bob"] == "processed"


def test_app_uninstalled_switches_a_live_store_to_dry_run(api: Any, pump: Any) -> None:
    put_store(api, mode="live")
    body, _ = load_fixture("shopify/app_uninstalled__hookdeck-2024-10.json")
    deliver(api, body, "app/uninstalled", "u-1")
    pump.drain()
    assert body_json(api.http.get("/stores/demo", headers=AUTH))["mode"] == "dry-run"
