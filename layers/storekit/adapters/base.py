"""What every webhook adapter shares: canonical topics and entity kinds, the parsed event, and the
resource each topic carries. The platform adapters (shopify.py, woocommerce.py) build on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from storekit import models as m
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


@dataclass(frozen=True, slots=True)
class EventKey:
    """What keys and orders one delivery's event (ingest's part of a parse): its topic, the entity
    it is about and the payload's own updated_at. Always equal to the `Parsed` fields of the same
    name for the same body (a test checks every real payload)."""

    topic: Topic
    entity_kind: EntityKind
    entity_id: str
    updated_at: datetime | None


@dataclass(frozen=True)
class Family:
    """How one family of topics (orders, products, ...) reads a platform's body: the platform's raw
    shape (a pydantic model, extra fields ignored), the event's key taken from that shape (entity
    id, updated_at; MalformedPayload when there is no id), and the canonical resource built from it.

    Ingest validates the shape and takes the key (`key_json`); the dispatcher builds the resource
    (`parse`), from the same shape, so a body ingest accepted names the same entity at dispatch."""

    shape: type[BaseModel]
    kind: EntityKind
    key: Callable[[Any], tuple[str, datetime | None]]
    resource: Callable[[Any], Resource]

    def parse(self, topic: Topic, payload: dict[str, Any]) -> Parsed:
        shape = self.shape.model_validate(payload)
        entity_id, updated_at = self.key(shape)
        return Parsed(
            topic=topic,
            entity_kind=self.kind,
            entity_id=entity_id,
            updated_at=updated_at,
            resource=self.resource(shape),
        )

    def key_of(self, topic: Topic, shape: BaseModel) -> EventKey:
        entity_id, updated_at = self.key(shape)
        return EventKey(topic, self.kind, entity_id, updated_at)


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
