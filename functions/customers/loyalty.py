"""Loyalty tiers from counters: each customer's lifetime spend and order count, net of refunds and
cancellations, kept in their profile as orders arrive (functions/customers/facts.py). A customer is in
the highest tier whose minimums they meet; the tier tag moves up and down (`tier:vip`), a move to a
higher tier sends a thank-you, and each spend threshold earns one unique single-use code, once.

The profile is read before the order is counted (one item), so the automation adds the order itself
(unless a repeated delivery finds it counted already)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from functions.customers.flows import code_offer
from functions.customers.marketing import Offer, plan_marketing, recipient_of_order
from functions.customers.models import LoyaltySettings, Tier
from storekit.actions import Action, AddTags, RemoveTags
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, nothing
from storekit.models import Order, Refund

NAME = "loyalty-tiers"


class Standing(BaseModel):
    """A customer's counters before this event, the order it is about, and their contact."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    order: Order | None = None
    spend: Decimal = Decimal("0")
    orders: int = 0
    counted: frozenset[str] = frozenset()
    contact: dict[str, Any] = {}


def order_value(order: Order) -> Decimal:
    """What an order adds to lifetime spend (its total as placed; refunds are taken off as they come)."""
    return order.total or order.subtotal or Decimal("0")


@dataclass(frozen=True)
class LoyaltyChange:
    """One change to a customer's counters, counted once by its mark ("order:1", "refund:9",
    "cancel:1"); `requires`: counted only after that mark (a cancellation after its order)."""

    customer_id: str
    mark: str
    spend: Decimal
    orders: int
    requires: str | None = None


def loyalty_changes(resource: Order | Refund, order: Order | None) -> list[LoyaltyChange]:
    """What an order, its cancellation or a refund changes in its customer's counters (the keeper
    applies these; the automation decides the tier from the same list)."""
    if isinstance(resource, Refund):
        if order is None or order.customer is None or not order.customer.id:
            return []
        return [LoyaltyChange(order.customer.id, f"refund:{resource.id}", -abs(resource.total), 0)]
    customer = resource.customer
    if customer is None or not customer.id:
        return []
    if resource.cancelled_at is None:
        return [LoyaltyChange(customer.id, f"order:{resource.id}", order_value(resource), 1)]
    refunded = [r for r in resource.refunds if r.id]
    changes = [
        LoyaltyChange(customer.id, f"refund:{r.id}", -abs(r.total), 0, requires=f"order:{resource.id}")
        for r in refunded
    ]
    rest = order_value(resource) - sum((abs(r.total) for r in refunded), Decimal("0"))
    changes.append(
        LoyaltyChange(
            customer.id,
            f"cancel:{resource.id}",
            -max(rest, Decimal("0")),
            -1,
            requires=f"order:{resource.id}",
        )
    )
    return changes


def tier_for(spend: Decimal, orders: int, tiers: list[Tier]) -> Tier | None:
    reached = [t for t in tiers if spend >= t.min_spend and orders >= t.min_orders]
    return reached[-1] if reached else None


def _order_of(resource: Order | Refund, reader: Reader) -> Order | None:
    return resource if isinstance(resource, Order) else reader.order(resource.order_id)


def _standing(resource: Order | Refund, reader: Reader) -> Standing:
    order = _order_of(resource, reader)
    if order is None or order.customer is None or not order.customer.id:
        return Standing(order=order)
    profile = reader.repo.customer_profile(reader.store_id, order.customer.id)
    contact: dict[str, Any] = {}
    recipient = recipient_of_order(order, reader.store) if reader.store is not None else None
    if recipient is not None and (digest := recipient.digest(reader.store_id)):
        contact = reader.repo.marketing_contact(reader.store_id, digest)
    return Standing(
        order=order,
        spend=Decimal(str(profile.get("spend", 0))),
        orders=int(profile.get("orders", 0)),
        counted=frozenset(str(m) for m in profile.get("counted", set())),
        contact=contact,
    )


