"""Marketing notices: a new published product, a product going low and a product selling out tell
the marketing channel (Slack and/or email), at once or in one daily digest at a store-local time.

"Going low" is a low-stock crossing as the `low-stock` automation judges it (its thresholds and
rules, once per drop: the crossing storeflow records on the product's stock item); "sold out" is
every tracked variant at 0 (once until stock returns); "new" is a product created published, or an
update that publishes a product storeflow knew unpublished (once per product). The same stock
reads as the other stock automations decide it (functions/inventory/facts.py). In digest mode each
notice files a due job of this automation's own for the next digest time; the first of the jobs due
then sends them all as one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError

from functions.inventory.facts import LOW_STOCK_NAME, DigestFacts, StockFacts, alerts_due_with, stock_of_event
from functions.inventory.low_stock import _staff_message, admin_link, no_channel_reason
from functions.inventory.models import LowStockSettings, ProductFacts, StaffChannels
from functions.inventory.stock import low_transition, next_crossing
from storekit.actions import Action, ScheduleJob
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.clock import iso
from storekit.keys import idempotency_key
from storekit.models import InventoryLevel, Product
from storekit.records import JobRecord
from storekit.store import StoreConfig

MARKETING_NAME = "marketing-notices"
#: a digest lists this many notices and counts the rest (Slack refuses longer texts)
MAX_LINES = 40


class MarketingSettings(StaffChannels):
    """Where and when marketing hears of products: the channels (`slack`, `email`, `sender`), what
    it hears of, and `digest_at` ("HH:MM" store-local: one digest a day; unset: each at once)."""

    new_products: bool = True
    going_low: bool = True
    sold_out: bool = True
    digest_at: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class Notice:
    #: what makes it unique (a product's publication, a variant's crossing, a product's sell-out)
    key: str
    text: str


def next_digest(now: datetime, timezone: str, at: str) -> datetime:
    """The next store-local `at` ("HH:MM") after `now`, as an aware datetime."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in at.split(":"))
    due = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=zone)
    return due


def _low_settings(store: StoreConfig) -> LowStockSettings:
    try:
        return LowStockSettings.model_validate(store.automation(LOW_STOCK_NAME).settings)
    except ValidationError:
        return LowStockSettings()


def _variant_label(product: str, variant: str | None) -> str:
    return f"{product} - {variant}" if variant and variant != "Default Title" else product


def notices(
    resource: InventoryLevel | Product, ctx: Context[MarketingSettings, StockFacts]
) -> tuple[list[Notice], list[str]]:
    """What marketing hears of this event, and why not for what it does not."""
    facts, settings, store = ctx.related, ctx.settings, ctx.store
    found: list[Notice] = []
    why: list[str] = []
    before, after = facts.stock, facts.stock_after(resource)
    low = _low_settings(store)
    if isinstance(resource, InventoryLevel):
        if facts.item is None:
            return [], [
                f"inventory item {resource.inventory_item_id} is in no product storeflow has received"
            ]
        product_id, title = (
            facts.item.product_id,
            facts.item.product_title or f"product {facts.item.product_id}",
        )
        variants = [(facts.item.variant_id, facts.item.variant_title, facts.item.sku, facts.item.counted)]
        rules_read = facts.item.facts
    else:
        known = facts.product
        product_id = resource.id
        title = resource.title or (known.title if known else None) or f"product {resource.id}"
        rules_read = ProductFacts.of(resource if resource.title is not None else known)
        variants = [
            (v.id, v.title, v.sku, after.counted.get(v.id, True))
            for v in resource.variants
            if v.id and not (resource.variation_ids and v.id == resource.id)
        ]
        if settings.new_products:
            published_now = resource.published is True and resource.status == "active"
            was = known.published if known is not None else None
            if published_now and (
                (known is None and ctx.event.topic == Topic.PRODUCT_CREATED)
                or (known is not None and was is not True)
            ):
                found.append(
                    Notice(
                        f"new:{product_id}", f"New product published: {title} {admin_link(store, product_id)}"
                    )
                )
            elif published_now and known is None:
                why.append(f"{title}: published, but storeflow never saw it unpublished or created: not new")
    if settings.going_low:
        for variant_id, variant_title, sku, counted in variants:
            if not counted:
                continue
            rule = low.rule_for(rules_read, sku)
            threshold = rule.threshold if rule else low.threshold
            quantity = after.available(variant_id, rule.location if rule else None)
            if low_transition(before, variant_id, quantity, threshold, low.margin) == "crossed":
                found.append(
                    Notice(
                        f"low:{product_id}:{variant_id}:{next_crossing(before, variant_id)}",
                        f"Going low: {_variant_label(title, variant_title)}: {quantity} left "
                        f"(threshold {threshold}) {admin_link(store, product_id, variant_id)}",
                    )
                )
    if settings.sold_out and after.product_sold_out() and before.sold_out is None:
        found.append(
            Notice(
                f"soldout:{product_id}:{ctx.event.event_id}",
                f"Sold out: {title} {admin_link(store, product_id)}",
            )
        )
    return found, why


