"""`make load` (issue 17, item 7): N webhooks (default 10,000) through the local stack on loopback
(moto's server, the Chalice local server, the same handlers Lambda runs), one stage at a time:

- ingest: every webhook POSTed over HTTP (signed orders/create and orders/updated of a live store);
- dispatch: the table stream handed to the dispatcher (batches of 25, as deployed);
- execute: the stream handed to the executor (the store's API is a recorded stand-in answering
  success; messages go to moto's SES);
- sweep: one minute's sweep.

It prints throughput, p50/p99 ingest latency, AWS calls, DynamoDB write and read units per webhook
(from the items' real sizes: 1 WRU per started KB written, x2 in a transaction; 1 RRU per started
4 KB read strongly, half eventually), Lambda invocations and measured durations, and the estimated
AWS cost per 1M webhooks at list prices (us-east-1, x86): API Gateway REST $3.50/M, Lambda $0.20/M
requests + $0.0000166667/GB-s at the configured memory, DynamoDB on-demand $0.625/M WRU and
$0.125/M RRU, stream reads by Lambda free. Targets: ingest <= 1.5 x its floor (one API request, one
Lambda request, one WRU, and the floor's own Lambda time: the measured median ingest duration is
charged to both), dispatch <= 2 WRU per event + 2 per action decided.

moto runs with infra/moto_fidelity.py installed (by infra.local_stack.start_moto): its own
TransactWriteItems copied the whole table before each transaction and its Query sorted the whole
table, so their cost grew with the table. Each run also checks that they no longer do: one
transaction and one query timed on a scratch table of 10 items, then 20,000 (ratio <= 2).

    make load            # 10,000 webhooks: 78 minutes, peak 2.3 GB on a shared 2-core machine
    make load N=500      # about 3 minutes
    make load N=scaling  # only the 10 vs 20,000 items check (about a minute)
"""

from __future__ import annotations

