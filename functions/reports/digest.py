"""The staff digest: yesterday's (daily) or last week's (weekly) headline numbers against the
period before, the top sellers and the actions that failed, posted to Slack and/or emailed at a set
store-local time.

Filing: the first time an order event arrives while the digest is on, `keep_digest_job` files the
next digest as a due job (one id per send time: a conditional put, so once). When that job comes
up, the `digest` automation sends the digest and files the next one (ScheduleJob), so a digest on
keeps going out at its time, day after day, whether or not orders arrive. Dry-run plans the
messages like every other automation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from functions.reports.sales_reports import headline, top_sellers
from functions.reports.settings import DigestSettings
from storekit import keys
from storekit.actions import ScheduleJob, staff_notice
from storekit.automation import AppliedEvent, Automation, Context, Decision, Reader, nothing
from storekit.clock import iso, parse_iso
from storekit.models import Order
from storekit.records import JobRecord
from storekit.reporting import ReportRequest

NAME = "digest"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FAILED_SHOWN = 10


def is_on(settings: DigestSettings) -> str | None:
    """None when the digest goes out, else why not."""
    if settings.cadence == "off":
        return "the digest is off (settings cadence: daily or weekly)"
    if not settings.slack and not settings.email:
        return "the digest has nowhere to go (settings slack, email)"
    return None


def next_send(now: datetime, timezone: str, settings: DigestSettings) -> datetime:
    """The first send time strictly after `now`: the local time `at`, on the weekday for weekly."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in settings.at.split(":"))
    day = local.date()
    for _ in range(9):
        candidate = datetime.combine(day, time(hour, minute), tzinfo=zone)
        weekday_ok = settings.cadence != "weekly" or WEEKDAYS[day.weekday()] == settings.weekday
        if candidate > local and weekday_ok:
            return candidate.astimezone(now.tzinfo)
        day += timedelta(days=1)
    raise AssertionError("a weekday comes within 8 days")  # pragma: no cover - unreachable


def period_before(send_day: date, cadence: str) -> tuple[date, date]:
    """The days a digest sent on `send_day` sums up: yesterday, or the 7 days up to yesterday."""
    last = send_day - timedelta(days=1)
    return (last - timedelta(days=6) if cadence == "weekly" else last), last


def digest_job(store_id: str, timezone: str, settings: DigestSettings, now: datetime) -> JobRecord:
    due = next_send(now, timezone, settings)
    first, last = period_before(due.astimezone(ZoneInfo(timezone)).date(), settings.cadence)
    return JobRecord(
        job_id=keys.idempotency_key(NAME, store_id, iso(due)),
        store_id=store_id,
        kind=NAME,
        due_at=iso(due),
        params={"cadence": settings.cadence, "first": first.isoformat(), "last": last.isoformat()},
        created_at=iso(now),
    )


def keep_digest_job(applied: AppliedEvent) -> None:
    """File the next digest when an order arrives and none is filed (kept-after hook: no run, no action)."""
    store = applied.store
    if not isinstance(applied.parsed.resource, Order) or not store.automation(NAME).enabled:
        return
    settings = DigestSettings.model_validate(store.automation(NAME).settings)
    if is_on(settings) is not None:
        return
    job = digest_job(store.store_id, store.timezone, settings, applied.now)
    if applied.repo.find_job(store.store_id, job.job_id) is None:
        applied.repo.put_job(job)


@dataclass(frozen=True)
class _StoreRef:
    store_id: str


class DigestFacts(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    first: date
    last: date
    summary: dict[str, Any]
    top: list[dict[str, Any]]
    failed: list[dict[str, Any]]


def read_digest(job: JobRecord, reader: Reader) -> DigestFacts | None:
    """The numbers a digest job reports: counters of its period and the one before, failed actions."""
    try:
        first, last = date.fromisoformat(job.params["first"]), date.fromisoformat(job.params["last"])
    except (KeyError, TypeError, ValueError):
        return None
    request = ReportRequest(_StoreRef(job.store_id), first, last, limit=20)
    summary, _ = headline(request, reader.repo)
    top = top_sellers(reader.repo, request)
    since = iso(datetime.combine(first - timedelta(days=1), time(0), tzinfo=parse_iso(job.due_at).tzinfo))
    items, _ = reader.repo.listing(job.store_id, "actions", status="failed", limit=50)
    failed = [
        {"automation": a.get("automation"), "summary": a.get("summary"), "reason": a.get("reason")}
        for a in items
        if str(a.get("created_at", "")) >= since
    ]
    return DigestFacts(first=first, last=last, summary=summary, top=top, failed=failed)


def digest_text(store_name: str, currency: str, facts: DigestFacts, top: int) -> tuple[str, str]:
    """(heading, body) of a digest."""
    now, before, change = facts.summary["current"], facts.summary["previous"], facts.summary["change_percent"]
    span = facts.first.isoformat() if facts.first == facts.last else f"{facts.first} to {facts.last}"
    heading = f"{store_name}: {span}"

    def versus(name: str, money: bool = False) -> str:
        unit = f" {currency}" if money else ""
        pct = change.get(name)
        delta = f" ({'+' if pct and not pct.startswith('-') else ''}{pct}%)" if pct is not None else ""
        return f"{now[name]}{unit} vs {before[name]}{unit}{delta}"

    lines = [
        f"Net sales: {versus('net', True)}",
        f"Orders: {versus('orders')}",
        f"Units: {versus('units')}",
        f"Refunds: {now['refunds']} {currency}; cancelled: {now['cancelled_orders']} order(s)",
        f"Donations: {versus('donations', True)}; tips {now['tips']} {currency}",
        "",
        "Top sellers:",
    ]
    lines += [
        f"{r['rank']}. {r['title']}: {r['units']} unit(s), {r['revenue']} {currency}" for r in facts.top[:top]
    ]
    if not facts.top:
        lines.append("(no sales)")
    lines += ["", f"Failed actions: {len(facts.failed)}"]
    lines += [f"- {f['automation']}: {f['summary']} ({f['reason']})" for f in facts.failed[:FAILED_SHOWN]]
    if len(facts.failed) > FAILED_SHOWN:
        lines.append(f"... and {len(facts.failed) - FAILED_SHOWN} more")
    return heading, "\n".join(lines)


def send_digest(job: JobRecord, ctx: Context[DigestSettings, DigestFacts | None]) -> Decision:
    settings = ctx.settings
    if why := is_on(settings):
        return nothing(why)
    if ctx.related is None:
        return nothing("this digest job names no period (filed by an older storeflow)")
    heading, body = digest_text(ctx.store.display_name, ctx.store.currency, ctx.related, settings.top)
    once = f"digest:{job.due_at}"
    out = staff_notice(heading, body, settings, once)
    after = max(ctx.now, parse_iso(job.due_at))
    following = digest_job(ctx.store.store_id, ctx.store.timezone, settings, after)
    out.append(
        ScheduleJob(
            job_kind=NAME,
            due_at=parse_iso(following.due_at),
            params=following.params,
            once_per=f"digest-next:{following.due_at}",
        )
    )
    return Decision(out)


DIGEST: Automation[Any, DigestSettings, DigestFacts | None] = Automation(
    name=NAME,
    description="Send the staff a daily or weekly digest: sales vs the period before, top sellers, failures",
    topics=frozenset(),
    settings_model=DigestSettings,
    on_due=send_digest,
    load_due=read_digest,
)
