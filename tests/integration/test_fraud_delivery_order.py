"""The fraud report does not depend on the order webhooks arrive in (functions/fraud/outcomes.py):
Shopify and WooCommerce do not keep order, and retries reorder them. An outcome (a shipment, a
refund, a chargeback) delivered before its order's orders/create is marked pending in the order's
ledger and counted when the order is scored, in its band on its day; the same webhooks in any
order, each delivered twice, give the same report. An order storeflow never scores keeps its
outcomes uncounted."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.fraud.outcomes import raise_band
from infra.pollers import StreamPoller
from tests.integration.test_fraud_bands import DAY, fraud_part, held_order, order
from tests.integration.test_fraud_report import DISPUTE, HELD, REFUND, SHIPMENT, deliver
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

#: (scored, held, cancelled, chargebacks, refunded, fulfilled, held_fulfilled, held_good)
FIELDS = (
    "scored",
    "held",
    "cancelled",
    "chargebacks",
    "refunded",
    "fulfilled",
    "held_fulfilled",
    "held_good",
)

#: the outcome events of an order, as delivered (topic, payload)
OUTCOMES = {
    "fulfilled": ("fulfillments/create", SHIPMENT),
    "refunded": ("refunds/create", REFUND),
    "chargeback": ("disputes/create", DISPUTE),
}


@pytest.fixture
def store(api: Any) -> Any:
    put_store(api)  # a new store: risk-score on its defaults, dry-run (its actions settle as planned)
    return api


def rows(api: Any, first: str = DAY, last: str = DAY) -> dict[str, tuple[int, ...]]:
    """The fraud report's bands with anything counted in the days asked for."""
    answer = api.http.get(f"/stores/demo/reports/fraud?from={first}&to={last}", headers=AUTH)
    assert answer.status_code == 200, answer.body
    out = {r["band"]: tuple(int(r[f]) for f in FIELDS) for r in body_json(answer)["rows"]}
    return {band: row for band, row in out.items() if any(row)}


def deliver_outcome(api: Any, outcome: str, order_id: int, n: int = 1, again: str = "") -> None:
    """The outcome's webhook (twice); `again`: the same outcome under new delivery ids."""
    topic, payload = OUTCOMES[outcome]
    data = payload | {"id": 9_000_000 + n, "order_id": order_id}
    deliver(api, data, topic, f"{outcome}-{order_id}{again}")


#: a held order (its risk score's hold settles in dry-run) with each outcome, delivered after its order
AFTER = {
    "fulfilled": {"hold": (1, 1, 0, 0, 0, 1, 1, 1)},
    "refunded": {"hold": (1, 1, 0, 0, 1, 0, 0, 0)},
    "chargeback": {"hold": (1, 1, 0, 1, 0, 0, 0, 0)},
}


@pytest.mark.parametrize("first", ["order", "outcome"], ids=["order-first", "outcome-first"])
@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_an_outcome_delivered_before_its_order_counts_as_when_delivered_after(
    store: Any, pump: Any, runtime: Any, outcome: str, first: str
) -> None:
    steps = [
        lambda: deliver(store, held_order(), "orders/create", "h"),
        lambda: deliver_outcome(store, outcome, HELD),
    ]
    for step in steps if first == "order" else steps[::-1]:
        step()  # each webhook twice (deliver), each drained on its own
        pump.drain()
    assert rows(store) == AFTER[outcome]
    part = fraud_part(runtime, HELD)
    assert not [name for name in part if name.startswith("pending_")]  # counted: nothing left pending
    # delivered again later, under new delivery ids: no change
    deliver(store, held_order(), "orders/create", "h-later")
    deliver_outcome(store, outcome, HELD, again="-later")
    pump.drain()
    assert rows(store) == AFTER[outcome]


EVENTS = ("create", "fulfilled", "refunded", "chargeback", "settle")
EXPECTED = {"hold": (1, 1, 0, 1, 1, 1, 1, 0)}  # held, shipped, refunded, charged back: not good
_orders = itertools.count()


