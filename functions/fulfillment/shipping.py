"""Shipping notification and delivery updates.

- shipping-notice: a shipment left (Shopify fulfillments/create; a WooCommerce order in a shipped
  status with Shipment Tracking meta whose date_shipped is recent) -> email (and SMS when the customer
  consented) with the carrier, tracking number and link, and the items shipped. Once per shipment
  and channel, however often the webhook repeats; each shipment of a split order gets its own message.
- delivery-updates: Shopify fulfillments/update with a shipment_status -> a short notice on the
  customer's channel (SMS when consented, else email); a failed delivery also tells the staff.

Both are transactional messages (about the customer's own order): email needs only a valid address,
SMS the customer's SMS consent; every message names the store. A malformed address or an over-long
text skips or shortens that one message, never the others of the run.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from functions.fulfillment.facts import OrderFacts, order_of_shipment
from functions.fulfillment.messaging import (
    customer_email,
    deliverable_email,
    order_not_received,
    render_text_template,
    sms_not_before,
    sms_phone,
    why_no_email,
    why_no_sms,
)
from functions.fulfillment.models import (
    DeliveryUpdateSettings,
    ShippingNoticeSettings,
    SmsTemplateSettings,
)
from storekit.actions import Action, PostSlack, ScheduleJob, SendEmail, SendSms
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.messages import sms_text
from storekit.models import Fulfillment, Order
from storekit.observability import logger
from storekit.records import JobRecord

SHIPPING: Final = "shipping-notice"

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

#: Tracking pages of common carriers, for shipments that carry a carrier name but no link (the
#: WooCommerce Shipment Tracking extension stores only the provider for its built-in carriers).
#: Keyed by the provider's slug: lower case, runs of other characters as "-", so "Royal Mail",
#: "royal-mail" and "ROYAL MAIL" are one carrier. `{number}` is the URL-encoded tracking number.
#: An unknown carrier gets no link; the message still goes out.
CARRIER_TRACKING_URLS: Final[dict[str, str]] = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?qtc_tLabels1={number}",
    "ups": "https://www.ups.com/track?loc=en_US&tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    "dhl-express": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
    "dhl-us": "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?tracking-id={number}",
    "dhl-ecommerce": "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?tracking-id={number}",
    "dhl-parcel-uk": "https://track.dhlparcel.co.uk/?con={number}",
    "deutsche-post-dhl": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?idc={number}",
    "royal-mail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "parcelforce": "https://www.parcelforce.com/track-trace?trackNumber={number}",
    "evri": "https://www.evri.com/track/parcel/{number}",
    "dpd-co-uk": "https://www.dpd.co.uk/apps/tracking/?reference={number}",
    "canada-post": "https://www.canadapost-postescanada.ca/track-reperage/en#/resultList?searchFor={number}",
    "purolator": "https://www.purolator.com/purolator/ship-track/tracking-summary.page?pin={number}",
    "australia-post": "https://auspost.com.au/mypost/track/#/details/{number}",
    "nz-post": "https://www.nzpost.co.nz/tools/tracking?trackid={number}",
    "an-post": "https://track.anpost.ie/TrackingResults.aspx?rtt=1&items={number}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    "bpost": "https://track.bpost.be/btr/web/#/search?itemCode={number}",
    "postnord": "https://portal.postnord.com/tracking/details/{number}",
    "postnord-sverige-ab": "https://portal.postnord.com/tracking/details/{number}",
    "tnt": "https://www.tnt.com/express/en_gb/site/shipping-tools/tracking.html?searchType=con&cons={number}",
}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def carrier_tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for `number` (see CARRIER_TRACKING_URLS), or None."""
    if not carrier or not number:
        return None
    template = CARRIER_TRACKING_URLS.get(_NOT_SLUG.sub("-", carrier.casefold()).strip("-"))
    return template.format(number=quote(number.strip(), safe="")) if template else None


