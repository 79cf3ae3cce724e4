"""What the customers domain keeps after each event and action, and the handlers of its signed links.

- order arrives: its checkout and cart tokens are marked "ordered" (ends abandoned-checkout
  reminders, whatever order webhooks come in), the contact's last order date is set (win-back,
  same-email match), the loyalty counters change once per order/refund/cancellation, and the order
  is attributed once to the flow whose code it used or whose message was clicked within the window
  (per-flow counters: conversions, revenue; holdout_conversions for held-out customers).
- customer update: the platform's marketing consent, for the opt-out rule (marketing.py).
- a marketing message settles (sent, or planned in dry-run): the contact's cap list and the flow's
  `sends` counter.
- `GET /u/{token}` (kind "marketing"): opt-out; `GET /t/o|c/{token}` (kind "flow"): opens, clicks.
- customers/redact: a contact keeps only its opt-out (hashed address and time).

Every per-flow number is in ONE counter, `flows` (storekit.repository.customers FLOW_COUNTER), per
store-local day, dimension "{flow}#{metric}": sends, holdouts, opens, clicks, conversions, revenue,
holdout_conversions, holdout_revenue. `CustomerRepository.flow_counts` reads them back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.customers.crm import NAME as CRM
from functions.customers.flows import (
    ABANDONED_CHECKOUT,
    CODE_PREFIXES,
    POST_PURCHASE,
    WELCOME,
    WIN_BACK,
    items_of,
    shopper_of,
)
from functions.customers.loyalty import NAME as LOYALTY
from functions.customers.loyalty import loyalty_changes
from functions.customers.marketing import (
    FLOW_EVENT,
    TRACK_KIND,
    cap_reached,
    in_holdout,
    recipient_of_checkout,
    recipient_of_customer,
    rules_of,
)
from functions.customers.models import AbandonedCheckoutSettings, WelcomeSettings
from functions.customers.occasions import NAME as OCCASIONS
from functions.customers.segments import NAME as SEGMENTS
from storekit import keys
from storekit.actions import Action, PostWebhook, SendEmail, SendSms
from storekit.adapters import Topic
from storekit.automation import (
    AppliedEvent,
    ForgottenCustomer,
    OutgoingAction,
    RequestedCustomer,
    SettledAction,
)
from storekit.clock import iso, parse_iso
from storekit.links import LinkClaims
from storekit.models import Cart, Checkout, Customer, Order, Refund
from storekit.observability import logger
from storekit.payload_store import decompress
from storekit.repository.customers import CAP_WINDOW_DAYS
from storekit.runtime import Runtime
from storekit.snapshots import POINTER
from storekit.store import StoreConfig

#: what the keepers keep data for: nothing is kept while all of them are off in a store
KEPT_FOR = frozenset(
    {SEGMENTS, LOYALTY, WELCOME, ABANDONED_CHECKOUT, POST_PURCHASE, WIN_BACK, OCCASIONS, CRM}
)


def keeps_for(store: StoreConfig) -> bool:
    """Whether any of the customers domain's automations is on in the store (all off by default)."""
    return any(name in store.automations and store.automations[name].enabled for name in KEPT_FOR)


def store_day(store: StoreConfig, at: datetime) -> str:
    """The calendar day in the store's time zone (the flows report follows the merchant's days)."""
    return at.astimezone(ZoneInfo(store.timezone)).date().isoformat()


def keep_order_facts(applied: AppliedEvent) -> None:
    if not keeps_for(applied.store):
        return
    resource = applied.parsed.resource
    if isinstance(resource, Refund):
        _count_loyalty(applied, resource, _order_snapshot(applied, resource.order_id))
        return
    if not isinstance(resource, Order):
        return
    store_id = applied.store.store_id
    when = iso(min(resource.created_at or applied.now, applied.now))
    tokens = [("checkout", resource.checkout_token), ("cart", resource.cart_token)]
    applied.repo.mark_ordered(store_id, resource.id, when, [(what, t) for what, t in tokens if t])
    _count_loyalty(applied, resource, resource)
    email = resource.email or (resource.customer.email if resource.customer else None)
    if not email or resource.cancelled_at is not None:
        return
    digest = keys.contact_digest(store_id, email)
    before = applied.repo.note_contact_order(store_id, digest, when)
    if applied.topic == Topic.ORDER_CREATED:
        attribute(applied, resource, before)


