"""What `GET /health?deep=1` reports: the sweeper's lag and each stream handler's backlog, from the
heartbeats the engine writes (storekit.repository.jobs: the sweeper cursor, one item per handler)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storekit.clock import parse_iso

#: the sweeper runs every minute: three missed sweeps mean it stopped
SWEEPER_LATE_SECONDS = 180
#: a stream handler whose newest record was this old when it handled it is behind its stream
STREAM_BEHIND_SECONDS = 300


def _seconds(later: datetime, earlier: str | None) -> int | None:
    return None if not earlier else max(0, int((later - parse_iso(earlier)).total_seconds()))


def engine_health(beats: dict[str, dict[str, str]], now: datetime) -> dict[str, Any]:
    problems: list[str] = []
    sweeper = beats.get("sweeper", {})
    since = _seconds(now, sweeper.get("swept_at"))
    if since is None:
        problems.append("the sweeper has not swept yet (scheduled jobs, retries and follow-ups wait)")
    elif since > SWEEPER_LATE_SECONDS:
        problems.append(f"the sweeper last swept {since} s ago: scheduled jobs and retries are waiting")
    stream: dict[str, Any] = {}
    for handler in ("dispatch", "execute"):
        beat = beats.get(handler, {})
        handled = beat.get("handled_at")
        behind = _seconds(parse_iso(handled), beat.get("newest_record_at")) if handled else None
        stream[handler] = {
            "last_batch_at": handled,
            "seconds_since_last_batch": _seconds(now, handled),
            "record_age_seconds": behind,
        }
        if behind is not None and behind > STREAM_BEHIND_SECONDS:
            problems.append(f"{handler} was {behind} s behind the table stream at its last batch")
    return {
        "ok": not problems,
        "problems": problems,
        "sweeper": {
            "last_sweep_at": sweeper.get("swept_at"),
            "seconds_since_last_sweep": since,
            "cursor": sweeper.get("bucket"),
        },
        "stream": stream,
    }
