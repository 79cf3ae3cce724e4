"""Shipping notification and delivery updates.

- shipping-notice: a shipment left (Shopify fulfillments/create; a WooCommerce order completed with
  Shipment Tracking meta) -> email (and SMS when the customer consented) with the carrier,
  tracking number and link, and the items shipped. Once per shipment and channel, however often
  the webhook repeats; each shipment of a split order gets its own message.
- delivery-updates: Shopify fulfillments/update with a shipment_status -> a short notice on the
  customer's channel (SMS when consented, else email); a failed delivery also tells the staff.
"""

from __future__ import annotations

from typing import Any

from functions.engine.registry import Automation, Context
from functions.fulfillment.messaging import customer_email, sms_not_before, sms_phone
from functions.fulfillment.models import (
    CustomerMessageSettings,
    DeliveryUpdateSettings,
    ShippingNoticeSettings,
)
from storekit.actions import Action, PostSlack, SendEmail, SendSms
from storekit.adapters import Parsed, Topic
from storekit.models import Fulfillment, Order

_HEADLINES = {
    "in_transit": ("Your parcel is on its way", "It is moving through the carrier's network."),
    "out_for_delivery": (
        "Out for delivery today",
        "Your parcel is out for delivery and should arrive today.",
    ),
    "delivered": ("Delivered", "Your parcel has been delivered. Enjoy!"),
    "attempted_delivery": (
        "Delivery attempted",
        "The carrier tried to deliver your parcel and will try again.",
    ),
    "failure": ("Delivery problem", "The carrier could not deliver your parcel. We are looking into it."),
}


def shipments(event: Parsed, ctx: Context[Any]) -> tuple[Order | None, list[Fulfillment]]:
    """The order and the shipments an event announces (empty when it announces none)."""
    resource = event.resource
    if isinstance(resource, Fulfillment):
        order = ctx.related.get("order")
        return (order if isinstance(order, Order) else None), [resource]
    if isinstance(resource, Order) and resource.status == "completed":
        return resource, [f for f in resource.fulfillments if f.tracking_number]
    return None, []


def shipment_key(order_id: str | None, shipment: Fulfillment) -> str:
    return f"{order_id}:{shipment.id or shipment.tracking_number}"


def _email(
    to: str, template: str, context: dict[str, Any], settings: CustomerMessageSettings, once_per: str
) -> SendEmail:
    return SendEmail(
        to=to,
        template=template,
        context=context,
        template_override=settings.email_template if template == "shipping_notice" else None,
        sender=settings.sender,
        reply_to=settings.reply_to,
        once_per=once_per,
    )


def shipping_notice(event: Parsed, ctx: Context[ShippingNoticeSettings]) -> list[Action]:
    order, shipped = shipments(event, ctx)
    actions: list[Action] = []
    for shipment in shipped:
        order_id = shipment.order_id or (order.id if order else None)
        key = shipment_key(order_id, shipment)
        order_name = (order.name if order else None) or shipment.name or f"#{order_id}"
        context = {
            "order_name": order_name,
            "first_name": order.customer.first_name if order and order.customer else None,
            "carrier": shipment.tracking_company,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "items": [{"title": li.title, "quantity": li.quantity} for li in shipment.line_items],
        }
        email = customer_email(order, shipment)
        if ctx.settings.email and email:
            actions.append(_email(email, "shipping_notice", context, ctx.settings, f"shipping:{key}:email"))
        phone = sms_phone(order, shipment)
        if ctx.settings.sms and phone:
            track = f" Track it: {shipment.tracking_url}" if shipment.tracking_url else ""
            carrier = f" with {shipment.tracking_company}" if shipment.tracking_company else ""
            text = f"{ctx.store.display_name}: your order {order_name} has shipped{carrier}.{track}"
            actions.append(
                SendSms(
                    to=phone,
                    text=text,
                    once_per=f"shipping:{key}:sms",
                    not_before=sms_not_before(ctx.now, ctx.store.timezone, ctx.settings),
                )
            )
    return actions


def delivery_update(event: Parsed, ctx: Context[DeliveryUpdateSettings]) -> list[Action]:
    shipment = event.resource
    if not isinstance(shipment, Fulfillment) or shipment.shipment_status not in ctx.settings.notify:
        return []
    status = shipment.shipment_status
    related = ctx.related.get("order")
    order = related if isinstance(related, Order) else None
    key = f"{shipment_key(shipment.order_id, shipment)}:{status}"
    headline, detail = _HEADLINES[status]
    order_name = (order.name if order else None) or shipment.name or f"#{shipment.order_id}"
    actions: list[Action] = []
    phone = sms_phone(order, shipment) if ctx.settings.sms else None
    email = customer_email(order, shipment) if ctx.settings.email else None
    if phone:
        track = f" {shipment.tracking_url}" if shipment.tracking_url else ""
        actions.append(
            SendSms(
                to=phone,
                text=f"{ctx.store.display_name}: {order_name} - {headline}.{track}",
                once_per=f"delivery:{key}:sms",
                not_before=sms_not_before(ctx.now, ctx.store.timezone, ctx.settings),
            )
        )
    elif email:
        context = {
            "headline": f"{headline}: {order_name}",
            "detail": detail,
            "tracking_url": shipment.tracking_url,
        }
        actions.append(_email(email, "delivery_update", context, ctx.settings, f"delivery:{key}:email"))
    if status == "failure":
        staff = (
            f"Delivery failed for order {order_name}"
            f" ({shipment.tracking_company or 'carrier'} {shipment.tracking_number or 'no tracking number'})"
        )
        if ctx.settings.staff_slack:
            actions.append(PostSlack(text=staff, once_per=f"delivery:{key}:slack"))
        if ctx.settings.staff_email:
            actions.append(
                SendEmail(
                    to=ctx.settings.staff_email,
                    template="notice",
                    context={"heading": "Delivery failed", "body": staff},
                    sender=ctx.settings.sender,
                    once_per=f"delivery:{key}:staff-email",
                )
            )
    return actions


SHIPPING_NOTICE: Automation[ShippingNoticeSettings] = Automation(
    name="shipping-notice",
    description="Tell the customer their order shipped: carrier, tracking link, items (email, SMS)",
    topics=frozenset({Topic.FULFILLMENT_CREATED, Topic.ORDER_UPDATED}),
    settings_model=ShippingNoticeSettings,
    run=shipping_notice,
    needs=frozenset({"order"}),
)

DELIVERY_UPDATES: Automation[DeliveryUpdateSettings] = Automation(
    name="delivery-updates",
    description="Short notices as the carrier reports progress; a failed delivery also alerts the staff",
    topics=frozenset({Topic.FULFILLMENT_UPDATED}),
    settings_model=DeliveryUpdateSettings,
    run=delivery_update,
    needs=frozenset({"order"}),
)