def _order_snapshot(applied: AppliedEvent, order_id: str | None) -> Order | None:
    if not order_id:
        return None
    blob = applied.repo.entity_snapshot(applied.store.store_id, "order", order_id)
    if blob is None:
        return None
    if blob.startswith(POINTER):  # a very large order kept in S3: its refund is not counted
        logger.warning(
            "order snapshot in the archive: refund not counted", extra={"store_id": applied.store.store_id}
        )
        return None
    from storekit.adapters import resource_from_json

    found = resource_from_json(decompress(blob))
    return found if isinstance(found, Order) else None


def _count_loyalty(applied: AppliedEvent, resource: Order | Refund, order: Order | None) -> None:
    at = iso(order.created_at) if order is not None and order.created_at else None
    for change in loyalty_changes(resource, order):
        applied.repo.count_for_loyalty(
            applied.store.store_id,
            change.customer_id,
            change.mark,
            change.spend,
            change.orders,
            at if change.orders > 0 else None,
            requires=change.requires,
        )


def attributed_flow(order: Order, contact: dict[str, Any], window_days: int) -> tuple[str, str] | None:
    """(flow, how) an order is attributed to: the flow whose code it used, else the flow whose
    message the customer clicked within the window before ordering."""
    for discount in order.discount_codes:
        prefix = discount.code.upper().split("-", 1)[0]
        if prefix in CODE_PREFIXES and "-" in discount.code:
            return CODE_PREFIXES[prefix], f"code {discount.code}"
    click = contact.get("last_click")
    ordered = order.created_at
    if isinstance(click, dict) and click.get("flow") and ordered is not None:
        clicked = parse_iso(str(click["at"]))
        if clicked <= ordered <= clicked + timedelta(days=window_days):
            return str(click["flow"]), "click"
    return None


def attribute(applied: AppliedEvent, order: Order, contact: dict[str, Any]) -> None:
    store = applied.store
    rules = rules_of(store)
    day = store_day(store, applied.now)
    value = order.total or Decimal("0")
    found = attributed_flow(order, contact, rules.attribution_days)
    if found is not None:
        flow, how = found
        if applied.repo.claim_attribution(store.store_id, order.id, flow, how):
            applied.repo.add_flow_count(store.store_id, day, flow, "conversions")
            applied.repo.add_flow_count(store.store_id, day, flow, "revenue", value)
        return
    holdouts = contact.get("holdouts")
    if not isinstance(holdouts, dict) or order.created_at is None:
        return
    for flow, at in sorted(holdouts.items()):
        held = parse_iso(str(at))
        if held <= order.created_at <= held + timedelta(days=rules.attribution_days):
            if applied.repo.claim_attribution(store.store_id, order.id, flow, "holdout"):
                applied.repo.add_flow_count(store.store_id, day, flow, "holdout_conversions")
                applied.repo.add_flow_count(store.store_id, day, flow, "holdout_revenue", value)
            return


def keep_consent(applied: AppliedEvent) -> None:
    """customers/update: consent withdrawn then given again at the store lifts an opt-out."""
    customer = applied.parsed.resource
    if (
        not isinstance(customer, Customer)
        or applied.topic != Topic.CUSTOMER_UPDATED
        or not keeps_for(applied.store)
    ):
        return
    recipient = recipient_of_customer(customer, applied.store)
    digest = recipient.digest(applied.store.store_id) if recipient else None
    if recipient is not None and digest is not None:
        applied.repo.note_platform_consent(applied.store.store_id, digest, recipient.email_consent)


def keep_cart_shoppers(applied: AppliedEvent) -> None:
    """Shopify carts/update names no shopper. A checkout with an email and a cart token tells whose
    cart it is (kept on the cart's item until an order comes from it); a later carts/update of that
    cart notes its newest items and change time, which the reminders follow (flows.py)."""
    resource, store = applied.parsed.resource, applied.store
    flow = store.automations.get(ABANDONED_CHECKOUT)
    if flow is None or not flow.enabled:
        return
    store_id = store.store_id
    if isinstance(resource, Checkout):
        recipient = recipient_of_checkout(resource)
        digest = recipient.digest(store_id) if recipient else None
        if resource.completed_at is not None or not resource.cart_token or recipient is None or not digest:
            return
        started = min(resource.created_at or applied.now, applied.now)
        changed = min(resource.updated_at or applied.now, applied.now)
        shopper = shopper_of(resource, recipient, started)
        applied.repo.note_cart_shopper(store_id, resource.cart_token, digest, shopper, iso(changed))
    elif isinstance(resource, Cart) and resource.updated_at is not None:
        changed = min(resource.updated_at, applied.now)
        applied.repo.note_cart_change(
            store_id, resource.token or resource.id, items_of(resource.line_items), iso(changed)
        )


