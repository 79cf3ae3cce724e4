"""Faults everywhere at once (issue 17, item 1): DynamoDB writes of the stream handlers and the
sweeper fail at random (throttling, internal errors: what boto3 raises once its own retries are
spent), and the store's API answers 429, 5xx or drops the connection at random. Every order webhook
arrives twice under different delivery ids. Afterwards:

- every accepted webhook is processed (or recorded as failed, with its reason);
- every action the same webhooks decide in a calm store exists here too, once, and is done or failed
  with a reason (none left pending, running or retrying);
- the store API applied each change at most once.

The ingest route's own table failure (fallback queue) is test_ingest's; message channels' failures
are test_channels_aws's."""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from botocore.exceptions import ClientError

from functions.engine.sweep import sweep
from tests.payloads import FIXTURES
from tests.support import listed, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDERS = sorted((FIXTURES / "shopify").glob("orders_create__*.json"))
ORDERS = [p for p in ORDERS if not p.name.endswith(".headers.json")]
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
DB_FAULT_RATE = 0.1
GRAPHQL = "https://{store}-shop.myshopify.com/admin/api/2025-01/graphql.json"


class Chaos:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.on = False
        self.db_faults = 0
        self.applied: Counter[str] = Counter()

    def db_write(self, model: Any, params: Any, **_: Any) -> None:
        if self.on and self.rng.random() < DB_FAULT_RATE:
            self.db_faults += 1
            code = self.rng.choice(["ProvisionedThroughputExceededException", "InternalServerError"])
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)

    def store_api(self, request: Any) -> tuple[int, dict[str, str], str]:
        roll = self.rng.random() if self.on else 1.0
        if roll < 0.15:
            return 429, {"Retry-After": "2"}, "Too Many Requests"
        if roll < 0.25:
            return 503, {}, "Service Unavailable"
        if roll < 0.32:
            raise requests.ConnectionError("injected: connection reset")
        body = json.loads(request.body)
        resource_id = body["variables"]["id"]
        self.applied[resource_id] += 1
        return 200, {}, json.dumps({"data": {"tagsAdd": {"node": {"id": resource_id}, "userErrors": []}}})


@pytest.fixture
def chaos(runtime: Any) -> Iterator[Chaos]:
    faults = Chaos(seed=1729)
    events = runtime.table.meta.client.meta.events
    for operation in WRITES:
        events.register(f"before-call.dynamodb.{operation}", faults.db_write)
    yield faults
    for operation in WRITES:
        events.unregister(f"before-call.dynamodb.{operation}", faults.db_write)


def only_channel_tags(runtime: Any) -> dict[str, Any]:
    return {name: {"enabled": name == "channel-tags"} for name in runtime.registry.names()}


def deliver_all(api: Any, store_id: str, chaos: Chaos) -> list[str]:
    """Each order twice, under two delivery ids; a refused delivery is sent again, as the platform
    would. Returns the accepted delivery ids."""
    accepted = []
    for n, path in enumerate(ORDERS):
        body = path.read_bytes()
        for copy in range(2):
            delivery = f"{store_id}-{n}-{copy}"
            headers = shopify_headers(body, "orders/create", delivery, shop=f"{store_id}-shop.myshopify.com")
            was, chaos.on = chaos.on, False  # the ingest route's faults are test_ingest's
            answer = api.http.post(f"/webhooks/shopify/{store_id}", headers=headers, body=body)
            chaos.on = was
            assert answer.status_code == 200, answer.body
            accepted.append(delivery)
    return accepted


def test_nothing_is_lost_and_nothing_done_twice_under_faults(
    api: Any, pump: Any, runtime: Any, clock: Any, chaos: Chaos
) -> None:
    # the reference: the same webhooks in a calm store (dry-run: what would be done)
    put_store(api, "calm", automations=only_channel_tags(runtime))
    deliver_all(api, "calm", chaos)
    pump.drain()
    expected = Counter((a["automation"], a["kind"], a["target"]) for a in listed(api, "calm", "actions"))
    assert sum(expected.values()) >= 8, "orders and customers get their channel tags"

    put_store(api, "rough", mode="live", automations=only_channel_tags(runtime))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, GRAPHQL.format(store="rough"), callback=chaos.store_api)
        chaos.on = True
        accepted = deliver_all(api, "rough", chaos)
        for _ in range(12):  # stream batches, retries and sweeps while faults go on
            pump.drain()
            clock.advance(minutes=2)
            with contextlib.suppress(ClientError):  # a failed sweep is the next minute's to finish
                sweep(runtime)
        chaos.on = False  # the outage ends: what was left over completes
        for _ in range(40):
            pump.drain()
            clock.advance(minutes=30)
            sweep(runtime)
        pump.drain()

    assert chaos.db_faults > 5, "faults were injected"
    events = {e["delivery_id"]: e for e in listed(api, "rough", "events")}
    assert sorted(events) == sorted(accepted)
    unfinished = {d: e["status"] for d, e in events.items() if e["status"] not in ("processed", "failed")}
    assert unfinished == {}
    actions = listed(api, "rough", "actions")
    got = Counter((a["automation"], a["kind"], a["target"]) for a in actions)
    assert got == expected  # nothing lost, nothing decided twice
    assert {a["status"] for a in actions} <= {"done", "failed"}, Counter(a["status"] for a in actions)
    assert all(a["reason"] for a in actions if a["status"] == "failed")
    assert max(chaos.applied.values()) == 1, chaos.applied  # each change applied once at most
    done = [a for a in actions if a["status"] == "done"]
    assert len(done) == sum(chaos.applied.values())
