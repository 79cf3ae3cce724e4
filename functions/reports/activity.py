"""The activity report: events received and actions by outcome, per day, read from counters
(O(days), never O(orders)). Counters are added to as events and actions settle."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storekit.automation import AppliedEvent, SettledAction
from storekit.runtime import Runtime
from storekit.store import StoreConfig

EVENTS = "events"
ACTIONS = "actions"
MAX_DAYS = 366


def store_day(store: StoreConfig, at: datetime) -> str:
    """The calendar day in the store's time zone (reports follow the merchant's days)."""
    return at.astimezone(ZoneInfo(store.timezone)).date().isoformat()


def count_event(applied: AppliedEvent) -> None:
    """Kept after each event processed (once): events per topic and store-local day."""
    store = applied.store
    applied.repo.add_to_counter(store.store_id, EVENTS, store_day(store, applied.now), applied.topic)


def count_action(settled: SettledAction) -> None:
    """On each action that settles: actions per final status and store-local day."""
    store = settled.store
    settled.repo.add_to_counter(store.store_id, ACTIONS, store_day(store, settled.now), settled.status)


def activity_report(store: StoreConfig, days: int, runtime: Runtime) -> dict[str, Any]:
    last = date.fromisoformat(store_day(store, runtime.clock.now()))
    first = last - timedelta(days=days - 1)
    rows: dict[str, dict[str, Any]] = {
        (first + timedelta(days=i)).isoformat(): {"events": {}, "actions": {}} for i in range(days)
    }
    for name in (EVENTS, ACTIONS):
        for day, dimension, value in runtime.repo.counters(
            store.store_id, name, first.isoformat(), last.isoformat()
        ):
            if day in rows and dimension:
                rows[day][name][dimension] = value
    return {
        "report": "activity",
        "store_id": store.store_id,
        "timezone": store.timezone,
        "days": [{"day": day, **counts} for day, counts in sorted(rows.items(), reverse=True)],
    }


REPORTS = {"activity": activity_report}
