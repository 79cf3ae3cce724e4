"""CRM sync through the signed outbound webhook: each change of a customer (their tags carry the
segment and tier changes) and each order created, updated or cancelled is pushed once to the URL the
store names, as JSON (`event`, `store_id`, `customer` | `order`). One push per change: the outbox key
is the entity and its `updated_at`, so a repeated delivery pushes nothing new; a failed push is
retried by the executor (429 Retry-After, 5xx). HubSpot's own API is not called yet (see README)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storekit.actions import PostWebhook
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.clock import iso
from storekit.models import Customer, Order
from storekit.urls import PublicHttpsUrl

NAME = "crm-sync"


class CrmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: where the events go (https, public host); None = not syncing
    webhook_url: PublicHttpsUrl | None = Field(default=None, max_length=500)
    customers: bool = True
    orders: bool = True


def customer_payload(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "phone": customer.phone,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "tags": customer.tags,
        "accepts_email_marketing": customer.accepts_email_marketing,
        "accepts_sms_marketing": customer.accepts_sms_marketing,
        "orders_count": customer.orders_count,
        "total_spent": str(customer.total_spent) if customer.total_spent is not None else None,
        "updated_at": iso(customer.updated_at) if customer.updated_at else None,
    }


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "name": order.name,
        "customer_id": order.customer.id if order.customer else None,
        "email": order.email,
        "total": str(order.total) if order.total is not None else None,
        "currency": order.currency,
        "financial_status": order.financial_status,
        "cancelled": order.cancelled_at is not None,
        "discount_codes": [d.code for d in order.discount_codes],
        "created_at": iso(order.created_at) if order.created_at else None,
        "updated_at": iso(order.updated_at) if order.updated_at else None,
    }


def push_change(resource: Customer | Order, ctx: Context[CrmSettings, None]) -> Decision:
    settings = ctx.settings
    if settings.webhook_url is None:
        return nothing("no CRM webhook_url set in the crm-sync settings: nothing pushed")
    version = iso(resource.updated_at) if resource.updated_at else ctx.event.event_id
    if isinstance(resource, Customer):
        if not settings.customers or not resource.id:
            return nothing(
                "customer sync is off (setting customers)" if resource.id else "the customer has no id"
            )
        event, body = (
            f"customer.{ctx.event.topic.rsplit('.', 1)[-1]}",
            {"customer": customer_payload(resource)},
        )
        key = f"crm:customer:{resource.id}:{version}"
    else:
        if not settings.orders:
            return nothing("order sync is off (setting orders)")
        event, body = f"order.{ctx.event.topic.rsplit('.', 1)[-1]}", {"order": order_payload(resource)}
        key = f"crm:order:{resource.id}:{ctx.event.topic}:{version}"
    payload = {"event": event, "store_id": ctx.store.store_id, **body}
    return Decision([PostWebhook(url=settings.webhook_url, event=event, payload=payload, once_per=key)])


CRM_SYNC: Automation[Customer | Order, CrmSettings, None] = Automation(
    name=NAME,
    description="Push customer changes (tags: segments, tiers) and orders to a CRM through the signed "
    "outbound webhook, once per change",
    topics=frozenset(
        {
            Topic.CUSTOMER_CREATED,
            Topic.CUSTOMER_UPDATED,
            Topic.ORDER_CREATED,
            Topic.ORDER_UPDATED,
            Topic.ORDER_CANCELLED,
        }
    ),
    settings_model=CrmSettings,
    takes=(Customer, Order),
    run=push_change,
    default_enabled=False,
)
