"""What a report is, whichever domain offers it: a request (a store, a range of store-local days,
a grouping) and a table (columns and rows, for JSON and CSV alike).

A domain offers reports by naming them in its `Domain(reports={name: maker})`; the reports routes
(functions/reports/handlers.py) look them up in the registry, so a new domain's report (flows,
fraud) needs nothing outside its own folder. A maker reads counters (O(days), never O(orders)) and
says how many items it read (`items_read`: `make bench` prints it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Grouping = Literal["day", "week", "month"]

#: the longest range a report reads (a year and a day: a leap year's same day last year)
MAX_REPORT_DAYS = 366


@dataclass(frozen=True)
class ReportRequest:
    """One report request, parsed at the edge: store-local dates, first..last inclusive."""

    store: Any  # storekit.store.StoreConfig (Any: this module is imported by the contract itself)
    first: date
    last: date
    by: Grouping = "day"
    limit: int = 10

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> ReportRequest:
        """The period of the same length just before this one (what headline changes compare to)."""
        span = timedelta(days=self.days)
        return ReportRequest(self.store, self.first - span, self.last - span, self.by, self.limit)


@dataclass
class ReportTable:
    """A report's answer: `rows` (flat dicts, one per line of the CSV) under `columns`, plus any
    `summary` figures shown above them (JSON only)."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    #: table items read to answer (counters, not orders)
    items_read: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, request: ReportRequest) -> dict[str, Any]:
        return {
            "report": self.name,
            "store_id": request.store.store_id,
            "timezone": request.store.timezone,
            "currency": request.store.currency,
            "from": request.first.isoformat(),
            "to": request.last.isoformat(),
            "by": request.by,
            "summary": self.summary,
            "rows": self.rows,
            "items_read": self.items_read,
            **self.extra,
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({name: _csv_cell(row.get(name)) for name in self.columns})
        return out.getvalue()


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet cannot take for a formula (=, +, -, @ at the start of text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return "" if value is None else value


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def group_start(day: date, by: Grouping) -> date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
