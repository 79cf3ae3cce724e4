"""Marketing flows: welcome, abandoned checkout, post-purchase thank-you, win-back. Each has timing
settings, a stop condition, its own on/off (the store's automation switch) and a holdout group; each
step reads at most 3 items (the contact, and for a checkout the two "ordered" markers) and every
message goes through functions/customers/marketing.py (consent, opt-out, cap, quiet hours).

- abandoned checkout: a checkout with an address and no order yet files one reminder job per
  `reminder_hours`, keyed by its cart (else its checkout token): however many checkouts/update
  arrive, a cart gets each reminder once. An order ends the flow, whatever order the webhooks come
  in: storeflow marks its checkout token and cart token when the order arrives (and the contact's
  last order by email), and both the checkout's run and each reminder read those marks first.
- win-back: each order files a job N days later; when it comes due it sends only if that order is
  still the customer's last (the contact's last order date): no scan of customers, ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from functions.customers.contacts import ContactFacts, contact_facts
from functions.customers.marketing import (
    Offer,
    Recipient,
    in_holdout,
    plan_marketing,
    recipient_of_checkout,
    recipient_of_customer,
    recipient_of_order,
    unique_code,
)
from functions.customers.models import (
    AbandonedCheckoutSettings,
    CodeOffer,
    PostPurchaseSettings,
    WelcomeSettings,
    WinBackSettings,
)
from functions.fulfillment.follow_up import NAME as FOLLOW_UP
from functions.fulfillment.follow_up import was_taken_back
from storekit import keys
from storekit.actions import Action, AddTags, CreateDiscountCode, ScheduleJob
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.clock import iso, parse_iso
from storekit.models import Cart, Checkout, Customer, LineItem, Order
from storekit.records import JobRecord

WELCOME = "welcome-flow"
ABANDONED_CHECKOUT = "abandoned-checkout"
POST_PURCHASE = "post-purchase-thank-you"
WIN_BACK = "win-back"
#: codes each flow makes start with its prefix: an order using one is attributed to the flow
CODE_PREFIXES = {
    "WELCOME": WELCOME,
    "CART": ABANDONED_CHECKOUT,
    "MISSYOU": WIN_BACK,
    "REWARD": "loyalty-tiers",
    "GIFT": "birthday-offers",
}
_PREFIX_OF = {flow: prefix for prefix, flow in CODE_PREFIXES.items()}
MAX_ITEMS = 10
#: the segment tag (functions/customers/segments.py) of a customer the win-back found lapsed
LAPSED = "history:lapsed"


def _contact_of(recipient: Recipient | None, reader: Reader) -> ContactFacts:
    if recipient is None:
        return ContactFacts()
    return contact_facts(reader, recipient.email or recipient.phone)


def code_offer(
    flow: str, offer: CodeOffer, now: datetime, recipient: Recipient, *salt: str
) -> tuple[list[Action], str | None, str | None]:
    """(the action creating a unique code, the code, a note on it); nothing when the offer is 0%."""
    if offer.percent_off <= 0:
        return [], None, None
    code = unique_code(_PREFIX_OF[flow], flow, recipient.key, *salt)
    ends = now + timedelta(days=offer.valid_days)
    create = CreateDiscountCode(
        code=code,
        title=f"storeflow {flow}",
        value=offer.percent_off,
        starts_at=now,
        ends_at=ends,
        customer_id=recipient.customer_id,
        email=recipient.email,
        once_per=f"code:{code}",
    )
    note = f"{offer.percent_off.normalize()}% off, one use, valid until {ends.date().isoformat()}"
    return [create], code, note


# --- welcome -----------------------------------------------------------------------------------
def _welcome_contact(customer: Customer, reader: Reader) -> ContactFacts:
    if reader.store is None:
        return ContactFacts()
    return _contact_of(recipient_of_customer(customer, reader.store), reader)


def welcome(customer: Customer, ctx: Context[WelcomeSettings, ContactFacts]) -> Decision:
    if customer.orders_count:
        return nothing(f"the customer already has {customer.orders_count} order(s): no welcome")
    recipient = recipient_of_customer(customer, ctx.store)
    if recipient is None:
        return nothing("the new customer left no deliverable email address or textable phone")
    settings = ctx.settings
    now = ctx.now + timedelta(minutes=settings.delay_minutes)
    create, code, note = code_offer(WELCOME, settings.offer, ctx.now, recipient, ctx.event.event_id)
    offer = Offer(
        headline=f"Welcome to {ctx.store.display_name}",
        intro="thanks for joining us." + (" Here is a code for your first order." if code else ""),
        sms=f"Welcome to {ctx.store.display_name}!",
        cta_url=settings.shop_url,
        cta_label="Start shopping",
        code=code,
        code_note=note,
    )
    decision = plan_marketing(
        WELCOME,
        ctx.store,
        ctx.now,
        settings,
        recipient,
        ctx.related.contact,
        offer,
        f"welcome:{recipient.key}",
        create,
    )
    if settings.delay_minutes and decision:
        return Decision([_not_before(a, now) for a in decision], decision.reason)
    return decision


def _not_before(action: Action, at: datetime) -> Action:
    if action.not_before is not None and action.not_before >= at:
        return action
    return action.model_copy(update={"not_before": at})


WELCOME_FLOW: Automation[Customer, WelcomeSettings, ContactFacts] = Automation(
    name=WELCOME,
    description="Welcome a new customer by first name, with a unique first-purchase code (marketing consent)",
    topics=frozenset({Topic.CUSTOMER_CREATED}),
    settings_model=WelcomeSettings,
    takes=(Customer,),
    run=welcome,
    load=_welcome_contact,
    #: customers/update: consent given again lifts an opt-out (facts.keep_consent)
    reads=frozenset({"customer"}),
    default_enabled=False,
)


# --- abandoned checkout ------------------------------------------------------------------------
def _checkout_facts(checkout: Checkout, reader: Reader) -> ContactFacts:
    recipient = recipient_of_checkout(checkout)
    digest = recipient.digest(reader.store_id) if recipient else None
    contact, ordered = reader.repo.checkout_state(
        reader.store_id, digest, checkout.token, checkout.cart_token
    )
    return ContactFacts(digest=digest, contact=contact, ordered_by=ordered)


def _ordered_since(contact: dict[str, Any], since: str | None) -> bool:
    last = contact.get("last_ordered_at")
    return bool(last and since and str(last) >= since)


def schedule_reminders(checkout: Checkout, ctx: Context[AbandonedCheckoutSettings, ContactFacts]) -> Decision:
    if checkout.completed_at is not None:
        return nothing("the checkout is completed: no reminder")
    if ctx.related.ordered_by:
        return nothing(f"order {ctx.related.ordered_by} already came from this checkout: no reminder")
    recipient = recipient_of_checkout(checkout)
    if recipient is None:
        return nothing("the checkout has no deliverable email address yet: no reminder")
    started = checkout.created_at or ctx.now
    if _ordered_since(ctx.related.contact, iso(started)):
        return nothing("the shopper ordered (same email) after starting this checkout: no reminder")
    if not (recipient.email_consent or recipient.sms_consent):
        return nothing("the shopper did not accept marketing at checkout: no reminder")
    settings = ctx.settings
    if in_holdout(ctx.store.store_id, ABANDONED_CHECKOUT, recipient.key, settings.holdout_percent):
        return nothing(
            f"the shopper is in this flow's holdout group ({settings.holdout_percent}%): "
            "recorded, nothing sent"
        )
    last_change = min(checkout.updated_at or ctx.now, ctx.now)
    return Decision(reminder_jobs(shopper_of(checkout, recipient, started), last_change, settings))


def items_of(line_items: list[LineItem]) -> list[dict[str, Any]]:
    return [{"title": li.title or "item", "quantity": li.quantity} for li in line_items[:MAX_ITEMS]]


def stored_items(items: Any) -> list[dict[str, Any]]:
    """Items as kept in a table item (quantities come back as Decimal) or job params, made plain."""
    if not isinstance(items, list):
        return []
    return [
        {"title": str(i.get("title") or "item"), "quantity": int(i.get("quantity") or 0)}
        for i in items[:MAX_ITEMS]
        if isinstance(i, dict)
    ]


def shopper_of(checkout: Checkout, recipient: Recipient, started: datetime) -> dict[str, Any]:
    """What a reminder needs of the checkout and its shopper (the due job's params; for a checkout
    with a cart token, also the cart's shopper item that carts/update is matched to)."""
    return {
        "checkout_token": checkout.token,
        "cart_token": checkout.cart_token,
        "email": recipient.email,
        "phone": recipient.phone,
        "email_consent": recipient.email_consent,
        "sms_consent": recipient.sms_consent,
        "first_name": recipient.first_name,
        "customer_id": recipient.customer_id,
        "key": recipient.key,
        "started_at": iso(started),
        "recovery_url": checkout.abandoned_checkout_url,
        "items": items_of(checkout.line_items),
    }


def reminder_jobs(
    shopper: dict[str, Any], last_change: datetime, settings: AbandonedCheckoutSettings
) -> list[Action]:
    """One due job per reminder, keyed by the cart (else the checkout): each reminder once per cart."""
    cart = shopper.get("cart_token") or shopper.get("checkout_token")
    steps = len(settings.reminder_hours)
    return [
        ScheduleJob(
            job_kind=ABANDONED_CHECKOUT,
            due_at=last_change + timedelta(hours=hours),
            params={**shopper, "step": n, "steps": steps, "hours": hours, "last_change": iso(last_change)},
            once_per=f"abandoned:{cart}:{n}",
        )
        for n, hours in enumerate(settings.reminder_hours, start=1)
    ]


def _cart_facts(cart: Cart, reader: Reader) -> ContactFacts:
    shopper, contact, ordered = reader.repo.cart_state(reader.store_id, cart.token or cart.id)
    return ContactFacts(digest=shopper.get("digest"), contact=contact, ordered_by=ordered, cart=shopper)


def cart_reminders(cart: Cart, ctx: Context[AbandonedCheckoutSettings, ContactFacts]) -> Decision:
    """carts/update names no shopper: the cart is matched by its token to the checkout (with an
    email) that carried the same cart token; then its reminders are filed as the checkout's would
    be (the same keys: a cart gets each reminder once, whichever of the two came first)."""
    if ctx.related.ordered_by:
        return nothing(f"order {ctx.related.ordered_by} already came from this cart: no reminder")
    shopper = ctx.related.cart.get("shopper")
    if not isinstance(shopper, dict) or not shopper.get("email"):
        return nothing(
            "the cart's shopper is unknown: Shopify carts/update names no customer, and no checkout "
            "with an email carried this cart's token yet"
        )
    if _ordered_since(ctx.related.contact, shopper.get("started_at")):
        return nothing("the shopper ordered (same email) after starting this cart: no reminder")
    if not (shopper.get("email_consent") or shopper.get("sms_consent")):
        return nothing("the shopper did not accept marketing at checkout: no reminder")
    settings = ctx.settings
    if in_holdout(ctx.store.store_id, ABANDONED_CHECKOUT, str(shopper.get("key")), settings.holdout_percent):
        return nothing(
            f"the shopper is in this flow's holdout group ({settings.holdout_percent}%): "
            "recorded, nothing sent"
        )
    last_change = min(cart.updated_at or ctx.now, ctx.now)
    fresh = {**shopper, "items": items_of(cart.line_items) or stored_items(shopper.get("items"))}
    return Decision(reminder_jobs(fresh, last_change, settings))


def decide_abandoned(
    resource: Checkout | Cart, ctx: Context[AbandonedCheckoutSettings, ContactFacts]
) -> Decision:
    if isinstance(resource, Cart):
        return cart_reminders(resource, ctx)
    return schedule_reminders(resource, ctx)


def _abandoned_facts(resource: Checkout | Cart, reader: Reader) -> ContactFacts:
    if isinstance(resource, Cart):
        return _cart_facts(resource, reader)
    return _checkout_facts(resource, reader)


def _reminder_facts(job: JobRecord, reader: Reader) -> ContactFacts:
    params = job.params
    email = params.get("email") or params.get("phone")
    digest = keys.contact_digest(reader.store_id, str(email)) if email else None
    contact, ordered, cart = reader.repo.reminder_state(
        reader.store_id, digest, str(params.get("checkout_token")), params.get("cart_token") or None
    )
    return ContactFacts(digest=digest, contact=contact, ordered_by=ordered, cart=cart)


def _moved_by_cart_change(
    job: JobRecord, ctx: Context[AbandonedCheckoutSettings, ContactFacts]
) -> Decision | None:
    """The shopper changed the cart (carts/update) after this reminder was timed: the reminder moves
    to the same delay after that change, with the cart's newest items (each step still sends once)."""
    params = job.params
    changed, base, hours = ctx.related.cart.get("changed_at"), params.get("last_change"), params.get("hours")
    if not (isinstance(changed, str) and isinstance(base, str) and str(changed) > base and hours):
        return None
    due = parse_iso(changed) + timedelta(hours=int(hours))
    if due <= ctx.now:
        return None
    step = int(params.get("step", 1))
    cart = params.get("cart_token") or params.get("checkout_token")
    items = stored_items(ctx.related.cart.get("items")) or stored_items(params.get("items"))
    moved = ScheduleJob(
        job_kind=ABANDONED_CHECKOUT,
        due_at=due,
        params={**params, "last_change": changed, "items": items},
        once_per=f"abandoned:{cart}:{step}:{changed}",
    )
    return Decision(
        [moved], f"the shopper changed the cart at {changed}: reminder {step} moved to {iso(due)}"
    )


def send_reminder(job: JobRecord, ctx: Context[AbandonedCheckoutSettings, ContactFacts]) -> Decision:
    params = job.params
    if ctx.related.ordered_by:
        return nothing(f"order {ctx.related.ordered_by} came from this checkout: reminder cancelled")
    if _ordered_since(ctx.related.contact, params.get("started_at")):
        return nothing("the shopper ordered (same email) since the checkout: reminder cancelled")
    moved = _moved_by_cart_change(job, ctx)
    if moved is not None:
        return moved
    recipient = Recipient(
        key=str(params.get("key")),
        email=params.get("email"),
        phone=params.get("phone"),
        email_consent=bool(params.get("email_consent")),
        sms_consent=bool(params.get("sms_consent")),
        first_name=params.get("first_name"),
        customer_id=params.get("customer_id"),
    )
    step, steps = int(params.get("step", 1)), int(params.get("steps", 1))
    create: list[Action] = []
    code = note = None
    if step == steps:
        create, code, note = code_offer(
            ABANDONED_CHECKOUT, ctx.settings.last_reminder_offer, ctx.now, recipient, job.job_id
        )
    offer = Offer(
        headline="You left something in your cart",
        intro="your items are still waiting for you." if step == 1 else "your cart is about to expire.",
        sms=f"{ctx.store.display_name}: your cart is waiting.",
        cta_url=params.get("recovery_url"),
        cta_label="Finish your order",
        code=code,
        code_note=note,
        items=stored_items(ctx.related.cart.get("items")) or stored_items(params.get("items")),
    )
    cart = params.get("cart_token") or params.get("checkout_token")
    return plan_marketing(
        ABANDONED_CHECKOUT,
        ctx.store,
        ctx.now,
        ctx.settings,
        recipient,
        ctx.related.contact,
        offer,
        f"abandoned:{cart}:{step}",
        create,
    )


ABANDONED_CHECKOUT_FLOW: Automation[Checkout | Cart, AbandonedCheckoutSettings, ContactFacts] = Automation(
    name=ABANDONED_CHECKOUT,
    description="Remind shoppers of an abandoned checkout or cart (1 h and 24 h by default); never after "
    "they order",
    topics=frozenset({Topic.CHECKOUT_CREATED, Topic.CHECKOUT_UPDATED, Topic.CART_UPDATED}),
    settings_model=AbandonedCheckoutSettings,
    takes=(Checkout, Cart),
    run=decide_abandoned,
    load=_abandoned_facts,
    on_due=send_reminder,
    load_due=_reminder_facts,
    reads=frozenset({"order", "customer"}),
    default_enabled=False,
)


# --- post-purchase thank-you -------------------------------------------------------------------
def schedule_thank_you(order: Order, ctx: Context[PostPurchaseSettings, None]) -> Decision:
    follow_up = ctx.store.automation(FOLLOW_UP)
    if follow_up.enabled:
        return nothing(
            f"{FOLLOW_UP} sends this order's review request (one message per order: "
            f"turn it off to send the thank-you and feedback request from here)"
        )
    if order.test:
        return nothing("a test order: no thank-you")
    recipient = recipient_of_order(order, ctx.store)
    if recipient is None:
        return nothing("no deliverable email address is known for the order")
    due = min(order.created_at or ctx.now, ctx.now) + timedelta(hours=ctx.settings.delay_hours)
    return Decision(
        [
            ScheduleJob(
                job_kind=POST_PURCHASE,
                due_at=due,
                params={"order_id": order.id, "order_name": order.name or f"#{order.id}"},
                once_per=f"thank-you:{order.id}",
            )
        ]
    )


def _order_contact(job: JobRecord, reader: Reader) -> ContactFacts:
    order = reader.order(str(job.params.get("order_id")))
    if order is None:
        return ContactFacts()
    return contact_facts(
        reader, order.email or (order.customer.email if order.customer else None), order=order
    )


def send_thank_you(job: JobRecord, ctx: Context[PostPurchaseSettings, ContactFacts]) -> Decision:
    order = ctx.related.order
    if order is None:
        return nothing(f"order {job.params.get('order_name')} is no longer kept: no thank-you")
    if was_taken_back(order):
        return nothing(
            f"order {job.params.get('order_name')} was refunded, voided or cancelled: no thank-you"
        )
    recipient = recipient_of_order(order, ctx.store)
    if recipient is None:
        return nothing("no deliverable email address is known for the order")
    offer = Offer(
        headline=f"Thank you for your order {order.name or ''}".strip(),
        intro=f"thank you for shopping with {ctx.store.display_name}."
        + (" Tell us how it went: it takes a minute." if ctx.settings.feedback_url else ""),
        sms=f"Thank you for your order at {ctx.store.display_name}!",
        cta_url=ctx.settings.feedback_url,
        cta_label="Give feedback",
    )
    return plan_marketing(
        POST_PURCHASE,
        ctx.store,
        ctx.now,
        ctx.settings,
        recipient,
        ctx.related.contact,
        offer,
        f"thank-you:{order.id}",
    )


POST_PURCHASE_FLOW: Automation[Order, PostPurchaseSettings, Any] = Automation(
    name=POST_PURCHASE,
    description="Thank the customer and ask for feedback after an order (unless post-delivery-follow-up "
    "sends the review request: one per order)",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=PostPurchaseSettings,
    takes=(Order,),
    run=schedule_thank_you,
    on_due=send_thank_you,
    load_due=_order_contact,
    reads=frozenset({"order", "customer"}),
    default_enabled=False,
)


# --- win-back ----------------------------------------------------------------------------------
def schedule_win_back(order: Order, ctx: Context[WinBackSettings, None]) -> Decision:
    recipient = recipient_of_order(order, ctx.store)
    if recipient is None:
        return nothing("no deliverable email address is known for the order")
    ordered = order.created_at or ctx.now
    return Decision(
        [
            ScheduleJob(
                job_kind=WIN_BACK,
                due_at=ordered + timedelta(days=ctx.settings.days_without_order),
                params={
                    "order_id": order.id,
                    "ordered_at": iso(ordered),
                    "email": recipient.email,
                    "phone": recipient.phone,
                    "email_consent": recipient.email_consent,
                    "sms_consent": recipient.sms_consent,
                    "first_name": recipient.first_name,
                    "customer_id": recipient.customer_id,
                    "key": recipient.key,
                },
                once_per=f"win-back:{order.id}",
            )
        ]
    )


def _win_back_contact(job: JobRecord, reader: Reader) -> ContactFacts:
    email = job.params.get("email")
    return contact_facts(reader, str(email) if email else None)


def send_win_back(job: JobRecord, ctx: Context[WinBackSettings, ContactFacts]) -> Decision:
    params = job.params
    ordered_at = params.get("ordered_at")
    if not isinstance(ordered_at, str) or not ordered_at:
        return nothing("the win-back job names no order date (filed by an older version): not sent")
    last = ctx.related.contact.get("last_ordered_at")
    if last and str(last) > ordered_at:
        return nothing("the customer ordered again since: no win-back")
    days = (ctx.now - parse_iso(ordered_at)).days
    recipient = Recipient(
        key=str(params.get("key")),
        email=params.get("email"),
        phone=params.get("phone"),
        email_consent=bool(params.get("email_consent")),
        sms_consent=bool(params.get("sms_consent")),
        first_name=params.get("first_name"),
        customer_id=params.get("customer_id"),
    )
    create, code, note = code_offer(WIN_BACK, ctx.settings.offer, ctx.now, recipient, job.job_id)
    offer = Offer(
        headline="We miss you",
        intro=f"it has been {days} days since your last order."
        + (" Here is something to welcome you back." if code else ""),
        sms=f"{ctx.store.display_name} misses you!",
        cta_url=ctx.settings.shop_url,
        cta_label="See what's new",
        code=code,
        code_note=note,
    )
    decision = plan_marketing(
        WIN_BACK,
        ctx.store,
        ctx.now,
        ctx.settings,
        recipient,
        ctx.related.contact,
        offer,
        f"win-back:{params.get('order_id')}",
        create,
    )
    if not recipient.customer_id:
        return decision
    # the customer is lapsed, whatever the message: segment-tags takes the tag off at the next order
    lapsed = AddTags(
        resource="customer",
        resource_id=recipient.customer_id,
        tags=[LAPSED],
        once_per=f"lapsed:{params.get('order_id')}",
    )
    return Decision([lapsed, *decision], decision.reason)


WIN_BACK_FLOW: Automation[Order, WinBackSettings, Any] = Automation(
    name=WIN_BACK,
    description="N days after a customer's last order (90 by default), a come-back offer; "
    "never if they ordered since",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=WinBackSettings,
    takes=(Order,),
    run=schedule_win_back,
    on_due=send_win_back,
    load_due=_win_back_contact,
    reads=frozenset({"customer"}),
    default_enabled=False,
)
