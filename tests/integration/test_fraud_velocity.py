"""The risk score's velocity windows on the local table: a flood from one IP keeps its window's item
small (its earliest and latest orders), and every velocity decision stays what a count of all the
orders gives, whatever order they arrive in, however often they are delivered, however many
dispatchers write them at once."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.fraud.facts import keep_order_counters, read_facts, window_start
from functions.fraud.models import RiskSettings
from functions.fraud.signals import risk_score
from storekit import keys
from storekit.adapters import parse_delivery
from storekit.adapters.base import Parsed, Topic
from storekit.automation import AppliedEvent, Reader
from storekit.clock import FixedClock
from storekit.models import Order
from storekit.repository import Repository
from storekit.repository import fraud as fraud_repository
from storekit.store import AutomationConfig, StoreConfig
from tests.payloads import load_fixture
from tests.write_units import item_size

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
HOUR = 3600
#: a window boundary (velocity_window_hours=1): the tests' orders start one window before it
BASE = window_start(int(NOW.timestamp()), HOUR)
_ips = itertools.count(1)


def store(max_orders: int) -> StoreConfig:
    risk = {"velocity_max_orders": max_orders, "velocity_window_hours": 1}
    return StoreConfig(
        store_id="demo",
        platform="shopify",
        shop_domain="demo-shop.myshopify.com",
        automations={"risk-score": AutomationConfig(settings=risk)},
        created_at=NOW,
        updated_at=NOW,
    )


def a_new_ip() -> str:
    n = next(_ips)
    return f"198.51.{n // 250}.{n % 250}"


def _real_order() -> Order:
    data = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])
    resource = parse_delivery("shopify", Topic.ORDER_CREATED, data).resource
    assert isinstance(resource, Order)
    # only its IP counts here: the other identities would write three more windows per order
    return resource.model_copy(
        update={"email": None, "payment": None, "shipping_address": None, "billing_address": None}
    )


REAL = _real_order()


def order(n: int, at: int, ip: str) -> Order:
    """The real order, as the n-th from `ip`, created at `at`."""
    return REAL.model_copy(
        update={"id": str(5000000000000 + n), "created_at": datetime.fromtimestamp(at, UTC), "client_ip": ip}
    )


def keep(repo: Repository, the_store: StoreConfig, the_order: Order) -> None:
    """What dispatch's kept-after hook does for orders/create."""
    parsed = Parsed(
        topic=Topic.ORDER_CREATED,
        entity_kind="order",
        entity_id=the_order.id,
        updated_at=None,
        resource=the_order,
    )
    keep_order_counters(
        AppliedEvent(store=the_store, parsed=parsed, topic="order.created", repo=repo, now=NOW)
    )


def score(repo: Repository, the_store: StoreConfig, the_order: Order) -> tuple[bool, str]:
    """Whether the IP velocity signal fires for the order, and what it says."""
    risk = RiskSettings.model_validate(the_store.automation("risk-score").settings)
    facts = read_facts(the_order, Reader("demo", repo, store=the_store, now=NOW), risk)
    signals = risk_score(the_order, facts, risk, lambda _: None).signals
    said = [s.evidence for s in signals if s.name == "ip_velocity"]
    return bool(said), said[0] if said else ""


def truly_fires(the_order: Order, others: Iterable[Order], max_orders: int) -> bool:
    """The velocity rule counted over every order: the others within the hour up to this one."""
    assert the_order.created_at is not None
    at = int(the_order.created_at.timestamp())
    count = sum(
        1
        for o in others
        if o.id != the_order.id and o.created_at and at - HOUR <= int(o.created_at.timestamp()) <= at
    )
    return count + 1 > max_orders


def window_items(runtime: Any, ip: str) -> list[dict[str, Any]]:
    """The IP's velocity items as stored (typed values, as DynamoDB sizes them)."""
    pk = keys.fraud_velocity("demo", "ip", ip, 0)["PK"]
    answer = runtime.table.meta.client.query(
        TableName=runtime.table.name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": pk},
        ConsistentRead=True,
    )
    return list(answer["Items"])


def typed_size(item: dict[str, Any]) -> int:
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    return item_size({name: serialize(value) for name, value in item.items()})


def orders_kept(item: dict[str, Any]) -> int:
    return sum(1 for name in item if name.startswith("o#"))


def test_late_orders_of_a_window_past_the_cap_still_count(runtime: Any) -> None:
    """505 orders from one IP in one hour: the old counter kept the first 500 and refused the rest,
    so an order in the next hour that only the last 5 fall near was not flagged."""
    the_store, ip = store(3), a_new_ip()
    for n in range(500):  # early in the window before
        keep(runtime.repo, the_store, order(n, BASE - HOUR + n, ip))
    for n in range(500, 505):  # late in it: within the hour before the order below
        keep(runtime.repo, the_store, order(n, BASE - 300 + n - 500, ip))
    fired, said = score(runtime.repo, the_store, order(999, BASE + 3000, ip))
    assert fired and said == "more than 3 orders from this IP address within 1 h"
    [item] = window_items(runtime, ip)
    assert orders_kept(item) <= 2 * 4 + 30 and typed_size(item) <= 1024


