"""An order whose counted part keeps changing under an event (other workers counting the same order
between each read and conditional write, more times than a keeper tries) is not left uncounted:
the keeper raises CountingBusy, the stream record fails and is tried again, and the order is
counted on the next try; a part that never settles parks the record with the reason, visible in the
admin API. (Before, each domain logged "busy: order left for its next delivery" and the event was
marked processed without the order counted: a next delivery may never come.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_batch_counting import DAY, SAMPLE, variants
from tests.integration.test_fraud_stats import TOTAL, stats
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, listed, put_store, shopify_headers

pytestmark = pytest.mark.integration


def busy_for(runtime: Any, monkeypatch: pytest.MonkeyPatch, method: str, refusals: int | None) -> None:
    """The repository's conditional write `method` answers "another worker changed it" the first
    `refusals` times (None: always), as a part other workers keep counting would."""
    real: Callable[..., bool] = getattr(runtime.repo, method)
    calls = {"n": 0}

    def refused_at_first(*args: Any, **kwargs: Any) -> bool:
        calls["n"] += 1
        if refusals is None or calls["n"] <= refusals:
            return False
        return real(*args, **kwargs)

    monkeypatch.setattr(runtime.repo, method, refused_at_first)


def deliver_order(api: Any) -> None:
    order = json.loads(load_fixture(SAMPLE)[0])
    order["email"] = "buyer@example.com"  # the sample has no customer: with an email, a cohort counts it
    body = json.dumps(order).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, "orders/create", "busy-1"), body=body
    )
    assert answer.status_code == 200, answer.body


def sales_row(api: Any) -> tuple[int, int]:
    answer = api.http.get(f"/stores/demo/reports/sales?from={DAY}&to={DAY}", headers=AUTH)
    rows = body_json(answer)["rows"]
    return (rows[0]["orders"], rows[0]["units"]) if rows else (0, 0)


def retention(api: Any) -> int:
    month = DAY[:7]
    answer = api.http.get(f"/stores/demo/reports/retention?from={DAY}&to={DAY}", headers=AUTH)
    rows = [r for r in body_json(answer)["rows"] if r.get("cohort", month) == month]
    return int(rows[0]["customers"]) if rows else 0


#: (the domain's conditional write, what a merchant sees counted of the one order once it is)
DOMAINS: dict[str, tuple[str, Callable[[Any, Any], object], object]] = {
    "reports": ("apply_order_counted", lambda api, runtime: sales_row(api), (1, 3)),
    "inventory": (
        "apply_sales",
        lambda api, runtime: [runtime.repo.variant_units_sold("demo", v, DAY, DAY) for v in variants()],
        [1, 1, 1],
    ),
    "fraud": ("count_fraud_part", lambda api, runtime: stats(runtime), (1, TOTAL)),
    "cohorts": ("apply_counted", lambda api, runtime: retention(api), 1),
}


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_an_order_counted_under_contention_is_counted_on_the_records_next_try(
    api: Any, pump: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, domain: str
) -> None:
    method, seen, expected = DOMAINS[domain]
    put_store(api, timezone="America/New_York", currency="HKD")
    busy_for(runtime, monkeypatch, method, refusals=6)  # more than a keeper's tries
    deliver_order(api)
    pump.drain()
    assert seen(api, runtime) == expected
    assert [e["status"] for e in listed(api, "demo", "events")] == ["processed"]
    assert listed(api, "demo", "parked") == []


def test_a_part_that_never_settles_parks_the_event_with_the_reason(
    api: Any, pump: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_store(api, timezone="America/New_York", currency="HKD")
    busy_for(runtime, monkeypatch, "apply_sales", refusals=None)
    deliver_order(api)
    pump.drain()
    [parked] = listed(api, "demo", "parked")
    assert parked["handler"] == "dispatch"
    assert "CountingBusy" in parked["reason"] and "sales counts changed" in parked["reason"]
    [event] = listed(api, "demo", "events")
    assert event["status"] == "failed" and "parked after" in event["reason"]