import json
import math
import os
import resource
import socket
import statistics
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.write_units import CHARGED_ON_BEFORE, item_class, item_size, keys_charged_on_before

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "shopify/orders_create__2025-store-line-item-discount.json"
SECRET = "load-webhook-secret"
MEMORY_MB = int(json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_memory_size"])
PRICE = {
    "api_rest": 3.50,
    "api_http": 1.00,
    "lambda_request": 0.20,
    "gb_second": 0.0000166667,
    "wru": 0.625,
    "rru": 0.125,
}
INGEST_TARGET = 1.5
STAGES = ("ingest", "dispatch", "execute", "sweep")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Meter:
    """Counts every AWS call of the app's boto3 session, and the DynamoDB units each one costs,
    under the stage being measured, by item class and by operation. An UpdateItem (or a delete,
    or an update inside a transaction) is charged on the larger of the item's size before and
    after, as DynamoDB does: a counter item that grows costs more each time it is updated."""

    def __init__(self, table_name: str) -> None:
        import boto3

        self.stage = "setup"
        self.calls: dict[str, Counter[str]] = {s: Counter() for s in (*STAGES, "setup")}
        self.wru: Counter[str] = Counter()
        self.rru: Counter[str] = Counter()
        #: stage -> item class -> WRU; stage -> operation -> WRU; stage -> item class -> writes
        self.wru_by_item: dict[str, Counter[str]] = {s: Counter() for s in (*STAGES, "setup")}
        self.wru_by_op: dict[str, Counter[str]] = {s: Counter() for s in (*STAGES, "setup")}
        self.writes_by_item: dict[str, Counter[str]] = {s: Counter() for s in (*STAGES, "setup")}
        #: item class -> largest size seen written (bytes)
        self.largest: Counter[str] = Counter()
        self._reader = boto3.client("dynamodb")  # its own client: its reads are not counted
        #: seconds spent in the meter's own reads (taken off the measured durations)
        self.overhead = 0.0
        self._table = table_name

    def install(self, session: Any) -> None:
        session.events.register("before-call", self._before)
        session.events.register("after-call.dynamodb", self._after)

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls[self.stage][f"{model.service_model.service_name}.{model.name}"] += 1
        if model.service_model.service_name != "dynamodb":
            return
        body = params.get("body")
        context["sf_body"] = body
        if model.name in CHARGED_ON_BEFORE:
            charged = keys_charged_on_before(json.loads(body or b"{}"))
            context["sf_before"] = [self._stored_size(k) for k in charged]

    def _stored_size(self, key: dict[str, Any]) -> int:
        started = time.perf_counter()
        found = self._reader.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        self.overhead += time.perf_counter() - started  # the meter's own reads: not the function's time
        return item_size(found) if found else 0

    def _charge(self, key: dict[str, Any], size: int, operation: str, factor: int = 1) -> None:
        units = factor * max(1, math.ceil(size / 1024))
        cls = item_class(key)
        self.wru[self.stage] += units
        self.wru_by_item[self.stage][cls] += units
        self.wru_by_op[self.stage][operation] += units
        self.writes_by_item[self.stage][cls] += 1
        self.largest[cls] = max(self.largest[cls], size)

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = json.loads(context.get("sf_body") or b"{}")
        before = list(context.get("sf_before") or [])
        name = model.name
        if name == "PutItem":
            self._charge(body["Item"], item_size(body["Item"]), name)
        elif name in ("UpdateItem", "DeleteItem"):
            after = self._stored_size(body["Key"]) if name == "UpdateItem" else 0
            self._charge(body["Key"], max(before[0] if before else 0, after), name)
        elif name == "TransactWriteItems":
            for entry in body["TransactItems"]:
                ((op, spec),) = entry.items()
                if op == "Put":
                    self._charge(spec["Item"], item_size(spec["Item"]), f"Transact.{op}", 2)
                else:
                    old = before.pop(0) if before else 0
                    new = self._stored_size(spec["Key"]) if op == "Update" else 0
                    self._charge(spec["Key"], max(old, new), f"Transact.{op}", 2)
        elif name == "BatchWriteItem":
            for requests_ in body["RequestItems"].values():
                for request in requests_:
                    put = request.get("PutRequest")
                    if put:
                        self._charge(put["Item"], item_size(put["Item"]), "Batch.Put")
                    else:
                        self._charge(request["DeleteRequest"]["Key"], 0, "Batch.Delete")
        elif name in ("GetItem", "Query", "BatchGetItem"):
            if name == "BatchGetItem":
                items = [i for found in parsed.get("Responses", {}).values() for i in found]
            else:
                items = [parsed["Item"]] if parsed.get("Item") else parsed.get("Items", [])
            size = sum(item_size(i) for i in items)
            units = max(1, math.ceil(size / 4096))
            self.rru[self.stage] += units if body.get("ConsistentRead") else units / 2

    def breakdown(self, stage: str, per: int) -> str:
        """The stage's write units per webhook by item class (with writes and the largest item) and
        by operation, biggest first."""
        lines = [f"  {stage} WRU per webhook by item (writes per webhook, largest item):"]
        for cls, units in self.wru_by_item[stage].most_common():
            lines.append(
                f"    {cls:32} {units / per:6.2f} WRU  ({self.writes_by_item[stage][cls] / per:.2f} writes, "
                f"largest {self.largest[cls] / 1024:.1f} KB)"
            )
        ops = ", ".join(f"{op} {units / per:.2f}" for op, units in self.wru_by_op[stage].most_common())
        lines.append(f"  {stage} WRU per webhook by operation: {ops}")
        return "\n".join(lines)


SMALL_TABLE, LARGE_TABLE, SAMPLES = 10, 20_000, 40
GROWTH_LIMIT = 2.0


def table_scaling(session: Any) -> dict[str, float]:
    """The claim that one call's cost does not grow with the table, measured: the median time of
    one transaction (a marker put if absent + three counters added, the shape of an order's
    inventory count) and of one query (a partition of 3 items) on a scratch table of the running
    local stack holding 10 items, then 20,000 (~1 KB each, with their stream records); then moto's
    own transaction emulation on the large table (3 runs: it copies the whole table each time).
    Returns seconds by name: txn_small, txn_large, txn_moto, query_small, query_large."""
    from infra import moto_fidelity

    ddb = session.client("dynamodb")
    table = "storeflow-load-scaling"
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    filler = "x" * 900
    count = 0

    def fill(to: int) -> None:
        nonlocal count
        while count < to:
            batch = [
                {"PutRequest": {"Item": {"PK": {"S": f"FILL#{i}"}, "SK": {"S": "A"}, "data": {"S": filler}}}}
                for i in range(count, min(to, count + 25))
            ]
            ddb.batch_write_item(RequestItems={table: batch})
            count += len(batch)

    def transaction() -> None:
        nonlocal count
        count += 1
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {"PK": {"S": f"MARKER#{count}"}, "SK": {"S": "A"}},
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        items += [
            {
                "Update": {
                    "TableName": table,
                    "Key": {"PK": {"S": "COUNTER"}, "SK": {"S": f"V#{v}"}},
                    "UpdateExpression": "ADD units :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
            for v in range(3)
        ]
        ddb.transact_write_items(TransactItems=items)

    def query() -> None:
        found = ddb.query(
            TableName=table,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": "COUNTER"}},
        )
        assert found["Count"] == 3, found["Count"]

    def median(call: Any, samples: int) -> float:
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    fill(SMALL_TABLE)
    out = {"txn_small": median(transaction, SAMPLES), "query_small": median(query, SAMPLES)}
    fill(LARGE_TABLE)
    out |= {"txn_large": median(transaction, SAMPLES), "query_large": median(query, SAMPLES)}
    moto_fidelity.uninstall()
    try:
        out["txn_moto"] = median(transaction, 3)
    finally:
        moto_fidelity.install()
    ddb.delete_table(TableName=table)
    return out


def scaling_report(session: Any) -> tuple[str, bool]:
    """The table_scaling line `make load` prints, and whether neither call grows past the limit."""
    t = table_scaling(session)
    txn, query = t["txn_large"] / t["txn_small"], t["query_large"] / t["query_small"]
    line = (
        f"cost of one call vs the table's size ({SMALL_TABLE} items -> {LARGE_TABLE:,}, "
        f"limit x{GROWTH_LIMIT}): "
        f"transaction (put if absent + 3 counters) {t['txn_small'] * 1000:.1f} -> "
        f"{t['txn_large'] * 1000:.1f} ms (x{txn:.2f}); query of a 3-item partition "
        f"{t['query_small'] * 1000:.1f} -> {t['query_large'] * 1000:.1f} ms (x{query:.2f}); "
        f"moto's own transaction emulation, which copies the table: {t['txn_moto'] * 1000:.0f} ms"
    )
    return line, txn <= GROWTH_LIMIT and query <= GROWTH_LIMIT


def _bodies(n: int) -> Iterator[tuple[str, bytes]]:
    """The N deliveries, made one at a time (the harness holds none of them)."""
    from tests.payloads import load_fixture

    template = json.loads(load_fixture(SAMPLE)[0])
    for i in range(n):
        order = dict(template)
        order["id"] = 8_000_000_000 + i // 2
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
        order["name"] = f"#{9000 + i // 2}"
        topic = "orders/create" if i % 2 == 0 else "orders/updated"
        if topic == "orders/updated":
            order["updated_at"] = "2026-11-24T12:05:00-05:00"
        yield topic, json.dumps(order).encode()


def main(argv: list[str] | None = None) -> int:
    arg = (argv or sys.argv[1:] or [os.environ.get("N") or "10000"])[0]
    only_scaling = arg == "scaling"
    n = 0 if only_scaling else int(arg)
    os.environ.update(
        {
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    import logging

    logging.disable(logging.WARNING)
    from infra.local_stack import api_server, start_moto

    moto_server = start_moto()
    import boto3
    import responses
    from chalice.config import Config

    from infra.bootstrap import create_local_resources, env_for
    from infra.pollers import StreamPoller, invoke, scheduled_event
    from storekit.runtime import get_runtime, reset_runtime
    from storekit.signatures import sign

    session = boto3.session.Session(region_name="us-east-1")
    if only_scaling:
        line, flat = scaling_report(session)
        print(line)
        moto_server.stop()
        return 0 if flat else 1
    resources = create_local_resources(session)
    os.environ.update(env_for(resources))
    os.environ.update(
        {
            "STOREFLOW_LOCAL": "true",
            "STOREFLOW_ADMIN_TOKEN": "load",
            "STOREFLOW_EMAIL_SENDER": "shop@load.example",
        }
    )
    session.client("ses").verify_email_identity(EmailAddress="shop@load.example")
    reset_runtime()
    meter = Meter(resources.table_name)
    meter.install(get_runtime().session)  # before any client exists: every client is counted

    from app import app

    config = Config.create(chalice_app=app, app_name="storeflow", project_dir=str(ROOT), chalice_stage="dev")
    port = _free_port()
    server = api_server(app, config, port, verbose=False)
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"

    def post(path: str, body: bytes, headers: dict[str, str]) -> int:
        req = urllib.request.Request(base + path, data=body, method=req_method(path), headers=headers)  # noqa: S310
        with urllib.request.urlopen(req, timeout=30) as answer:  # noqa: S310
            return int(answer.status)

    def req_method(path: str) -> str:
        return "PUT" if path.startswith("/stores/") else "POST"

    store = {
        "platform": "shopify",
        "shop_domain": "load-shop.myshopify.com",
        "mode": "live",
        "webhook_secret": SECRET,
        "api_credentials": {"access_token": "shpat_load"},
    }
    auth = {"Authorization": "Bearer load", "Content-Type": "application/json"}
    assert post("/stores/load", json.dumps(store).encode(), auth) in (200, 201)

    deliveries = _bodies(n)
    begun = time.perf_counter()
    latencies: list[float] = []
    durations: dict[str, list[float]] = {s: [] for s in STAGES}
    invocations: Counter[str] = Counter()
    wall: dict[str, float] = {}

    meter.stage = "ingest"
    started = time.perf_counter()
    for i, (topic, body) in enumerate(deliveries):
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
            "X-Shopify-Webhook-Id": f"load-{i}",
            "X-Shopify-Shop-Domain": "load-shop.myshopify.com",
            "X-Shopify-API-Version": "2025-01",
        }
        t0 = time.perf_counter()
        status = post("/webhooks/shopify/load", body, headers)
        latencies.append(time.perf_counter() - t0)
        assert status == 200, status
    wall["ingest"] = time.perf_counter() - started
    durations["ingest"] = latencies
    invocations["ingest"] = n

    handled: Counter[str] = Counter()
    started = time.perf_counter()

    def timed(name: str, handler: Any) -> Any:
        def run(event: dict[str, Any], context: Any) -> Any:
            records = event.get("Records", [])
            wanted = "EVENT" if name == "dispatch" else "ACTION"
            # deployed, the mapping's filter hands each function only its own item type
            own = [
                r
                for r in records
                if r.get("dynamodb", {}).get("NewImage", {}).get("type", {}).get("S") == wanted
            ]
            if not own:
                return {"batchItemFailures": []}
            t0, metered = time.perf_counter(), meter.overhead
            try:
                return handler({**event, "Records": own}, context)
            finally:
                durations[name].append(time.perf_counter() - t0 - (meter.overhead - metered))
                invocations[name] += 1
                handled[name] += len(own)
                if invocations[name] % 40 == 0:
                    print(
                        f"  {name}: {handled[name]} records in {invocations[name]} batches, "
                        f"{time.perf_counter() - started:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )

        return run

    graphql = "https://load-shop.myshopify.com/admin/api/2025-01/graphql.json"
    tags_added = {"data": {"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(os.environ["AWS_ENDPOINT_URL"])
        mock.post(graphql, json=tags_added)
        for stage in ("dispatch", "execute"):
            meter.stage = stage
            poller = StreamPoller(
                session, resources.stream_arn, {stage: timed(stage, app.handler_map[stage])}
            )
            started = time.perf_counter()
            while poller.poll_once():
                pass
            wall[stage] = time.perf_counter() - started
        meter.stage = "sweep"
        started = time.perf_counter()
        invoke("sweep", app.handler_map["sweep"], scheduled_event("arn:local:sweep"))
        durations["sweep"] = [time.perf_counter() - started]
        wall["sweep"] = durations["sweep"][0]
        invocations["sweep"] = 1
    meter.stage = "setup"
    actions = _count_actions(get_runtime())
    parked, _ = get_runtime().repo.listing("load", "parked", status=None, limit=5, cursor=None)
    for item in parked:
        print("PARKED:", item.get("reason"))
    load_wall = time.perf_counter() - begun
    # the load's own peak, before the scaling check below (which makes and copies a table of its own)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scaling_line, flat = scaling_report(session)
    moto_server.stop()

    events = n
    print(f"storeflow load: {n} webhooks through the local stack on loopback ({MEMORY_MB} MB functions)")
    p99 = sorted(latencies)[max(0, int(0.99 * n) - 1)]
    print(
        f"ingest: {n / wall['ingest']:.0f} webhooks/s from one client; latency p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    costs: dict[str, float] = {}
    for stage in STAGES:
        per = 1_000_000 / n
        calls = meter.calls[stage]
        aws_calls = sum(calls.values())
        wru, rru = meter.wru[stage], meter.rru[stage]
        median = statistics.median(durations[stage]) if durations[stage] else 0.0
        gb_s = sum(durations[stage]) * MEMORY_MB / 1024
        lam = invocations[stage] * PRICE["lambda_request"] / 1e6 + gb_s * PRICE["gb_second"]
        api = n * PRICE["api_rest"] / 1e6 if stage == "ingest" else 0.0
        ddb = wru * PRICE["wru"] / 1e6 + rru * PRICE["rru"] / 1e6
        costs[stage] = (api + lam + ddb) * per
        top = ", ".join(f"{k} {v / n:.2f}" for k, v in calls.most_common(6))
        print(
            f"{stage:9} {invocations[stage]:6} invocations, median {median * 1000:6.1f} ms; per webhook: "
            f"{aws_calls / n:.2f} AWS calls, {wru / n:.2f} WRU, {rru / n:.2f} RRU; ${costs[stage]:.2f} per 1M"
            f"\n          calls per webhook: {top or 'none'}"
        )
    print(
        f"total: ${sum(costs.values()):.2f} per 1M webhooks (sweep: its per-minute schedule, "
        f"${43_200 * PRICE['lambda_request'] / 1e6:.4f} a month in requests, is not per webhook)"
    )
    ingest_median = statistics.median(latencies)
    floor = (
        PRICE["api_rest"]
        + PRICE["lambda_request"]
        + PRICE["wru"]
        + 1_000_000 * ingest_median * MEMORY_MB / 1024 * PRICE["gb_second"]
    )
    ratio = costs["ingest"] / floor
    print(
        f"ingest cost ratio vs its floor (1 API request + 1 Lambda request + 1 WRU + its duration): "
        f"{ratio:.2f} (target <= {INGEST_TARGET})"
    )
    for stage in ("dispatch", "execute"):
        print(meter.breakdown(stage, n))
    dispatch_wru = meter.wru["dispatch"]
    allowed = 2 * events + 2 * actions
    print(
        f"dispatch: {dispatch_wru} WRU for {events} events and {actions} actions decided "
        f"(target <= {allowed}: 2 per event + 2 per action)"
    )
    http_ingest = costs["ingest"] - PRICE["api_rest"] + PRICE["api_http"]
    url_ingest = costs["ingest"] - PRICE["api_rest"]
    print(
        f"ingest behind an HTTP API: ${http_ingest:.2f} per 1M; "
        f"behind a Lambda function URL: ${url_ingest:.2f}"
    )
    walls = ", ".join(f"{stage} {wall[stage]:.0f} s" for stage in STAGES)
    print(
        f"wall time {load_wall / 60:.1f} min ({walls}); "
        f"peak memory {peak_mb:,.0f} MB (this process, moto included)"
    )
    print(scaling_line)
    ok = ratio <= INGEST_TARGET and dispatch_wru <= allowed and flat
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def _count_actions(runtime: Any) -> int:
    """The actions the automations decided (the store's outbox, read page by page)."""
    count, cursor = 0, None
    while True:
        items, cursor = runtime.repo.listing("load", "actions", status=None, limit=500, cursor=cursor)
        count += len(items)
        if not cursor:
            return count


if __name__ == "__main__":
    raise SystemExit(main())
