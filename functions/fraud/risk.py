"""Risk score: every new order gets an explainable score (signals.py); the store's bands decide what
happens: tag and note (review), hold fulfillment, tell the fraud team, and, opt-in, cancel and
refund. An order is scored on orders/create and scored again when its card checks
(order_transactions/create) or the platform's risk level (orders/risk_assessment_changed) arrive
later; each action is taken at most once per order, however often its webhooks repeat (`once_per`).
"""

from __future__ import annotations

from typing import Any

from functions.fraud.facts import RISK_SCORE, RiskInput, risk_input
from functions.fraud.models import RiskSettings, StaffAlert
from functions.fraud.money import cancel_with_refund
from functions.fraud.signals import Score, risk_score
from storekit.actions import (
    Action,
    AddOrderNote,
    AddTags,
    HoldFulfillment,
    staff_notice,
)
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.models import Order, RiskAssessment, Transaction
from storekit.store import StoreConfig


def order_link(store: StoreConfig, order_id: str) -> str:
    """The order in the store's admin."""
    if store.platform == "shopify":
        return f"https://{store.shop_domain}/admin/orders/{order_id}"
    return f"{store.shop_domain.rstrip('/')}/wp-admin/post.php?post={order_id}&action=edit"


def order_label(order: Order) -> str:
    return f"order {order.name or order.id}"


def staff_alert(heading: str, body: str, settings: StaffAlert, once: str) -> tuple[list[Action], str | None]:
    """The fraud team's Slack post and/or email; why none when both are off."""
    out = staff_notice(heading, body, settings, once)
    return out, None if out else "staff alerts are off (settings slack, email)"


def band_actions(
    order: Order, score: Score, settings: RiskSettings, store: StoreConfig
) -> tuple[list[Action], list[str]]:
    """What the score's band does, and what it left out (and why)."""
    once = f"fraud:{order.id}"
    actions: list[Action] = []
    left_out: list[str] = []
    reasons = "\n".join(f"- {s.line()}" for s in score.signals)
    missing = "\n".join(f"- {m}" for m in score.unavailable)
    if score.total < settings.review_at:
        return actions, left_out
    actions.append(AddTags(resource="order", resource_id=order.id, tags=[settings.review_tag], once_per=once))
    if settings.add_note:
        note = f"storeflow risk score {score.total}/100:\n{reasons}"
        if missing:
            note += f"\nNot judged:\n{missing}"
        actions.append(AddOrderNote(order_id=order.id, note=note[:4000], once_per=once))
    if score.total >= settings.hold_at:
        if settings.hold_fulfillment:
            notes = f"storeflow risk score {score.total}: " + ", ".join(s.name for s in score.signals)
            actions.append(
                HoldFulfillment(order_id=order.id, reason="fraud", notes=notes[:256], once_per=once)
            )
        else:
            left_out.append("holding fulfillment is off (setting hold_fulfillment)")
    if score.total >= settings.alert_at:
        heading = f"Risky {order_label(order)}: score {score.total}/100"
        body = f"{reasons}\n{order_link(store, order.id)}"
        alerts, why = staff_alert(heading, body, settings, once)
        actions += alerts
        if why:
            left_out.append(why)
    if score.total >= settings.cancel_at:
        if settings.cancel_and_refund:
            cancel, no_refund = cancel_with_refund(
                store,
                order,
                refund_reason="fraud",
                cancel_reason="fraud",
                note=f"storeflow risk score {score.total}/100: cancelled",
                staff_note=f"storeflow risk score {score.total}/100",
                once_per=once,
            )
            actions += cancel
            if no_refund:
                left_out.append(no_refund)
        else:
            left_out.append(
                f"score is at or above cancel_at {settings.cancel_at}, but cancelling is off "
                "(setting cancel_and_refund)"
            )
    return actions, left_out


def risk(resource: Order | Transaction | RiskAssessment, ctx: Context[RiskSettings, RiskInput]) -> Decision:
    found = ctx.related
    order = found.order
    if order is None or found.missing:
        return nothing(found.missing or "no order to score")
    if order.cancelled_at is not None or order.status == "cancelled":
        return nothing(f"{order_label(order)} is already cancelled: not scored")
    score = risk_score(order, found.facts, ctx.settings)
    actions, left_out = band_actions(order, score, ctx.settings, ctx.store)
    lead = f"{found.rescore}: " if found.rescore else ""
    explained = lead + score.explain()
    if not actions:
        return nothing(f"{explained}. Below review_at {ctx.settings.review_at}: no action")
    tail = f". Left out: {'; '.join(left_out)}" if left_out else ""
    return Decision(actions, explained + tail)


RISK: Automation[Order | Transaction | RiskAssessment, RiskSettings, Any] = Automation(
    name=RISK_SCORE,
    description="Score every new order's fraud risk with explained signals, then tag, note, hold, alert "
    "(and opt-in cancel) by score band",
    topics=frozenset({Topic.ORDER_CREATED, Topic.TRANSACTION_CREATED, Topic.ORDER_RISK_CHANGED}),
    settings_model=RiskSettings,
    takes=(Order, Transaction, RiskAssessment),
    run=risk,
    load=risk_input,
    #: shipments and refunds are kept for the fraud report (what became of a scored order)
    reads=frozenset({"order", "transaction", "dispute", "fulfillment", "refund"}),
)
