"""Pure decisions every customer message makes: who to reach, on which channel, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.fulfillment.models import CustomerMessageSettings, QuietHours
from storekit.messages import sms_text as sms_text  # the text every SMS goes out as
from storekit.models import Fulfillment, Order

if TYPE_CHECKING:
    from jinja2 import Template


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


@lru_cache(maxsize=64)
def _compiled_text_template(source: str) -> Template:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=False, undefined=jinja2.StrictUndefined)
    return env.from_string(source)


def check_text_template(source: str, sample: dict[str, Any]) -> None:
    """A store's text template compiles and renders with the automation's variables; else
    ValueError saying what is wrong (line, or the unknown variable), never the template itself."""
    import jinja2

    try:
        _compiled_text_template(source).render(sample)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise ValueError(
            f"template uses an unknown variable ({exc.message}); known: {', '.join(sorted(sample))}"
        ) from None
    except jinja2.TemplateError as exc:
        raise ValueError(f"template does not render: {type(exc).__name__}") from None


def render_text_template(source: str, context: dict[str, Any]) -> str | None:
    """A store's text template rendered (sandboxed), or None when it does not render with these
    values (checked on save, so only on data the check could not foresee): the caller then falls
    back to the default text."""
    import jinja2

    try:
        return _compiled_text_template(source).render(context)
    except jinja2.TemplateError:
        return None
