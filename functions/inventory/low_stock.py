"""Low-stock alert: a variant's available stock falls to its threshold -> staff Slack and/or email.

The threshold comes from the first rule that names the variant (by SKU, else product tag, product
type, vendor) or the store default; a rule may count one location only, else stock is summed
across locations. Once per crossing: while it stays low nothing repeats, whatever the order or
repetition of updates; it is re-armed only when stock rises above threshold + margin. Alerts within
`digest_minutes` go out as one digest: each crossing files a due job of this automation's own for
the end of its window, and the window's first job sends them all (one message).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.inventory.facts import LOW_STOCK_NAME, DigestFacts, StockFacts, alerts_due_with, stock_of_event
from functions.inventory.models import LowStockSettings, ProductFacts, StaffChannels, counts
from functions.inventory.stock import StockState, low_transition, next_crossing
from storekit.actions import Action, ScheduleJob, staff_notice
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.clock import iso
from storekit.models import InventoryLevel, Product
from storekit.records import JobRecord
from storekit.store import StoreConfig

#: Slack refuses longer texts; a digest lists this many variants and counts the rest
MAX_DIGEST_LINES = 40


def window_end(now: datetime, minutes: int) -> datetime:
    """The end of the digest window `now` falls in (windows start at whole multiples of `minutes`)."""
    width = minutes * 60
    start = int(now.timestamp()) // width * width
    return datetime.fromtimestamp(start + width, tz=UTC)


def admin_link(store: StoreConfig, product_id: str, variant_id: str | None = None) -> str:
    """The product (or variant) in the store's admin."""
    if store.platform == "shopify":
        variant = f"/variants/{variant_id}" if variant_id and variant_id != product_id else ""
        return f"https://{store.shop_domain}/admin/products/{product_id}{variant}"
    return f"{store.shop_domain.rstrip('/')}/wp-admin/post.php?post={product_id}&action=edit"


def no_channel_reason(settings: StaffChannels) -> str | None:
    if settings.slack or settings.email:
        return None
    return "staff alerts are off (settings slack, email)"


def _decide_variant(
    ctx: Context[LowStockSettings, StockFacts],
    before: StockState,
    after: StockState,
    product_id: str,
    variant_id: str,
    sku: str | None,
    facts: ProductFacts,
    names: tuple[str | None, str | None],
    location_id: str | None,
) -> tuple[ScheduleJob | None, str]:
    """A crossing's alert (a due job for the digest), else why none."""
    settings = ctx.settings
    rule = settings.rule_for(facts, sku)
    threshold = rule.threshold if rule else settings.threshold
    where = rule.location if rule else None
    quantity = after.available(variant_id, where)
    label = _label(names, variant_id, sku)
    if quantity is None:
        at = f" at location {where} (the rule's location)" if where else ""
        return None, f"{label}: no stock level known{at}"
    change = low_transition(before, variant_id, quantity, threshold, settings.margin)
    if change != "crossed":
        if variant_id in before.low:
            return None, (
                f"{label}: {quantity} left, alert already out for this drop "
                f"(again once stock rises above {threshold + settings.margin})"
            )
        return None, f"{label}: {quantity} left, above the threshold of {threshold}"
    crossing = next_crossing(before, variant_id)
    location = where or location_id
    alert = {
        "product_id": product_id,
        "variant_id": variant_id,
        "product": names[0] or f"product {product_id}",
        "variant": names[1],
        "sku": sku,
        "quantity": quantity,
        "threshold": threshold,
        "location": settings.location_names.get(location, f"location {location}")
        if location
        else "all locations",
        "link": admin_link(ctx.store, product_id, variant_id),
    }
    due = window_end(ctx.now, settings.digest_minutes)
    job = ScheduleJob(
        job_kind=LOW_STOCK_NAME,
        due_at=due,
        params=alert,
        once_per=f"low-stock:{product_id}:{variant_id}:{crossing}",
    )
    return job, f"{label}: {quantity} left (threshold {threshold}): in the digest at {iso(due)}"


def _label(names: tuple[str | None, str | None], variant_id: str, sku: str | None) -> str:
    product, variant = names
    text = f"{product or 'variant'} - {variant}" if variant and variant != "Default Title" else product
    text = text or f"variant {variant_id}"
    return f"{text} (SKU {sku})" if sku else text


