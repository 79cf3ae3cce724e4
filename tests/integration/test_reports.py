"""Reports through signed webhooks, the stream and GET /stores/{id}/reports/{name}: the numbers a
merchant reads, from replayed real payloads (Shopify 2025 store, HKD, New York time)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers, store_body, woo_headers

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


def todays_order(api: Any, delivery_id: str) -> None:
    """The fixed-discount order as if placed this morning (the digest sums up yesterday)."""
    body, _ = load_fixture(FIXED)
    order = json.loads(body)
    order["created_at"] = order["updated_at"] = "2026-11-24T09:30:00+01:00"
    raw = json.dumps(order).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(raw, "orders/create", delivery_id), body=raw
    )
    assert answer.status_code == 200, answer.body


def digest_actions(api: Any) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == "digest"]


def test_daily_digest_goes_out_at_the_local_time_and_files_the_next(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    settings = {
        "cadence": "daily",
        "at": "08:00",
        "email": "staff@demo-shop.example",
        "sender": "reports@demo-shop.example",
    }
    put_store(api, currency="HKD", automations={"digest": {"settings": settings}})  # Europe/Berlin
    todays_order(api, "t-1")
    pump.drain()
    todays_order(api, "t-2")  # another delivery files no second digest
    pump.drain()
    jobs = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert [(j["kind"], j["due_at"]) for j in jobs] == [("digest", "2026-11-25T07:00:00.000000Z")]
    clock.advance(hours=18, minutes=30)
    sweep(runtime)
    pump.drain()
    assert digest_actions(api) == []  # 07:30 in Berlin: not yet
    clock.advance(minutes=31)
    for _ in range(2):
        sweep(runtime)
    pump.drain()
    sent = {a["kind"]: a for a in digest_actions(api)}
    assert sent["post_slack"]["status"] == "planned"  # dry-run
    detail = body_json(api.http.get(f"/stores/demo/actions/{sent['post_slack']['action_id']}", headers=AUTH))
    text = detail["preview"]["payload"]["text"]
    assert text.startswith("Demo Shop: 2026-11-24\nNet sales: 374.00 HKD vs 0.00 HKD")
    assert "Orders: 1 vs 0" in text
    assert "1. " in text and "Snowboard" in text  # top sellers
    assert "Failed actions: 0" in text
    email = body_json(api.http.get(f"/stores/demo/actions/{sent['send_email']['action_id']}", headers=AUTH))
    assert email["preview"]["to"] == "staff@demo-shop.example"
    assert "Net sales: 374.00 HKD" in email["preview"]["text"]
    jobs = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert ("digest", "2026-11-26T07:00:00.000000Z") in [(j["kind"], j["due_at"]) for j in jobs]


def test_digest_settings_are_checked_on_save(api: Any) -> None:
    put_store(api)
    body = store_body(automations={"digest": {"settings": {"cadence": "daily", "at": "25:00"}}})
    body["shop_domain"] = "demo-shop.myshopify.com"
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(body))
    assert answer.status_code == 400
    assert "automations.digest.settings: at: must be a 24-hour local time HH:MM" in body_json(answer)["error"]


def test_a_refund_that_arrives_before_its_order_is_netted_once(api: Any, pump: Any) -> None:
    put_store(api, timezone="America/New_York", currency="USD")
    deliver(api, "shopify/refunds_create__python-api-refund.json", "refunds/create", "r-first")
    pump.drain()
    early = body_json(report(api, "sales", "from=2016-06-20&to=2016-06-20"))["rows"][0]
    assert early["refunds"] == "209.00"  # the order is not known yet: the money given back
    deliver(api, "shopify/orders_create__python-api-order.json", "orders/create", "o-later")
    deliver(api, "shopify/refunds_create__python-api-refund.json", "refunds/create", "r-again")
    pump.drain()
    refund_day = body_json(report(api, "sales", "from=2016-06-20&to=2016-06-20"))["rows"][0]
    order_day = body_json(report(api, "sales", "from=2008-01-10&to=2008-01-10"))["rows"][0]
    # once the order is known: its two refunded lines at their prices (this older payload gives the
    # refund lines no amounts), on the refund's day, counted once; the order's day keeps its sale
    assert (refund_day["refunds"], refund_day["refunded_units"]) == ("398.00", 2)
    assert (order_day["orders"], order_day["units"], order_day["net"]) == (1, 3, "597.00")


def test_reports_need_a_token_and_a_store_token_sees_only_its_store(api: Any) -> None:
    put_store(api)
    assert report(api, "sales", headers={}).status_code == 401
    answer = api.http.post("/stores/demo/token", headers=AUTH)
    token = body_json(answer)["token"]
    own = {"Authorization": f"Bearer {token}"}
    assert report(api, "sales", headers=own).status_code == 200
    put_store(api, "other", shop_domain="other-shop.myshopify.com")
    other = api.http.get("/stores/other/reports/sales", headers=own)
    assert other.status_code in (401, 403)


def test_a_woocommerce_tip_fee_is_counted_as_a_tip_not_a_sale(api: Any, pump: Any) -> None:
    put_store(api, platform="woocommerce", timezone="UTC", currency="USD")
    body = (
        Path(__file__).resolve().parents[1] / "events/woocommerce/order_created__with-tip.json"
    ).read_bytes()
    answer = api.http.post(
        "/webhooks/woocommerce/demo", headers=woo_headers(body, "order.created", "w-tip"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    [row] = body_json(report(api, "sales", "from=2017-03-22&to=2017-03-22"))["rows"]
    assert row["tips"] == "5.00"
    donations = body_json(report(api, "donations", "from=2017-03-22&to=2017-03-22"))
    assert donations["summary"]["tips"] == "5.00"