def keep_holdouts(applied: AppliedEvent) -> None:
    """Record the customers a flow holds out (the flow sends them nothing): the holdout counter, and
    the contact's membership, so their orders count as the holdout's conversions."""
    resource, store = applied.parsed.resource, applied.store
    if isinstance(resource, Customer) and applied.topic == Topic.CUSTOMER_CREATED:
        flow, recipient = WELCOME, recipient_of_customer(resource, store)
        percent = WelcomeSettings.model_validate(store.automation(WELCOME).settings).holdout_percent
    elif isinstance(resource, Checkout) and resource.completed_at is None:
        flow, recipient = ABANDONED_CHECKOUT, recipient_of_checkout(resource)
        percent = AbandonedCheckoutSettings.model_validate(
            store.automation(ABANDONED_CHECKOUT).settings
        ).holdout_percent
    else:
        return
    if recipient is None or flow not in store.automations or not store.automations[flow].enabled:
        return
    # only customers the flow would have messaged count: the holdout compares like with like
    eligible = recipient.email_consent or recipient.sms_consent
    if not eligible or (isinstance(resource, Customer) and resource.orders_count):
        return
    if not in_holdout(store.store_id, flow, recipient.key, percent):
        return
    digest = recipient.digest(store.store_id)
    if digest and applied.repo.note_holdout(store.store_id, digest, flow, iso(applied.now)):
        applied.repo.add_flow_count(store.store_id, store_day(store, applied.now), flow, "holdouts")


def capped_address(action: Action | None) -> str | None:
    """The address whose frequency cap a message counts toward: a marketing email or SMS, or a
    flow's webhook push that is the message (no email or SMS with it); None for anything else."""
    if isinstance(action, SendEmail | SendSms):
        return action.to if action.marketing else None
    if isinstance(action, PostWebhook) and action.event == FLOW_EVENT and not action.payload.get("also_sent"):
        customer = action.payload.get("customer")
        if isinstance(customer, dict):
            address = customer.get("email") or customer.get("phone")
            return address if isinstance(address, str) and address else None
    return None


#: tries of the cap's compare-and-set before the message is failed (to be retried by the merchant)
CAP_CLAIM_TRIES = 5


def claim_cap_slot(outgoing: OutgoingAction) -> str | None:
    """Right before a marketing message goes (or is planned in dry-run): take a slot of the
    customer's frequency cap with a conditional write, or refuse when the cap is full. Two flows
    that decided in the same moment both passed the cap when they decided; only one gets the slot.
    An action retried after a fault finds its own slot taken already and goes."""
    address = capped_address(outgoing.action)
    if address is None:
        return None
    store_id, now = outgoing.store.store_id, outgoing.now
    digest = keys.contact_digest(store_id, address)
    mine = f"|{outgoing.action_id}"
    oldest = iso(now - timedelta(days=CAP_WINDOW_DAYS))
    for _ in range(CAP_CLAIM_TRIES):
        contact = outgoing.repo.marketing_contact(store_id, digest)
        sends = [str(s) for s in contact.get("sends", []) if str(s) >= oldest]
        if any(s.endswith(mine) for s in sends):
            return None
        capped = cap_reached(sends, now, rules_of(outgoing.store))
        if capped:
            return f"not sent: {capped} when it was to go (another message to the customer went first)"
        version = int(contact.get("sends_v", 0))
        if outgoing.repo.swap_marketing_sends(store_id, digest, version, [*sends, f"{iso(now)}{mine}"]):
            return None
    return "not sent: the customer's frequency cap changed on every try; retry the action"


def count_marketing_send(settled: SettledAction) -> None:
    """A marketing message sent (or planned, in dry-run) counts toward its flow (its cap slot was
    taken when it went: claim_cap_slot); one that finally failed gives its slot back."""
    action = settled.action
    if settled.status == "failed":
        _release_cap_slot(settled)
        return
    if settled.status not in ("done", "planned"):
        return
    if isinstance(action, PostWebhook):
        _count_flow_webhook(settled, action)
        return
    if not isinstance(action, SendEmail | SendSms) or not action.marketing:
        return
    store_id = settled.store.store_id
    now = settled.now
    tracking = action.tracking if isinstance(action, SendEmail) else None
    flow = tracking.data.get("f") if tracking is not None else settled.automation
    if flow:
        day = store_day(settled.store, now)
        settled.repo.add_flow_count(store_id, day, flow, "sends")
        if isinstance(action, SendSms):  # priced apart in the flows report
            settled.repo.add_flow_count(store_id, day, flow, "sms_sends")


