"""Sales counters (functions/reports/counting.py): what a merchant reads in the sales, top-products
and donations reports, whatever the order and repetition of the webhooks."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.reports.counting import keep_report_counts
from functions.reports.retention import keep_cohorts
from storekit.adapters.base import Parsed, Topic
from storekit.automation import AppliedEvent
from storekit.models import Customer, LineItem, Order, Refund, RefundLine
from storekit.repository.reports import CounterChange
from storekit.store import AutomationConfig, StoreConfig

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class MemoryRepo:
    """The repository methods the counters use, in memory (conditional like DynamoDB's)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.counters: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.labels: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)

    def ledger_part(
        self, store_id: str, order_id: str, part: str, legacy: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        return copy.deepcopy(self.items.get((order_id, part)))

    def report_customer(self, store_id: str, customer: str) -> dict[str, Any] | None:
        from storekit import keys

        key = keys.report_customer(store_id, customer)
        return copy.deepcopy(self.items.get((key["PK"], key["SK"])))

    def entity_snapshot(self, store_id: str, kind: str, entity_id: str) -> bytes | None:
        return None

    def apply_order_counted(
        self,
        store_id: str,
        order_id: str,
        part: str,
        item: dict[str, Any],
        version: int | None,
        changes: list[CounterChange],
    ) -> bool:
        return self.apply_counted(store_id, {"PK": order_id, "SK": part}, item, version, changes)

    def apply_counted(
        self,
        store_id: str,
        key: dict[str, str],
        item: dict[str, Any],
        version: int | None,
        changes: list[CounterChange],
    ) -> bool:
        at = (key["PK"], key["SK"])
        found = self.items.get(at)
        if (found is None) != (version is None) or (found is not None and found["version"] != version):
            return False
        self.items[at] = {**copy.deepcopy(item), "version": (version or 0) + 1}
        for change in changes:
            where = (change.key["PK"], change.key["SK"])
            for attr, amount in change.adds.items():
                self.counters[where][attr] += amount
            self.labels[where].update(change.labels)
        return True

    def totals(self, counter: str = "sales") -> dict[str, dict[str, Decimal]]:
        """Counter values per SK (day#bucket, or cohort month), zeros left out (what a report reads)."""
        out: dict[str, dict[str, Decimal]] = {}
        for (pk, sk), attrs in self.counters.items():
            kept = {a: v for a, v in attrs.items() if v}
            name = pk.rsplit("#COUNTER#", 1)[-1]
            if kept and (name == counter or (counter == "sales" and name == "sales-products")):
                out[sk] = kept
        return out


def store(timezone: str = "Europe/Berlin", **settings: Any) -> StoreConfig:
    return StoreConfig(
        store_id="demo",
        platform="shopify",
        shop_domain="demo-shop.myshopify.com",
        timezone=timezone,
        currency="EUR",
        automations={"reports": AutomationConfig(settings=settings)} if settings else {},
        created_at=NOW,
        updated_at=NOW,
    )


def apply(repo: MemoryRepo, resource: Order | Refund, the_store: StoreConfig | None = None) -> None:
    topic = Topic.ORDER_UPDATED if isinstance(resource, Order) else Topic.REFUND_CREATED
    parsed = Parsed(
        topic=topic,
        entity_kind="order" if isinstance(resource, Order) else "refund",
        entity_id=resource.id or "r",
        updated_at=getattr(resource, "updated_at", None),
        resource=resource,
    )
    applied = AppliedEvent(store=the_store or store(), parsed=parsed, topic=str(topic), repo=repo, now=NOW)  # type: ignore[arg-type]
    keep_report_counts(applied)
    keep_cohorts(applied)


def order(**changes: Any) -> Order:
    base: dict[str, Any] = {
        "id": "1001",
        "currency": "EUR",
        "source_name": "web",
        "customer": Customer(id="c-1"),
        "line_items": [
            LineItem(
                id="l1", product_id="p1", variant_id="v1", title="Mug", quantity=2, price=Decimal("12.50")
            ),
            LineItem(
                id="l2",
                product_id="p2",
                variant_id="v2",
                sku="DONATE-5",
                title="Donation",
                quantity=1,
                price=Decimal("5.00"),
            ),
            LineItem(
                id="l3",
                product_id="p3",
                variant_id="v3",
                title="Tea",
                quantity=3,
                price=Decimal("4.10"),
                total_discount=Decimal("1.23"),
            ),
        ],
        "total_tip": Decimal("2.00"),
        "created_at": datetime(2026, 11, 20, 23, 30, tzinfo=UTC),  # 21 Nov in Berlin
        "updated_at": datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
    }
    return Order(**{**base, **changes})


REFUND = Refund(
    id="r1",
    order_id="1001",
    refund_line_items=[RefundLine(line_item_id="l1", quantity=1, subtotal=Decimal("12.50"))],
    total=Decimal("12.50"),
    created_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
)


def test_an_order_counts_on_its_store_local_day_with_donations_and_tips_apart() -> None:
    repo = MemoryRepo()
    apply(repo, order(), store(donations={"skus": ["donate-5"]}))
    totals = repo.totals()
    day = totals["2026-11-21#totals"]
    assert day["orders"] == 1
    assert day["units"] == 5  # 2 mugs + 3 teas; the donation line is not a unit sold
    assert day["gross"] == Decimal("37.30")
    assert day["discounts"] == Decimal("1.23")
    assert day["net"] == Decimal("36.07")
    assert day["donations"] == Decimal("5.00")
    assert day["tips"] == Decimal("2.00")
    assert (day["ch:web|orders"], day["ch:web|net"]) == (1, Decimal("36.07"))
    products = totals["2026-11-21#products"]
    assert products["p1/v1|units"] == 2 and products["p1/v1|revenue"] == Decimal("25.00")
    assert products["p3/v3|revenue"] == Decimal("11.07")
    assert not any("p2/v2" in a for a in products)


def test_a_refund_and_a_cancellation_net_on_the_days_they_happen() -> None:
    repo = MemoryRepo()
    apply(repo, order(), store(donations={"skus": ["DONATE-5"]}))
    apply(repo, REFUND, store(donations={"skus": ["DONATE-5"]}))
    cancelled = order(
        cancelled_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        status="cancelled",
        updated_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    apply(repo, cancelled, store(donations={"skus": ["DONATE-5"]}))
    totals = repo.totals()
    assert totals["2026-11-21#totals"]["net"] == Decimal("36.07")  # the order's day is left as it was
    assert totals["2026-11-22#totals"] == {
        "refunds": Decimal("12.50"),
        "refunded_units": 1,
        "net": Decimal("-12.50"),
        "ch:web|net": Decimal("-12.50"),
    }
    cancel_day = totals["2026-11-23#totals"]
    assert cancel_day["cancelled_orders"] == 1
    assert cancel_day["cancelled"] == Decimal("23.57")  # what was not refunded: 12.50 + 11.07
    assert cancel_day["net"] == Decimal("-23.57")
    assert cancel_day["donations"] == Decimal("-5.00")
    assert cancel_day["tips"] == Decimal("-2.00")
    net = sum(t.get("net", Decimal(0)) for sk, t in totals.items() if sk.endswith("#totals"))
    assert net == 0


def test_an_order_in_another_currency_is_counted_but_its_amounts_not_mixed_in() -> None:
    repo = MemoryRepo()
    apply(repo, order(currency="USD"))
    assert repo.totals() == {"2026-11-21#totals": {"orders_other_currency": 1}}


def test_a_pending_woocommerce_order_counts_once_it_is_paid() -> None:
    repo = MemoryRepo()
    apply(repo, order(status="pending"))
    assert repo.totals() == {}
    apply(repo, order(status="processing", updated_at=datetime(2026, 11, 21, 0, 5, tzinfo=UTC)))
    assert repo.totals()["2026-11-21#totals"]["orders"] == 1


# --- the same totals whatever the order and repetition of deliveries ------------------------------

cents = st.integers(min_value=1, max_value=100_000).map(lambda c: Decimal(c) / 100)


@st.composite
def histories(draw: Any) -> tuple[list[Order | Refund], list[int]]:
    n_lines = draw(st.integers(1, 3))
    lines = []
    for i in range(n_lines):
        qty = draw(st.integers(1, 4))
        price = draw(cents)
        discount = Decimal(draw(st.integers(0, int(price * qty * 100)))) / 100
        lines.append(
            LineItem(
                id=f"l{i}",
                product_id=f"p{i}",
                variant_id=f"v{i}",
                sku="GIVE" if draw(st.booleans()) and i == 0 else None,
                title=f"thing {i}",
                quantity=qty,
                price=price,
                total_discount=discount,
            )
        )
    created = datetime(2026, 11, 20, draw(st.integers(0, 23)), tzinfo=UTC)
    refunds = []
    for r in range(draw(st.integers(0, 2))):
        line = lines[draw(st.integers(0, n_lines - 1))]
        qty = draw(st.integers(1, line.quantity))
        refunds.append(
            Refund(
                id=f"r{r}",
                order_id="9",
                refund_line_items=[
                    RefundLine(line_item_id=line.id, quantity=qty, subtotal=(line.price or 0) * qty)
                ],
                total=(line.price or Decimal(0)) * qty,
                created_at=created + timedelta(days=1 + r, hours=draw(st.integers(0, 23))),
            )
        )
    base = Order(
        id="9",
        currency="EUR",
        customer=Customer(id="c9"),
        line_items=lines,
        total_tip=draw(st.sampled_from([None, Decimal("1.50")])),
        created_at=created,
        updated_at=created,
    )
    versions: list[Order | Refund] = [base]
    if refunds:
        versions.append(
            base.model_copy(update={"refunds": refunds[:1], "updated_at": created + timedelta(days=1)})
        )
    versions.extend(refunds)
    if draw(st.booleans()):
        cancel_at = created + timedelta(days=4)
        versions.append(
            base.model_copy(
                update={
                    "refunds": refunds,
                    "cancelled_at": cancel_at,
                    "status": "cancelled",
                    "updated_at": cancel_at,
                }
            )
        )
    order_of = draw(st.permutations(list(range(len(versions)))))
    repeats = draw(st.lists(st.integers(0, len(versions) - 1), max_size=4))
    return versions, [*order_of, *repeats]


@settings(max_examples=150, deadline=None)
@given(histories())
def test_counters_are_the_same_whatever_the_order_and_repetition_of_webhooks(
    history: tuple[list[Order | Refund], list[int]],
) -> None:
    versions, sequence = history
    rules = store(donations={"skus": ["GIVE"]})
    in_order = MemoryRepo()
    for version in versions:
        apply(in_order, version, rules)
    shuffled = MemoryRepo()
    for index in sequence:
        apply(shuffled, versions[index], rules)
    assert shuffled.totals() == in_order.totals()
    assert shuffled.totals("cohorts") == in_order.totals("cohorts") == {"2026-11": {"customers": 1}}
    # exact money: net = gross - discounts - refunds - cancelled over the days, to the cent
    days = [t for sk, t in in_order.totals().items() if sk.endswith("#totals")]

    def total(name: str) -> Decimal:
        return sum((t.get(name, Decimal(0)) for t in days), Decimal(0))

    unattributed = total("gross") - total("discounts") - total("refunds") - total("cancelled")
    assert total("net") == unattributed
    assert total("orders") == 1


def test_retention_counts_a_customer_in_the_month_of_their_first_order_once() -> None:
    repo = MemoryRepo()
    later = order(
        id="2002", created_at=datetime(2026, 12, 3, tzinfo=UTC), updated_at=datetime(2026, 12, 3, tzinfo=UTC)
    )
    apply(repo, later)
    apply(repo, later)
    assert repo.totals("cohorts") == {"2026-12": {"customers": 1}}
    apply(repo, order())  # an earlier order arrives late: the customer moves to November, as a repeat
    assert repo.totals("cohorts") == {"2026-11": {"customers": 1, "repeat_customers": 1}}


def test_a_very_big_order_spills_its_extra_lines_to_overflow_items_and_sums_the_same() -> None:
    lines = [
        LineItem(
            id=f"l{i}",
            product_id=f"p{i}",
            variant_id=f"v{i}",
            title=f"t{i}",
            quantity=1,
            price=Decimal("1.01"),
        )
        for i in range(130)
    ]
    repo = MemoryRepo()
    apply(repo, order(line_items=lines, total_tip=None))
    totals = repo.totals()
    day_items = [sk for sk in totals if sk.startswith("2026-11-21#")]
    assert "2026-11-21#products" in day_items
    overflow = [sk for sk in day_items if sk.startswith("2026-11-21#products#")]
    assert 1 <= len(overflow) <= 8
    assert len(totals["2026-11-21#products"]) == 50 * 2  # units and revenue of the first 50 lines
    revenue = sum(
        (v for sk, attrs in totals.items() for a, v in attrs.items() if a.endswith("|revenue")), Decimal(0)
    )
    assert revenue == totals["2026-11-21#totals"]["net"] == Decimal("131.30")


def test_a_marker_keeps_the_tips_setting_not_the_contribution_and_still_nets_a_setting_change() -> None:
    """The marker is written on every change of an order (in a transaction, x2): it keeps the facts
    and the tips setting it was counted with; what the counters hold is worked out from them. A
    change of the setting between two versions moves the tip exactly; a marker written with its
    contribution (before) is still read."""
    from functions.reports.counting import Marker, contribution

    repo = MemoryRepo()
    first = order(total_tip=Decimal("2.00"), updated_at=NOW)
    apply(repo, first)
    [marker] = [item for item in repo.items.values() if "facts" in item and "order" in item["facts"]]
    assert "held" not in marker and marker["tips"] is True
    day = next(v for k, v in repo.totals().items() if k.endswith("#totals"))
    assert day["tips"] == Decimal("2.00")
    apply(
        repo,
        order(total_tip=Decimal("2.00"), updated_at=NOW + timedelta(minutes=1)),
        store(donations={"tips": False}),
    )
    day = next(v for k, v in repo.totals().items() if k.endswith("#totals"))
    assert "tips" not in day  # the tip moved to net, once
    legacy = {**marker, "held": {"2026-11-24|totals": {"orders": 1}}}
    del legacy["tips"]
    assert Marker.from_item(legacy).held == {"2026-11-24|totals": {"orders": Decimal(1)}}
    assert Marker.from_item(marker).held == contribution(Marker.from_item(marker).facts, True)[0]
