"""The restore is exact whatever happens during a sale: any sequence of edits, a cancel, a late
start, variants deleted and prices the merchant changes by hand ends with every variant at the
price it had before the sale, or at the merchant's own (the real product payloads as the catalog)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.engine.sweep import sweep
from functions.sales import runner
from storekit.clock import FixedClock
from storekit.runtime import Runtime
from tests.fake_catalog import FakeShopify, shopify_products_from_real
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

VARIANTS = ["808950810", "49148385", "39072856", "457924702", "642667041472714000", "757650484644203900"]
#: prices a merchant types by hand (none of them a price the sale could set)
HAND_PRICES = ["7.77", "123.45", "250.00", "19.99"]

operation = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(["10", "33", "50", "99"])),
    st.tuples(st.just("hand"), st.sampled_from(VARIANTS), st.sampled_from(HAND_PRICES)),
    st.tuples(st.just("delete"), st.sampled_from(VARIANTS)),
    st.tuples(st.just("cancel"), st.just("")),
    st.tuples(st.just("wait"), st.sampled_from([1, 30, 90])),  # minutes, then a sweep
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(late_by=st.sampled_from([0, 5, 200]), operations=st.lists(operation, max_size=8))
def test_any_sequence_ends_with_the_recorded_prices_or_the_merchants_own(
    api: Any,
    runtime: Runtime,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    late_by: int,
    operations: list[tuple[Any, ...]],
) -> None:
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda s: None))
    put_store(api, shop_domain="demo.myshopify.com", mode="live")
    store = FakeShopify(shopify_products_from_real(), throttle_every=7)
    original = {
        vid: (v.price, v.compare_at) for p in store.products.values() for vid, v in p.variants.items()
    }
    expected = dict(original)
    deleted: set[str] = set()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        store.install(mock)
        start = clock.now()
        made = api.http.post(
            "/stores/demo/schedules",
            headers=AUTH,
            body=json.dumps(
                {
                    "kind": "sale",
                    "name": "property",
                    "product_ids": ["632910392", "788032119674292900"],
                    "percent_off": "25",
                    "starts_at": (start.replace(microsecond=0)).isoformat(),
                    "ends_at": (start.replace(microsecond=0) + _minutes(180)).isoformat(),
                }
            ),
        )
        assert made.status_code == 201, made.body
        job_id = body_json(made)["job_id"]
        clock.advance(minutes=late_by)  # the sweeper comes late (200: after the sale's end)
        sweep(runtime)
        for op in operations:
            kind = op[0]
            if kind == "edit":
                api.http.patch(
                    f"/stores/demo/schedules/{job_id}", headers=AUTH, body=json.dumps({"percent_off": op[1]})
                )
            elif kind == "hand" and op[1] not in deleted:
                found = store.find_variant(op[1])
                assert found is not None
                found[1].price = Decimal(op[2])
                expected[op[1]] = (found[1].price, found[1].compare_at)
            elif kind == "delete" and op[1] not in deleted:
                pid, _ = store.find_variant(op[1]) or ("", None)
                del store.products[pid].variants[op[1]]
                deleted.add(op[1])
            elif kind == "cancel":
                api.http.delete(f"/stores/demo/schedules/{job_id}", headers=AUTH)
            elif kind == "wait":
                clock.advance(minutes=op[1])
                sweep(runtime)
        clock.advance(minutes=400)  # past the end, whatever happened
        sweep(runtime)
        clock.advance(minutes=2)
        sweep(runtime)
    final = {vid: (v.price, v.compare_at) for p in store.products.values() for vid, v in p.variants.items()}
    assert final == {vid: value for vid, value in expected.items() if vid not in deleted}
    shown = body_json(api.http.get(f"/stores/demo/schedules/{job_id}", headers=AUTH))
    assert shown["state"] in ("done", "cancelled")


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)
