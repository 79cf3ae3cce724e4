"""Pure decisions every customer message makes: who to reach, on which channel, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from storekit.models import Fulfillment, Order

if TYPE_CHECKING:  # types only: the settings models validate templates with this module
    from functions.fulfillment.models import CustomerMessageSettings, QuietHours


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


def _phones(order: Order, fulfillment: Fulfillment | None) -> list[str]:
    """The customer's phone numbers, the customer's own first."""
    candidates = (
        order.customer.phone if order.customer else None,
        order.phone,
        fulfillment.phone if fulfillment else None,
        order.shipping_address.phone if order.shipping_address else None,
    )
    return [phone for phone in candidates if phone]


def textable(phone: str) -> str | None:
    """The number in E.164 when SMS can reach it, by the rules the executor sends with (numbers
    without a country code are read as US numbers); else None. So a number the executor would
    refuse is never planned in dry-run."""
    from storekit.clients.sms import normalize_phone  # phonenumbers: loaded when a phone is checked
    from storekit.errors import PermanentError

    try:
        return normalize_phone(phone)
    except PermanentError:
        return None


def sms_phone(order: Order | None, fulfillment: Fulfillment | None = None) -> str | None:
    """A phone to text (E.164), only when the customer consented to SMS (known from the order's
    customer): the first of their numbers that SMS can reach."""
    if order is None or order.customer is None or not order.customer.accepts_sms_marketing:
        return None
    for phone in _phones(order, fulfillment):
        if number := textable(phone):
            return number
    return None


def why_no_email(order: Order | None, address: str | None, enabled: bool, *, marketing: bool = False) -> str:
    """Why no email goes to the customer, in a merchant's words (`address` as customer_email found it)."""
    if not enabled:
        return "email is off in the settings"
    if marketing and (order is None or order.customer is None or not order.customer.accepts_email_marketing):
        if order is None:
            return "email marketing consent is unknown"
        return "the customer does not accept email marketing"
    if address is None:
        return "no email address is known for the order"
    return f"the email address is not deliverable ({'no @' if '@' not in address else 'malformed'})"


def why_no_sms(order: Order | None, enabled: bool, fulfillment: Fulfillment | None = None) -> str:
    """Why no SMS goes to the customer, in a merchant's words."""
    if not enabled:
        return "SMS is off in the settings"
    if order is None:
        return "SMS consent is unknown"
    if order.customer is None or not order.customer.accepts_sms_marketing:
        return "the customer has no SMS consent"
    if _phones(order, fulfillment):
        return "the customer's phone number is not one SMS can reach (not a valid number)"
    return "the customer consented to SMS but left no phone number"


def order_not_received(what: str, order_id: str | None) -> str:
    """The reason a run names when the order it needs has not reached storeflow."""
    if not order_id:
        return f"{what} names no order"
    return f"{what} names order {order_id}, which storeflow has not received: subscribe orders/create"


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
