"""Retention cohorts kept as orders arrive: customers by the month of their first order, and how
many of them ordered again (the repeat-customer rate), read from one counter item per month.

Each customer (by platform customer id, else email, hashed: no personal data in keys) keeps a
marker with their two earliest orders (month, order id). That is all a cohort needs: the first
month is the earlier one, and a customer repeats once two different orders are known. Keeping the
two earliest is exact whatever the order of deliveries (a later order never changes either), and a
redelivered order changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.reports.counting import ATTEMPTS, NOT_A_SALE
from storekit import keys
from storekit.automation import AppliedEvent
from storekit.errors import CountingBusy
from storekit.models import Order
from storekit.repository.reports import CounterChange

ZERO = Decimal(0)


def customer_of(order: Order) -> str | None:
    if order.customer and order.customer.id:
        return f"id:{order.customer.id}"
    email = order.email or (order.customer.email if order.customer else None)
    return f"email:{email.strip().lower()}" if email else None


def earliest_two(known: list[list[str]], month: str, order_id: str) -> list[list[str]]:
    entries = {tuple(e) for e in known} | {(month, order_id)}
    by_order: dict[str, str] = {}
    for m, oid in sorted(entries):
        by_order.setdefault(oid, m)  # one order counts once, at its earliest month
    return sorted(([m, oid] for oid, m in by_order.items()))[:2]


def cohort_of(first_two: list[list[str]]) -> dict[str, dict[str, Decimal]]:
    """month -> {customers, repeat_customers} this customer adds to the cohort counters."""
    if not first_two:
        return {}
    month = first_two[0][0]
    return {month: {"customers": Decimal(1), "repeat_customers": Decimal(1 if len(first_two) > 1 else 0)}}


def keep_cohorts(applied: AppliedEvent) -> None:
    order = applied.parsed.resource
    if not isinstance(order, Order) or order.test or (order.status or "").lower() in NOT_A_SALE:
        return
    store = applied.store
    customer = customer_of(order)
    if customer is None or not store.automation("reports").enabled:
        return
    month = (order.created_at or applied.now).astimezone(ZoneInfo(store.timezone)).strftime("%Y-%m")
    key = keys.report_customer(store.store_id, customer)
    for _ in range(ATTEMPTS):
        item = applied.repo.report_customer(store.store_id, customer)
        known: list[list[str]] = [list(map(str, e)) for e in (item or {}).get("first_two", [])]
        first_two = earliest_two(known, month, order.id)
        if item is not None and first_two == known:
            return
        before, after = cohort_of(known), cohort_of(first_two)
        changes = []
        for cohort in sorted(set(before) | set(after)):
            old, new = before.get(cohort, {}), after.get(cohort, {})
            adds = {a: new.get(a, ZERO) - old.get(a, ZERO) for a in ("customers", "repeat_customers")}
            adds = {a: v for a, v in adds.items() if v}
            if adds:
                changes.append(CounterChange(keys.cohort_month(store.store_id, cohort), adds))
        version = int(item["version"]) if item is not None else None
        record: dict[str, Any] = {"type": keys.REPORT_CUSTOMER, "first_two": first_two}
        if applied.repo.apply_counted(store.store_id, key, record, version, changes):
            return
    raise CountingBusy(f"order {order.id}'s customer cohort changed under each of {ATTEMPTS} tries")
