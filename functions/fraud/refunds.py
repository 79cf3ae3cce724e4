"""Refund rules: money back for an order cancelled before anything shipped, as a refund or, for the
cancel reasons the store chooses, as store credit. Off by default (money moves only when the store
turns `refund_cancelled_unfulfilled` on); with it off, or in dry-run, the run says what it would do.

Every money movement is once per order and reason: its outbox key comes from `once_per`
("money:{order}:{reason}"), the Shopify refund carries a deterministic `@idempotent` key, the
WooCommerce store-credit coupon a deterministic code, and each movement is recorded with its reason
(`keep_money_movement`, on the order's partition) so a later delivery, or another automation's
cancel, never moves the same money twice. Amounts are Decimal, from the order's own totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.fraud.money import (
    cancel_reason,
    captured_amount,
    credit_code,
    fulfilled_anything,
    is_cancelled,
    refund_action,
)
from functions.fraud.risk import order_label
from storekit import actions as a
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, Reader, SettledAction, nothing
from storekit.models import Order

REFUND_RULES = "refund-rules"
#: the reason a cancelled-before-fulfillment refund is recorded under
CANCELLED_UNFULFILLED = "cancelled-before-fulfillment"
#: Shopify's cancel reasons (lower case); WooCommerce sends none: its cancellations count as "other".
#: "fraud" is left out on purpose: a fraudulent buyer is refunded, never given credit to spend.
CreditReason = Literal["customer", "inventory", "declined", "other", "staff"]


class RefundSettings(BaseModel):
    """`refund-rules`: what happens to the money of an order cancelled before it shipped."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: refund (or credit) an order cancelled with nothing fulfilled and money still captured
    refund_cancelled_unfulfilled: bool = False
    #: cancel reasons that get store credit instead of a refund (Shopify cancel_reason; WooCommerce: other)
    store_credit_reasons: list[CreditReason] = Field(default_factory=list, max_length=5)
    #: store credit expires this many days after it is issued (none: never)
    store_credit_expires_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    #: Shopify: tell the customer about the refund (WooCommerce's gateway decides)
    notify_customer: bool = False


@dataclass(frozen=True)
class MoneyMoved:
    """The order's money movements storeflow already recorded (read before deciding: one Query)."""

    movements: list[dict[str, Any]] = field(default_factory=list)


def load_movements(order: Order, read: Reader) -> MoneyMoved:
    if not is_cancelled(order):
        return MoneyMoved()  # nothing to decide: no read
    return MoneyMoved(read.repo.money_movements(read.store_id, order.id))


def refund_rule(order: Order, ctx: Context[RefundSettings, MoneyMoved]) -> Decision:
    label = order_label(order)
    if not is_cancelled(order):
        return nothing(f"{label} is not cancelled: no refund rule applies")
    if fulfilled_anything(order):
        return nothing(
            f"{label} was (partly) fulfilled before it was cancelled: its refund is staff's to decide"
        )
    amount, why = captured_amount(order)
    if why:
        return nothing(f"{label} was cancelled before fulfillment, but {why}: nothing to give back")
    done = [m for m in ctx.related.movements if m.get("status") in ("planned", "done", "sending")]
    if done:
        first = done[0]
        money = f"{first.get('amount')} {first.get('currency') or ''}".strip()
        return nothing(
            f"{label}: storeflow already recorded {first.get('kind', 'a money movement')} of {money} "
            f"({first.get('reason')}, {first.get('status')}): money moves once per order"
        )
    settings = ctx.settings
    store = ctx.store
    currency = order.currency or store.currency or ""
    reason = cancel_reason(order)
    left_out: list[str] = []
    action: a.Action
    if reason in settings.store_credit_reasons:
        customer_id = order.customer.id if order.customer and order.customer.id else None
        email = order.email or (order.customer.email if order.customer else None)
        who_known = customer_id if store.platform == "shopify" else email
        if who_known and currency:
            expires = (
                ctx.now + timedelta(days=settings.store_credit_expires_days)
                if settings.store_credit_expires_days
                else None
            )
            action = a.IssueStoreCredit(
                order_id=order.id,
                amount=amount,
                currency=currency,
                reason=CANCELLED_UNFULFILLED,
                customer_id=customer_id,
                email=email,
                code=credit_code(store.store_id, order.id, CANCELLED_UNFULFILLED),
                expires_at=expires,
                note=f"store credit for {label}, cancelled before fulfillment ({reason})",
                once_per=f"money:{order.id}:{CANCELLED_UNFULFILLED}",
            )
            what = (
                f"issue {amount} {currency} store credit (cancel reason {reason} is in store_credit_reasons)"
            )
        else:
            left_out.append("store credit needs a known customer: refunded instead")
            action = refund_action(
                store,
                order,
                amount,
                CANCELLED_UNFULFILLED,
                f"{label} cancelled before fulfillment",
                settings.notify_customer,
            )
            what = f"refund {amount} {currency}".rstrip()
    else:
        action = refund_action(
            store,
            order,
            amount,
            CANCELLED_UNFULFILLED,
            f"{label} cancelled before fulfillment ({reason})",
            settings.notify_customer,
        )
        what = f"refund {amount} {currency}".rstrip()
    lead = f"{label} was cancelled ({reason}) before fulfillment with {amount} {currency} captured".replace(
        "  ", " "
    )
    if not settings.refund_cancelled_unfulfilled:
        return nothing(
            f"{lead}: would {what}; money moves only when the store turns refund_cancelled_unfulfilled on"
        )
    tail = f". Left out: {'; '.join(left_out)}" if left_out else ""
    return Decision([action], f"{lead}: {what}{tail}")


# --- kept after an action settles: the money movement, with its reason ---------------------------
def keep_money_movement(settled: SettledAction) -> None:
    """Record each refund and store credit (planned in dry-run, done or failed live) on the order,
    under its reason: what the next decision reads so money never moves twice."""
    action = settled.action
    if isinstance(action, a.CancelOrder):
        # Shopify's orderCancel refunds as it cancels: the same money, recorded the same way
        if not action.refund or settled.store.platform != "shopify" or action.amount is None:
            return
        reason = f"cancel-{action.reason}"
    elif isinstance(action, a.RefundOrder | a.IssueStoreCredit):
        reason = action.reason
    else:
        return
    settled.repo.record_money_movement(
        settled.store.store_id,
        action.order_id,
        reason,
        {
            "kind": action.kind,
            "amount": action.amount,
            "currency": action.currency or "",
            "reason": reason,
            "automation": settled.automation,
            "recorded_at": settled.now.isoformat(),
            "status": settled.status,
        },
    )


REFUND_RULE: Automation[Order, RefundSettings, MoneyMoved] = Automation(
    name=REFUND_RULES,
    description="Refund an order cancelled before fulfillment (or give store credit for chosen cancel "
    "reasons); off until the store turns refund_cancelled_unfulfilled on; never twice",
    topics=frozenset({Topic.ORDER_CANCELLED, Topic.ORDER_UPDATED}),
    settings_model=RefundSettings,
    takes=(Order,),
    run=refund_rule,
    load=load_movements,
)
