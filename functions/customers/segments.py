"""Segment tags on each customer, kept current as orders arrive: location (country), device (from
the order's client details), order value band, and purchase history (first-time, repeat; `lapsed`
is added by the win-back flow when a customer has not ordered for its N days and taken off by the
next order). Stores use them in payment-method rules (README: "Segment tags")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from functions.customers.channel_tags import MAX_TAG_LENGTH, tag_value
from functions.customers.models import SegmentSettings
from storekit.actions import Action, AddTags, RemoveTags
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.models import Order

NAME = "segment-tags"
HISTORY = ("history:first-time", "history:repeat", "history:lapsed")
BANDS = ("value:low", "value:mid", "value:high")
DEVICES = ("device:mobile", "device:tablet", "device:desktop")
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|blackberry|opera mini|windows phone", re.IGNORECASE)


class History(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    orders_before: int = 0


def device_of(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    if _TABLET.search(user_agent):
        return "device:tablet"
    if _MOBILE.search(user_agent):
        return "device:mobile"
    return "device:desktop"


def value_band(total: Decimal | None, settings: SegmentSettings) -> str:
    value = total or Decimal("0")
    if value >= settings.value_bands.get("high", Decimal("Infinity")):
        return "value:high"
    if value >= settings.value_bands.get("mid", Decimal("Infinity")):
        return "value:mid"
    return "value:low"


def segment_tags_for(order: Order, orders_before: int, settings: SegmentSettings) -> list[str]:
    tags: list[str] = []
    address = order.shipping_address or order.billing_address
    if settings.location and address is not None and address.country_code:
        tags.append(f"country:{tag_value(address.country_code)}")
    if settings.device and (device := device_of(order.user_agent)):
        tags.append(device)
    tags.append(value_band(order.total, settings))
    if settings.history:
        tags.append("history:first-time" if orders_before == 0 else "history:repeat")
    return [tag[:MAX_TAG_LENGTH] for tag in tags]


def _history(order: Order, reader: Reader) -> History:
    customer = order.customer
    if customer is None or not customer.id:
        return History()
    profile: dict[str, Any] = reader.repo.customer_profile(reader.store_id, customer.id)
    orders = int(profile.get("orders", 0))
    if f"order:{order.id}" in {str(m) for m in profile.get("counted", set())}:
        orders -= 1  # a repeated delivery: this order is counted already
    if customer.orders_count is not None:  # the platform knows orders from before storeflow
        orders = max(orders, customer.orders_count - 1)
    return History(orders_before=max(orders, 0))


def tag_segments(order: Order, ctx: Context[SegmentSettings, History]) -> Decision:
    customer = order.customer
    if customer is None or not customer.id:
        return nothing("a guest order (no customer account): no segment tags")
    tags = segment_tags_for(order, ctx.related.orders_before, ctx.settings)
    families = (HISTORY, BANDS, DEVICES)
    stale = sorted(
        t
        for family in families
        for t in family
        if t in customer.tags and t not in tags and any(x in family for x in tags)
    )
    if "history:lapsed" in customer.tags and "history:lapsed" not in stale:
        stale.append("history:lapsed")
    actions: list[Action] = [
        AddTags(resource="customer", resource_id=customer.id, tags=tags, once_per=f"segments:{order.id}")
    ]
    if stale:
        actions.append(
            RemoveTags(
                resource="customer", resource_id=customer.id, tags=stale, once_per=f"segments-off:{order.id}"
            )
        )
    return Decision(actions)


SEGMENT_TAGS: Automation[Order, SegmentSettings, History] = Automation(
    name=NAME,
    description="Tag customers by country, device, order value band and purchase history "
    "(first-time, repeat, lapsed)",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=SegmentSettings,
    takes=(Order,),
    run=tag_segments,
    load=_history,
    default_enabled=False,
)