def tracking_link(shipment: Fulfillment) -> str | None:
    """The shipment's own tracking link, else the carrier's page for its number."""
    return shipment.tracking_url or carrier_tracking_url(shipment.tracking_company, shipment.tracking_number)


def shipped_recently(shipment: Fulfillment, now: datetime, within_days: int) -> bool:
    """A WooCommerce tracking entry left within the window (its date_shipped; none known = not new).

    An order event carries no earlier state of the order to tell "just completed" from "completed
    long ago and updated now"; the ship date does."""
    if shipment.created_at is None:
        return False
    return now - shipment.created_at <= timedelta(days=within_days)


def shipments(
    resource: Fulfillment | Order, ctx: Context[ShippingNoticeSettings, OrderFacts]
) -> tuple[Order | None, list[Fulfillment], str | None]:
    """The order and the new shipments an event announces; when it announces none, why."""
    if isinstance(resource, Fulfillment):
        return ctx.related.order, [resource], None
    if ctx.store.platform != "woocommerce":
        return None, [], "an order update announces no shipment on Shopify: fulfillments/create does"
    status = (resource.status or "").lower()
    name = resource.name or f"#{resource.id}"
    if status not in ctx.settings.shipped_statuses:
        shipped = ", ".join(ctx.settings.shipped_statuses)
        return resource, [], f"order {name} is {status or 'without status'}, not shipped ({shipped})"
    tracked = [f for f in resource.fulfillments if f.tracking_number]
    if not tracked:
        why = f"order {name} is {status} but carries no tracking number: nothing to announce"
        return resource, [], f"{why} (add one with the Shipment Tracking extension)"
    days = ctx.settings.announce_within_days
    fresh = [f for f in tracked if shipped_recently(f, ctx.now, days)]
    if not fresh:
        why = f"order {name}'s shipments left more than {days} day(s) ago (or on no known date)"
        return resource, [], f"{why}: not announced again (setting announce_within_days)"
    if len(tracked) == 1 and not fresh[0].line_items:
        # the extension records no items per package: one package carries the whole order
        fresh = [fresh[0].model_copy(update={"line_items": resource.line_items})]
    return resource, fresh, None


def shipment_key(order_id: str | None, shipment: Fulfillment) -> str:
    return f"{order_id}:{shipment.id or shipment.tracking_number}"


def _email(
    to: str,
    template: str,
    context: dict[str, Any],
    settings: SmsTemplateSettings,
    once_per: str,
) -> SendEmail:
    return SendEmail(
        to=to,
        template=template,
        context=context,
        marketing=False,
        template_override=settings.email_template,
        sender=settings.sender,
        reply_to=settings.reply_to,
        once_per=once_per,
    )


def _sms(
    to: str,
    default_text: str,
    context: dict[str, Any],
    ctx: Context[ShippingNoticeSettings, OrderFacts] | Context[DeliveryUpdateSettings, OrderFacts],
    once_per: str,
) -> SendSms:
    """A transactional SMS: the store's template (else the default text), naming the store, within
    SNS's length, held while the store's quiet hours last."""
    text = default_text
    if ctx.settings.sms_template is not None:
        rendered = render_text_template(ctx.settings.sms_template, context)
        if rendered is None or not rendered.strip():
            logger.warning(
                "store SMS template did not render; default text used",
                extra={"store_id": ctx.store.store_id, "once_per": once_per},
            )
        else:
            text = rendered
    return SendSms(
        to=to,
        text=sms_text(ctx.store.display_name, text),
        marketing=False,
        once_per=once_per,
        not_before=sms_not_before(ctx.now, ctx.store.timezone, ctx.settings),
    )


#: a shipment whose order has not arrived yet (webhooks come in any order) is decided again this
#: much later, with the order if it has come by then
ORDER_WAIT = timedelta(minutes=10)


