"""Post-delivery follow-up: N days (a store setting) after a delivery, thank the customer and ask
for a review; not sent if the order was refunded, cancelled or voided meanwhile. One per order."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from functions.engine.registry import Automation, Context
from functions.fulfillment.messaging import customer_email
from functions.fulfillment.models import CustomerMessageSettings
from storekit.actions import Action, ScheduleJob, SendEmail
from storekit.adapters import Parsed, Topic
from storekit.models import Fulfillment, Order
from storekit.records import JobRecord

NAME = "post-delivery-follow-up"
_GONE_BACK = {"refunded", "partially_refunded", "voided"}


class FollowUpSettings(CustomerMessageSettings):
    days_after_delivery: int = Field(default=7, ge=1, le=90)
    review_url: str | None = Field(default=None, max_length=500)


def was_taken_back(order: Order) -> bool:
    """Refunded (even partly), voided or cancelled: no thank-you then."""
    return bool(order.refunds) or order.cancelled_at is not None or order.financial_status in _GONE_BACK


def schedule_follow_up(event: Parsed, ctx: Context[FollowUpSettings]) -> list[Action]:
    shipment = event.resource
    if (
        not isinstance(shipment, Fulfillment)
        or shipment.shipment_status != "delivered"
        or not shipment.order_id
    ):
        return []
    related = ctx.related.get("order")
    order = related if isinstance(related, Order) else None
    params = {
        "order_id": shipment.order_id,
        "order_name": (order.name if order else None) or shipment.name or f"#{shipment.order_id}",
        "email": customer_email(order, shipment),
    }
    due = ctx.now + timedelta(days=ctx.settings.days_after_delivery)
    return [ScheduleJob(job_kind=NAME, due_at=due, params=params, once_per=f"follow-up:{shipment.order_id}")]


def send_follow_up(job: JobRecord, ctx: Context[FollowUpSettings]) -> list[Action]:
    related = ctx.related.get("order")
    order = related if isinstance(related, Order) else None
    if order is not None and was_taken_back(order):
        return []
    email = (order.email if order else None) or job.params.get("email")
    if not ctx.settings.email or not isinstance(email, str) or not email:
        return []
    context = {
        "order_name": job.params.get("order_name"),
        "first_name": order.customer.first_name if order and order.customer else None,
        "review_url": ctx.settings.review_url,
    }
    return [
        SendEmail(
            to=email,
            template="follow_up",
            context=context,
            template_override=ctx.settings.email_template,
            sender=ctx.settings.sender,
            reply_to=ctx.settings.reply_to,
            once_per=f"follow-up:{job.params.get('order_id')}:email",
        )
    ]


POST_DELIVERY_FOLLOW_UP: Automation[FollowUpSettings] = Automation(
    name=NAME,
    description="N days after delivery, thank the customer and ask for a review (not if refunded meanwhile)",
    topics=frozenset({Topic.FULFILLMENT_UPDATED}),
    settings_model=FollowUpSettings,
    run=schedule_follow_up,
    needs=frozenset({"order"}),
    on_due=send_follow_up,
)
