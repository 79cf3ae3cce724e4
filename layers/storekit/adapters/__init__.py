"""Webhook adapters: a platform's topic header and JSON body -> one canonical `Parsed` event.

`parse_delivery` raises storekit.errors.MalformedPayload for any bad input, and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from storekit.errors import MalformedPayload
from storekit.models import Resource


class Topic(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_PAID = "order.paid"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_DELETED = "order.deleted"
    ORDER_RISK_CHANGED = "order.risk_changed"
    FULFILLMENT_CREATED = "fulfillment.created"
    FULFILLMENT_UPDATED = "fulfillment.updated"
    FULFILLMENT_EVENT_CREATED = "fulfillment_event.created"
    REFUND_CREATED = "refund.created"
    TRANSACTION_CREATED = "transaction.created"
    DISPUTE_CREATED = "dispute.created"
    CHECKOUT_CREATED = "checkout.created"
    CHECKOUT_UPDATED = "checkout.updated"
    CART_UPDATED = "cart.updated"
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"
    VARIANT_OUT_OF_STOCK = "variant.out_of_stock"
    INVENTORY_UPDATED = "inventory.updated"
    INVENTORY_ITEM_UPDATED = "inventory_item.updated"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_DELETED = "customer.deleted"
    APP_UNINSTALLED = "app.uninstalled"
    CUSTOMER_REDACT = "customer.redact"
    CUSTOMER_DATA_REQUEST = "customer.data_request"
    SHOP_REDACT = "shop.redact"


class EntityKind(StrEnum):
    ORDER = "order"
    CUSTOMER = "customer"
    PRODUCT = "product"
    INVENTORY = "inventory"
    INVENTORY_ITEM = "inventory_item"
    FULFILLMENT = "fulfillment"
    FULFILLMENT_EVENT = "fulfillment_event"
    CHECKOUT = "checkout"
    CART = "cart"
    REFUND = "refund"
    TRANSACTION = "transaction"
    DISPUTE = "dispute"
    SHOP = "shop"
    PRIVACY = "privacy"


class Parsed(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    topic: Topic
    entity_kind: EntityKind
    entity_id: str
    #: the payload's own updated_at (aware UTC); orders out of order are judged by it
    updated_at: datetime | None
    resource: Resource


def canonical_topic(platform: str, topic: str) -> Topic | None:
    """The canonical topic for a platform's topic header (any case); None = not handled."""
    from storekit.adapters import shopify, woocommerce

    table = {"shopify": shopify.TOPICS, "woocommerce": woocommerce.TOPICS}.get(platform)
    if table is None or not isinstance(topic, str):
        return None
    return table.get(topic.strip().lower())


def parse_delivery(platform: str, topic: Topic, payload: object) -> Parsed:
    """Map a webhook body to the canonical event. Raises MalformedPayload on any bad input."""
    from storekit.adapters import shopify, woocommerce

    if not isinstance(payload, dict):
        raise MalformedPayload("body must be a JSON object")
    parsers = {"shopify": shopify.parse, "woocommerce": woocommerce.parse}
    parser = parsers.get(platform)
    if parser is None:
        raise MalformedPayload(f"unknown platform {platform!r}")
    try:
        return parser(Topic(topic), payload)
    except ValidationError as exc:
        raise MalformedPayload(describe(exc)) from None
    except (ValueError, TypeError, KeyError, ArithmeticError, RecursionError) as exc:
        raise MalformedPayload(f"payload does not match the {platform} {topic} shape") from exc


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


def describe(exc: ValidationError) -> str:
    """Where the payload is wrong, without echoing its values."""
    first = exc.errors(include_input=False, include_url=False)[:3]
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in first]
    more = exc.error_count() - len(first)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def gid_tail(gid: Any) -> str | None:
    """'gid://shopify/Order/123' -> '123'."""
    if isinstance(gid, str) and gid.startswith("gid://"):
        tail = gid.rsplit("/", 1)[-1].split("?", 1)[0]
        return tail or None
    return None


__all__ = [
    "EntityKind",
    "Parsed",
    "Topic",
    "canonical_topic",
    "gid_tail",
    "parse_delivery",
    "related_ids",
    "resource_from_json",
]
