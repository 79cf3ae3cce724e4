"""Shared test helpers: tokens, signed deliveries, store setup, stream pumping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storekit.signatures import sign

ADMIN_TOKEN = "test-admin-token-0123456789"
SECRET = "shpss_test_webhook_secret_1"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}


def shop_of(store_id: str = "demo") -> str:
    """The Shopify shop domain a test store is saved with (one shop, one store)."""
    return f"{store_id}-shop.myshopify.com"


def shopify_headers(
    body: bytes, topic: str, delivery_id: str, secret: str = SECRET, shop: str = "demo-shop.myshopify.com"
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2025-01",
    }


def woo_headers(body: bytes, topic: str, delivery_id: str, secret: str = SECRET) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-ID": "9",
        "X-WC-Webhook-Source": "https://woo.example/",
    }


def store_body(platform: str = "shopify", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": platform,
        "shop_domain": "demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        "name": "Demo Shop",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "webhook_secret": SECRET,
    }
    if platform == "shopify":
        body["api_credentials"] = {"access_token": "shpat_test_token"}
    else:
        body["api_credentials"] = {"consumer_key": "ck_test", "consumer_secret": "cs_test"}
    body.update(overrides)
    return body


def put_store(api: Any, store_id: str = "demo", platform: str = "shopify", **overrides: Any) -> Any:
    if platform == "shopify":
        overrides.setdefault("shop_domain", shop_of(store_id))
    answer = api.http.put(
        f"/stores/{store_id}", headers=AUTH, body=json.dumps(store_body(platform, **overrides))
    )
    assert answer.status_code in (200, 201), answer.body
    return answer


def listed(api: Any, store_id: str, what: str) -> list[dict[str, Any]]:
    """Every item of a store's listing (`events`, `actions`, `schedules`, ...), page by page."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = api.http.get(f"/stores/{store_id}/{what}?limit=500{cursor}", headers=AUTH)
        assert answer.status_code == 200, answer.body
        page = body_json(answer)
        items += page["items"]
        if not page["next"]:
            return items
        cursor = f"&cursor={page['next']}"


def body_json(answer: Any) -> Any:
    return json.loads(answer.body)


class QueryLog:
    """The DynamoDB Query calls a runtime's table makes while it is recording (a botocore hook, so
    the count is of real requests, not of repository methods): `with QueryLog(runtime.table) as q:`."""

    def __init__(self, table: Any) -> None:
        self._events = table.meta.client.meta.events
        self.partitions: list[str] = []

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        """Note the partition queried: the value of the key condition's first placeholder."""
        request = json.loads(params["body"])  # the request as sent
        placeholder = re.search(r":\w+", request.get("KeyConditionExpression", ""))
        value = request.get("ExpressionAttributeValues", {}).get(placeholder.group() if placeholder else "")
        self.partitions.append(str(value.get("S", "")) if isinstance(value, dict) else "")

    def __enter__(self) -> QueryLog:
        self._events.register("before-call.dynamodb.Query", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        self._events.unregister("before-call.dynamodb.Query", self._record)

    @property
    def count(self) -> int:
        return len(self.partitions)

    def of(self, prefix: str) -> list[str]:
        """The partitions queried whose key starts with `prefix` (e.g. "JOB#")."""
        return [p for p in self.partitions if p.startswith(prefix)]


@contextmanager
def dynamodb_calls(table: Any) -> Iterator[list[str]]:
    """The DynamoDB operations the table's client sends within the block, in order (["GetItem",
    "BatchGetItem", ...]): `with dynamodb_calls(runtime.table) as calls:`."""
    events = table.meta.client.meta.events
    calls: list[str] = []

    def log(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events.register("before-call.dynamodb", log)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", log)


def table_items(table: Any) -> dict[tuple[str, str], Any]:
    """Every item of an in-process moto table, but the rate limiter's counters (every public request
    counts, refused or not): to prove a refused request wrote nothing. Read from moto's own store (a
    Scan over moto costs ~150 ms a call)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    region = table.meta.client.meta.region_name
    stored = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[table.name]
    items = (item.to_json()["Attributes"] for item in stored.all_items())
    return {(i["PK"]["S"], i["SK"]["S"]): i for i in items if i.get("type") != {"S": "RATE"}}