@pytest.fixture
def dispatch(app: Any, session: Any, resources: Any) -> Any:
    """The stream's dispatcher alone: the risk score's own action is never executed here, its hold
    settles where the test says (`settle`)."""
    return StreamPoller(session, resources.stream_arn, {"dispatch": app.handler_map["dispatch"]})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.permutations(EVENTS * 2),
    drains=st.lists(st.booleans(), min_size=len(EVENTS) * 2, max_size=len(EVENTS) * 2),
)
@example(steps=EVENTS * 2, drains=[True] * 10)  # in order, each twice
@example(steps=tuple(reversed(EVENTS)) * 2, drains=[True] * 10)  # every outcome before its order
@example(steps=(*EVENTS[1:4], "settle", "create", *EVENTS), drains=[False] * 10)  # one batch
def test_one_orders_webhooks_in_any_order_each_twice_give_the_same_report(
    store: Any, dispatch: Any, runtime: Any, steps: tuple[str, ...], drains: list[bool]
) -> None:
    """One order's orders/create, shipment, refund, chargeback (each webhook twice, and each step
    twice) and its risk score's hold settling, in any order, drained one by one or several in one
    stream batch: the order's day in the report is always the same."""
    n = next(_orders)
    order_id = 5_000_000_000 + n
    day = date(2025, 1, 1) + timedelta(days=n)  # each example's order on a day of its own
    created = {**order(order_id, f"#5{n}"), "created_at": f"{day.isoformat()}T10:00:00+01:00"}
    seen: list[str] = []
    for step, drain in zip(steps, drains, strict=True):
        again = f"-{seen.count(step)}"  # the step's second time: a redelivery under new ids
        seen.append(step)
        if step == "create":
            deliver(store, created, "orders/create", f"c-{order_id}{again}")
        elif step == "settle":  # what the executor's settled hold counts (outcomes.count_decision)
            now = runtime.clock.now()
            raise_band(runtime.repo, runtime.store("demo"), str(order_id), "hold", now, "held")
        else:
            deliver_outcome(store, step, order_id, n, again)
        if drain:
            dispatch.drain()
    dispatch.drain()
    assert rows(store, day.isoformat(), day.isoformat()) == EXPECTED
    part = fraud_part(runtime, order_id)
    assert part["day"] == day.isoformat() and part["band"] == "hold"
    assert not [name for name in part if name.startswith("pending_")]


NEVER = 4_000_000_000  # an order storeflow never received: created before it was installed


def test_outcomes_of_an_order_storeflow_never_received_are_not_counted(
    store: Any, pump: Any, runtime: Any
) -> None:
    for outcome in OUTCOMES:
        deliver_outcome(store, outcome, NEVER)
    pump.drain()
    assert rows(store, "2025-12-01", "2026-11-30") == {}
    # what the ledger keeps of it is the pending marks alone: nothing personal
    assert fraud_part(runtime, NEVER) == {
        "band": "pass",
        "pending_fulfilled": True,
        "pending_refunded": True,
        "pending_chargeback": True,
    }


@pytest.mark.parametrize("first", ["order", "outcome"], ids=["order-first", "outcome-first"])
def test_outcomes_of_an_order_cancelled_at_creation_are_not_counted(
    store: Any, pump: Any, first: str
) -> None:
    cancelled = {**order(HELD, "#2002"), "cancelled_at": "2026-11-20T10:05:00+01:00"}
    steps = [lambda: deliver(store, cancelled, "orders/create", "c")] + [
        lambda o=o: deliver_outcome(store, o, HELD) for o in OUTCOMES
    ]
    for step in steps if first == "order" else steps[::-1]:
        step()
        pump.drain()
    assert rows(store) == {}


@pytest.mark.parametrize("first", ["order", "outcome"], ids=["order-first", "outcome-first"])
def test_outcomes_of_an_order_created_while_risk_score_was_off_are_not_counted(
    api: Any, pump: Any, first: str
) -> None:
    """The risk score off when the order came (nothing scored it), on when its outcomes come."""
    off = {"automations": {"risk-score": {"enabled": False}}}
    on = {"automations": {"risk-score": {"enabled": True}}}
    if first == "outcome":
        put_store(api, **on)
        for outcome in OUTCOMES:
            deliver_outcome(api, outcome, HELD)
        pump.drain()
    put_store(api, **off)
    deliver(api, held_order(), "orders/create", "h")
    pump.drain()
    put_store(api, **on)
    for outcome in OUTCOMES:
        deliver_outcome(api, outcome, HELD, again="-on")
    pump.drain()
    assert rows(api) == {}