def marketing_notices(
    resource: InventoryLevel | Product, ctx: Context[MarketingSettings, StockFacts]
) -> Decision:
    settings = ctx.settings
    if off := no_channel_reason(settings):
        return nothing(off.replace("staff alerts", "marketing notices"))
    if not (settings.new_products or settings.going_low or settings.sold_out):
        return nothing("every notice is off (settings new_products, going_low, sold_out)")
    found, why = notices(resource, ctx)
    if not found:
        return nothing(
            "; ".join(why)
            or "nothing for marketing: no product newly published, no variant went low, no product sold out"
        )
    if settings.digest_at is not None:
        due = next_digest(ctx.now, ctx.store.timezone, settings.digest_at)
        jobs: list[Action] = [
            ScheduleJob(
                job_kind=MARKETING_NAME, due_at=due, params={"text": n.text}, once_per=f"marketing:{n.key}"
            )
            for n in found
        ]
        return Decision(
            jobs, f"in the daily digest at {settings.digest_at} ({ctx.store.timezone}): {iso(due)}"
        )
    heading = found[0].text.split(":", 1)[0] if len(found) == 1 else f"{len(found)} product notices"
    body = "\n".join(n.text for n in found)
    once = "marketing:" + idempotency_key(*sorted(n.key for n in found))
    return Decision(_staff_message(heading, body, settings, once))


def send_digest(job: JobRecord, ctx: Context[MarketingSettings, DigestFacts]) -> Decision:
    """The first job due at a digest time sends every notice due then (one message)."""
    if why := no_channel_reason(ctx.settings):
        return nothing(why.replace("staff alerts", "marketing notices"))
    due = {j.job_id: j for j in ctx.related.jobs if j.params.get("text")}
    due[job.job_id] = job
    first = min(due)
    if first != job.job_id:
        return nothing(f"sent in the marketing digest of {job.due_at} with {len(due) - 1} other notice(s)")
    lines = [str(due[k].params.get("text")) for k in sorted(due, key=lambda k: (due[k].created_at, k))]
    shown = [f"- {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"... and {len(lines) - MAX_LINES} more")
    heading = f"Product notices: {len(lines)}"
    return Decision(_staff_message(heading, "\n".join(shown), ctx.settings, f"marketing-digest:{job.due_at}"))


MARKETING: Automation[InventoryLevel | Product, MarketingSettings, Any] = Automation(
    name=MARKETING_NAME,
    description="Tell marketing of new published products and products going low or sold out",
    topics=frozenset({Topic.INVENTORY_UPDATED, Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED}),
    settings_model=MarketingSettings,
    takes=(InventoryLevel, Product),
    run=marketing_notices,
    load=stock_of_event,
    on_due=send_digest,
    load_due=alerts_due_with,
    reads=frozenset({"product", "inventory_item"}),
)
