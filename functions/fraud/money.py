"""Money movements of the fraud domain (refunds, store credit): their deterministic keys, the
amount an order has captured and not given back, and the refund a WooCommerce fraud cancel needs.
Pure: no reads, no calls."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from storekit import actions as a
from storekit.models import Order
from storekit.store import StoreConfig

_CAPTURED = frozenset({"paid", "partially_paid", "partially_refunded"})


def money_key(store_id: str, order_id: str, reason: str) -> str:
    """The deterministic idempotency key of one money movement (same order and reason: same key)."""
    digest = hashlib.sha256(f"{store_id}\x1f{order_id}\x1f{reason}".encode()).hexdigest()[:32]
    return f"storeflow-{digest}"


def credit_code(store_id: str, order_id: str, reason: str) -> str:
    """The WooCommerce store-credit coupon's code: derived from the order and reason, so the same
    credit twice is refused by WooCommerce as a duplicate code."""
    digest = hashlib.sha256(f"{store_id}\x1f{order_id}\x1f{reason}".encode()).hexdigest()[:8].upper()
    ident = "".join(ch for ch in order_id if ch.isalnum()).upper()[-20:]
    return f"CREDIT-{ident}-{digest}"


def refunded_so_far(order: Order) -> Decimal:
    return sum((r.total for r in order.refunds), Decimal("0"))


def captured_amount(order: Order) -> tuple[Decimal, str | None]:
    """Money taken for the order and not given back; with why it is none."""
    if order.total is None:
        return Decimal("0"), "the order carries no total"
    status = (order.financial_status or "").lower()
    woo_paid = order.paid_at is not None and status in ("voided", "paid", "partially_refunded")
    if status not in _CAPTURED and not woo_paid:
        if status == "refunded":
            return Decimal("0"), "it is refunded already"
        return Decimal("0"), f"no money was captured (financial status {status or 'unknown'})"
    left = order.total - refunded_so_far(order)
    if left <= 0:
        return Decimal("0"), "it is refunded already"
    return left, None


def fulfilled_anything(order: Order) -> bool:
    status = (order.fulfillment_status or "").lower()
    return bool(order.fulfillments) or status in ("fulfilled", "partial", "shipped")


def is_cancelled(order: Order) -> bool:
    return order.cancelled_at is not None or (order.status or "").lower() == "cancelled"


def cancel_reason(order: Order) -> str:
    return (order.cancel_reason or "other").lower()


def refund_action(
    store: StoreConfig, order: Order, amount: Decimal, reason: str, note: str, notify: bool = False
) -> a.RefundOrder:
    return a.RefundOrder(
        order_id=order.id,
        amount=amount,
        currency=order.currency,
        reason=reason,
        note=note[:255],
        idempotency_key=money_key(store.store_id, order.id, reason),
        notify=notify,
        once_per=f"money:{order.id}:{reason}",
    )


def woo_cancel_refund(
    store: StoreConfig, order: Order, reason: str, note: str
) -> tuple[list[a.Action], str | None]:
    """A fraud cancel on WooCommerce: the status call only cancels, so the refund is its own money
    movement (once per order and reason). None/why when there is nothing captured to refund."""
    if store.platform != "woocommerce":
        return [], None
    amount, why = captured_amount(order)
    if why:
        return [], f"no refund: {why}"
    return [refund_action(store, order, amount, reason, note)], None


def cancel_with_refund(
    store: StoreConfig,
    order: Order,
    *,
    refund_reason: str,
    cancel_reason: str,
    note: str,
    staff_note: str,
    once_per: str,
) -> tuple[list[a.Action], str | None]:
    """Cancel the order for `cancel_reason` (Shopify refunds in the same call); on WooCommerce first
    the refund of what was captured (its status call only cancels). With why the refund was left out."""
    refund, no_refund = woo_cancel_refund(store, order, refund_reason, note)
    cancel = a.CancelOrder(
        order_id=order.id,
        reason=cancel_reason,
        amount=order.current_total if order.current_total is not None else order.total,
        currency=order.currency,
        staff_note=staff_note[:255],
        once_per=once_per,
    )
    return [*refund, cancel], no_refund