def update_tier(resource: Order | Refund, ctx: Context[LoyaltySettings, Standing]) -> Decision:
    standing, settings = ctx.related, ctx.settings
    order = resource if isinstance(resource, Order) else standing.order
    if order is None:
        return nothing(
            f"refund of order {getattr(resource, 'order_id', '?')}, which storeflow has not received"
        )
    customer = order.customer
    if customer is None or not customer.id:
        return nothing("a guest order (no customer account): no loyalty tier")
    # the counters as they were before this event, and after it (a repeated delivery finds its
    # changes counted already: they are taken back out of "before")
    before_spend, before_orders = standing.spend, standing.orders
    after_spend, after_orders = before_spend, before_orders
    counted = set(standing.counted)
    changes = loyalty_changes(resource, order)
    for change in changes:
        if change.mark in counted:
            before_spend -= change.spend
            before_orders -= change.orders
        elif change.requires is None or change.requires in counted:
            after_spend += change.spend
            after_orders += change.orders
            counted.add(change.mark)
    old = tier_for(before_spend, before_orders, settings.tiers)
    new = tier_for(after_spend, after_orders, settings.tiers)
    actions: list[Action] = []
    prefix = settings.tag_prefix
    wanted = f"{prefix}{new.name}" if new else None
    stale = [f"{prefix}{t.name}" for t in settings.tiers if f"{prefix}{t.name}" != wanted]
    if old is not None and new != old:  # the tag storeflow put on, even if the payload lags
        stale = sorted(set(stale) & ({f"{prefix}{old.name}"} | set(customer.tags)))
    else:
        stale = [tag for tag in stale if tag in customer.tags]
    # what this event changed (the same for a repeated delivery: the outbox keeps one of each)
    event = "+".join(c.mark for c in changes) or ctx.event.event_id
    if stale:
        actions.append(
            RemoveTags(
                resource="customer",
                resource_id=customer.id,
                tags=stale,
                once_per=f"tier-off:{customer.id}:{event}",
            )
        )
    if wanted and (wanted not in customer.tags or new != old):
        actions.append(
            AddTags(
                resource="customer",
                resource_id=customer.id,
                tags=[wanted],
                once_per=f"tier:{customer.id}:{event}",
            )
        )
    notes: list[str] = [
        f"lifetime {after_spend} over {after_orders} order(s): tier {new.name if new else 'none'}"
    ]
    recipient = recipient_of_order(order, ctx.store)
    rank = {t.name: i for i, t in enumerate(settings.tiers)}
    higher = new is not None and (old is None or rank[new.name] > rank[old.name])
    messages: list[Action] = []
    if higher and settings.thank_on_higher_tier and recipient is not None and new is not None:
        thanks = plan_marketing(
            NAME,
            ctx.store,
            ctx.now,
            settings,
            recipient,
            standing.contact,
            Offer(
                headline=f"Welcome to {new.name.upper()}",
                intro=f"thank you for being one of {ctx.store.display_name}'s best customers.",
                sms=f"Thank you! You are now {new.name.upper()} at {ctx.store.display_name}.",
            ),
            f"tier-thanks:{customer.id}:{new.name}",
        )
        messages += thanks
        if thanks.reason:
            notes.append(f"thank-you: {thanks.reason}")
    for reward in settings.rewards:
        if before_spend < reward.spend <= after_spend and recipient is not None:
            create, code, note = code_offer(
                NAME, reward.offer, ctx.now, recipient, f"reward:{reward.spend}", event
            )
            gift = plan_marketing(
                NAME,
                ctx.store,
                ctx.now,
                settings,
                recipient,
                # a reward is sent even when the tier thank-you used today's cap
                {**standing.contact, "sends": []} if messages else standing.contact,
                Offer(
                    headline="A thank-you from us",
                    intro=f"you have spent over {reward.spend} {ctx.store.currency} with us: "
                    "here is a reward.",
                    sms=f"{ctx.store.display_name}: a reward for you.",
                    code=code,
                    code_note=note,
                ),
                f"reward:{customer.id}:{reward.spend}",
                [
                    a.model_copy(update={"once_per": f"reward-code:{customer.id}:{reward.spend}"})
                    for a in create
                ],
            )
            messages += gift
            if gift.reason:
                notes.append(f"reward {reward.spend}: {gift.reason}")
    actions += messages
    if not actions:
        return nothing("; ".join(notes) + " (tags already current)")
    return Decision(actions, "; ".join(notes))


LOYALTY_TIERS: Automation[Order | Refund, LoyaltySettings, Standing] = Automation(
    name=NAME,
    description="Tier customers by lifetime spend and orders (net of refunds): tier tags up and down, "
    "a thank-you on a higher tier, a single-use code once per spend threshold",
    topics=frozenset({Topic.ORDER_CREATED, Topic.ORDER_CANCELLED, Topic.REFUND_CREATED}),
    settings_model=LoyaltySettings,
    takes=(Order, Refund),
    run=update_tier,
    load=_standing,
    reads=frozenset({"refund", "order", "customer"}),
    default_enabled=False,
)