def low_stock(resource: InventoryLevel | Product, ctx: Context[LowStockSettings, StockFacts]) -> Decision:
    if why := no_channel_reason(ctx.settings):
        return nothing(why)
    facts = ctx.related
    if isinstance(resource, InventoryLevel):
        item = facts.item
        if item is None:
            return nothing(
                f"inventory item {resource.inventory_item_id} is in no product storeflow has received: "
                "it learns the items of each variant from products/create and products/update"
            )
        if resource.available is None or not resource.location_id:
            return nothing(f"inventory item {resource.inventory_item_id} reports no available quantity")
        names = (item.product_title, item.variant_title)
        if not item.counted:
            return nothing(
                f"{_label(names, item.variant_id, item.sku)}: stock not tracked or sold on when out"
            )
        after = facts.stock_after(resource)
        job, why = _decide_variant(
            ctx,
            facts.stock,
            after,
            item.product_id,
            item.variant_id,
            item.sku,
            item.facts,
            names,
            resource.location_id,
        )
        return Decision([job] if job else [], None if job else why)
    product = resource
    known = facts.product
    title = product.title or (known.title if known else None)
    rules_read = ProductFacts.of(product if product.title is not None else known)
    jobs: list[Action] = []
    reasons: list[str] = []
    before = facts.stock
    after = facts.stock_after(product)
    for variant in product.variants:
        if not variant.id or (product.variation_ids and variant.id == product.id):
            continue
        names = (title, variant.title)
        if not counts(variant):
            why = "stock not tracked" if variant.tracked is False else "sold on when out of stock"
            reasons.append(f"{_label(names, variant.id, variant.sku)}: {why}")
            continue
        if variant.inventory_quantity is None:
            reasons.append(f"{_label(names, variant.id, variant.sku)}: no stock quantity in the update")
            continue
        job, why = _decide_variant(
            ctx, before, after, product.id, variant.id, variant.sku, rules_read, names, None
        )
        if job:
            jobs.append(job)
        else:
            reasons.append(why)
    if not jobs and not reasons:
        reasons.append(f"product {product.id} has no variant with stock")
    return Decision(jobs, "; ".join(reasons) or None)


def _line(alert: dict[str, Any]) -> str:
    variant = f" - {alert['variant']}" if alert.get("variant") and alert["variant"] != "Default Title" else ""
    sku = f" (SKU {alert['sku']})" if alert.get("sku") else ""
    return (
        f"{alert.get('product')}{variant}{sku}: {alert.get('quantity')} left at {alert.get('location')} "
        f"(threshold {alert.get('threshold')}) {alert.get('link')}"
    )


def digest_text(alerts: list[dict[str, Any]]) -> tuple[str, str]:
    """(heading, body) of one alert or a digest of several."""
    lines = [_line(a) for a in alerts[:MAX_DIGEST_LINES]]
    if len(alerts) > MAX_DIGEST_LINES:
        lines.append(f"... and {len(alerts) - MAX_DIGEST_LINES} more")
    if len(alerts) == 1:
        return "Low stock", lines[0]
    return f"Low stock: {len(alerts)} variants", "\n".join(f"- {line}" for line in lines)


def _staff_message(heading: str, body: str, settings: StaffChannels, once: str) -> list[Action]:
    return staff_notice(heading, body, settings, once)


def send_digest(job: JobRecord, ctx: Context[LowStockSettings, DigestFacts]) -> Decision:
    if not job.params.get("variant_id"):
        return nothing("this low-stock job carries no alert (filed by an older storeflow): nothing to send")
    if why := no_channel_reason(ctx.settings):
        return nothing(why)
    if job.created_at >= job.due_at:  # filed after its window closed: its digest already went
        heading, body = digest_text([job.params])
        return Decision(_staff_message(heading, body, ctx.settings, f"low-stock-alert:{job.job_id}"))
    on_time = {
        j.job_id: j for j in ctx.related.jobs if j.created_at < j.due_at and j.params.get("variant_id")
    }
    on_time[job.job_id] = job
    first = min(on_time)
    if first != job.job_id:
        return nothing(f"sent in the digest of {job.due_at} with {len(on_time) - 1} other alert(s)")
    alerts = [on_time[k].params for k in sorted(on_time)]
    heading, body = digest_text(alerts)
    return Decision(_staff_message(heading, body, ctx.settings, f"low-stock-digest:{job.due_at}"))


LOW_STOCK: Automation[InventoryLevel | Product, LowStockSettings, Any] = Automation(
    name=LOW_STOCK_NAME,
    description="Tell the staff when a variant's stock falls to its threshold (once per drop, in digests)",
    topics=frozenset(
        {Topic.INVENTORY_UPDATED, Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED, Topic.VARIANT_OUT_OF_STOCK}
    ),
    settings_model=LowStockSettings,
    takes=(InventoryLevel, Product),
    run=low_stock,
    load=stock_of_event,
    on_due=send_digest,
    load_due=alerts_due_with,
    reads=frozenset({"product", "inventory_item"}),
)