def wait_for_order(shipment: Fulfillment, ctx: Context[Any, OrderFacts], automation: str) -> Decision | None:
    """A due job that decides `shipment` again after ORDER_WAIT when its order is not known yet
    (None when it is, or the shipment names none): the order's address, name and consent decide
    the message, and Shopify may deliver a fulfillment before its order."""
    if ctx.related.order is not None or not shipment.order_id:
        return None
    wait = ScheduleJob(
        job_kind=automation,
        due_at=ctx.now + ORDER_WAIT,
        params={"fulfillment": shipment.model_dump(mode="json")},
        once_per=f"{automation}:wait:{shipment_key(shipment.order_id, shipment)}",
    )
    minutes = int(ORDER_WAIT.total_seconds() // 60)
    return Decision(
        [wait],
        f"fulfillment {shipment.id} names order {shipment.order_id}, which storeflow has not received "
        f"yet: decided again in {minutes} minutes, with the order if it has arrived",
    )


def waited_shipment(job: JobRecord) -> Fulfillment | None:
    """The shipment a wait job holds (None for a job that holds none: filed by hand or damaged)."""
    try:
        return Fulfillment.model_validate(job.params["fulfillment"])
    except (KeyError, ValueError):
        return None


def order_of_waited_shipment(job: JobRecord, read: Reader) -> OrderFacts:
    shipment = waited_shipment(job)
    return order_of_shipment(shipment, read) if shipment is not None else OrderFacts()


def shipping_notice(
    resource: Fulfillment | Order, ctx: Context[ShippingNoticeSettings, OrderFacts]
) -> Decision:
    if isinstance(resource, Fulfillment) and (waiting := wait_for_order(resource, ctx, SHIPPING)):
        return waiting
    return announce(resource, ctx)


def shipping_notice_after_wait(job: JobRecord, ctx: Context[ShippingNoticeSettings, OrderFacts]) -> Decision:
    """The shipment decided again after waiting for its order (with what is known now)."""
    shipment = waited_shipment(job)
    if shipment is None:
        return nothing(f"job {job.job_id} holds no shipment to announce (not filed by a shipment)")
    return announce(shipment, ctx)


def announce(resource: Fulfillment | Order, ctx: Context[ShippingNoticeSettings, OrderFacts]) -> Decision:
    order, shipped, none_because = shipments(resource, ctx)
    if none_because is not None:
        return nothing(none_because)
    actions: list[Action] = []
    left_out: list[str] = []
    for shipment in shipped:
        order_id = shipment.order_id or (order.id if order else None)
        key = shipment_key(order_id, shipment)
        order_name = (order.name if order else None) or shipment.name or f"#{order_id}"
        link = tracking_link(shipment)
        context = {
            "order_name": order_name,
            "first_name": order.customer.first_name if order and order.customer else None,
            "carrier": shipment.tracking_company,
            "tracking_number": shipment.tracking_number,
            "tracking_url": link,
            "items": [{"title": li.title, "quantity": li.quantity} for li in shipment.line_items],
        }
        address = customer_email(order, shipment)
        email = deliverable_email(address) if ctx.settings.email else None
        if email:
            actions.append(_email(email, "shipping_notice", context, ctx.settings, f"shipping:{key}:email"))
        phone = sms_phone(order, shipment) if ctx.settings.sms else None
        if phone:
            track = f" Track it: {link}" if link else ""
            carrier = f" with {shipment.tracking_company}" if shipment.tracking_company else ""
            text = f"{ctx.store.display_name}: your order {order_name} has shipped{carrier}.{track}"
            sms_context = {"store_name": ctx.store.display_name, **context}
            actions.append(_sms(phone, text, sms_context, ctx, f"shipping:{key}:sms"))
        left_out.append(
            _channels_left_out(order, shipment, address, bool(email), bool(phone), ctx.settings, order_name)
        )
    return Decision(actions, "; ".join(r for r in left_out if r) or None)


def _channels_left_out(
    order: Order | None,
    shipment: Fulfillment,
    address: str | None,
    emailed: bool,
    texted: bool,
    settings: SmsTemplateSettings,
    order_name: str,
) -> str:
    """Why a shipment's customer gets no message, or only one channel ("" when both go). When the
    order is unknown (its consent and addresses with it), that comes first, with what to do."""
    if emailed and texted:
        return ""
    if emailed:
        why = f"{why_no_sms(order, settings.sms, shipment)}: email only"
    elif texted:
        why = f"{why_no_email(order, address, settings.email)}: SMS only"
    else:
        no_email, no_sms = (
            why_no_email(order, address, settings.email),
            why_no_sms(order, settings.sms, shipment),
        )
        why = f"no message: {no_email}, and {no_sms}"
    if order is None:
        return f"{order_not_received(f'fulfillment {shipment.id or order_name}', shipment.order_id)}; {why}"
    return f"{order_name}: {why}" if not (emailed or texted) else why


def delivery_update(resource: Fulfillment, ctx: Context[DeliveryUpdateSettings, OrderFacts]) -> Decision:
    shipment = resource
    status = shipment.shipment_status
    if status not in ctx.settings.notify:
        notified = ", ".join(ctx.settings.notify) or "none"
        reported = f"is {status}" if status else "is not reported by the carrier"
        return nothing(f"shipment status {reported}: the store notifies on {notified} (setting notify)")
    order = ctx.related.order
    key = f"{shipment_key(shipment.order_id, shipment)}:{status}"
    headline, detail = _HEADLINES[status]
    order_name = (order.name if order else None) or shipment.name or f"#{shipment.order_id}"
    link = tracking_link(shipment)
    actions: list[Action] = []
    phone = sms_phone(order, shipment) if ctx.settings.sms else None
    address = customer_email(order, shipment)
    email = deliverable_email(address) if ctx.settings.email else None
    note: str | None = None
    if phone:
        track = f" {link}" if link else ""
        sms_context = {
            "store_name": ctx.store.display_name,
            "order_name": order_name,
            "first_name": order.customer.first_name if order and order.customer else None,
            "status": status,
            "headline": headline,
            "detail": detail,
            "carrier": shipment.tracking_company,
            "tracking_number": shipment.tracking_number,
            "tracking_url": link,
        }
        text = f"{ctx.store.display_name}: {order_name} - {headline}.{track}"
        actions.append(_sms(phone, text, sms_context, ctx, f"delivery:{key}:sms"))
    elif email:
        context = {
            "headline": f"{headline}: {order_name}",
            "detail": detail,
            "tracking_url": link,
        }
        actions.append(_email(email, "delivery_update", context, ctx.settings, f"delivery:{key}:email"))
        note = f"{why_no_sms(order, ctx.settings.sms, shipment)}: email only"
    else:
        note = _channels_left_out(order, shipment, address, False, False, ctx.settings, order_name)
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
        elif not ctx.settings.staff_slack and not actions:
            note = f"{note}; staff alerts are off (settings staff_slack, staff_email)"
    return Decision(actions, note)


SHIPPING_NOTICE: Automation[Fulfillment | Order, ShippingNoticeSettings, OrderFacts] = Automation(
    name=SHIPPING,
    description="Tell the customer their order shipped: carrier, tracking link, items (email, SMS)",
    topics=frozenset({Topic.FULFILLMENT_CREATED, Topic.ORDER_UPDATED}),
    settings_model=ShippingNoticeSettings,
    takes=(Fulfillment, Order),
    run=shipping_notice,
    load=order_of_shipment,
    on_due=shipping_notice_after_wait,
    load_due=order_of_waited_shipment,
    reads=frozenset({"order"}),
)

DELIVERY_UPDATES: Automation[Fulfillment, DeliveryUpdateSettings, OrderFacts] = Automation(
    name="delivery-updates",
    description="Short notices as the carrier reports progress; a failed delivery also alerts the staff",
    topics=frozenset({Topic.FULFILLMENT_UPDATED}),
    settings_model=DeliveryUpdateSettings,
    takes=(Fulfillment,),
    run=delivery_update,
    load=order_of_shipment,
    reads=frozenset({"order"}),
)
