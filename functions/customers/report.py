"""The `flows` report (GET /stores/{id}/reports/flows): per flow, what it sent and what came of it,
from the per-flow per-day counters (`flows`, functions/customers/facts.py): O(days), never orders.

Cost is the messages' price at list prices: email through SES $0.10 per 1,000, SMS through SNS at
the US price per message (other countries cost more or less: the report says which price it used).
ROI = (attributed revenue - cost) / cost. A holdout group's conversion rate against the recipients'
shows what the flow adds (lift), which attributed revenue alone cannot.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from storekit.reporting import ReportRequest, ReportTable
from storekit.runtime import Runtime

EMAIL_PRICE = Decimal("0.0001")  # SES: $0.10 per 1,000 emails
SMS_PRICE = Decimal("0.00645")  # SNS: one US SMS (base price + carrier fee)
METRICS = (
    "sends",
    "sms_sends",
    "opens",
    "clicks",
    "conversions",
    "revenue",
    "holdouts",
    "holdout_conversions",
    "holdout_revenue",
)
COLUMNS = [
    "flow",
    "sends",
    "opens",
    "clicks",
    "conversions",
    "revenue",
    "revenue_per_recipient",
    "cost",
    "roi",
    "conversion_rate_percent",
    "holdouts",
    "holdout_conversion_rate_percent",
    "lift_percent_points",
]


def _rate(part: Decimal, whole: Decimal) -> Decimal | None:
    return part * 100 / whole if whole > 0 else None


def _shown(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else str(value.quantize(Decimal(places)))


def flows_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    counts = runtime.repo.flow_counts(
        request.store.store_id, request.first.isoformat(), request.last.isoformat()
    )
    per_flow: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(METRICS, Decimal(0)))
    for _day, flow, metric, value in counts:
        if metric in METRICS:
            per_flow[flow][metric] += value
    rows: list[dict[str, Any]] = []
    total_revenue = total_cost = Decimal(0)
    for flow, m in sorted(per_flow.items()):
        emails = m["sends"] - m["sms_sends"]
        cost = emails * EMAIL_PRICE + m["sms_sends"] * SMS_PRICE
        converted = _rate(m["conversions"], m["sends"])
        held = _rate(m["holdout_conversions"], m["holdouts"])
        rows.append(
            {
                "flow": flow,
                "sends": int(m["sends"]),
                "opens": int(m["opens"]),
                "clicks": int(m["clicks"]),
                "conversions": int(m["conversions"]),
                "revenue": _shown(m["revenue"]),
                "revenue_per_recipient": _shown(m["revenue"] / m["sends"] if m["sends"] else None),
                "cost": _shown(cost, "0.0001"),
                "roi": _shown((m["revenue"] - cost) / cost if cost > 0 else None),
                "conversion_rate_percent": _shown(converted, "0.1"),
                "holdouts": int(m["holdouts"]),
                "holdout_conversion_rate_percent": _shown(held, "0.1"),
                "lift_percent_points": _shown(
                    converted - held if converted is not None and held is not None else None, "0.1"
                ),
            }
        )
        total_revenue += m["revenue"]
        total_cost += cost
    summary = {
        "revenue": _shown(total_revenue),
        "cost": _shown(total_cost, "0.0001"),
        "roi": _shown((total_revenue - total_cost) / total_cost if total_cost > 0 else None),
        "prices": {"email": str(EMAIL_PRICE), "sms": f"{SMS_PRICE} (US)"},
    }
    return ReportTable("flows", COLUMNS, rows, summary, items_read=len(counts))