def _count_flow_webhook(settled: SettledAction, action: PostWebhook) -> None:
    """A flow's message pushed through its webhook alone counts as the message (cap, `sends`)."""
    payload = action.payload
    customer = payload.get("customer")
    if action.event != FLOW_EVENT or payload.get("also_sent") or not isinstance(customer, dict):
        return
    flow = payload.get("flow")
    if not isinstance(flow, str):
        return
    store_id, now = settled.store.store_id, settled.now
    settled.repo.add_flow_count(store_id, store_day(settled.store, now), flow, "sends")


def _release_cap_slot(settled: SettledAction) -> None:
    """A message that finally failed reached no one: its cap slot (if it took one) is freed."""
    address = capped_address(settled.action)
    if address is None or not settled.action_id:
        return
    store_id = settled.store.store_id
    digest = keys.contact_digest(store_id, address)
    mine = f"|{settled.action_id}"
    for _ in range(CAP_CLAIM_TRIES):
        contact = settled.repo.marketing_contact(store_id, digest)
        sends = [str(s) for s in contact.get("sends", [])]
        if not any(s.endswith(mine) for s in sends):
            return
        kept = [s for s in sends if not s.endswith(mine)]
        if settled.repo.swap_marketing_sends(store_id, digest, int(contact.get("sends_v", 0)), kept):
            return


# --- signed links ------------------------------------------------------------------------------
def unsubscribe(claims: LinkClaims, runtime: Runtime) -> str:
    digest = claims.data.get("c", "")
    store = runtime.store(claims.store_id)
    if len(digest) != 32 or store is None:
        return "You are unsubscribed."
    runtime.repo.opt_out(claims.store_id, digest, iso(runtime.clock.now()))
    return (
        f"You will get no more marketing messages from {store.display_name}. "
        "Messages about your orders still come."
    )


def track(claims: LinkClaims, runtime: Runtime) -> str | None:
    flow, digest = claims.data.get("f"), claims.data.get("c", "")
    store = runtime.store(claims.store_id)
    if not flow or store is None:
        return claims.data.get("u")
    now = runtime.clock.now()
    day = store_day(store, now)
    if claims.purpose == "o":
        runtime.repo.add_flow_count(store.store_id, day, flow, "opens")
        return None
    runtime.repo.add_flow_count(store.store_id, day, flow, "clicks")
    if len(digest) == 32:
        runtime.repo.note_click(store.store_id, digest, flow, iso(now))
    return claims.data.get("u")


def forget_contacts(forgotten: ForgottenCustomer) -> int:
    """customers/redact: the marketing contacts (consent, opt-out, caps) kept by the addresses, and
    the carts whose shopper they were."""
    store_id = forgotten.store_id
    carts = 0
    for address in forgotten.addresses:
        digest = keys.contact_digest(store_id, address)
        carts += forgotten.repo.forget_carts(store_id, digest)
        forgotten.repo.forget_marketing_contact(store_id, digest)
    return len(forgotten.addresses) + carts


_KEYS = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "type"})


def _plain(value: Any) -> Any:
    """A table item's value as JSON (sets as sorted lists, numbers as text where not whole)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in _KEYS}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, bytes | bytearray):
        return "(binary)"
    return value


def list_customer_data(requested: RequestedCustomer) -> list[dict[str, Any]]:
    """customers/data_request: the marketing contact of each address (opt-out, consent, recent
    marketing sends, last order and click, holdouts), the carts whose shopper they were, and the
    customer's loyalty profile (lifetime spend and orders, tier)."""
    store_id, repo = requested.store_id, requested.repo
    items: list[dict[str, Any]] = []
    for address in sorted(requested.addresses):
        contact = repo.marketing_contact(store_id, keys.contact_digest(store_id, address))
        if not contact:
            continue
        items.append({"item": "marketing contact", "address": address, **_plain(contact)})
        for token in contact.get("carts", []):
            cart = repo.cart_shopper(store_id, str(token))
            if cart:
                items.append({"item": "cart shopper", "cart_token": str(token), **_plain(cart)})
    if requested.customer_id:
        profile = repo.customer_profile(store_id, requested.customer_id)
        if profile:
            items.append({"item": "loyalty profile", "customer_id": requested.customer_id, **_plain(profile)})
    return items


#: the link kinds (storekit.links) this domain signs, and their handlers
UNSUBSCRIBES = {"marketing": unsubscribe}
TRACKS = {TRACK_KIND: track}
