"""Reports through signed webhooks, the stream and GET /stores/{id}/reports/{name}: the numbers a
merchant reads, from replayed real payloads (Shopify 2025 store, HKD, New York time)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

FIXED = "shopify/orders_create__2025-store-fixed-discount.json"  # customer 8658316394796
GUEST = "shopify/orders_create__2025-store-guest.json"  # no customer
CANCELLED = "shopify/orders_cancelled__2025-store-refunded.json"  # the same customer, cancelled + refunded
DAY = "2025-01-23"


def deliver(api: Any, fixture: str, topic: str, delivery_id: str) -> None:
    body, _ = load_fixture(fixture)
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def report(api: Any, name: str, query: str = f"from={DAY}&to={DAY}", headers: dict[str, str] = AUTH) -> Any:
    return api.http.get(f"/stores/demo/reports/{name}?{query}", headers=headers)


@pytest.fixture
def shop(api: Any, pump: Any) -> Any:
    put_store(api, timezone="America/New_York", currency="HKD")
    for i, (fixture, topic) in enumerate(
        [(FIXED, "orders/create"), (GUEST, "orders/create"), (CANCELLED, "orders/cancelled")]
    ):
        deliver(api, fixture, topic, f"d-{i}")
    pump.drain()
    deliver(api, FIXED, "orders/create", "d-0-again")  # a redelivery (new id) counts nothing twice
    pump.drain()
    pump.drain()
    return api


def test_sales_report_sums_the_day_of_real_orders(shop: Any) -> None:
    answer = report(shop, "sales")
    assert answer.status_code == 200, answer.body
    sales = body_json(answer)
    assert sales["currency"] == "HKD" and sales["timezone"] == "America/New_York"
    [row] = sales["rows"]
    assert row["period"] == DAY
    # three orders placed; the cancelled one was refunded in full the same day (netted once, not twice)
    assert (row["orders"], row["units"], row["cancelled_orders"], row["refunded_units"]) == (3, 9, 1, 1)
    assert (row["gross"], row["discounts"], row["refunds"], row["cancelled"]) == (
        "897.00",
        "40.00",
        "99.00",
        "0.00",
    )
    assert row["net"] == "758.00"
    assert sales["summary"]["current"] == {k: v for k, v in row.items() if k != "period"}
    assert sales["summary"]["previous_from"] == "2025-01-22"
    assert sales["summary"]["channels"] == {"shopify_draft_order": {"orders": 3, "net": "758.00"}}
    assert sales["items_read"] <= 2 * 10  # two days (this and the one before) of counter buckets


def test_a_week_of_sales_groups_by_week_and_month(shop: Any) -> None:
    weekly = body_json(report(shop, "sales", "from=2025-01-20&to=2025-02-02&by=week"))
    assert [r["period"] for r in weekly["rows"]] == ["2025-01-20", "2025-01-27"]
    assert [r["net"] for r in weekly["rows"]] == ["758.00", "0.00"]
    monthly = body_json(report(shop, "sales", "from=2025-01-01&to=2025-02-28&by=month"))
    assert [(r["period"], r["orders"]) for r in monthly["rows"]] == [("2025-01-01", 3), ("2025-02-01", 0)]


def test_top_products_rank_by_units_and_by_revenue(shop: Any) -> None:
    top = body_json(report(shop, "top-products", f"from={DAY}&to={DAY}&limit=2"))
    assert [r["title"] for r in top["rows"]] == ["Red Snowboard", "Orange Snowboard"]
    assert top["rows"][0] == {
        "rank": 1,
        "product_id": "9800669430060",
        "variant_id": "50466449883436",
        "title": "Red Snowboard",
        "units": 2,
        "revenue": "192.40",
    }
    assert [r["revenue"] for r in top["by_revenue"]] == ["192.40", "192.39"]


def test_retention_counts_the_returning_customer_in_their_first_month(shop: Any) -> None:
    retention = body_json(report(shop, "retention", "from=2025-01-01&to=2025-02-28"))
    assert retention["rows"][0]["cohort"] == "2025-01"
    assert retention["rows"][1] == {
        "cohort": "2025-02",
        "customers": 0,
        "repeat_customers": 0,
        "repeat_rate_percent": None,
    }
    january = retention["rows"][0]
    assert january["repeat_customers"] == 1  # customer 8658316394796 ordered twice
    assert january["customers"] == 1  # the guest order names no customer and no email
    assert january["repeat_rate_percent"] == "100.0"


def test_activity_counts_actions_per_automation(shop: Any) -> None:
    activity = body_json(report(shop, "activity", "days=1"))
    tags = [r for r in activity["rows"] if r["automation"] == "channel-tags"]
    assert tags and tags[0]["planned"] > 0 and tags[0]["failed"] == 0
    assert activity["summary"]["actions"]["planned"] >= tags[0]["planned"]


def test_reports_answer_csv_by_accept_header_or_format(shop: Any) -> None:
    by_format = report(shop, "top-products", f"from={DAY}&to={DAY}&format=csv")
    by_accept = report(shop, "top-products", f"from={DAY}&to={DAY}", {**AUTH, "Accept": "text/csv"})
    for answer in (by_format, by_accept):
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(by_format.body.decode())))
    assert rows[0] == {
        "rank": "1",
        "product_id": "9800669430060",
        "variant_id": "50466449883436",
        "title": "Red Snowboard",
        "units": "2",
        "revenue": "192.40",
    }
    assert (
        'filename="demo-top-products-2025-01-23-2025-01-23.csv"' in by_format.headers["Content-Disposition"]
    )
    assert by_format.body == by_accept.body


@pytest.mark.parametrize(
    "query,field",
    [
        ("from=2025-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2025-02-01&to=2025-01-01", "from"),
        ("from=2020-01-01&to=2025-01-01", "to"),
        ("by=year", "by"),
        ("format=xml", "format"),
    ],
)
def test_bad_dates_and_options_are_400_naming_the_field(api: Any, query: str, field: str) -> None:
    put_store(api)
    answer = report(api, "sales", query)
    assert answer.status_code == 400, answer.body
    assert body_json(answer)["error"].startswith(field), body_json(answer)


def test_an_unknown_report_is_400_listing_the_reports(api: Any) -> None:
    put_store(api)
    answer = report(api, "profits")
    assert answer.status_code == 400
    error = body_json(answer)["error"]
    assert error.startswith("report: no report 'profits'")
    for name in ("sales", "top-products", "donations", "retention", "activity"):
        assert name in error
