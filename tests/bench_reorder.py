"""`make bench` (inventory part): DynamoDB reads and writes of one inventory update, and the time of
the reorder decision with 1k and with 50k orders of history (ratio <= 1.2, measured in the same run,
interleaved: this machine is shared).

The history is what the sales keep hook leaves behind: one ledger item per order and, per variant,
one counter item per block of 32 store-local days (orders spread over a year, 20 variants), written
in bulk.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

ROUNDS = 5
DECISIONS = 30
VARIANTS = 20
RED = "49148385"
SUPPLIER = {
    "name": "Apple Wholesale",
    "email": "orders@apple.example",
    "lead_time_days": 14,
    "vendors": ["Apple"],
}


def _seed_history(table: Any, markers: Any, store_id: str, orders: int, now: datetime) -> None:
    from storekit import keys

    variants = [RED] + [str(100 + v) for v in range(VARIANTS - 1)]
    per_day: Counter[tuple[str, str]] = Counter()
    with markers.batch_writer() as batch:
        for n in range(orders):
            day = (now - timedelta(days=n % 365)).date().isoformat()
            variant = variants[n % VARIANTS]
            per_day[(variant, day)] += 1
            ledger = keys.order_ledger(store_id, f"h{n}")
            batch.put_item(
                Item={
                    **ledger,
                    "type": keys.ORDER_LEDGER,
                    keys.ledger_part_attr("sales"): {"day": day, "lines": {f"l{n}": [variant, 1]}},
                    keys.ledger_version_attr("sales"): 1,
                }
            )
    blocks: dict[tuple[str, str], dict[str, Any]] = {}
    for (variant, day), units in per_day.items():
        key = keys.variant_sales(store_id, variant, day)
        block = blocks.setdefault((key["PK"], key["SK"]), {**key, "type": keys.VARIANT_SALES})
        block[keys.sales_day_attr(day)] = units
    with table.batch_writer() as batch:
        for block in blocks.values():
            batch.put_item(Item=block)


def measure_reorder() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from infra import moto_fidelity

    moto_fidelity.install()  # transactions and queries at the cost of one call, as the tests run them

    from functions.admin.models import StoreInput
    from functions.admin.stores import save_store
    from functions.composition import build_registry
    from functions.engine.dispatch import dispatch_event
    from functions.inventory.reorder import load_reorder, reorder
    from functions.webhooks.ingest import Delivery, ingest
    from infra.bootstrap import create_local_resources, env_for
    from storekit.automation import Context, EventMeta, Reader
    from storekit.clock import FixedClock, iso
    from storekit.models import InventoryLevel
    from storekit.repository import Repository
    from storekit.runtime import Runtime, reset_runtime, set_runtime
    from storekit.settings import get_settings
    from storekit.signatures import sign
    from tests.bench import ROOT

    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    product = (ROOT / "tests" / "events" / "shopify" / "products_update__tracked-ipod.json").read_bytes()
    secret = "bench-webhook-secret"
    calls: Counter[str] = Counter()
    counting = False

    def count(event_name: str, **kwargs: Any) -> None:
        if counting:
            calls[event_name.split(".")[-1]] += 1

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        resources = create_local_resources(session)
        os.environ.update(env_for(resources))
        os.environ.update({"STOREFLOW_LOCAL": "true", "STOREFLOW_ADMIN_TOKEN": "bench"})
        reset_runtime()
        runtime = Runtime(get_settings(), FixedClock(now), registry=build_registry())
        set_runtime(runtime)

        def deliver(store_id: str, body: bytes, topic: str, delivery_id: str) -> dict[str, Any]:
            headers = {
                "x-shopify-topic": topic,
                "x-shopify-hmac-sha256": sign(body, secret),
                "x-shopify-webhook-id": delivery_id,
                "x-shopify-shop-domain": f"{store_id}.myshopify.com",
                "x-shopify-api-version": "2025-01",
            }
            delivery = Delivery(
                platform="shopify", store_id=store_id, headers=headers, body=body, received_at=iso(now)
            )
            ingest(delivery, runtime)
            item = runtime.repo.get_event_item(store_id, "shopify", delivery_id)
            assert item is not None
            return item

        stores = {}
        repos: dict[str, Any] = {}
        for store_id, history in (("h1k", 1_000), ("h50k", 50_000)):
            settings = {"suppliers": [SUPPLIER]}
            save_store(
                store_id,
                StoreInput.model_validate(
                    {
                        "platform": "shopify",
                        "shop_domain": f"{store_id}.myshopify.com",
                        "webhook_secret": secret,
                        "automations": {"reorder": {"settings": settings}},
                    }
                ),
                runtime,
            )
            dispatch_event(deliver(store_id, product, "products/update", f"{store_id}-p"), runtime)
            stores[store_id] = runtime.store(store_id, fresh=True)
            # each history in a table of its own: moto answers a Query by walking the whole table,
            # which DynamoDB does not, so a shared table would time the emulator, not storeflow
            table = session.resource("dynamodb").create_table(
                TableName=f"history-{store_id}",
                KeySchema=[
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "PK", "AttributeType": "S"},
                    {"AttributeName": "SK", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            for kept in runtime.table.scan()["Items"]:  # the store's product and inventory items
                if str(kept["PK"]).startswith(f"STORE#{store_id}#"):
                    table.put_item(Item=kept)
            repos[store_id] = Repository(table, FixedClock(now))
            # the order markers (never read by a decision) go to the shared table
            _seed_history(table, runtime.table, store_id, history, now)

        # reads and writes of one inventory update (everything dispatch does for it, and what the
        # inventory automations read before they decide)
        level = {"inventory_item_id": int(RED), "location_id": 905684977, "available": 1}
        body = json.dumps({**level, "updated_at": "2026-11-24T11:00:00Z"}).encode()
        item = deliver("h1k", body, "inventory_levels/update", "h1k-level")
        runtime.table.meta.client.meta.events.register("before-call.dynamodb.*", count)
        counting = True
        dispatch_event(item, runtime)
        counting = False
        dispatched = dict(calls)
        calls.clear()
        resource = InventoryLevel.model_validate(
            {**level, "inventory_item_id": RED, "location_id": "905684977"}
        )
        counting = True
        # one Reader per event, as dispatch makes
        reader = Reader("h1k", runtime.repo, runtime.archive, store=stores["h1k"], now=now)
        for automation in runtime.registry.enabled_for(stores["h1k"], "inventory.updated"):
            automation.load(resource, reader)
        counting = False
        loaded = dict(calls)

        def decide(store_id: str) -> list[Any]:
            store = stores[store_id]
            automation = runtime.registry.get("reorder")
            assert automation is not None
            reader = Reader(store_id, repos[store_id], runtime.archive, store=store, now=now)
            related = load_reorder(resource, reader)
            meta = EventMeta(event_id="b", platform="shopify", topic="t", delivery_id="b", received_at="x")
            ctx = Context(
                store=store, settings=automation.settings_for(store), event=meta, now=now, related=related
            )
            return list(reorder(resource, ctx))

        # both histories decide the same: one PO for RED (velocity from the last 28 days only)
        first, second = decide("h1k"), decide("h50k")
        assert len(first) == 1 and len(second) == 1, (first, second)

        def timed(store_id: str) -> float:
            gc.collect()
            start = time.process_time()
            for _ in range(DECISIONS):
                decide(store_id)
            return (time.process_time() - start) / DECISIONS

        ratios, small, large = [], [], []
        for _ in range(ROUNDS):
            a, b = timed("h1k"), timed("h50k")
            small.append(a)
            large.append(b)
            ratios.append(b / a)
        reset_runtime()
    reads = ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems")
    writes = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
    return {
        "dispatch_reads": sum(v for k, v in dispatched.items() if k in reads),
        "dispatch_writes": sum(v for k, v in dispatched.items() if k in writes),
        "dispatch_calls": dispatched,
        "decide_reads": sum(v for k, v in loaded.items() if k in reads),
        "decide_calls": loaded,
        "ms_1k": statistics.median(small) * 1000,
        "ms_50k": statistics.median(large) * 1000,
        "ratio": statistics.median(ratios),
        "ratios": ratios,
    }


def report(result: dict[str, Any]) -> bool:
    ok_ratio = result["ratio"] <= 1.2
    ok_reads = result["decide_reads"] <= 3
    print("inventory: one Shopify inventory_levels/update (low-stock, sold-out, reorder enabled)")
    print(
        f"  reads before deciding                 : {result['decide_reads']}  (target <= 3) "
        f"{'OK' if ok_reads else 'MISSED'}  {result['decide_calls']}"
    )
    print(
        f"  whole dispatch reads / writes         : {result['dispatch_reads']} / {result['dispatch_writes']}"
        f"  {result['dispatch_calls']}"
    )
    print("reorder decision (load + decide), history of orders")
    print(f"  1k orders                             : {result['ms_1k']:.3f} ms CPU")
    print(f"  50k orders                            : {result['ms_50k']:.3f} ms CPU")
    rounds = " ".join(f"{r:.2f}" for r in result["ratios"])
    print(f"  per-round ratios ({ROUNDS} interleaved)   : {rounds}")
    verdict = "OK" if ok_ratio else "MISSED"
    print(f"  ratio 50k / 1k (median)               : {result['ratio']:.2f}  (target <= 1.2) {verdict}")
    return ok_ratio and ok_reads
