"""Post-delivery follow-up: N days (a store setting) after a delivery, thank the customer and ask
for a review; not sent if the order was refunded, cancelled or voided meanwhile. One per order.

- The due date counts from the delivery (the shipment's `updated_at` when it turned "delivered"),
  not from when storeflow processed the webhook.
- A review request is marketing: with `needs_marketing_consent` (default) no job is filed for a
  customer who does not accept email marketing, and consent is checked again when it is due.
- "Refunded meanwhile" is seen from the newest order snapshot (orders/updated) and from the refunds
  storeflow recorded for the order (refunds/create), whichever comes first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field

from functions.engine.registry import Automation, Context
from functions.fulfillment.messaging import customer_email
from functions.fulfillment.models import CustomerMessageSettings
from storekit.actions import Action, ScheduleJob, SendEmail
from storekit.adapters import Parsed, Topic
from storekit.models import Fulfillment, Order
from storekit.records import JobRecord
from storekit.urls import PublicHttpsUrl

NAME = "post-delivery-follow-up"
_GONE_BACK = {"refunded", "partially_refunded", "voided"}


class FollowUpSettings(CustomerMessageSettings):
    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = {
        "order_name": "#1001",
        "first_name": "Ada",
        "review_url": "https://demo-shop.example/review",
    }

    days_after_delivery: int = Field(default=7, ge=1, le=90)
    review_url: PublicHttpsUrl | None = Field(default=None, max_length=500)
    #: a review request is marketing: only to customers who accept email marketing
    needs_marketing_consent: bool = True


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
    settings = ctx.settings
    email = customer_email(order, shipment, marketing=settings.needs_marketing_consent)
    if not settings.email or not email or (order is not None and was_taken_back(order)):
        return []
    params = {
        "order_id": shipment.order_id,
        "order_name": (order.name if order else None) or shipment.name or f"#{shipment.order_id}",
        "email": email,
    }
    return [
        ScheduleJob(
            job_kind=NAME,
            due_at=follow_up_due(shipment, ctx.now, settings),
            params=params,
            once_per=f"follow-up:{shipment.order_id}",
        )
    ]


def follow_up_due(shipment: Fulfillment, now: datetime, settings: FollowUpSettings) -> datetime:
    """N days after the delivery: the shipment's last change (its move to "delivered"), never
    later than now (a clock ahead of ours); now when the platform does not say."""
    delivered_at = min(shipment.updated_at or now, now)
    return delivered_at + timedelta(days=settings.days_after_delivery)


def send_follow_up(job: JobRecord, ctx: Context[FollowUpSettings]) -> list[Action]:
    related = ctx.related.get("order")
    order = related if isinstance(related, Order) else None
    if (order is not None and was_taken_back(order)) or ctx.related.get("refund"):
        return []
    settings = ctx.settings
    if settings.needs_marketing_consent:
        email = customer_email(order, marketing=True)  # consent may have been withdrawn meanwhile
    else:
        email = customer_email(order) or job.params.get("email")
    if not settings.email or not isinstance(email, str) or not email:
        return []
    context = {
        "order_name": job.params.get("order_name"),
        "first_name": order.customer.first_name if order and order.customer else None,
        "review_url": settings.review_url,
    }
    return [
        SendEmail(
            to=email,
            template="follow_up",
            context=context,
            marketing=settings.needs_marketing_consent,
            template_override=settings.email_template,
            sender=settings.sender,
            reply_to=settings.reply_to,
            once_per=f"follow-up:{job.params.get('order_id')}:email",
        )
    ]


POST_DELIVERY_FOLLOW_UP: Automation[FollowUpSettings] = Automation(
    name=NAME,
    description="N days after delivery, thank the customer and ask for a review (marketing consent; "
    "not if refunded meanwhile)",
    topics=frozenset({Topic.FULFILLMENT_UPDATED}),
    settings_model=FollowUpSettings,
    run=schedule_follow_up,
    #: "refund": the refund ids recorded for the order (and refunds/create kept at ingest)
    needs=frozenset({"order", "refund"}),
    on_due=send_follow_up,
)
