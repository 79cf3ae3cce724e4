"""The reports read from the sales and cohort counters (functions/reports/counting.py, retention.py):
sales, top-products, donations, retention. Each reads one Query of the days (or months) asked for,
O(days x buckets), never the orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from storekit import keys
from storekit.reporting import ReportRequest, ReportTable, days_between, group_start
from storekit.repository import Repository
from storekit.runtime import Runtime

ZERO = Decimal(0)
CENT = Decimal("0.01")
MONEY = ("gross", "discounts", "refunds", "cancelled", "net", "donations", "tips")
COUNTS = ("orders", "units", "refunded_units", "cancelled_orders", "orders_other_currency")
SALES_COLUMNS = ["period", *COUNTS[:4], *MONEY]


def money(value: Decimal) -> str:
    """Exact, shown with at least cents (DynamoDB keeps 12.50 as 12.5)."""
    return str(value.quantize(CENT)) if value == value.quantize(CENT) else str(value)


def change(current: Decimal, previous: Decimal) -> str | None:
    """Percent change against the previous period (None when it had nothing to compare with)."""
    if not previous:
        return None
    return str(((current - previous) * 100 / abs(previous)).quantize(Decimal("0.1")))


class SalesDays:
    """One read of the sales counters over a range, split by day and bucket."""

    def __init__(
        self, repo: Repository, store_id: str, first: date, last: date, bucket: str = "totals"
    ) -> None:
        self.items = repo.sales_days(store_id, first.isoformat(), last.isoformat(), bucket)
        self.by_day: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for item in self.items:
            day, name = keys.counter_day_and_dimension(str(item["SK"]))
            if name:
                self.by_day[day][name] = item

    def totals(self, days: list[date] | None = None) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        wanted = None if days is None else {d.isoformat() for d in days}
        for day, buckets in self.by_day.items():
            if wanted is not None and day not in wanted:
                continue
            for name in (*COUNTS, *MONEY):
                out[name] += Decimal(str(buckets.get("totals", {}).get(name, 0)))
        return out

    def channels(self, days: list[date]) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        wanted = {d.isoformat() for d in days}
        for day, buckets in self.by_day.items():
            if day not in wanted:
                continue
            for attr, value in buckets.get("totals", {}).items():
                if attr.startswith("ch:") and "|" in attr:
                    channel, what = attr[3:].rsplit("|", 1)
                    out[channel][what] += Decimal(str(value))
        return out

    def products(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for day in sorted(self.by_day):
            for bucket, item in self.by_day[day].items():
                if not bucket.startswith("products"):
                    continue
                for attr, value in item.items():
                    if "|" not in attr:
                        continue
                    product, what = attr.rsplit("|", 1)
                    row = out.setdefault(product, {"units": ZERO, "revenue": ZERO, "title": None})
                    if what == "title":
                        row["title"] = str(value)
                    elif what in ("units", "revenue"):
                        row[what] += Decimal(str(value))
        return out


def _shown(totals: dict[str, Decimal]) -> dict[str, Any]:
    return {name: (money(totals[name]) if name in MONEY else int(totals[name])) for name in (*COUNTS, *MONEY)}


def headline(request: ReportRequest, repo: Repository) -> tuple[dict[str, Any], SalesDays]:
    """Totals of the period, of the one before, and the change (what the dashboard and digest show)."""
    before = request.previous()
    read = SalesDays(repo, request.store.store_id, before.first, request.last)
    current = read.totals(days_between(request.first, request.last))
    previous = read.totals(days_between(before.first, before.last))
    summary = {
        "current": _shown(current),
        "previous": _shown(previous),
        "change_percent": {
            name: change(current[name], previous[name]) for name in ("orders", "units", "net", "donations")
        },
        "previous_from": before.first.isoformat(),
        "previous_to": before.last.isoformat(),
    }
    return summary, read


def sales_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    summary, days = headline(request, runtime.repo)
    groups: dict[date, list[date]] = defaultdict(list)
    for day in days_between(request.first, request.last):
        groups[group_start(day, request.by)].append(day)
    rows = [
        {"period": start.isoformat(), **_shown(days.totals(members))}
        for start, members in sorted(groups.items())
    ]
    summary["channels"] = {
        channel: {"orders": int(v["orders"]), "net": money(v["net"])}
        for channel, v in sorted(days.channels(days_between(request.first, request.last)).items())
    }
    return ReportTable("sales", SALES_COLUMNS, rows, summary, items_read=len(days.items))


def top_sellers(repo: Repository, request: ReportRequest, by: str = "units") -> list[dict[str, Any]]:
    """The best-selling variants of the period by net units (or net revenue), best first."""
    products = SalesDays(repo, request.store.store_id, request.first, request.last, "products").products()
    return _ranked(products, by, request.limit)


def _ranked(products: dict[str, dict[str, Any]], by: str, limit: int) -> list[dict[str, Any]]:
    other = "revenue" if by == "units" else "units"
    sold = [k for k, v in products.items() if v["units"] > 0 or v["revenue"] > 0]
    ranked = sorted(sold, key=lambda k: (-products[k][by], -products[k][other], k))[:limit]
    rows = []
    for rank, key in enumerate(ranked, start=1):
        product_id, _, variant_id = key.partition("/")
        found = products[key]
        rows.append(
            {
                "rank": rank,
                "product_id": product_id,
                "variant_id": variant_id,
                "title": found["title"],
                "units": int(found["units"]),
                "revenue": money(found["revenue"]),
            }
        )
    return rows


def top_products(request: ReportRequest, runtime: Runtime) -> ReportTable:
    days = SalesDays(runtime.repo, request.store.store_id, request.first, request.last, "products")
    products = days.products()
    return ReportTable(
        "top-products",
        ["rank", "product_id", "variant_id", "title", "units", "revenue"],
        _ranked(products, "units", request.limit),
        {"by": "units"},
        items_read=len(days.items),
        extra={"by_revenue": _ranked(products, "revenue", request.limit)},
    )


def donations_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    days = SalesDays(runtime.repo, request.store.store_id, request.first, request.last)
    groups: dict[date, list[date]] = defaultdict(list)
    for day in days_between(request.first, request.last):
        groups[group_start(day, request.by)].append(day)
    rows = []
    for start, members in sorted(groups.items()):
        totals = days.totals(members)
        given = totals["donations"] + totals["tips"]
        rows.append(
            {
                "period": start.isoformat(),
                "donations": money(totals["donations"]),
                "tips": money(totals["tips"]),
                "net_sales": money(totals["net"]),
                "donation_share_percent": _share(given, given + totals["net"]),
            }
        )
    all_days = days.totals()
    given = all_days["donations"] + all_days["tips"]
    summary = {
        "donations": money(all_days["donations"]),
        "tips": money(all_days["tips"]),
        "net_sales": money(all_days["net"]),
        "donation_share_percent": _share(given, given + all_days["net"]),
    }
    columns = ["period", "donations", "tips", "net_sales", "donation_share_percent"]
    return ReportTable("donations", columns, rows, summary, items_read=len(days.items))


def _share(part: Decimal, whole: Decimal) -> str | None:
    return str((part * 100 / whole).quantize(Decimal("0.1"))) if whole > 0 else None


def retention_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    first, last = request.first.strftime("%Y-%m"), request.last.strftime("%Y-%m")
    items = runtime.repo.cohorts(request.store.store_id, first, last)
    found = {str(item["SK"]): item for item in items}
    rows = []
    months = sorted({d.strftime("%Y-%m") for d in days_between(request.first, request.last)})
    total_customers = total_repeat = ZERO
    for month in months:
        item = found.get(month, {})
        customers = Decimal(str(item.get("customers", 0)))
        repeat = Decimal(str(item.get("repeat_customers", 0)))
        total_customers += customers
        total_repeat += repeat
        rows.append(
            {
                "cohort": month,
                "customers": int(customers),
                "repeat_customers": int(repeat),
                "repeat_rate_percent": _share(repeat, customers),
            }
        )
    summary = {
        "customers": int(total_customers),
        "repeat_customers": int(total_repeat),
        "repeat_rate_percent": _share(total_repeat, total_customers),
    }
    columns = ["cohort", "customers", "repeat_customers", "repeat_rate_percent"]
    return ReportTable("retention", columns, rows, summary, items_read=len(items))
