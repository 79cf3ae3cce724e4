"""Birthday and anniversary offers at a set local time on the day.

The birthday comes from the customer meta key (WooCommerce) or metafield ("namespace.key", Shopify,
when the webhook subscription includes that namespace) named in the settings; the anniversary is
the day the customer's account was created. Each customer create/update files one due job for the
next occasion at `send_at` in the store's time zone: the due jobs are filed by the hour they are due
in (storekit.keys), so each day's sweep reads only the customers due that day, never all customers.
When a job comes due it checks the occasion still holds (the birthday may have been changed: then
the newer job sends), sends, and files next year's job.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from functions.customers.contacts import ContactFacts, contact_facts
from functions.customers.flows import code_offer
from functions.customers.marketing import Offer, Recipient, plan_marketing, recipient_of_customer
from functions.customers.models import CodeOffer, FlowSettings
from storekit.actions import ScheduleJob
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.models import Customer
from storekit.records import JobRecord

NAME = "birthday-offers"
_DAY = re.compile(r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})")


class OccasionSettings(FlowSettings):
    #: the customer meta key / metafield ("namespace.key") holding the birthday (YYYY-MM-DD or MM-DD)
    birthday_key: str | None = Field(default=None, min_length=1, max_length=100)
    anniversary: bool = False
    #: the local time the offers go out
    send_at: time = time(10, 0)
    offer: CodeOffer = CodeOffer()


def month_day(text: str | None) -> tuple[int, int] | None:
    """(month, day) of "1990-04-23", "04-23" or "4-23"; None if it is not a calendar day."""
    found = _DAY.match((text or "").strip())
    if not found:
        return None
    month, day = int(found.group(2)), int(found.group(3))
    try:
        date(2000, month, day)  # a leap year: 02-29 is a day
    except ValueError:
        return None
    return month, day


def next_occurrence(md: tuple[int, int], after: datetime, at: time, timezone: str) -> datetime:
    """The next local `at` on month-day `md` strictly after `after` (Feb 29 is Feb 28 in other years)."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    for year in (local.year, local.year + 1, local.year + 2):
        month, day = md
        if (month, day) == (2, 29) and not _leap(year):
            day = 28
        candidate = datetime.combine(date(year, month, day), at, tzinfo=zone)
        if candidate > local:
            return candidate.astimezone(after.tzinfo)
    raise AssertionError("a month-day recurs within two years")


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def occasions_of(customer: Customer, settings: OccasionSettings) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    if settings.birthday_key and (md := month_day(customer.meta.get(settings.birthday_key))):
        found["birthday"] = md
    if settings.anniversary and customer.created_at is not None:
        found["anniversary"] = (customer.created_at.month, customer.created_at.day)
    return found


def schedule_occasions(customer: Customer, ctx: Context[OccasionSettings, None]) -> Decision:
    settings = ctx.settings
    if not customer.id:
        return nothing("the customer has no id")
    occasions = occasions_of(customer, settings)
    if not occasions:
        if settings.birthday_key is None and not settings.anniversary:
            return nothing(
                "no birthday key set and anniversaries are off (settings birthday_key, anniversary)"
            )
        return nothing(
            f"the customer has no birthday under {settings.birthday_key!r} and no anniversary to mark"
        )
    return Decision(
        [
            _job(customer.id, kind, md, next_occurrence(md, ctx.now, settings.send_at, ctx.store.timezone))
            for kind, md in sorted(occasions.items())
        ]
    )


def _job(customer_id: str, kind: str, md: tuple[int, int], due: datetime) -> ScheduleJob:
    return ScheduleJob(
        job_kind=NAME,
        due_at=due,
        params={"customer_id": customer_id, "occasion": kind, "month_day": f"{md[0]:02d}-{md[1]:02d}"},
        once_per=f"{kind}:{customer_id}:{due.date().isoformat()}",
    )


def _customer_and_contact(job: JobRecord, reader: Reader) -> ContactFacts:
    found = reader.snapshot("customer", str(job.params.get("customer_id")))
    if not isinstance(found, Customer):
        return ContactFacts()
    return contact_facts(reader, found.email or found.phone, customer=found)


def send_occasion(job: JobRecord, ctx: Context[OccasionSettings, ContactFacts]) -> Decision:
    customer = ctx.related.customer
    occasion: Literal["birthday", "anniversary"] | str = str(job.params.get("occasion"))
    if customer is None or not customer.id:
        return nothing("the customer is no longer kept (deleted or redacted): no offer")
    md = occasions_of(customer, ctx.settings).get(occasion)
    if md is None or f"{md[0]:02d}-{md[1]:02d}" != job.params.get("month_day"):
        return nothing(f"the customer's {occasion} changed or was removed: this job is outdated")
    recipient = recipient_of_customer(customer, ctx.store)
    following = _job(
        customer.id, occasion, md, next_occurrence(md, ctx.now, ctx.settings.send_at, ctx.store.timezone)
    )
    if recipient is None:
        return Decision([following], "no deliverable email or textable phone: next year's job filed")
    decision = _offer(job, ctx, recipient, occasion)
    return Decision([*decision, following], decision.reason)


def _offer(
    job: JobRecord, ctx: Context[OccasionSettings, ContactFacts], recipient: Recipient, occasion: str
) -> Decision:
    create, code, note = code_offer(NAME, ctx.settings.offer, ctx.now, recipient, job.job_id)
    headline = (
        "Happy birthday!" if occasion == "birthday" else f"Happy anniversary with {ctx.store.display_name}!"
    )
    offer = Offer(
        headline=headline,
        intro="a small gift from us." if code else "thank you for being with us.",
        sms=f"{ctx.store.display_name}: {headline}",
        code=code,
        code_note=note,
    )
    year = ctx.now.year
    return plan_marketing(
        NAME,
        ctx.store,
        ctx.now,
        ctx.settings,
        recipient,
        ctx.related.contact,
        offer,
        f"{occasion}:{recipient.key}:{year}",
        create,
    )


BIRTHDAY_OFFERS: Automation[Customer, OccasionSettings, Any] = Automation(
    name=NAME,
    description="Birthday (from a customer meta key / metafield) and account-anniversary offers "
    "at a set local time",
    topics=frozenset({Topic.CUSTOMER_CREATED, Topic.CUSTOMER_UPDATED}),
    settings_model=OccasionSettings,
    takes=(Customer,),
    run=schedule_occasions,
    on_due=send_occasion,
    load_due=_customer_and_contact,
    default_enabled=False,
)
