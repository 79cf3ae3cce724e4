"""What every marketing message decides before it goes, in one place: consent on its channel, the
customer's own opt-out (signed one-click unsubscribe, kept by hashed address: it wins over the
platform's consent until the customer subscribes again at the store), the per-customer frequency cap
across all flows (transactional messages never count), the flow's holdout group, and quiet hours in
the store's time zone. Pure: the contact item (repository, one read) comes in as data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from functions.customers.models import MARKETING, FlowSettings, MarketingRules
from functions.fulfillment.messaging import deliverable_email, sms_not_before, textable
from storekit import keys
from storekit.actions import Action, PostWebhook, SendEmail, SendSms, TrackedLinks, UnsubscribeLink
from storekit.automation import Decision, nothing
from storekit.clock import iso
from storekit.models import Checkout, Customer, Order
from storekit.store import StoreConfig

#: the link kinds this domain signs (storekit.links): its unsubscribes and its tracked flows
UNSUBSCRIBE_KIND = "marketing"
TRACK_KIND = "flow"
_TRUE = frozenset({"yes", "1", "true", "on", "subscribed"})


def rules_of(store: StoreConfig) -> MarketingRules:
    return MarketingRules.model_validate(store.automation(MARKETING).settings)


@dataclass(frozen=True)
class Recipient:
    """Who a flow would reach and what they consented to (as the platform reports it)."""

    key: str
    email: str | None
    phone: str | None = None
    email_consent: bool = False
    sms_consent: bool = False
    first_name: str | None = None
    customer_id: str | None = None

    def digest(self, store_id: str) -> str | None:
        """The hashed address the contact (opt-out, cap) is kept under: the email, else the phone."""
        address = self.email or self.phone
        return keys.contact_digest(store_id, address) if address else None


def woo_consent(customer: Customer | None, rules: MarketingRules) -> bool:
    if customer is None or rules.woo_consent_meta_key is None:
        return False
    return customer.meta.get(rules.woo_consent_meta_key, "").strip().lower() in _TRUE


def recipient_of_customer(customer: Customer, store: StoreConfig) -> Recipient | None:
    email = deliverable_email(customer.email)
    phone = textable(customer.phone) if customer.phone else None
    if not (email or phone):
        return None
    consents = customer.accepts_email_marketing
    if store.platform == "woocommerce":
        consents = consents or woo_consent(customer, rules_of(store))
    return Recipient(
        key=customer.id or (email or phone or ""),
        email=email,
        phone=phone,
        email_consent=consents,
        sms_consent=customer.accepts_sms_marketing,
        first_name=customer.first_name,
        customer_id=customer.id,
    )


def recipient_of_order(order: Order, store: StoreConfig) -> Recipient | None:
    customer = order.customer
    email = deliverable_email(order.email or (customer.email if customer else None))
    if email is None:
        return None
    consents = bool(customer and customer.accepts_email_marketing) or order.accepts_marketing
    if store.platform == "woocommerce" and customer is not None:
        consents = consents or woo_consent(customer, rules_of(store))
    phone = customer.phone if customer and customer.phone else order.phone
    return Recipient(
        key=(customer.id if customer and customer.id else email),
        email=email,
        phone=textable(phone) if phone else None,
        email_consent=consents,
        sms_consent=bool(customer and customer.accepts_sms_marketing),
        first_name=customer.first_name if customer else None,
        customer_id=customer.id if customer else None,
    )


def recipient_of_checkout(checkout: Checkout) -> Recipient | None:
    customer = checkout.customer
    email = deliverable_email(checkout.email or (customer.email if customer else None))
    if email is None:
        return None
    phone = checkout.phone or (customer.phone if customer else None)
    return Recipient(
        key=(customer.id if customer and customer.id else email),
        email=email,
        phone=textable(phone) if phone else None,
        email_consent=checkout.accepts_marketing or bool(customer and customer.accepts_email_marketing),
        sms_consent=checkout.accepts_sms_marketing or bool(customer and customer.accepts_sms_marketing),
        first_name=customer.first_name if customer else None,
        customer_id=customer.id if customer else None,
    )


def in_holdout(store_id: str, flow: str, customer_key: str, percent: int) -> bool:
    """Stable: the same customer is always in (or out of) a flow's holdout group at a given %."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{store_id}\x1f{flow}\x1f{customer_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def cap_reached(sends: Iterable[str], now: datetime, rules: MarketingRules) -> str | None:
    """Why the frequency cap stops another marketing message now, or None (sends: ISO UTC times)."""
    day_ago = iso(now - timedelta(days=1))
    week_ago = iso(now - timedelta(days=7))
    recent = [s for s in sends if s > week_ago]
    today = [s for s in recent if s > day_ago]
    if len(today) >= rules.max_per_day:
        return (
            f"frequency cap: {len(today)} marketing message(s) in the last 24 h "
            f"(max_per_day {rules.max_per_day})"
        )
    if len(recent) >= rules.max_per_week:
        return (
            f"frequency cap: {len(recent)} marketing message(s) in 7 days (max_per_week {rules.max_per_week})"
        )
    return None


