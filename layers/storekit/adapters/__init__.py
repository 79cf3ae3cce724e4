"""Webhook adapters: a platform's topic header and JSON body -> one canonical `Parsed` event.

Ingest only keys the event: `key_delivery` (from the body's bytes) or `key_payload` (from parsed
JSON) validate the platform's raw shape and take the entity and updated_at (`EventKey`). The
dispatcher builds the canonical resource with `parse_delivery`, from the same shape.
All three raise storekit.errors.MalformedPayload for any bad input, and nothing else.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from storekit.adapters.base import (
    TOPIC_RESOURCES,
    EntityKind,
    EventKey,
    Family,
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


def _family(platform: str, topic: Topic) -> tuple[Topic, Family]:
    from storekit.adapters import shopify, woocommerce

    tables = {"shopify": shopify.FAMILIES, "woocommerce": woocommerce.FAMILIES}
    table = tables.get(platform) if isinstance(platform, str) else None
    if table is None:
        raise MalformedPayload("unknown platform")
    try:
        known_topic = Topic(topic)
    except ValueError:
        raise MalformedPayload("unknown topic") from None
    family = table.get(known_topic)
    if family is None:
        name = {"shopify": "Shopify", "woocommerce": "WooCommerce"}[platform]
        raise MalformedPayload(f"{name} sends no {known_topic} deliveries")
    return known_topic, family


def _refused(platform: str, topic: Topic, exc: Exception) -> MalformedPayload:
    if isinstance(exc, MalformedPayload):
        return exc
    if isinstance(exc, ValidationError):
        return MalformedPayload(describe(exc))
    return MalformedPayload(f"not a {platform} {topic} body")


#: what else a shape's validation or key may raise on a hostile body (all mean: malformed)
_BAD_INPUT = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, RecursionError)


def parse_delivery(platform: str, topic: Topic, payload: object) -> Parsed:
    """Map a webhook body (the result of json.loads) to the canonical event.

    Raises MalformedPayload, naming the field but never echoing the payload, on any bad input;
    nothing else escapes.
    """
    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    known_topic, family = _family(platform, topic)
    try:
        return family.parse(known_topic, payload)
    except (MalformedPayload, ValidationError, *_BAD_INPUT) as exc:
        raise _refused(platform, known_topic, exc) from None


def key_payload(platform: str, topic: Topic, payload: object) -> EventKey:
    """The event key of a webhook body (the result of json.loads): the platform's raw shape is
    validated in full (a wrong shape is MalformedPayload, as in `parse_delivery`), the canonical
    resource is not built."""
    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    known_topic, family = _family(platform, topic)
    try:
        return family.key_of(known_topic, family.shape.model_validate(payload))
    except (MalformedPayload, ValidationError, *_BAD_INPUT) as exc:
        raise _refused(platform, known_topic, exc) from None


def key_delivery(platform: str, topic: Topic, body: bytes) -> EventKey | None:
    """`key_payload` straight from the body's bytes (pydantic's JSON reader: no dict in between).

    None when that reader refuses the bytes as JSON (not JSON at all, or JSON it does not take:
    a byte-order mark, UTF-16, nesting deeper than 200): the caller then reads the body with
    json.loads and calls `key_payload`, so what is accepted is exactly what json.loads accepts."""
    known_topic, family = _family(platform, topic)
    try:
        shape = family.shape.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        if first["type"] == "json_invalid":
            return None
        if first["type"] == "model_type" and not first["loc"]:
            raise MalformedPayload("body must be a JSON object") from None
        raise _refused(platform, known_topic, exc) from None
    except _BAD_INPUT as exc:
        raise _refused(platform, known_topic, exc) from None
    try:
        return family.key_of(known_topic, shape)
    except (MalformedPayload, *_BAD_INPUT) as exc:
        raise _refused(platform, known_topic, exc) from None


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
    "EventKey",
    "Family",
    "Parsed",
    "Topic",
    "canonical_topic",
    "gid_tail",
    "key_delivery",
    "key_payload",
    "parse_delivery",
    "related_ids",
    "resource_from_json",
    "utm_params",
]
