"""Webhook adapters: a platform's topic header and JSON body -> one canonical `Parsed` event.

`parse_delivery` raises storekit.errors.MalformedPayload for any bad input, and nothing else.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from storekit.adapters.base import (
    TOPIC_RESOURCES,
    EntityKind,
    Parsed,
    Topic,
    describe,
    gid_tail,
    utm_params,
)
from storekit.errors import MalformedPayload
from storekit.models import Resource


def canonical_topic(platform: str, topic: str) -> Topic | None:
    """The canonical topic for a platform's topic header (any case); None = not handled."""
    from storekit.adapters import shopify, woocommerce  # on first use: keeps the cold import of app short

    if not isinstance(platform, str) or not isinstance(topic, str):
        return None
    tables = {"shopify": shopify.TOPICS, "woocommerce": woocommerce.TOPICS}
    table = tables.get(platform.strip().lower())
    return table.get(topic.strip().lower()) if table is not None else None


def parse_delivery(platform: str, topic: Topic, payload: object) -> Parsed:
    """Map a webhook body (the result of json.loads) to the canonical event.

    Raises MalformedPayload, naming the field but never echoing the payload, on any bad input;
    nothing else escapes.
    """
    from storekit.adapters import shopify, woocommerce

    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    parsers = {"shopify": shopify.parse, "woocommerce": woocommerce.parse}
    parser = parsers.get(platform) if isinstance(platform, str) else None
    if parser is None:
        raise MalformedPayload("unknown platform")
    try:
        known_topic = Topic(topic)
    except ValueError:
        raise MalformedPayload("unknown topic") from None
    try:
        return parser(known_topic, payload)
    except ValidationError as exc:
        raise MalformedPayload(describe(exc)) from None
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, RecursionError):
        raise MalformedPayload(f"not a {platform} {known_topic} body") from None


@lru_cache(maxsize=1)
def _resource_adapter() -> TypeAdapter[Resource]:
    return TypeAdapter(Resource)


def resource_from_json(data: bytes | str) -> Resource:
    """A canonical resource back from its JSON (entity snapshots)."""
    return _resource_adapter().validate_json(data)


def related_ids(resource: Any) -> dict[str, str]:
    """The entities an event's resource points at, by kind ("order", "customer")."""
    out: dict[str, str] = {}
    order_id = getattr(resource, "order_id", None)
    if isinstance(order_id, str) and order_id:
        out["order"] = order_id
    customer = getattr(resource, "customer", None)
    if customer is not None and getattr(customer, "id", None):
        out["customer"] = str(customer.id)
    return out


__all__ = [
    "TOPIC_RESOURCES",
    "EntityKind",
    "Parsed",
    "Topic",
    "canonical_topic",
    "gid_tail",
    "parse_delivery",
    "related_ids",
    "resource_from_json",
    "utm_params",
]
