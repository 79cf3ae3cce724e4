"""Pure decisions every customer message makes: who to reach, on which channel, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from functions.fulfillment.models import CustomerMessageSettings, QuietHours
from storekit.models import Fulfillment, Order


def customer_email(
    order: Order | None, fulfillment: Fulfillment | None = None, *, marketing: bool = False
) -> str | None:
    """The address mail goes to: the order's, its customer's, else the shipment's. A marketing
    message (an offer, a review request) needs the customer's email marketing consent as the store
    reports it; a transactional one (about this order) needs only an address."""
    if marketing and (order is None or order.customer is None or not order.customer.accepts_email_marketing):
        return None
    if order is not None:
        if order.email:
            return order.email
        if order.customer is not None and order.customer.email:
            return order.customer.email
    return fulfillment.email if fulfillment is not None else None


def sms_phone(order: Order | None, fulfillment: Fulfillment | None = None) -> str | None:
    """A phone to text, only when the customer consented to SMS (known from the order's customer)."""
    if order is None or order.customer is None or not order.customer.accepts_sms_marketing:
        return None
    for phone in (
        order.customer.phone,
        order.phone,
        fulfillment.phone if fulfillment else None,
        order.shipping_address.phone if order.shipping_address else None,
    ):
        if phone:
            return phone
    return None


def in_quiet_hours(local: datetime, quiet: QuietHours) -> bool:
    now = local.time()
    if quiet.start < quiet.end:
        return quiet.start <= now < quiet.end
    return now >= quiet.start or now < quiet.end


def sms_not_before(now: datetime, timezone: str, settings: CustomerMessageSettings) -> datetime | None:
    """When an SMS decided now may go out: None = at once, else the end of the quiet hours (UTC)."""
    quiet = settings.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    if not in_quiet_hours(local, quiet):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)
