"""Returns follow-up: after a refund, tell the customer what was refunded and offer the store's
store-credit and exchange options, on the channel they were last reached on. Once per refund.

Where refunds come from: Shopify refunds/create; WooCommerce order.updated (core sends it when a
refund is made; the order's `refunds` list then holds a refund id storeflow had not seen on that
order before) or, when a store added it, the custom topic `order_refund.created`. Every repetition of
the refunds list in later order.updated deliveries is the same refund id, so it is followed up once.
A WooCommerce order storeflow had never seen before the update is not followed up: its refunds may be
months old (subscribe order.created too).

How it reaches out (decided when the follow-up runs, once):
- the channel storeflow last reached this customer on (a message the executor really sent: live
  mode only; a dry-run "planned" message reached no one), else
- the order's source: bought at a point of sale, in a mobile app or on a staff-made draft order
  (often a phone or chat sale) -> SMS; the web shop and anything else -> email.
SMS always needs the customer's SMS consent; without it (or without a phone) it is email, and the
other way round when there is no email address.

Consent: the refund notice is transactional (about this order). The store-credit / exchange offer is
marketing: with `offers_need_marketing_consent` (default) it is included only when the customer
accepts marketing on that channel, else the notice goes out without it. A refund of 0 (restock only)
gets no message. Nothing promises a reply handler: the SMS points to the store's credit and exchange
links.

The decision is filed as a due job (due at once, run by the minute sweeper): the outbox key is the
refund id whatever channel is chosen later, so a refund seen again (another order.updated, a
refunds/create and a custom WooCommerce refund topic) is followed up exactly once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from pydantic import Field

from functions.fulfillment.facts import OrderFacts, order_and_last_contact, order_before_refunds
from functions.fulfillment.messaging import (
    customer_email,
    order_not_received,
    sms_not_before,
    sms_phone,
    why_no_email,
    why_no_sms,
)
from functions.fulfillment.models import CustomerMessageSettings
from storekit.actions import ScheduleJob, SendEmail, SendSms
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.models import Order, Refund
from storekit.records import JobRecord
from storekit.urls import PublicHttpsUrl

NAME = "returns-follow-up"
#: order sources (Shopify source_name, WooCommerce created_via / attribution source type) where the
#: customer bought in person, in an app or through staff (phone, chat): texted first when consented
SMS_FIRST_SOURCES = frozenset({"pos", "iphone", "android", "shopify_draft_order", "mobile_app"})


class ReturnsFollowUpSettings(CustomerMessageSettings):
    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = {
        "order_name": "#1001",
        "first_name": "Ada",
        "amount": "12.00",
        "currency": "EUR",
        "store_credit": True,
        "credit_bonus": "10%",
        "credit_url": "https://demo-shop.example/credit",
        "exchange_url": "https://demo-shop.example/exchange",
    }

    store_credit: bool = True
    #: what the store adds when the customer takes store credit instead, shown as written ("10%")
    credit_bonus: str = Field(default="10%", max_length=40)
    #: where the customer takes store credit (the SMS offers credit only with this link)
    credit_url: PublicHttpsUrl | None = Field(default=None, max_length=500)
    exchange_url: PublicHttpsUrl | None = Field(default=None, max_length=500)
    #: the store-credit / exchange offer is marketing: only to customers who accept marketing
    offers_need_marketing_consent: bool = True


# --- on the event: which refunds are new -> one due job each ---------------------------------------
def new_refunds(
    resource: Refund | Order, ctx: Context[ReturnsFollowUpSettings, OrderFacts]
) -> tuple[list[Refund], str]:
    """The refunds this event announces that deserve a follow-up (money actually returned); when
    there are none, why."""
    if isinstance(resource, Refund):
        candidates = [resource]
    elif ctx.event.platform != "woocommerce":
        return [], "a Shopify order update is not read for refunds: refunds/create is"
    elif not resource.refunds:
        return [], f"order {_name(resource)} carries no refund"
    else:
        previous = ctx.related.previous_order
        if previous is None:
            return [], (
                f"order {_name(resource)} was never seen before this update: its refunds may be long "
                "done, so none is followed up (subscribe order.created too)"
            )
        # the same version again (a repeated delivery, a retried stream record): every refund is a
        # candidate, the outbox key (the refund id) keeps each one followed up once
        seen = set() if previous.updated_at == resource.updated_at else {r.id for r in previous.refunds}
        candidates = [r for r in resource.refunds if r.id not in seen]
        if not candidates:
            return (
                [],
                f"order {_name(resource)} carries no refund storeflow had not seen: each is followed up once",
            )
    kept = [r for r in candidates if r.id and r.order_id and r.total > 0]
    if not kept:
        refund = candidates[0]
        if not (refund.id and refund.order_id):
            return [], "the refund names no order: nothing to follow up"
        return [], f"refund {refund.id} returned no money (a restock only): no message"
    return kept, ""


def schedule_returns_follow_up(
    resource: Refund | Order, ctx: Context[ReturnsFollowUpSettings, OrderFacts]
) -> Decision:
    refunds, none_because = new_refunds(resource, ctx)
    if not refunds:
        return nothing(none_because)
    return Decision(
        ScheduleJob(
            job_kind=NAME,
            due_at=ctx.now,
            params={"order_id": refund.order_id, "refund_id": refund.id, "amount": str(refund.total)},
            once_per=f"returns:{refund.id}",
        )
        for refund in refunds
    )


def _name(order: Order) -> str:
    return order.name or f"#{order.id}"


# --- when the job comes up: channel, consent, message ------------------------------------------------
def preferred_channel(order: Order | None, last_contact: object) -> str:
    """'sms' or 'email': the channel last used with this customer, else what the order's source
    suggests (in person / app / staff-made -> sms; web -> email)."""
    if isinstance(last_contact, tuple | list) and last_contact and last_contact[0] in ("email", "sms"):
        return str(last_contact[0])
    if order is not None:
        sources = {(order.source_name or "").lower(), (order.attribution_source_type or "").lower()}
        if sources & SMS_FIRST_SOURCES:
            return "sms"
    return "email"


def offer_allowed(order: Order | None, channel: str, settings: ReturnsFollowUpSettings) -> bool:
    """May this message carry the store-credit / exchange offer (marketing) on `channel`?"""
    if not settings.offers_need_marketing_consent:
        return True
    customer = order.customer if order is not None else None
    if customer is None:
        return False
    return customer.accepts_sms_marketing if channel == "sms" else customer.accepts_email_marketing


def refund_amount(job: JobRecord) -> Decimal:
    try:
        amount = Decimal(str(job.params.get("amount", "0")))
    except InvalidOperation:
        return Decimal("0")
    return amount if amount.is_finite() else Decimal("0")


def send_returns_follow_up(job: JobRecord, ctx: Context[ReturnsFollowUpSettings, OrderFacts]) -> Decision:
    amount = refund_amount(job)
    refund_id = job.params.get("refund_id")
    if amount <= 0 or not refund_id:
        return nothing(f"refund {refund_id or '(no id)'} returned no money: no message")
    order = ctx.related.order
    settings = ctx.settings
    phone = sms_phone(order) if settings.sms else None
    email = customer_email(order) if settings.email else None
    first = preferred_channel(order, ctx.related.last_contact)
    for channel in (first, "email" if first == "sms" else "sms"):
        if channel == "sms" and phone:
            return Decision([_sms(phone, amount, str(refund_id), order, job, ctx)])
        if channel == "email" and email:
            return Decision([_email(email, amount, str(refund_id), order, job, ctx)])
    why = (
        f"{why_no_email(order, customer_email(order), settings.email)}, and {why_no_sms(order, settings.sms)}"
    )
    if order is None:
        order_id = job.params.get("order_id")
        return nothing(
            f"{order_not_received(f'refund {refund_id}', str(order_id) if order_id else None)}; {why}"
        )
    return nothing(f"no way to reach the customer of {_order_name(order, job)}: {why}")


def _order_name(order: Order | None, job: JobRecord) -> str:
    return (order.name if order else None) or f"#{job.params.get('order_id')}"


def _sms(
    phone: str,
    amount: Decimal,
    refund_id: str,
    order: Order | None,
    job: JobRecord,
    ctx: Context[ReturnsFollowUpSettings, OrderFacts],
) -> SendSms:
    settings = ctx.settings
    currency = (order.currency if order else None) or ctx.store.currency
    text = f"{ctx.store.display_name}: we refunded {amount} {currency} for {_order_name(order, job)}."
    offer = []
    if offer_allowed(order, "sms", settings):
        if settings.store_credit and settings.credit_url:
            offer.append(f"store credit (+{settings.credit_bonus}): {settings.credit_url}")
        if settings.exchange_url:
            offer.append(f"exchange: {settings.exchange_url}")
    if offer:
        text += " Prefer something else? " + "; ".join(offer)
    return SendSms(
        to=phone,
        text=text,
        marketing=bool(offer),
        once_per=f"returns:{refund_id}:sms",
        not_before=sms_not_before(ctx.now, ctx.store.timezone, settings),
    )


def _email(
    email: str,
    amount: Decimal,
    refund_id: str,
    order: Order | None,
    job: JobRecord,
    ctx: Context[ReturnsFollowUpSettings, OrderFacts],
) -> SendEmail:
    settings = ctx.settings
    offer = offer_allowed(order, "email", settings)
    context = {
        "order_name": _order_name(order, job),
        "first_name": order.customer.first_name if order and order.customer else None,
        "amount": str(amount),
        "currency": (order.currency if order else None) or ctx.store.currency,
        "store_credit": offer and settings.store_credit,
        "credit_bonus": settings.credit_bonus,
        "credit_url": settings.credit_url if offer else None,
        "exchange_url": settings.exchange_url if offer else None,
    }
    return SendEmail(
        to=email,
        template="returns_follow_up",
        context=context,
        marketing=bool(offer and (settings.store_credit or settings.exchange_url)),
        template_override=settings.email_template,
        sender=settings.sender,
        reply_to=settings.reply_to,
        once_per=f"returns:{refund_id}:email",
    )


RETURNS_FOLLOW_UP: Automation[Refund | Order, ReturnsFollowUpSettings, OrderFacts] = Automation(
    name=NAME,
    description="After a refund, a notice with store-credit / exchange options (offers only with "
    "marketing consent) on the channel the customer was last reached on, else by order source",
    topics=frozenset({Topic.REFUND_CREATED, Topic.ORDER_UPDATED}),
    settings_model=ReturnsFollowUpSettings,
    takes=(Refund, Order),
    run=schedule_returns_follow_up,
    load=order_before_refunds,
    on_due=send_returns_follow_up,
    load_due=order_and_last_contact,
    reads=frozenset({"order"}),
)
