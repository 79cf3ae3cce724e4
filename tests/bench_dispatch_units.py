"""What dispatch writes per webhook, by item class, in-process (embedded moto, no HTTP server):
N webhooks, half orders/create and half orders/updated of the same ~10 KB real order (the mix of
`make load`), ingested, then handed to the dispatcher in stream batches of 25. Prints the write
units per webhook by item (tests/write_units.py counts them from the items' real sizes) and the
issue's budget (2 per event + 2 per action decided).

    PYTHONPATH=$PWD:$PWD/layers .venv/bin/python -m tests.bench_dispatch_units 60
    ... -m tests.bench_dispatch_units 60 --currency HKD   # the order's own currency: products counted too
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

SECRET = "units-webhook-secret"
SHOP = "units-shop.myshopify.com"


def bodies(n: int) -> list[tuple[str, bytes]]:
    """The deliveries of `make load` (tests/bench_load.py): each order created, then updated."""
    from tests.bench_load import _bodies

    return list(_bodies(n))


def measure(n: int, currency: str | None = None) -> tuple[Any, int]:
    """(the write units dispatch spent, the actions it decided) for n webhooks; `currency`: the
    store's (`make load`'s store keeps its default, so the HKD order is counted as another
    currency's and its products are not; "HKD" counts them)."""
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from infra import moto_fidelity

    moto_fidelity.install()  # transactions as DynamoDB runs them (as the test fixtures do)
    with mock_aws():
        from infra.bootstrap import create_local_resources, env_for
        from infra.pollers import StreamPoller
        from storekit.runtime import get_runtime, reset_runtime
        from storekit.signatures import sign
        from tests.write_units import WriteUnits

        session = boto3.session.Session(region_name="us-east-1")
        resources = create_local_resources(session)
        os.environ.update(env_for(resources))
        os.environ.update({"STOREFLOW_LOCAL": "true", "STOREFLOW_ADMIN_TOKEN": "units"})
        reset_runtime()
        meter = WriteUnits(resources.table_name, session.client("dynamodb"))
        meter.recording = False
        meter.install(get_runtime().session.events)
        from app import app

        auth = {"Authorization": "Bearer units", "Content-Type": "application/json"}
        store = {
            "platform": "shopify",
            "shop_domain": SHOP,
            "mode": "live",
            "webhook_secret": SECRET,
            "api_credentials": {"access_token": "shpat_units"},
            **({"currency": currency} if currency else {}),
        }
        with Client(app) as client:
            answer = client.http.put("/stores/units", headers=auth, body=json.dumps(store))
            assert answer.status_code in (200, 201), answer.body
            for i, (topic, body) in enumerate(bodies(n)):
                headers = {
                    "Content-Type": "application/json",
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Hmac-Sha256": sign(body, SECRET),
                    "X-Shopify-Webhook-Id": f"units-{i}",
                    "X-Shopify-Shop-Domain": SHOP,
                    "X-Shopify-API-Version": "2025-01",
                }
                answer = client.http.post("/webhooks/shopify/units", headers=headers, body=body)
                assert answer.status_code == 200, answer.body
        meter.recording = True
        poller = StreamPoller(session, resources.stream_arn, {"dispatch": app.handler_map["dispatch"]})
        while poller.poll_once():
            pass
        meter.recording = False
        actions, cursor = 0, None
        while True:
            items, cursor = get_runtime().repo.listing(
                "units", "actions", status=None, limit=500, cursor=cursor
            )
            actions += len(items)
            if not cursor:
                break
        reset_runtime()
    return meter, actions


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.disable(logging.WARNING)
    args = list(argv or sys.argv[1:])
    currency = args.pop(args.index("--currency") + 1) if "--currency" in args else None
    args = [a for a in args if a != "--currency"]
    n = int((args or ["60"])[0])
    meter, actions = measure(n, currency)
    print(
        f"dispatch, {n} webhooks (half orders/create, half orders/updated), {actions} actions decided"
        + (f", store currency {currency}" if currency else "")
    )
    print("WRU per webhook by item (writes per webhook, largest item):")
    print(meter.table(n))
    allowed = 2 * n + 2 * actions
    print(f"dispatch: {meter.total} WRU (budget {allowed}: 2 per event + 2 per action decided)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
