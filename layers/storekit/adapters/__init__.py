"""Webhook adapters: a platform's topic header and JSON body -> one canonical `Parsed` event.

`parse_delivery` raises storekit.errors.MalformedPayload for any bad input, and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from storekit import models as m
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
    """One webhook delivery in canonical form."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    topic: Topic
    entity_kind: EntityKind
    #: the stable id of the thing the delivery is about (Shopify: the admin_graphql_api_id's tail)
    entity_id: str
    #: the payload's own updated_at (aware UTC); orders out of order are judged by it
    updated_at: datetime | None
    resource: Resource


#: the canonical resource each topic's events carry, whatever the platform (the registry checks
#: automations against it; a test parses every real payload and checks it)
TOPIC_RESOURCES: dict[Topic, type[Any]] = {
    Topic.ORDER_CREATED: m.Order,
    Topic.ORDER_UPDATED: m.Order,
    Topic.ORDER_PAID: m.Order,
    Topic.ORDER_CANCELLED: m.Order,
    Topic.ORDER_FULFILLED: m.Order,
    Topic.ORDER_DELETED: m.Order,
    Topic.ORDER_RISK_CHANGED: m.RiskAssessment,
    Topic.FULFILLMENT_CREATED: m.Fulfillment,
    Topic.FULFILLMENT_UPDATED: m.Fulfillment,
    Topic.FULFILLMENT_EVENT_CREATED: m.FulfillmentEvent,
    Topic.REFUND_CREATED: m.Refund,
    Topic.TRANSACTION_CREATED: m.Transaction,
    Topic.DISPUTE_CREATED: m.Dispute,
    Topic.CHECKOUT_CREATED: m.Checkout,
    Topic.CHECKOUT_UPDATED: m.Checkout,
    Topic.CART_UPDATED: m.Cart,
    Topic.PRODUCT_CREATED: m.Product,
    Topic.PRODUCT_UPDATED: m.Product,
    Topic.PRODUCT_DELETED: m.Product,
    Topic.VARIANT_OUT_OF_STOCK: m.Product,
    Topic.INVENTORY_UPDATED: m.InventoryLevel,
    Topic.INVENTORY_ITEM_UPDATED: m.InventoryItem,
    Topic.CUSTOMER_CREATED: m.Customer,
    Topic.CUSTOMER_UPDATED: m.Customer,
    Topic.CUSTOMER_DELETED: m.Customer,
    Topic.APP_UNINSTALLED: m.Shop,
    Topic.CUSTOMER_REDACT: m.PrivacyRequest,
    Topic.CUSTOMER_DATA_REQUEST: m.PrivacyRequest,
    Topic.SHOP_REDACT: m.PrivacyRequest,
}


def canonical_topic(platform: str, topic: str) -> Topic | None:
    """The canonical topic for a platform's topic header (any case); None = not handled."""
    from storekit.adapters import shopify, woocommerce

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


def describe(exc: ValidationError) -> str:
    """Where the payload is wrong, without echoing its values."""
    first = exc.errors(include_input=False, include_url=False)[:3]
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in first]
    more = exc.error_count() - len(first)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def utm_params(landing_site: str | None) -> dict[str, str]:
    """utm_* parameters of a landing page ('/p?utm_source=x' or a full URL); {} for what is no URL."""
    if not landing_site:
        return {}
    try:
        query = urlsplit(landing_site).query
    except ValueError:  # 'http://[::1' - a broken landing page never costs the order
        return {}
    return {k.lower(): v for k, v in parse_qsl(query) if k.lower().startswith("utm_") and v}


def gid_tail(gid: Any) -> str | None:
    """'gid://shopify/Order/123' -> '123'."""
    if isinstance(gid, str) and gid.startswith("gid://"):
        tail = gid.rsplit("/", 1)[-1].split("?", 1)[0]
        return tail or None
    return None


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