def is_opted_out(contact: Mapping[str, Any]) -> bool:
    return "opted_out_at" in contact


@dataclass(frozen=True)
class Offer:
    """What a flow says: rendered by the `marketing` template (or the store's own)."""

    headline: str
    intro: str
    sms: str
    cta_url: str | None = None
    cta_label: str = "Visit the shop"
    code: str | None = None
    code_note: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


def plan_marketing(
    flow: str,
    store: StoreConfig,
    now: datetime,
    settings: FlowSettings,
    recipient: Recipient,
    contact: Mapping[str, Any],
    offer: Offer,
    once_per: str,
    before: Iterable[Action] = (),
) -> Decision:
    """The message(s) a flow step sends, or nothing and why. `before` (e.g. the discount code the
    message carries) is decided only when a message goes."""
    digest = recipient.digest(store.store_id)
    if digest is None:
        return nothing("no email address or phone number is known for the customer")
    if is_opted_out(contact):
        return nothing("the customer unsubscribed from marketing (one-click link): nothing is sent")
    if in_holdout(store.store_id, flow, recipient.key, settings.holdout_percent):
        return nothing(
            f"the customer is in this flow's holdout group ({settings.holdout_percent}%): "
            "recorded, nothing sent"
        )
    capped = cap_reached([str(s) for s in contact.get("sends", [])], now, rules_of(store))
    if capped:
        return nothing(capped)
    not_before = sms_not_before(now, store.timezone, settings)
    actions: list[Action] = []
    skipped: list[str] = []
    if settings.email and recipient.email and recipient.email_consent:
        actions.append(
            SendEmail(
                to=recipient.email,
                template="marketing",
                context={
                    "headline": offer.headline,
                    "intro": offer.intro,
                    "first_name": recipient.first_name,
                    "code": offer.code,
                    "code_note": offer.code_note,
                    "cta_url": offer.cta_url,
                    "cta_label": offer.cta_label,
                    "items": offer.items,
                },
                marketing=True,
                template_override=settings.email_template,
                sender=settings.sender,
                reply_to=settings.reply_to,
                unsubscribe=UnsubscribeLink(kind=UNSUBSCRIBE_KIND, data={"c": digest}),
                tracking=TrackedLinks(kind=TRACK_KIND, data={"f": flow, "c": digest}, links=["cta_url"]),
                not_before=not_before,
                once_per=f"{once_per}:email",
            )
        )
    elif settings.email:
        skipped.append(
            "the customer does not accept email marketing" if recipient.email else "no email address is known"
        )
    if settings.sms and recipient.phone and recipient.sms_consent:
        text = offer.sms + (f" Code: {offer.code}" if offer.code else "") + " Reply STOP to opt out."
        actions.append(
            SendSms(
                to=recipient.phone,
                text=text[:1600],
                marketing=True,
                not_before=not_before,
                once_per=f"{once_per}:sms",
            )
        )
    elif settings.sms:
        skipped.append("no SMS marketing consent or no textable number")
    if settings.webhook_url is not None and (recipient.email_consent or recipient.sms_consent):
        actions.append(flow_webhook(flow, store, settings.webhook_url, recipient, offer, actions, once_per))
    elif settings.webhook_url is not None:
        skipped.append("no marketing consent for the webhook channel")
    if not actions:
        return nothing("; ".join(skipped) or "email, SMS and the webhook are off in the flow's settings")
    reason = "; ".join(skipped) if skipped else None
    if not_before is not None:
        reason = f"{reason + '; ' if reason else ''}held until quiet hours end ({not_before.isoformat()})"
    return Decision([*before, *actions], reason)


#: the event a flow's webhook channel posts
FLOW_EVENT = "flow.message"


def flow_webhook(
    flow: str,
    store: StoreConfig,
    url: str,
    recipient: Recipient,
    offer: Offer,
    sent: list[Action],
    once_per: str,
) -> PostWebhook:
    """The flow's message as a signed outbound webhook (a push or social tool sends it on). It
    passed the same gate as email and SMS (consent, opt-out, cap, holdout); `also_sent` names the
    channels that carry it too (with none, the push counts toward the cap as the message)."""
    payload = {
        "event": FLOW_EVENT,
        "store_id": store.store_id,
        "flow": flow,
        "customer": {
            "id": recipient.customer_id,
            "email": recipient.email,
            "phone": recipient.phone,
            "first_name": recipient.first_name,
            "email_consent": recipient.email_consent,
            "sms_consent": recipient.sms_consent,
        },
        "message": {
            "headline": offer.headline,
            "text": offer.sms,
            "intro": offer.intro,
            "cta_url": offer.cta_url,
            "code": offer.code,
            "code_note": offer.code_note,
            "items": offer.items,
        },
        "also_sent": sorted({"email" if isinstance(a, SendEmail) else "sms" for a in sent}),
    }
    return PostWebhook(url=url, event=FLOW_EVENT, payload=payload, once_per=f"{once_per}:webhook")


def unique_code(prefix: str, *parts: str) -> str:
    """A code no one can guess and the same decision always makes: PREFIX-XXXXXXXX."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest().upper()
    return f"{prefix}-{digest[:10]}"