def test_a_shared_ip_flood_keeps_its_item_under_a_kb_and_every_decision_exact(runtime: Any) -> None:
    the_store, ip = store(3), a_new_ip()
    placed: list[Order] = []
    for n in range(50):  # one every 100 s: 36 in the first hour, 14 in the next
        new = order(n, BASE - HOUR + 100 * n + 7, ip)
        fired, said = score(runtime.repo, the_store, new)
        assert fired == truly_fires(new, placed, 3), n
        if fired and n < 4:
            assert said == f"{n + 1}th order from this IP address within 1 h (more than 3)"
        keep(runtime.repo, the_store, new)
        placed.append(new)
        assert all(typed_size(item) <= 1024 for item in window_items(runtime, ip))
    items = window_items(runtime, ip)
    print([orders_kept(item) for item in items], [typed_size(item) for item in items])
    assert len(items) == 2 and orders_kept(items[0]) < 36
    # scored again later (a transaction, a risk assessment): each order's decision is still exact
    for each in placed:
        assert score(runtime.repo, the_store, each)[0] == truly_fires(each, placed, 3), each.id
    # customers/redact still finds and deletes every window of the IP
    assert runtime.repo.forget_fraud_identity("demo", "ip", ip) == 2
    assert window_items(runtime, ip) == []


def test_the_same_orders_delivered_again_change_nothing(runtime: Any) -> None:
    the_store, ip = store(3), a_new_ip()
    placed = [order(n, BASE + 60 * n, ip) for n in range(45)]
    for each in placed:
        keep(runtime.repo, the_store, each)
    before = window_items(runtime, ip)
    assert orders_kept(before[0]) < 45  # the middle went
    for each in [*placed, *reversed(placed)]:  # every order again, dropped ones included
        keep(runtime.repo, the_store, each)
    assert window_items(runtime, ip) == before


@pytest.mark.parametrize("block", [1, 1024], ids=["trimmed-on-every-write", "trimmed-per-kb"])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    times=st.lists(st.integers(min_value=0, max_value=3 * HOUR - 1), min_size=1, max_size=40),
    max_orders=st.integers(min_value=1, max_value=6),
    data=st.data(),
)
def test_every_decision_matches_a_count_of_all_orders(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, block: int, times: list[int], max_orders: int, data: Any
) -> None:
    """Orders arrive in any order (late deliveries, out-of-order streams) across three windows, some
    of them more than once: the decision on each as it arrives, and on each again after all arrived
    (a later transaction or risk assessment rescores it), is what a count of all orders gives.
    `block` 1 trims the window at every write past its 2 x (max + 1) orders; 1024 as deployed."""
    monkeypatch.setattr(fraud_repository, "_BLOCK", block)
    the_store, ip = store(max_orders), a_new_ip()
    orders = [order(n, BASE - HOUR + t, ip) for n, t in enumerate(times)]
    redelivered = data.draw(st.lists(st.sampled_from(range(len(orders))), max_size=10), label="repeats")
    arrivals = data.draw(st.permutations([*range(len(orders)), *redelivered]), label="arrivals")
    placed: list[Order] = []
    for i in arrivals:
        new = orders[i]
        if new not in placed:  # a repeat is not scored again (the engine runs an order once)
            assert score(runtime.repo, the_store, new)[0] == truly_fires(new, placed, max_orders)
            placed.append(new)
        keep(runtime.repo, the_store, new)
    for each in orders:
        assert score(runtime.repo, the_store, each)[0] == truly_fires(each, orders, max_orders)


def interleaved(first: Repository, extra: Callable[[], None]) -> None:
    """Make `first` trim from what its write returned only after `extra` (another dispatcher's
    writes) ran: its view of the item is stale by then."""
    trim = first._trim_velocity

    def late_trim(*args: Any, **kwargs: Any) -> None:
        extra()
        trim(*args, **kwargs)

    first._trim_velocity = late_trim  # type: ignore[method-assign]


def test_two_dispatchers_writing_one_window_at_once_lose_nothing_that_counts(runtime: Any) -> None:
    the_store, ip = store(2), a_new_ip()
    one = runtime.repo
    two = Repository(runtime.table, FixedClock(NOW))
    placed = [order(n, BASE + 40 * n, ip) for n in range(80)]
    queue = iter(placed[1::2])  # the second dispatcher's orders, one (and its trim) inside each write

    def other() -> None:
        nxt = next(queue, None)
        if nxt is not None:
            keep(two, the_store, nxt)

    interleaved(one, other)
    for each in placed[0::2]:
        keep(one, the_store, each)
    [item] = window_items(runtime, ip)
    assert orders_kept(item) < 40
    # the 3 earliest and the 3 latest of all 80 are kept: every decision is the full count's
    kept = {name for name in item if name.startswith("o#")}
    assert {f"o#{o.id}" for o in [*placed[:3], *placed[-3:]]} <= kept
    for each in placed:
        assert score(runtime.repo, the_store, each)[0] == truly_fires(each, placed, 2), each.id


def test_a_window_the_old_counter_filled_shrinks_within_a_few_orders(runtime: Any) -> None:
    """Upgrading: a window item of the earlier counter (its first 500 orders, `n` = 500, 11 KB) is
    trimmed to the orders that decide by the next few orders' writes, at most 120 dropped a write."""
    the_store, ip = store(3), a_new_ip()
    key = keys.fraud_velocity("demo", "ip", ip, BASE)
    old = {f"o#{5000000000000 + n}": BASE + n for n in range(500)}
    runtime.table.put_item(Item={**key, "type": keys.FRAUD_VELOCITY, "store_id": "demo", "n": 500, **old})
    assert typed_size(window_items(runtime, ip)[0]) > 10 * 1024
    later = [order(1000 + n, BASE + 1000 + n, ip) for n in range(5)]
    for each in later:
        keep(runtime.repo, the_store, each)
    [item] = window_items(runtime, ip)
    assert typed_size(item) <= 1024
    fired, said = score(runtime.repo, the_store, order(2000, BASE + 2000, ip))
    assert fired and said == "more than 3 orders from this IP address within 1 h"
