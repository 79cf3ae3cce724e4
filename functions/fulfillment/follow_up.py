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

from functions.fulfillment.facts import OrderFacts, order_and_refunds, order_of_shipment
from functions.fulfillment.messaging import customer_email, order_not_received, why_no_email
from functions.fulfillment.models import CustomerMessageSettings
from storekit.actions import ScheduleJob, SendEmail
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
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


def _taken_back(order: Order) -> str:
    name = order.name or f"#{order.id}"
    return f"order {name} was refunded, voided or cancelled: no thank-you"


def schedule_follow_up(shipment: Fulfillment, ctx: Context[FollowUpSettings, OrderFacts]) -> Decision:
    if shipment.shipment_status != "delivered":
        status = shipment.shipment_status or "not reported"
        return nothing(f"shipment status is {status}: a follow-up is filed when it is delivered")
    if not shipment.order_id:
        return nothing(order_not_received(f"fulfillment {shipment.id}", None))
    order = ctx.related.order
    settings = ctx.settings
    if order is not None and was_taken_back(order):
        return nothing(_taken_back(order))
    marketing = settings.needs_marketing_consent
    email = customer_email(order, shipment, marketing=marketing)
    if not settings.email or not email:
        why = why_no_email(order, email, settings.email, marketing=marketing)
        if order is None and settings.email:
            why = f"{order_not_received(f'fulfillment {shipment.id}', shipment.order_id)}; {why}"
        elif marketing and settings.email and email is None:
            why += " (a review request is marketing; setting needs_marketing_consent)"
        return nothing(why)
    params = {
        "order_id": shipment.order_id,
        "order_name": (order.name if order else None) or shipment.name or f"#{shipment.order_id}",
        "email": email,
    }
    return Decision(
        [
            ScheduleJob(
                job_kind=NAME,
                due_at=follow_up_due(shipment, ctx.now, settings),
                params=params,
                once_per=f"follow-up:{shipment.order_id}",
            )
        ]
    )


def follow_up_due(shipment: Fulfillment, now: datetime, settings: FollowUpSettings) -> datetime:
    """N days after the delivery: the shipment's last change (its move to "delivered"), never
    later than now (a clock ahead of ours); now when the platform does not say."""
    delivered_at = min(shipment.updated_at or now, now)
    return delivered_at + timedelta(days=settings.days_after_delivery)


def send_follow_up(job: JobRecord, ctx: Context[FollowUpSettings, OrderFacts]) -> Decision:
    order = ctx.related.order
    if order is not None and was_taken_back(order):
        return nothing(_taken_back(order))
    if ctx.related.refund_ids:
        refunds = ", ".join(sorted(ctx.related.refund_ids))
        return nothing(
            f"order {job.params.get('order_name')} was refunded meanwhile (refund {refunds}): no thank-you"
        )
    settings = ctx.settings
    if settings.needs_marketing_consent:
        email = customer_email(order, marketing=True)  # consent may have been withdrawn meanwhile
    else:
        email = customer_email(order) or job.params.get("email")
    if not settings.email or not isinstance(email, str) or not email:
        found = email if isinstance(email, str) and email else None
        why = why_no_email(order, found, settings.email, marketing=settings.needs_marketing_consent)
        if order is None and settings.email:
            why = f"{order_not_received('the follow-up', _order_id(job))}; {why}"
        return nothing(why)
    context = {
        "order_name": job.params.get("order_name"),
        "first_name": order.customer.first_name if order and order.customer else None,
        "review_url": settings.review_url,
    }
    return Decision(
        [
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
    )


def _order_id(job: JobRecord) -> str | None:
    order_id = job.params.get("order_id")
    return str(order_id) if order_id else None


POST_DELIVERY_FOLLOW_UP: Automation[Fulfillment, FollowUpSettings, OrderFacts] = Automation(
    name=NAME,
    description="N days after delivery, thank the customer and ask for a review (marketing consent; "
    "not if refunded meanwhile)",
    topics=frozenset({Topic.FULFILLMENT_UPDATED}),
    settings_model=FollowUpSettings,
    takes=(Fulfillment,),
    run=schedule_follow_up,
    load=order_of_shipment,
    on_due=send_follow_up,
    load_due=order_and_refunds,
    #: "refund": the refund ids recorded for the order (refunds/create kept at ingest)
    reads=frozenset({"order", "refund"}),
)
