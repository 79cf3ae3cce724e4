"""Every automation storeflow ships, in one registry. Domains add theirs here."""

from __future__ import annotations

from functools import lru_cache

from functions.customers.channel_tags import CHANNEL_TAGS
from functions.engine.registry import Registry
from functions.fulfillment.automations import ORDER_ASSISTANT
from functions.fulfillment.follow_up import POST_DELIVERY_FOLLOW_UP
from functions.fulfillment.returns import RETURNS_FOLLOW_UP
from functions.fulfillment.shipping import DELIVERY_UPDATES, SHIPPING_NOTICE


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry(
        [
            CHANNEL_TAGS,
            SHIPPING_NOTICE,
            DELIVERY_UPDATES,
            POST_DELIVERY_FOLLOW_UP,
            RETURNS_FOLLOW_UP,
            ORDER_ASSISTANT,
        ]
    )
