"""Tag each new order, and its customer, with its sales channel and acquisition source.

channel:  where the order was placed (online store, POS, draft order, mobile app, an app id, ...)
source:   who sent the buyer (utm_source, else the referring site's name, else "direct")
medium / campaign:  utm_medium / utm_campaign when the landing page carried them
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from storekit.actions import Action, AddTags
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision
from storekit.models import Order

#: Shopify limits a tag to 40 characters (WooCommerce keeps them in order meta)
MAX_TAG_LENGTH = 40

_CHANNELS = {
    "web": "online-store",
    "checkout": "online-store",  # WooCommerce created_via
    "store-api": "online-store",  # WooCommerce block checkout
    "pos": "pos",
    "shopify_draft_order": "draft-order",
    "admin": "admin",
    "rest-api": "api",
    "iphone": "mobile-app",
    "android": "mobile-app",
}
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu"}
_HOST_PREFIXES = ("www.", "m.", "l.", "lm.", "out.", "away.")
_NOT_TAG_CHARS = re.compile(r"[^a-z0-9._-]+")


class ChannelTagSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    channel_prefix: str = Field(default="channel:", max_length=20)
    source_prefix: str = Field(default="source:", max_length=20)
    medium_prefix: str = Field(default="medium:", max_length=20)
    campaign_prefix: str = Field(default="campaign:", max_length=20)
    tag_customer: bool = True
    include_medium_and_campaign: bool = True


def tag_value(raw: str) -> str:
    """A tag-safe slug: lower case, [a-z0-9._-], no leading/trailing dashes."""
    return _NOT_TAG_CHARS.sub("-", raw.strip().lower()).strip("-")


def sales_channel(source_name: str | None) -> str:
    if not source_name:
        return "unknown"
    name = source_name.strip().lower()
    if name in _CHANNELS:
        return _CHANNELS[name]
    if name.isdigit():
        return f"app-{name}"
    return tag_value(name) or "unknown"


def site_name(url: str | None) -> str | None:
    """'https://www.google.com/search?q=x' -> 'google'; 'l.facebook.com' -> 'facebook'."""
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
    labels = [label for label in host.split(".") if label]
    if not labels:
        return None
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def acquisition_source(order: Order, own_domain: str) -> str:
    """utm_source, else the referring site (unless it is the store itself), else 'direct'."""
    utm_source = order.utm.get("utm_source")
    if utm_source and tag_value(utm_source):
        return tag_value(utm_source)
    referrer = site_name(order.referring_site)
    if referrer and referrer != site_name(own_domain):
        return tag_value(referrer)
    return "direct"


def channel_tags_for(order: Order, own_domain: str, settings: ChannelTagSettings) -> list[str]:
    tags = [
        settings.channel_prefix + sales_channel(order.source_name),
        settings.source_prefix + acquisition_source(order, own_domain),
    ]
    if settings.include_medium_and_campaign:
        for key, prefix in (
            ("utm_medium", settings.medium_prefix),
            ("utm_campaign", settings.campaign_prefix),
        ):
            value = tag_value(order.utm.get(key, ""))
            if value:
                tags.append(prefix + value)
    return [tag[:MAX_TAG_LENGTH] for tag in tags]


def tag_sales_channel(order: Order, ctx: Context[ChannelTagSettings, None]) -> Decision:
    tags = channel_tags_for(order, ctx.store.shop_domain, ctx.settings)
    actions: list[Action] = [
        AddTags(resource="order", resource_id=order.id, tags=tags, once_per=f"order:{order.id}")
    ]
    customer = order.customer
    note: str | None = None
    if not ctx.settings.tag_customer:
        note = "customer tagging is off (setting tag_customer): order tags only"
    elif customer is None or not customer.id:
        note = "the order has no customer account (a guest checkout): order tags only"
    else:
        actions.append(
            AddTags(
                resource="customer",
                resource_id=customer.id,
                tags=tags,
                once_per=f"customer:{customer.id}:{','.join(tags)}",
            )
        )
    return Decision(actions, note)


CHANNEL_TAGS: Automation[Order, ChannelTagSettings, None] = Automation(
    name="channel-tags",
    description="Tag each new order and its customer with sales channel and acquisition source",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=ChannelTagSettings,
    takes=(Order,),
    run=tag_sales_channel,
)
