"""The fraud report's counts per risk-score band are exact however the stream and the executor
interleave (functions/fraud/outcomes.py): an order's day, band and outcomes live in the fraud part
of its ledger, and every change of the part is written in one transaction with the counters it
explains. A new order's `scored` costs no write of its own (it goes with the order's value, once
per stream batch); a risk-score action that settles before its batch is written still puts the
order's `scored` in the raised band; a batch that dies before writing counts its orders when it is
delivered again; an order scored by the code of before keeps its band and is never scored again."""

from __future__ import annotations

import collections
import threading
from decimal import Decimal
from typing import Any

import pytest

from functions.engine.dispatch import DispatchBatch
from functions.fraud import outcomes
from functions.fraud.outcomes import raise_band
from infra.pollers import StreamPoller
from storekit import keys
from storekit.adapters.base import Parsed, Topic
from storekit.automation import AppliedEvent
from storekit.models import Dispute
from storekit.repository.counted import CountedRepository
from storekit.repository.items import attributes_of
from tests.integration.test_fraud_report import DISPUTE, HELD, PASSED, SHIPMENT, deliver
from tests.integration.test_fraud_report import order as sample_order
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

DAY = "2026-11-20"  # the orders' store-local day (test_fraud_report.order)


def report(api: Any) -> dict[str, dict[str, Any]]:
    answer = api.http.get(f"/stores/demo/reports/fraud?from={DAY}&to={DAY}", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return {r["band"]: r for r in body_json(answer)["rows"]}


def counts(api: Any) -> dict[str, tuple[int, ...]]:
    """Per band with anything counted: (scored, held, cancelled, chargebacks, fulfilled,
    held_fulfilled, held_good)."""
    fields = ("scored", "held", "cancelled", "chargebacks", "fulfilled", "held_fulfilled", "held_good")
    out = {band: tuple(int(row[f]) for f in fields) for band, row in report(api).items()}
    return {band: row for band, row in out.items() if any(row)}


def fraud_part(runtime: Any, order_id: int) -> dict[str, Any]:
    ledger = runtime.table.get_item(Key=keys.order_ledger("demo", str(order_id)), ConsistentRead=True)
    return dict(ledger["Item"][keys.ledger_part_attr("fraud")])


def order(order_id: int, name: str, **payment: str) -> dict[str, Any]:
    """The sample order as a real one (not a test order): its value is counted too."""
    return {**sample_order(order_id, name, **payment), "test": False}


def held_order() -> dict[str, Any]:
    return order(HELD, "#2002", avs_result_code="N", cvv_result_code="N")


@pytest.fixture
def store(api: Any) -> Any:
    put_store(api)  # a new store: risk-score on its defaults, dry-run (its actions settle as planned)
    return api


def test_a_new_order_is_scored_with_its_value_and_writes_no_fraud_facts(
    store: Any, pump: Any, runtime: Any
) -> None:
    deliver(store, order(PASSED, "#2001"), "orders/create", "p")
    pump.drain()
    assert counts(store) == {"pass": (1, 0, 0, 0, 0, 0, 0)}
    assert fraud_part(runtime, PASSED) == {
        "counted": True,
        "outcome_scored": True,
        "day": DAY,
        "band": "pass",
    }
    facts = runtime.table.get_item(Key=keys.fraud_facts("demo", str(PASSED))).get("Item")
    assert facts is None or not {"day", "band", "outcome_scored"} & set(facts)


def test_a_risk_action_settled_before_its_batch_is_written_counts_the_order_in_the_raised_band(
    store: Any,
    pump: Any,
    runtime: Any,
    app: Any,
    session: Any,
    resources: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The risk score's hold is written to the outbox while the batch runs; here the executor
    settles it (another worker) before the batch writes what it holds of the order. The batch's
    write then fails its condition and the order is counted again, in the hold band."""
    executor = StreamPoller(session, resources.stream_arn, {"execute": app.handler_map["execute"]})
    real_finish = DispatchBatch.finish
    real_flush = CountedRepository.flush_counted
    settled: list[int] = []
    flushed: list[bool] = []

    def settle_first(self: DispatchBatch, failures: list[dict[str, str]]) -> list[dict[str, str]]:
        if not settled:
            worker = threading.Thread(target=lambda: settled.append(executor.drain()))
            worker.start()
            worker.join()
        return real_finish(self, failures)

    def flush(self: CountedRepository, *, hold_on: bool = False) -> bool:
        ok = real_flush(self, hold_on=hold_on)
        flushed.append(ok)
        return ok

    monkeypatch.setattr(DispatchBatch, "finish", settle_first)
    monkeypatch.setattr(CountedRepository, "flush_counted", flush)
    deliver(store, held_order(), "orders/create", "h")
    deliver(store, order(PASSED, "#2001"), "orders/create", "p")
    pump.drain()
    assert settled and settled[0] > 0  # the executor ran the hold while the batch was open
    assert flushed[0] is False  # the batch's write lost to the settled band: counted again
    assert counts(store) == {"pass": (1, 0, 0, 0, 0, 0, 0), "hold": (1, 1, 0, 0, 0, 0, 0)}
    assert fraud_part(runtime, HELD) == {
        "counted": True,
        "outcome_scored": True,
        "outcome_held": True,
        "day": DAY,
        "band": "hold",
    }
    # the same orders again, under new delivery ids and as a replay of the whole stream: no change
    deliver(store, held_order(), "orders/create", "h-new")
    deliver(store, order(PASSED, "#2001"), "orders/create", "p-new")
    pump.drain()
    StreamPoller(
        session,
        resources.stream_arn,
        {"dispatch": app.handler_map["dispatch"], "execute": app.handler_map["execute"]},
    ).drain()
    assert counts(store) == {"pass": (1, 0, 0, 0, 0, 0, 0), "hold": (1, 1, 0, 0, 0, 0, 0)}


def test_only_the_order_whose_band_moved_mid_batch_is_counted_again(
    store: Any,
    pump: Any,
    runtime: Any,
    app: Any,
    session: Any,
    resources: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch's other orders are written as the batch holds them (the transaction again without
    the order the executor changed), not counted again one write per order and domain."""
    executor = StreamPoller(session, resources.stream_arn, {"execute": app.handler_map["execute"]})
    real_finish = DispatchBatch.finish
    transactions: list[str] = []
    dispatcher = threading.current_thread()

    def settle_first(self: DispatchBatch, failures: list[dict[str, str]]) -> list[dict[str, str]]:
        if not transactions:
            worker = threading.Thread(target=executor.drain)
            worker.start()
            worker.join()
        return real_finish(self, failures)

    def log(model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems" and threading.current_thread() is dispatcher:
            transactions.append(model.name)

    monkeypatch.setattr(DispatchBatch, "finish", settle_first)
    others = [order(3_000_000_000 + n, f"#30{n}") for n in range(4)]
    for n, data in enumerate(others):
        deliver(store, data, "orders/create", f"o{n}")
    deliver(store, held_order(), "orders/create", "h")
    events = runtime.table.meta.client.meta.events
    events.register("before-call.dynamodb", log)
    try:
        pump.drain()
    finally:
        events.unregister("before-call.dynamodb", log)
    # each order scored once, in the band its ledger says (more orders from one buyer score higher)
    bands = [fraud_part(runtime, int(data["id"]))["band"] for data in [*others, held_order()]]
    assert bands[-1] == "hold"
    assert {band: row[0] for band, row in counts(store).items()} == dict(collections.Counter(bands))
    stats = runtime.table.get_item(Key=keys.fraud_stats("demo"), ConsistentRead=True)["Item"]
    assert stats["orders"] == 5
    # the batch's (refused), the batch's without the orders whose band moved, then their own parts
    # (fraud, reports, sales) counted again; not a transaction per order and domain (1 + 5 x 3)
    moved = sum(band != "pass" for band in bands)
    assert 2 <= len(transactions) <= 2 + 3 * moved < 1 + 5 * 3, (moved, transactions)


def test_a_batch_that_dies_before_writing_counts_its_orders_once_when_delivered_again(
    store: Any, pump: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher dies after handling the batch's events and before writing anything it holds
    (a timeout, an out-of-memory): nothing of the scored marks may be left without its count."""
    real_finish = DispatchBatch.finish
    died: list[bool] = []

    def die_once(self: DispatchBatch, failures: list[dict[str, str]]) -> list[dict[str, str]]:
        if not died:
            died.append(True)
            runtime.repo._counter_hold.held.clear()  # a dead process writes none of its held adds
            raise RuntimeError("the function died")
        return real_finish(self, failures)

    monkeypatch.setattr(DispatchBatch, "finish", die_once)
    deliver(store, order(PASSED, "#2001"), "orders/create", "p")
    deliver(store, held_order(), "orders/create", "h")
    pump.drain()  # the poller delivers the batch again, as Lambda retries a batch that raised
    assert died
    assert counts(store) == {"pass": (1, 0, 0, 0, 0, 0, 0), "hold": (1, 1, 0, 0, 0, 0, 0)}
    stats = runtime.table.get_item(Key=keys.fraud_stats("demo"), ConsistentRead=True)["Item"]
    assert stats["orders"] == 2


def test_outcomes_count_once_in_the_band_of_their_order_and_move_with_it(
    store: Any, pump: Any, runtime: Any
) -> None:
    deliver(store, held_order(), "orders/create", "h")
    pump.drain()
    deliver(store, SHIPMENT | {"order_id": HELD}, "fulfillments/create", "f")
    deliver(store, DISPUTE | {"order_id": HELD}, "disputes/create", "d")
    pump.drain()
    assert counts(store) == {"hold": (1, 1, 0, 1, 1, 1, 0)}
    # a cancel settles later (the merchant's higher band): every counted outcome moves to it, once
    now = runtime.clock.now()
    raise_band(runtime.repo, runtime.store("demo"), str(HELD), "cancel", now, "cancelled")
    raise_band(runtime.repo, runtime.store("demo"), str(HELD), "cancel", now, "cancelled")
    raise_band(runtime.repo, runtime.store("demo"), str(HELD), "review", now)  # never down
    assert counts(store) == {"cancel": (1, 1, 1, 1, 1, 1, 0)}


def scored_before(runtime: Any, order_id: int, ledger: bool, **outcomes: bool) -> None:
    """What the code of before left for an order it scored, held and counted: the order's day, band
    and outcome marks on its fraud facts (with its value's `counted` there too before the ledger,
    else in the ledger's fraud part) and the report counters they explain."""
    table = runtime.table
    facts = keys.fraud_facts("demo", str(order_id))
    marks = {f"outcome_{name}": True for name in ("scored", *outcomes)}
    item = {
        **facts,
        **keys.store_member("demo", facts),
        "type": keys.FRAUD_FACTS,
        "store_id": "demo",
        "day": DAY,
        "band": "hold",
        **marks,
        **({} if ledger else {"counted": True}),
    }
    table.put_item(Item=item)
    if ledger:
        key = keys.order_ledger("demo", str(order_id))
        table.put_item(
            Item={
                **key,
                **keys.store_member("demo", key),
                "type": keys.ORDER_LEDGER,
                "store_id": "demo",
                keys.ledger_part_attr("fraud"): {"counted": True},
                keys.ledger_version_attr("fraud"): 1,
            }
        )
    for mark in marks:  # the report counters as the code of before added them
        counter = keys.counter("demo", keys.FRAUD_COUNTER, DAY, f"hold#{mark.removeprefix('outcome_')}")
        table.update_item(
            Key=counter,
            UpdateExpression="ADD #v :one SET #t = :t",
            ExpressionAttributeNames={"#v": "value", "#t": "type"},
            ExpressionAttributeValues={":one": 1, ":t": keys.COUNTER},
        )
    table.put_item(Item={**keys.fraud_stats("demo"), "type": keys.FRAUD_STATS, "orders": 1, "amount_sum": 1})


@pytest.mark.parametrize("ledger", [False, True], ids=["before-the-ledger", "ledger-without-outcomes"])
def test_an_order_scored_before_the_upgrade_is_not_scored_again_and_its_outcomes_land_in_its_band(
    store: Any, pump: Any, runtime: Any, ledger: bool
) -> None:
    scored_before(runtime, HELD, ledger, held=True)
    assert counts(store) == {"hold": (1, 1, 0, 0, 0, 0, 0)}
    # the upgraded dispatcher gets the order again (a redelivery under new ids), then its outcomes
    deliver(store, held_order(), "orders/create", "h-again")
    pump.drain()
    assert counts(store) == {"hold": (1, 1, 0, 0, 0, 0, 0)}
    deliver(store, SHIPMENT | {"order_id": HELD}, "fulfillments/create", "f")
    pump.drain()
    assert counts(store) == {"hold": (1, 1, 0, 0, 1, 1, 1)}
    stats = runtime.table.get_item(Key=keys.fraud_stats("demo"), ConsistentRead=True)["Item"]
    assert stats["orders"] == 1  # its value was counted before: not again
    # what the old marks said is now the ledger's; the part holds nothing personal
    assert fraud_part(runtime, HELD) == {
        "counted": True,
        "day": DAY,
        "band": "hold",
        "outcome_scored": True,
        "outcome_held": True,
        "outcome_fulfilled": True,
        "outcome_held_fulfilled": True,
    }
    # a higher band settled after the upgrade moves the old outcomes with the new
    raise_band(runtime.repo, runtime.store("demo"), str(HELD), "cancel", runtime.clock.now(), "cancelled")
    assert counts(store) == {"cancel": (1, 1, 1, 0, 1, 1, 1)}


def test_the_fraud_part_is_kept_by_a_customer_redact_and_holds_no_personal_data(
    store: Any, pump: Any, runtime: Any
) -> None:
    deliver(store, held_order(), "orders/create", "h")
    pump.drain()
    part = fraud_part(runtime, HELD)
    assert set(part) == {"counted", "day", "band", "outcome_scored", "outcome_held"}
    assert set(attributes_of(part)) == set(part)


@pytest.mark.parametrize("event", ["fulfilled", "chargeback"])
def test_a_held_orders_outcome_and_its_held_mark_count_together_when_the_first_write_dies(
    store: Any, pump: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, event: str
) -> None:
    """A shipment of a held order is `fulfilled` and `held_fulfilled` (a chargeback after it,
    `chargeback` and `held_fulfilled_chargeback`): written together, so a process that dies after
    writing one (here: counting an event again outside a batch, after its batch's write lost to
    the executor) cannot leave the other uncounted for good when the event is handled again."""
    deliver(store, held_order(), "orders/create", "h")
    pump.drain()
    if event == "chargeback":
        deliver(store, SHIPMENT | {"order_id": HELD}, "fulfillments/create", "f")
        pump.drain()
    before = counts(store)["hold"]
    real = runtime.repo.count_fraud_part
    writes: list[dict[str, Any]] = []

    def dies_after_one(*args: Any, **kwargs: Any) -> bool:
        if writes:
            raise RuntimeError("the function died")
        writes.append(args[3])
        return bool(real(*args, **kwargs))

    monkeypatch.setattr(runtime.repo, "count_fraud_part", dies_after_one)
    store_config, now = runtime.store("demo"), runtime.clock.now()
    try:
        if event == "fulfilled":
            outcomes.count_outcome(runtime.repo, store_config, str(HELD), "fulfilled", now)
        else:
            outcomes.count_event_outcome(
                AppliedEvent(
                    store=store_config,
                    parsed=Parsed(
                        topic=Topic.DISPUTE_CREATED,
                        entity_kind="dispute",
                        entity_id="d1",
                        updated_at=None,
                        resource=Dispute(id="d1", order_id=str(HELD)),
                    ),
                    topic="dispute.created",
                    repo=runtime.repo,
                    now=now,
                )
            )
    except RuntimeError:
        pass
    monkeypatch.setattr(runtime.repo, "count_fraud_part", real)
    # the event handled again (Lambda retries what failed)
    if event == "fulfilled":
        deliver(store, SHIPMENT | {"order_id": HELD}, "fulfillments/create", "f-again")
    else:
        deliver(store, DISPUTE | {"order_id": HELD}, "disputes/create", "d-again")
    pump.drain()
    # (scored, held, cancelled, chargebacks, fulfilled, held_fulfilled, held_good)
    after = counts(store)["hold"]
    if event == "fulfilled":
        assert before == (1, 1, 0, 0, 0, 0, 0)
        assert after == (1, 1, 0, 0, 1, 1, 1)
    else:
        assert before == (1, 1, 0, 0, 1, 1, 1)
        assert after == (1, 1, 0, 1, 1, 1, 0)  # held and fulfilled, then charged back: not good


@pytest.mark.parametrize("moved", [[10], [120], [0, 97, 149]], ids=["first", "second", "both"])
def test_a_batch_of_several_transactions_writes_every_order_but_those_another_worker_changed(
    runtime: Any, moved: list[int]
) -> None:
    """150 new orders held in one batch are written in two transactions (at most 100 items each);
    the executor moves some orders' bands before the flush. Each transaction's other orders are
    written with exactly their own counts (the counter items they shared with the moved orders
    included), the moved ones not at all: counted again by their events, one by one."""
    repo = runtime.repo
    ids = [str(7_000_000_000 + n) for n in range(150)]
    scored = keys.counter("demo", keys.FRAUD_COUNTER, DAY, "pass#scored")
    with repo.counting_held():
        for order_id in ids:
            assert repo.count_fraud_part(
                "demo",
                order_id,
                "fraud",
                {"counted": True, "outcome_scored": True, "day": DAY, "band": "pass"},
                None,
                {(DAY, "pass", "scored"): 1},
                Decimal("10"),
            )
        with repo.counting_paused():  # the executor (another worker) writes first
            for n in moved:
                assert repo.count_fraud_part("demo", ids[n], "fraud", {"band": "hold"}, None, {})
        assert repo.flush_counted() is False
    left = len(ids) - len(moved)
    stats = runtime.table.get_item(Key=keys.fraud_stats("demo"), ConsistentRead=True)["Item"]
    assert (stats["orders"], stats["amount_sum"]) == (left, 10 * left)
    assert runtime.table.get_item(Key=scored, ConsistentRead=True)["Item"]["value"] == left
    for n, order_id in enumerate(ids):
        part = fraud_part(runtime, int(order_id))
        assert part == ({"band": "hold"} if n in moved else {**part, "counted": True, "band": "pass"})
