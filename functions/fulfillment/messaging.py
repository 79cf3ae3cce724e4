"""Pure decisions every customer message makes: who to reach, on which channel, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.fulfillment.models import SMS_MAX_BYTES, CustomerMessageSettings, QuietHours
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


def is_email_address(address: str | None) -> bool:
    """One @ with text on both sides, a dot in the domain, no whitespace or control characters, at
    most 320 characters: what the executor and SES will accept ("x" or "bob@" are not)."""
    if not address or len(address) > 320:
        return False
    local, at, domain = address.partition("@")
    return bool(
        at
        and local
        and "." in domain.strip(".")
        and "@" not in domain
        and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in address)
    )


def deliverable_email(address: str | None) -> str | None:
    """`address` when mail can go there, else None: one malformed address skips that message only."""
    return address if is_email_address(address) else None


def sms_text(store_name: str, text: str) -> str:
    """The text as sent: prefixed with the store's name unless it already names the store, and cut
    to SNS's limit of 1600 bytes (on a word boundary when one is near, ending in an ellipsis)."""
    text = text.strip()
    if store_name.casefold() not in text.casefold():
        text = f"{store_name}: {text}" if text else store_name
    if len(text.encode()) <= SMS_MAX_BYTES:
        return text
    ellipsis = "\u2026"
    cut = text.encode()[: SMS_MAX_BYTES - len(ellipsis.encode())].decode(errors="ignore")
    space = cut.rfind(" ")
    if space > len(cut) - 80:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def check_text_template(source: str, sample: dict[str, Any]) -> None:
    """A store's text template renders with the automation's sample variables in the one limited
    sandbox (storekit.clients.templates); else ValueError saying what is wrong (line, the unknown
    variable, a broken limit), never the template itself."""
    from storekit.clients.templates import check_source  # jinja2 only when used

    check_source(source, sample)


def render_text_template(source: str, context: dict[str, Any]) -> str | None:
    """A store's text template rendered (in the same sandbox), or None when it does not render with
    these values (checked on save, so only on data the check could not foresee): the caller then
    falls back to the default text."""
    from storekit.clients.templates import TemplateProblem, render_source

    try:
        return render_source(source, context)
    except TemplateProblem:
        return None
