"""The `fraud` report (GET /stores/{id}/reports/fraud): per risk-score band, the orders scored in
the period (store-local days of the orders) and what became of them, from the per-day counters
(functions/fraud/outcomes.py): one Query of O(days x bands x metrics) items, never the orders.

`held_good` = held orders that were fulfilled and did not charge back (the cost of holding: good
customers who waited); `pass` row `chargeback` = passed orders that charged back (what the score
missed)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from functions.fraud.facts import risk_settings
from functions.fraud.outcomes import BANDS, METRICS
from storekit.reporting import ReportRequest, ReportTable
from storekit.runtime import Runtime

COLUMNS = [
    "band",
    "scores",
    "scored",
    "held",
    "cancelled",
    "chargebacks",
    "refunded",
    "fulfilled",
    "held_fulfilled",
    "held_good",
    "chargeback_rate_percent",
]


def _percent(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01")))


def fraud_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    store = request.store
    counts = runtime.repo.fraud_counts(store.store_id, request.first.isoformat(), request.last.isoformat())
    per_band: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for _day, band, metric, value in counts:
        if band in BANDS and metric in METRICS:
            per_band[band][metric] += int(value)
    settings = risk_settings(store)
    scores = {
        "pass": f"0-{settings.review_at - 1}",
        "review": f"{settings.review_at}-{settings.hold_at - 1}",
        "hold": f"{settings.hold_at}-{settings.cancel_at - 1}",
        "cancel": f"{settings.cancel_at}-100",
    }
    rows: list[dict[str, Any]] = []
    for band in BANDS:
        m = per_band[band]
        held_good = max(0, m["held_fulfilled"] - m["held_fulfilled_chargeback"])
        rows.append(
            {
                "band": band,
                "scores": scores[band],
                "scored": m["scored"],
                "held": m["held"],
                "cancelled": m["cancelled"],
                "chargebacks": m["chargeback"],
                "refunded": m["refunded"],
                "fulfilled": m["fulfilled"],
                "held_fulfilled": m["held_fulfilled"],
                "held_good": held_good,
                "chargeback_rate_percent": _percent(m["chargeback"], m["scored"]),
            }
        )
    held = sum(per_band[b]["held"] for b in BANDS)
    held_good = sum(r["held_good"] for r in rows)
    summary = {
        "scored": sum(per_band[b]["scored"] for b in BANDS),
        "held": held,
        "held_orders_that_were_good": held_good,
        "passed_orders_that_charged_back": per_band["pass"]["chargeback"],
        "chargebacks": sum(per_band[b]["chargeback"] for b in BANDS),
        "held_good_percent": _percent(held_good, held),
    }
    return ReportTable(name="fraud", columns=COLUMNS, rows=rows, summary=summary, items_read=len(counts))
