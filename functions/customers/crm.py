"""CRM sync: each change of a customer (their tags carry the segment and tier changes) and each order
created, updated or cancelled is pushed once

- to the URL the store names, as signed JSON (`event`, `store_id`, `customer` | `order`), and/or
- to HubSpot (setting `hubspot`): the customer as a contact upserted by email, with the tier and the
  segment tags as contact properties; the order as a deal upserted by the store's unique deal
  property, associated with its contact (storekit.clients.hubspot, HubSpot's official client).

One push per change: the outbox key is the entity and its `updated_at`, so a repeated delivery
pushes nothing new; a failed push is retried by the executor (429 Retry-After, 5xx)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storekit.actions import Action, PostWebhook, SyncToHubSpot
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.clock import iso
from storekit.models import Customer, Order
from storekit.urls import PublicHttpsUrl

NAME = "crm-sync"


_PROPERTY = r"^[a-z][a-z0-9_]{0,99}$"


class HubSpotSettings(BaseModel):
    """Where storeflow's data goes in HubSpot (internal property names; the custom ones are created
    once by the merchant in HubSpot, README "HubSpot")."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: a deal property with unique values (custom, single-line text): the order's `{store}:{order id}`
    deal_id_property: str = Field(default="storeflow_order_id", pattern=_PROPERTY)
    pipeline: str = Field(default="default", min_length=1, max_length=100)
    stage_open: str = Field(default="appointmentscheduled", min_length=1, max_length=100)
    stage_paid: str = Field(default="closedwon", min_length=1, max_length=100)
    stage_cancelled: str = Field(default="closedlost", min_length=1, max_length=100)
    #: contact properties (custom, single-line text) for the loyalty tier and the other tags; None: not sent
    tier_property: str | None = Field(default="storeflow_tier", pattern=_PROPERTY)
    segments_property: str | None = Field(default="storeflow_segments", pattern=_PROPERTY)


class CrmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: where the events go (https, public host); None = not pushed to a webhook
    webhook_url: PublicHttpsUrl | None = Field(default=None, max_length=500)
    #: push to HubSpot too (needs the store secret hubspot_access_token); None = not pushed to HubSpot
    hubspot: HubSpotSettings | None = None
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


def _tier_prefix(ctx: Context[CrmSettings, None]) -> str:
    from functions.customers.loyalty import NAME as LOYALTY
    from functions.customers.models import LoyaltySettings

    return LoyaltySettings.model_validate(ctx.store.automation(LOYALTY).settings).tag_prefix


def contact_properties(
    customer: Customer | None, tier_prefix: str, hubspot: HubSpotSettings, phone: str | None = None
) -> dict[str, str]:
    """A customer's HubSpot contact properties: names, phone, the tier (the loyalty tag without its
    prefix) and the other tags (segments, channels) joined by `;`."""
    out: dict[str, str] = {}
    if customer is not None:
        for name, value in (("firstname", customer.first_name), ("lastname", customer.last_name)):
            if value:
                out[name] = value
        phone = customer.phone or phone
        tags = customer.tags
        tiers = [t.removeprefix(tier_prefix) for t in tags if tier_prefix and t.startswith(tier_prefix)]
        others = [t for t in tags if not (tier_prefix and t.startswith(tier_prefix))]
        if hubspot.tier_property:
            out[hubspot.tier_property] = tiers[-1] if tiers else ""
        if hubspot.segments_property:
            out[hubspot.segments_property] = ";".join(others)
    if phone:
        out["phone"] = phone
    return out


def deal_stage(order: Order, hubspot: HubSpotSettings) -> str:
    if order.cancelled_at is not None or order.financial_status in ("refunded", "voided"):
        return hubspot.stage_cancelled
    if order.financial_status in ("paid", "partially_refunded", "processing", "completed"):
        return hubspot.stage_paid
    return hubspot.stage_open


def hubspot_push(resource: Customer | Order, ctx: Context[CrmSettings, None], key: str) -> SyncToHubSpot:
    hubspot = ctx.settings.hubspot
    assert hubspot is not None
    prefix = _tier_prefix(ctx)
    if isinstance(resource, Customer):
        return SyncToHubSpot(
            email=resource.email,
            contact=contact_properties(resource, prefix, hubspot),
            customer_id=resource.id,
            once_per=f"hubspot:{key}",
        )
    email = resource.email or (resource.customer.email if resource.customer else None)
    deal = {
        "dealname": f"Order {resource.name or resource.id}",
        "pipeline": hubspot.pipeline,
        "dealstage": deal_stage(resource, hubspot),
    }
    if resource.total is not None:
        deal["amount"] = str(resource.total)
    if resource.currency:
        deal["deal_currency_code"] = resource.currency
    if resource.created_at is not None:
        deal["closedate"] = iso(resource.created_at)
    return SyncToHubSpot(
        email=email,
        contact=contact_properties(resource.customer, prefix, hubspot, resource.phone) if email else {},
        customer_id=resource.customer.id if resource.customer else None,
        order_id=resource.id,
        deal_id_property=hubspot.deal_id_property,
        deal_key=f"{ctx.store.store_id}:{resource.id}",
        deal=deal,
        once_per=f"hubspot:{key}",
    )


def push_change(resource: Customer | Order, ctx: Context[CrmSettings, None]) -> Decision:
    settings = ctx.settings
    if settings.webhook_url is None and settings.hubspot is None:
        return nothing("no CRM set in the crm-sync settings (webhook_url, hubspot): nothing pushed")
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
    pushes: list[Action] = []
    if settings.webhook_url is not None:
        payload = {"event": event, "store_id": ctx.store.store_id, **body}
        pushes.append(PostWebhook(url=settings.webhook_url, event=event, payload=payload, once_per=key))
    if settings.hubspot is not None:
        if isinstance(resource, Customer) and not resource.email:
            return Decision(pushes, "the customer has no email: HubSpot contacts are matched by email")
        pushes.append(hubspot_push(resource, ctx, key))
    return Decision(pushes)


CRM_SYNC: Automation[Customer | Order, CrmSettings, None] = Automation(
    name=NAME,
    description="Push customer changes (tags: segments, tiers) and orders to a CRM through the signed "
    "outbound webhook and/or to HubSpot (contacts and deals), once per change",
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
