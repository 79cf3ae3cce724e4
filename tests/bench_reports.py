"""`make bench` (reports part): each report over the last 30 days with 1k and with 20k orders of
history (the same shop, 33 orders a day, for a month or for 20 months), the items it reads per
request and the time ratio (target <= 1.2, measured in the same run, interleaved: this machine is
shared).

The history is what the counting hooks leave behind (functions/reports/counting.py and
retention.py): the counters are worked out by the same `contribution` code for every order and
written in bulk (20k orders through moto one by one would take minutes). Each history lives in a
table of its own.

moto answers a Query by walking the whole partition (DynamoDB reads only the asked key range: its
cost is the items returned), so a longer history makes moto slower on the same answer. The ratio
that counts is therefore storeflow's own time per request, with the Query answers recorded from
moto once (the same items); the time through moto is printed beside it for the record.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

ROUNDS = 5
REQUESTS = 5
RATIO_TARGET = 1.2
HISTORIES = (("r1k", 1_000), ("r20k", 20_000))
VARIANTS = 40
PER_DAY = 33
TZ = "Europe/Berlin"


def _orders(n: int, now: datetime) -> list[dict[str, Any]]:
    """Synthetic order facts (as counting.order_facts keeps them): 1-3 lines, 5% refunded, 2%
    cancelled, a donation line in 1 of 10, PER_DAY a day back from today: a bigger history is the
    same shop trading for longer (1k: a month, 20k: 20 months)."""
    out = []
    for i in range(n):
        day = (now - timedelta(days=i // PER_DAY)).date()
        lines = []
        for j in range(1 + i % 3):
            variant = (i * 7 + j * 13) % VARIANTS
            lines.append(
                {
                    "id": f"l{j}",
                    "key": f"p{variant}/v{variant}",
                    "title": f"Product {variant}",
                    "qty": 1 + (i + j) % 4,
                    "gross": str(Decimal(5 + variant) * (1 + (i + j) % 4)),
                    "discount": "0.50" if i % 4 == 0 else "0",
                    "donation": i % 10 == 0 and j == 0,
                }
            )
        refunds = {}
        if i % 20 == 0:
            refunds["r"] = {
                "day": (day + timedelta(days=1)).isoformat(),
                "lines": [{"id": "l0", "qty": 1, "amount": str(Decimal(5 + (i * 7) % VARIANTS))}],
                "total": "0",
            }
        order = {
            "updated_at": "",
            "day": day.isoformat(),
            "sale": True,
            "foreign": False,
            "cancel_day": (day + timedelta(days=2)).isoformat() if i % 50 == 0 else None,
            "channel": ("web", "pos", "instagram")[i % 3],
            "lines": lines,
            "tip": "1.00" if i % 7 == 0 else "0",
        }
        out.append({"order": order, "refunds": refunds, "customer": f"c{i % max(1, n // 2)}", "id": str(i)})
    return out


def _seed(table: Any, store_id: str, n: int, now: datetime) -> None:
    from functions.reports.activity import ACTIONS, AUTOMATION_ACTIONS, EVENTS
    from functions.reports.counting import contribution
    from functions.reports.retention import cohort_of, earliest_two
    from storekit import keys

    counters: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    customers: dict[str, list[list[str]]] = {}
    events: dict[str, int] = defaultdict(int)
    for facts in _orders(n, now):
        held, titles = contribution(facts)
        for where, attrs in held.items():
            for attr, value in attrs.items():
                counters[where][attr] += value
        for where, names in titles.items():
            labels[where].update(names)
        month = facts["order"]["day"][:7]
        customers[facts["customer"]] = earliest_two(customers.get(facts["customer"], []), month, facts["id"])
        events[facts["order"]["day"]] += 1
    cohorts: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for first_two in customers.values():
        for month, attrs in cohort_of(first_two).items():
            for attr, value in attrs.items():
                cohorts[month][attr] += value
    with table.batch_writer() as batch:
        for where, attrs in counters.items():
            day, bucket = where.split("|", 1)
            batch.put_item(
                Item={
                    **keys.sales_day(store_id, day, bucket),
                    "type": keys.COUNTER,
                    **attrs,
                    **labels.get(where, {}),
                }
            )
        for month, attrs in cohorts.items():
            batch.put_item(Item={**keys.cohort_month(store_id, month), "type": keys.COUNTER, **attrs})
        for day, count in events.items():
            for name, dimension in (
                (EVENTS, "order.created"),
                (ACTIONS, "planned"),
                (AUTOMATION_ACTIONS, "channel-tags:planned"),
            ):
                batch.put_item(
                    Item={
                        **keys.counter(store_id, name, day, dimension),
                        "type": keys.COUNTER,
                        "value": count,
                    }
                )


def measure_reports() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from infra import moto_fidelity

    moto_fidelity.install()  # transactions and queries at the cost of one call, as the tests run them

    from functions.composition import build_registry
    from storekit.clock import FixedClock
    from storekit.reporting import ReportRequest
    from storekit.repository import Repository
    from storekit.store import StoreConfig

    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    registry = build_registry()
    names = registry.report_names()
    with mock_aws():
        dynamodb = boto3.session.Session(region_name="us-east-1").resource("dynamodb")
        runtimes: dict[str, Any] = {}
        stores: dict[str, StoreConfig] = {}
        read: dict[str, int] = defaultdict(int)
        recorded: dict[str, Any] = {}
        for store_id, n in HISTORIES:
            table = dynamodb.create_table(
                TableName=f"reports-{store_id}",
                KeySchema=[
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "PK", "AttributeType": "S"},
                    {"AttributeName": "SK", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            _seed(table, store_id, n, now)

            def count(parsed: dict[str, Any], store_id: str = store_id, **_: Any) -> None:
                read[store_id] += int(parsed.get("ScannedCount", parsed.get("Count", 0)))

            table.meta.client.meta.events.register("after-call.dynamodb.Query", count)
            runtimes[store_id] = SimpleNamespace(repo=Repository(table, FixedClock(now)))
            recorded[store_id] = SimpleNamespace(repo=Recorded(runtimes[store_id].repo))
            stores[store_id] = StoreConfig(
                store_id=store_id,
                platform="shopify",
                shop_domain=f"{store_id}.myshopify.com",
                timezone=TZ,
                currency="EUR",
                created_at=now,
                updated_at=now,
            )
        today = date(2026, 11, 24)

        def request(store_id: str, name: str) -> ReportRequest:
            first = today - timedelta(days=364 if name == "retention" else 29)
            return ReportRequest(stores[store_id], first, today)

        def run(store_id: str, name: str, through: dict[str, Any] = runtimes) -> Any:
            maker = registry.report(name)
            assert maker is not None
            return maker(request(store_id, name), through[store_id])

        def timed(store_id: str, name: str, through: dict[str, Any]) -> float:
            gc.collect()
            start = time.process_time()
            for _ in range(REQUESTS):
                run(store_id, name, through)
            return (time.process_time() - start) / REQUESTS

        out: dict[str, Any] = {}
        for name in names:
            items = {}
            for store_id, _ in HISTORIES:
                read[store_id] = 0
                table = run(store_id, name, recorded)  # records the Query answers
                items[store_id] = (read[store_id], table.items_read, len(table.rows))
                assert run(store_id, name).rows == table.rows
            ratios, moto_ratios = [], []
            times: dict[str, float] = {}
            moto_times: dict[str, float] = {}
            for _ in range(ROUNDS):
                for store_id, _ in HISTORIES:
                    times[store_id] = timed(store_id, name, recorded)
                    moto_times[store_id] = timed(store_id, name, runtimes)
                ratios.append(times["r20k"] / times["r1k"])
                moto_ratios.append(moto_times["r20k"] / moto_times["r1k"])
            out[name] = {
                "items": items,
                "ratio": statistics.median(ratios),
                "ms": times,
                "moto_ratio": statistics.median(moto_ratios),
                "moto_ms": moto_times,
            }
        return out


class Recorded:
    """The report reads of a repository, answered from the first answer of each (the same items)."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._answers: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, method: str) -> Any:
        def answer(*args: Any) -> Any:
            key = (method, *args)
            if key not in self._answers:
                self._answers[key] = getattr(self._repo, method)(*args)
            return self._answers[key]

        return answer


