"""`make bench`: webhook ingest cost against a baseline measured in the same run, AWS calls per
webhook, and cold import time of `app`. Ratios, not absolute times: this machine is shared.

Targets: ingest CPU per webhook <= 1.3 x (json.loads + HMAC + one bare put_item of the same item),
median of the interleaved rounds, and no round over 1.5 x;
exactly 1 DynamoDB write and 0 reads per webhook once the store config is cached; cold import of
`app` <= 2 x `import boto3, pydantic`.
"""

from __future__ import annotations

import compileall
import gc
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N = 1000
ROUNDS = 9
#: baseline and ingest alternate every STRIDE webhooks inside a round, so both see the same load
STRIDE = 10
RATIO_TARGET = 1.3
ROUND_LIMIT = 1.5
IMPORT_RUNS = 11
SAMPLE = "shopify/orders_create__2025-store-line-item-discount.json"  # a real ~10 KB order


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def bodies(template: bytes) -> list[bytes]:
    order = json.loads(template)
    out = []
    for i in range(N):
        order["id"] = 7_000_000_000 + i
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{7_000_000_000 + i}"
        order["name"] = f"#{5000 + i}"
        out.append(json.dumps(order).encode())
    return out


def measure_ingest() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from infra import moto_fidelity

    moto_fidelity.install()  # transactions and queries at the cost of one call, as the tests run them

    from functions.composition import build_registry
    from functions.webhooks.ingest import Delivery, event_item, ingest
    from infra.bootstrap import create_local_resources, env_for
    from storekit.adapters import canonical_topic, parse_delivery
    from storekit.clock import iso
    from storekit.runtime import Runtime, reset_runtime, set_runtime
    from storekit.settings import get_settings
    from storekit.signatures import sign, verify
    from tests.payloads import load_fixture

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        resources = create_local_resources(session)
        os.environ.update(env_for(resources))
        os.environ.update({"STOREFLOW_LOCAL": "true", "STOREFLOW_ADMIN_TOKEN": "bench"})
        reset_runtime()
        runtime = Runtime(get_settings(), registry=build_registry())
        set_runtime(runtime)
        from functions.admin.models import StoreInput
        from functions.admin.stores import save_store

        secret = "bench-webhook-secret"
        save_store(
            "bench",
            StoreInput.model_validate(
                {"platform": "shopify", "shop_domain": "bench.myshopify.com", "webhook_secret": secret}
            ),
            runtime,
        )

        template, _ = load_fixture(SAMPLE)
        payloads = bodies(template)
        signatures = [sign(b, secret) for b in payloads]

        calls: Counter[str] = Counter()
        counting = False

        def count(event_name: str, **kwargs: Any) -> None:
            if counting:
                calls[event_name.split(".", 2)[-1]] += 1

        # baseline: json.loads + HMAC + one bare put_item of the same item ingest writes
        topic = canonical_topic("shopify", "orders/create")
        assert topic is not None
        items = []
        for i, body in enumerate(payloads):
            delivery = Delivery(
                platform="shopify",
                store_id="base",
                headers={},
                body=body,
                received_at=iso(runtime.clock.now()),
            )
            items.append(
                event_item(
                    delivery,
                    "orders/create",
                    f"base-{i}",
                    parse_delivery("shopify", topic, json.loads(body)),
                    runtime,
                )
            )
        table = runtime.table
        table.put_item(Item=items[0])  # warm the client

        def run_baseline(chunk: range) -> float:
            start = time.process_time()
            for i in chunk:
                json.loads(payloads[i])
                verify(payloads[i], signatures[i], [secret])
                table.put_item(Item=items[i])
            return time.process_time() - start

        # warm the store config and secret caches, then count every AWS call during ingest
        deliveries = [
            Delivery(
                platform="shopify",
                store_id="bench",
                headers={
                    "x-shopify-topic": "orders/create",
                    "x-shopify-hmac-sha256": sig,
                    "x-shopify-webhook-id": f"bench-{i}",
                    "x-shopify-api-version": "2025-01",
                    "x-shopify-shop-domain": "bench.myshopify.com",
                },
                body=body,
                received_at=iso(runtime.clock.now()),
            )
            for i, (body, sig) in enumerate(zip(payloads, signatures, strict=True))
        ]
        ingest(deliveries[0], runtime)

        def run_ingest(chunk: range) -> float:
            nonlocal counting
            counting = True
            start = time.process_time()
            for i in chunk:
                outcome = ingest(deliveries[i], runtime)
                assert outcome.body == {"ok": True}, outcome.body
            elapsed = time.process_time() - start
            counting = False
            return elapsed

        runtime.table.meta.client.meta.events.register("before-call.*.*", count)
        # every client ingest could touch: an S3 archive put, a fallback SQS send or an SSM read
        # would show up in "AWS calls seen" and break the 1 write / 0 reads target
        for service in ("secretsmanager", "s3", "sqs", "ssm"):
            runtime.client(service).meta.events.register("before-call.*.*", count)
        # interleave baseline and ingest (every STRIDE webhooks) in rounds so both see the same
        # machine load; the median of the per-round ratios is what we report (this machine is
        # shared and noisy)
        ratios: list[float] = []
        base_total = ingest_total = 0.0
        size = (N - 1) // ROUNDS
        for r in range(ROUNDS):
            gc.collect()
            b = i = 0.0
            for first in range(1 + r * size, 1 + (r + 1) * size, STRIDE):
                stride = range(first, min(first + STRIDE, 1 + (r + 1) * size))
                b += run_baseline(stride)
                i += run_ingest(stride)
            ratios.append(i / b)
            base_total += b
            ingest_total += i
        ingested = size * ROUNDS
        baseline = base_total / ingested
        per_webhook = ingest_total / ingested
        reset_runtime()
        reset_runtime()
    writes = sum(
        v for k, v in calls.items() if k.split(".")[-1] in ("PutItem", "UpdateItem", "BatchWriteItem")
    )
    reads = sum(
        v for k, v in calls.items() if k.split(".")[-1] in ("GetItem", "Query", "Scan", "GetSecretValue")
    )
    return {
        "baseline_ms": baseline * 1000,
        "ingest_ms": per_webhook * 1000,
        "writes_per_webhook": writes / ingested,
        "reads_per_webhook": reads / ingested,
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "calls": dict(calls),
    }


