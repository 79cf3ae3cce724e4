"""The activity report: events received per topic, and actions planned, done or failed per
automation, per store-local day, read from counters (O(days), never O(orders)). Counters are added
to once, as events are processed and actions settle."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storekit.automation import AppliedEvent, SettledAction
from storekit.reporting import ReportRequest, ReportTable, days_between
from storekit.runtime import Runtime
from storekit.store import StoreConfig

EVENTS = "events"
ACTIONS = "actions"
#: actions per automation and final status ("{automation}:{status}")
AUTOMATION_ACTIONS = "automation-actions"
OUTCOMES = ("planned", "done", "failed")


def store_day(store: StoreConfig, at: datetime) -> str:
    """The calendar day in the store's time zone (reports follow the merchant's days)."""
    return at.astimezone(ZoneInfo(store.timezone)).date().isoformat()


def count_event(applied: AppliedEvent) -> None:
    """Kept after each event processed (once): events per topic and store-local day."""
    store = applied.store
    applied.repo.add_to_counter(store.store_id, EVENTS, store_day(store, applied.now), applied.topic)


def count_action(settled: SettledAction) -> None:
    """On each action that settles: actions per final status, and per automation, per store-local day."""
    store = settled.store
    day = store_day(store, settled.now)
    settled.repo.add_to_counter(store.store_id, ACTIONS, day, settled.status)
    if settled.automation:
        settled.repo.add_to_counter(
            store.store_id, AUTOMATION_ACTIONS, day, f"{settled.automation}:{settled.status}"
        )


def activity_report(request: ReportRequest, runtime: Runtime) -> ReportTable:
    store = request.store
    first, last = request.first.isoformat(), request.last.isoformat()
    days: dict[str, dict[str, Any]] = {
        d.isoformat(): {EVENTS: {}, ACTIONS: {}} for d in days_between(request.first, request.last)
    }
    read = 0
    for name in (EVENTS, ACTIONS):
        found = runtime.repo.counters(store.store_id, name, first, last)
        read += len(found)
        for day, dimension, value in found:
            if day in days and dimension:
                days[day][name][dimension] = value
    per_automation: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    found = runtime.repo.counters(store.store_id, AUTOMATION_ACTIONS, first, last)
    read += len(found)
    for _, dimension, value in found:
        if dimension and ":" in dimension:
            automation, status = dimension.rsplit(":", 1)
            per_automation[automation][status] = per_automation[automation].get(status, 0) + value
    rows = [{"automation": name, **counts} for name, counts in sorted(per_automation.items())]
    return ReportTable(
        "activity",
        ["automation", *OUTCOMES],
        rows,
        {"actions": {s: sum(r.get(s, 0) for r in rows) for s in OUTCOMES}},
        items_read=read,
        extra={"days": [{"day": day, **counts} for day, counts in sorted(days.items(), reverse=True)]},
    )
