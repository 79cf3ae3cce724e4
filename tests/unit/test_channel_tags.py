"""The channel-tags automation's pure logic, on real orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.customers.channel_tags import (
    MAX_TAG_LENGTH,
    ChannelTagSettings,
    sales_channel,
    site_name,
    tag_sales_channel,
    tag_value,
)
from storekit.actions import AddTags
from storekit.adapters import Topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.store import StoreConfig
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def context(platform: str = "shopify", **settings: Any) -> Context[ChannelTagSettings, None]:
    store = StoreConfig(
        store_id="demo",
        platform=platform,  # type: ignore[arg-type]
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        created_at=NOW,
        updated_at=NOW,
    )
    meta = EventMeta(
        event_id="shopify:d",
        platform=platform,
        topic="order.created",
        delivery_id="d",
        received_at="2026-11-24T12:00:00.000000Z",
    )
    return Context(store=store, settings=ChannelTagSettings(**settings), event=meta, now=NOW, related=None)


def order_event(platform: str, payload: bytes) -> Any:
    return parse_delivery(platform, Topic.ORDER_CREATED, json.loads(payload))


def test_draft_order_with_customer_tags_order_and_customer() -> None:
    event = order_event("shopify", load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0])
    actions = tag_sales_channel(event.resource, context())
    assert actions == [
        AddTags(
            resource="order",
            resource_id="6198432301356",
            tags=["channel:draft-order", "source:direct"],
            once_per="order:6198432301356",
        ),
        AddTags(
            resource="customer",
            resource_id="8658316394796",
            tags=["channel:draft-order", "source:direct"],
            once_per="customer:8658316394796:channel:draft-order,source:direct",
        ),
    ]


def test_guest_order_tags_only_the_order() -> None:
    event = order_event("shopify", load_fixture("shopify/orders_create__2025-store-guest.json")[0])
    actions = tag_sales_channel(event.resource, context())
    assert [a.resource for a in actions if isinstance(a, AddTags)] == ["order"]


def test_utm_parameters_win_over_the_referrer() -> None:
    event = order_event("shopify", (EVENTS / "shopify" / "orders_create__utm-instagram.json").read_bytes())
    [order_tags, _] = tag_sales_channel(event.resource, context())
    assert isinstance(order_tags, AddTags)
    assert order_tags.tags == [
        "channel:online-store",
        "source:instagram",
        "medium:social",
        "campaign:black-friday-2026",
    ]


def test_referrer_names_the_source_when_no_utm() -> None:
    event = order_event("shopify", load_fixture("shopify/orders_create__python-api-order.json")[0])
    [order_tags, *_] = tag_sales_channel(event.resource, context())
    assert isinstance(order_tags, AddTags)
    assert order_tags.tags[:2] == ["channel:online-store", "source:otherexample"]


def test_settings_change_prefixes_and_skip_customer() -> None:
    event = order_event("shopify", load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0])
    actions = tag_sales_channel(
        event.resource, context(channel_prefix="ch-", source_prefix="src-", tag_customer=False)
    )
    assert len(actions) == 1
    assert isinstance(actions[0], AddTags)
    assert actions[0].tags == ["ch-draft-order", "src-direct"]


def test_woocommerce_order_is_tagged_from_created_via() -> None:
    event = order_event("woocommerce", load_fixture("woocommerce/order_created__rest-api-docs.json")[0])
    [order_tags, *_] = tag_sales_channel(event.resource, context("woocommerce"))
    assert isinstance(order_tags, AddTags)
    assert order_tags.tags[0].startswith("channel:")
    assert order_tags.resource == "order"


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        ("web", "online-store"),
        ("pos", "pos"),
        ("shopify_draft_order", "draft-order"),
        ("iphone", "mobile-app"),
        ("580111", "app-580111"),
        (None, "unknown"),
        ("Some Marketplace!", "some-marketplace"),
        ("checkout", "online-store"),
    ],
)
def test_sales_channel_names(source: str | None, channel: str) -> None:
    assert sales_channel(source) == channel


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.google.com/search?q=x", "google"),
        ("https://l.facebook.com/l.php", "facebook"),
        ("http://news.bbc.co.uk/x", "bbc"),
        ("instagram.com", "instagram"),
        ("", None),
        (None, None),
    ],
)
def test_site_name(url: str | None, name: str | None) -> None:
    assert site_name(url) == name


@given(st.text(max_size=200))
def test_tags_are_always_tag_safe(raw: str) -> None:
    value = tag_value(raw)
    assert value == value.lower()
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in value)
    assert not value.startswith("-") and not value.endswith("-")


def test_tags_never_exceed_shopify_limit() -> None:
    payload = json.loads((EVENTS / "shopify" / "orders_create__utm-instagram.json").read_bytes())
    payload["landing_site"] = "/?utm_campaign=" + "a" * 300
    event = order_event("shopify", json.dumps(payload).encode())
    for action in tag_sales_channel(event.resource, context()):
        assert isinstance(action, AddTags)
        assert all(len(tag) <= MAX_TAG_LENGTH for tag in action.tags)