def _import_cpu(statement: str, path: str) -> float:
    # CPU time of a fresh child: what the import costs, not how busy this shared machine is
    code = f"import time; t = time.process_time(); {statement}; print(time.process_time() - t)"
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/", check=True
    )
    return float(out.stdout.strip())


def cold_imports(runs: int = IMPORT_RUNS) -> tuple[float, float]:
    """Median CPU time of `import app` and of `import boto3, pydantic`, alternating runs.

    `app` is imported from a bytecode-compiled copy of the code, as `make package` ships it (the
    libraries in site-packages are bytecode-compiled too), so the ratio compares like with like.
    """
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copy(ROOT / "app.py", copy / "app.py")
        shutil.copytree(ROOT / "functions", copy / "functions", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(
            ROOT / "layers" / "storekit", copy / "storekit", ignore=shutil.ignore_patterns("__pycache__")
        )
        compileall.compile_dir(copy, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        app_samples, base_samples = [], []
        for _ in range(runs):
            app_samples.append(_import_cpu("import app", str(copy)))
            base_samples.append(_import_cpu("import boto3, pydantic", str(copy)))
    return statistics.median(app_samples), statistics.median(base_samples)


def main() -> int:
    _environment()
    result = measure_ingest()
    app_import, base_import = cold_imports()
    ok_ratio = result["ratio"] <= RATIO_TARGET and max(result["ratios"]) <= ROUND_LIMIT
    ok_calls = result["writes_per_webhook"] == 1 and result["reads_per_webhook"] == 0
    ok_import = app_import / base_import <= 2
    from tests.bench_reorder import measure_reorder, report

    inventory = measure_reorder()
    print(f"ingest of {N} real-shaped ~10 KB order webhooks (in-process moto)")
    print(f"  baseline json.loads + HMAC + put_item : {result['baseline_ms']:.3f} ms CPU/webhook")
    print(f"  storeflow ingest                      : {result['ingest_ms']:.3f} ms CPU/webhook")
    rounds = " ".join(f"{r:.2f}" for r in result["ratios"])
    print(f"  per-round ratios ({ROUNDS} interleaved)   : {rounds}  (each <= {ROUND_LIMIT})")
    print(
        f"  ratio (median of rounds)              : {result['ratio']:.2f}  (target <= {RATIO_TARGET}) "
        f"{'OK' if ok_ratio else 'MISSED'}"
    )
    print(
        f"  DynamoDB writes / reads per webhook   : {result['writes_per_webhook']:.2f} / "
        f"{result['reads_per_webhook']:.2f}  (target 1 / 0) {'OK' if ok_calls else 'MISSED'}"
    )
    print(f"  AWS calls seen                        : {result['calls']}")
    print(f"cold import, CPU time (median of {IMPORT_RUNS} alternating interpreters, bytecode as shipped)")
    print(f"  import app                            : {app_import * 1000:.0f} ms")
    print(f"  import boto3, pydantic                : {base_import * 1000:.0f} ms")
    print(
        f"  ratio                                 : {app_import / base_import:.2f}  (target <= 2) "
        f"{'OK' if ok_import else 'MISSED'}"
    )
    ok_inventory = report(inventory)
    from tests.bench_sales import measure_sales
    from tests.bench_sales import report as report_sales

    ok_sales = report_sales(measure_sales())
    from tests.fraud_eval import main as fraud_eval

    fraud_eval()  # the default risk score's precision and recall on the labelled orders
    from tests.bench_reports import measure_reports
    from tests.bench_reports import report as report_reports

    ok_reports = report_reports(measure_reports())
    return 0 if ok_ratio and ok_calls and ok_import and ok_inventory and ok_sales and ok_reports else 1


if __name__ == "__main__":
    raise SystemExit(main())
