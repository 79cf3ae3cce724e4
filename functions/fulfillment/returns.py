"""Returns follow-up: after a refund (Shopify refunds/create; WooCommerce `order_refund.created`),
reach out with the store's store-credit and exchange options. SMS when the customer consented to
it, else email. Once per refund."""

from __future__ import annotations

from pydantic import Field

from functions.engine.registry import Automation, Context
from functions.fulfillment.messaging import customer_email, sms_not_before, sms_phone
from functions.fulfillment.models import CustomerMessageSettings
from storekit.actions import Action, SendEmail, SendSms
from storekit.adapters import Parsed, Topic
from storekit.models import Order, Refund


class ReturnsFollowUpSettings(CustomerMessageSettings):
    store_credit: bool = True
    #: what the store adds when the customer takes store credit instead, shown as written ("10%")
    credit_bonus: str = Field(default="10%", max_length=40)
    exchange_url: str | None = Field(default=None, max_length=500)


def returns_follow_up(event: Parsed, ctx: Context[ReturnsFollowUpSettings]) -> list[Action]:
    refund = event.resource
    if not isinstance(refund, Refund) or not refund.id:
        return []
    related = ctx.related.get("order")
    order = related if isinstance(related, Order) else None
    order_name = (order.name if order else None) or f"#{refund.order_id}"
    settings = ctx.settings
    phone = sms_phone(order) if settings.sms else None
    if phone:
        offer = []
        if settings.store_credit:
            offer.append(f"reply CREDIT for store credit (+{settings.credit_bonus})")
        if settings.exchange_url:
            offer.append(f"exchange: {settings.exchange_url}")
        text = f"{ctx.store.display_name}: we refunded {refund.total} {ctx.store.currency} for {order_name}."
        if offer:
            text += " Prefer something else? " + "; ".join(offer)
        not_before = sms_not_before(ctx.now, ctx.store.timezone, settings)
        return [SendSms(to=phone, text=text, once_per=f"returns:{refund.id}:sms", not_before=not_before)]
    email = customer_email(order) if settings.email else None
    if not email:
        return []
    context = {
        "order_name": order_name,
        "first_name": order.customer.first_name if order and order.customer else None,
        "amount": str(refund.total),
        "currency": (order.currency if order else None) or ctx.store.currency,
        "store_credit": settings.store_credit,
        "credit_bonus": settings.credit_bonus,
        "exchange_url": settings.exchange_url,
    }
    return [
        SendEmail(
            to=email,
            template="returns_follow_up",
            context=context,
            template_override=settings.email_template,
            sender=settings.sender,
            reply_to=settings.reply_to,
            once_per=f"returns:{refund.id}:email",
        )
    ]


RETURNS_FOLLOW_UP: Automation[ReturnsFollowUpSettings] = Automation(
    name="returns-follow-up",
    description="After a refund, offer store credit or an exchange (SMS when consented, else email)",
    topics=frozenset({Topic.REFUND_CREATED}),
    settings_model=ReturnsFollowUpSettings,
    run=returns_follow_up,
    needs=frozenset({"order"}),
)