def report(result: dict[str, Any]) -> bool:
    print("reports over 30 days (retention: 12 months), 1k vs 20k orders of history")
    print("  (storeflow's time per request on the same Query answers; through moto, which walks partitions)")
    ok = True
    for name, found in result.items():
        (read_1k, said_1k, rows_1k), (read_20k, said_20k, rows_20k) = (
            found["items"]["r1k"],
            found["items"]["r20k"],
        )
        fine = found["ratio"] <= RATIO_TARGET
        ok = ok and fine
        print(
            f"  {name:<13} items read 1k/20k: {read_1k:>4} / {read_20k:>4}   "
            f"time {found['ms']['r1k'] * 1000:6.2f} / {found['ms']['r20k'] * 1000:6.2f} ms   "
            f"ratio {found['ratio']:.2f} (target <= {RATIO_TARGET}) {'OK' if fine else 'MISSED'}   "
            f"through moto {found['moto_ms']['r1k'] * 1000:.1f} / {found['moto_ms']['r20k'] * 1000:.1f} ms "
            f"({found['moto_ratio']:.2f})"
        )
        del said_1k, said_20k, rows_1k, rows_20k
    return ok


if __name__ == "__main__":
    from tests.bench import _environment

    _environment()
    raise SystemExit(0 if report(measure_reports()) else 1)
