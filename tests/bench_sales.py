"""`make bench` (sales part): a 10,000-variant price sale (1,000 products x 10 variants) started and
restored by the minute sweeper against a mocked Shopify Admin API that throttles (every 10th call:
HTTP 429 with Retry-After, or GraphQL THROTTLED). Prints wall time, store API calls (reads, bulk
writes, throttled answers), the waits the store asked for (counted, not slept), sweeps needed and
whether every price came back exactly.

In-process moto; the store API is tests/fake_catalog.py behind `responses` (the real clients run).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCTS = int(os.environ.get("SALES_BENCH_PRODUCTS", "1000"))
VARIANTS_EACH = 10
THROTTLE_EVERY = 10
#: the sweeps a phase may take at most (each step continues at the next sweep when out of budget)
MAX_SWEEPS = 50


def _prices(shop: Any) -> dict[str, Any]:
    return {vid: (v.price, v.compare_at) for p in shop.products.values() for vid, v in p.variants.items()}


def _run_phase(runtime: Any, clock: Any, sweep: Any, load: Any, until: Any) -> tuple[float, int]:
    started, sweeps = time.perf_counter(), 0
    while sweeps < MAX_SWEEPS:
        sweep(runtime)
        sweeps += 1
        if until(load()):
            break
        clock.advance(seconds=60)
    return time.perf_counter() - started, sweeps


def measure_sales() -> dict[str, Any]:
    import boto3
    import responses
    from moto import mock_aws

    from infra import moto_fidelity

    moto_fidelity.install()  # transactions and queries at the cost of one call, as the tests run them

    from functions.admin.models import StoreInput
    from functions.admin.stores import save_store
    from functions.composition import build_registry
    from functions.engine.sweep import sweep
    from functions.sales import runner
    from functions.sales.schedule import create_sale
    from infra.bootstrap import create_local_resources, env_for
    from storekit.clock import FixedClock
    from storekit.runtime import Runtime, reset_runtime, set_runtime
    from storekit.settings import get_settings
    from tests.fake_catalog import FakeShopify, generated_products

    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    waits: list[float] = []
    runner.DEFAULT_PACE = lambda: runner.Pace(sleep=waits.append)
    with mock_aws(), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        resources = create_local_resources(boto3.session.Session(region_name="us-east-1"))
        os.environ.update(env_for(resources))
        os.environ.update({"STOREFLOW_LOCAL": "true", "STOREFLOW_ADMIN_TOKEN": "bench"})
        reset_runtime()
        clock = FixedClock(now)
        runtime = Runtime(get_settings(), clock, registry=build_registry())
        set_runtime(runtime)
        store_input = {
            "platform": "shopify",
            "shop_domain": "demo.myshopify.com",
            "webhook_secret": "bench-webhook-secret",
            "mode": "live",
            "api_credentials": {"access_token": "shpat_bench"},
        }
        save_store("bench", StoreInput.model_validate(store_input), runtime)
        store = runtime.store("bench", fresh=True)
        shop = FakeShopify(generated_products(PRODUCTS, VARIANTS_EACH), throttle_every=THROTTLE_EVERY)
        shop.install(mock)
        before = _prices(shop)
        _, sale = create_sale(
            store,
            {
                "kind": "sale",
                "name": "bench",
                "tags": ["bulk"],
                "percent_off": "20",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
            },
            runtime,
        )

        def load() -> Any:
            found = runner.load_sale(runtime, "bench", sale["job_id"])
            assert found is not None
            return found[0]

        start_s, start_sweeps = _run_phase(runtime, clock, sweep, load, lambda s: s.phase == "on")
        started = load()
        calls_at_start, throttles_at_start, writes_at_start = shop.calls, shop.throttles, shop.writes
        on_sale = sum(
            1 for p in shop.products.values() for v in p.variants.values() if v.compare_at is not None
        )
        clock.advance(hours=2, seconds=1)
        end_s, end_sweeps = _run_phase(runtime, clock, sweep, load, lambda s: s.state == "done")
        ended = load()
        after = _prices(shop)
    return {
        "variants": PRODUCTS * VARIANTS_EACH,
        "start_s": start_s,
        "start_sweeps": start_sweeps,
        "start_progress": (started.progress.done, started.progress.total),
        "on_sale": on_sale,
        "start_calls": calls_at_start,
        "start_writes": writes_at_start,
        "start_throttled": throttles_at_start,
        "end_s": end_s,
        "end_sweeps": end_sweeps,
        "end_progress": (ended.progress.done, ended.progress.total),
        "end_calls": shop.calls - calls_at_start,
        "end_writes": shop.writes - writes_at_start,
        "end_throttled": shop.throttles - throttles_at_start,
        "waited_s": sum(waits),
        "recorded_calls": ended.api_calls,
        "exact": after == before and ended.outcomes == {"restored": PRODUCTS * VARIANTS_EACH},
    }


def report(result: dict[str, Any]) -> bool:
    n = result["variants"]
    ok = (
        result["exact"]
        and result["on_sale"] == n
        and result["start_progress"] == (n, n)
        and result["end_progress"] == (n, n)
    )
    print(
        f"price sale over {n:,} variants ({PRODUCTS} products), "
        f"the store throttles every {THROTTLE_EVERY}th call"
    )
    for phase in ("start", "end"):
        done, total = result[f"{phase}_progress"]
        print(
            f"  {phase:<5}: {result[f'{phase}_s']:6.1f} s wall, {result[f'{phase}_sweeps']} sweep(s), "
            f"{result[f'{phase}_calls']} API calls ({result[f'{phase}_writes']} bulk writes, "
            f"{result[f'{phase}_throttled']} throttled), progress {done}/{total}"
        )
    print(f"  waits the store asked for (not slept)   : {result['waited_s']:.0f} s")
    print(f"  API calls the sale recorded              : {result['recorded_calls']}")
    print(f"  every price restored exactly             : {'OK' if ok else 'MISSED'}")
    return bool(ok)


if __name__ == "__main__":
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
    raise SystemExit(0 if report(measure_sales()) else 1)
