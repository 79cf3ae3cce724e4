"""GET /stores/{id}/reports/flows (issues 15 and 16): per flow, sends, opens, clicks, conversions,
attributed revenue, revenue per recipient, message cost at list prices, ROI, and the holdout group's
conversion rate against the recipients' (the lift the flow really adds), read from the per-flow
per-day counters the customers domain keeps."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration


def count(runtime: Any, day: str, flow: str, **metrics: int | Decimal) -> None:
    for metric, amount in metrics.items():
        runtime.repo.add_flow_count("demo", day, flow, metric, amount)


@pytest.fixture
def counted(api: Any, runtime: Any) -> Any:
    put_store(api)
    count(runtime, "2026-11-20", "welcome-flow", sends=600, sms_sends=20, opens=300, clicks=90)
    count(runtime, "2026-11-21", "welcome-flow", sends=400, opens=200, clicks=60, conversions=50)
    count(runtime, "2026-11-21", "welcome-flow", revenue=Decimal("2500.00"), holdouts=100)
    count(runtime, "2026-11-22", "welcome-flow", holdout_conversions=3, holdout_revenue=Decimal("150"))
    count(runtime, "2026-11-22", "win-back", sends=10, conversions=1, revenue=Decimal("40.50"))
    count(runtime, "2026-10-01", "win-back", sends=999)  # outside the range asked for
    return api


def test_flows_report_shows_what_each_flow_adds(counted: Any) -> None:
    answer = counted.http.get("/stores/demo/reports/flows?from=2026-11-20&to=2026-11-24", headers=AUTH)
    assert answer.status_code == 200, answer.body
    report = body_json(answer)
    welcome, win_back = report["rows"]
    assert welcome == {
        "flow": "welcome-flow",
        "sends": 1000,
        "opens": 500,
        "clicks": 150,
        "conversions": 50,
        "revenue": "2500.00",
        "revenue_per_recipient": "2.50",
        "cost": "0.2270",  # 980 emails x $0.0001 + 20 SMS x $0.00645
        "roi": "11012.22",
        "conversion_rate_percent": "5.0",
        "holdouts": 100,
        "holdout_conversion_rate_percent": "3.0",
        "lift_percent_points": "2.0",
    }
    assert win_back["sends"] == 10  # the October sends are not in this range
    assert win_back["holdout_conversion_rate_percent"] is None  # no holdout group
    assert report["summary"]["revenue"] == "2540.50"


def test_flows_report_as_csv_and_bad_dates(counted: Any) -> None:
    answer = counted.http.get(
        "/stores/demo/reports/flows?from=2026-11-20&to=2026-11-24&format=csv", headers=AUTH
    )
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert [r["flow"] for r in rows] == ["welcome-flow", "win-back"]
    assert rows[0]["lift_percent_points"] == "2.0"
    bad = counted.http.get("/stores/demo/reports/flows?from=yesterday", headers=AUTH)
    assert bad.status_code == 400
    assert "from" in body_json(bad)["error"]
