"""Sales counters kept as orders, refunds and cancellations arrive: what the sales, top-products and
donations reports read (O(days), never O(orders)).

Each order keeps a marker (the domain's part, LEDGER_PART, of the order's ledger:
storekit.keys.order_ledger; an order counted before the ledger is read from its old marker,
storekit.keys.report_marker, until its part is written) with its facts: the newest version of the
order seen (lines, channel, day, whether it is a sale, when it was cancelled), every refund seen
(by id, with its day), and the tips setting it was counted with (what the counters hold of it is
the contribution of those facts: worked out again, not kept). Each delivery merges its facts
in, works out the contribution again and adds only the difference, in one transaction conditional
on the marker's version. Merging is the same whatever the order and repetition of deliveries (the
newest order version wins, a refund counts once per id, a cancellation stays), so the counters end
the same too (tests/unit/test_report_counting.py proves it with hypothesis).

Where amounts land: an order's sales on the store-local day it was placed; a refund's on the day it
was made; a cancellation takes off what was not refunded on the day it was cancelled. Donation lines
(by SKU, product tag or product type, settings of the `reports` automation) and tips are counted as
donations, apart from sales. Amounts are exact Decimals in the store's currency; an order in another
currency is counted (orders_other_currency) but its amounts are left out, never mixed in.

Counter attributes per store-day, bucket `totals`: orders, units, gross, discounts, refunds,
refunded_units, cancelled_orders, cancelled, net, donations, tips, orders_other_currency, and per
sales channel `ch:{channel}|orders`, `ch:{channel}|net`; bucket `products` (and, for the lines of an
order beyond the 50th, overflow buckets `products#{0..7}`): `{product}/{variant}|units`,
`{product}/{variant}|revenue` (net) and a `{product}/{variant}|title` label. A report over N days
reads about 2N items, however many orders there were.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.reports.settings import DonationRules, ReportSettings
from storekit import keys
from storekit.adapters import resource_from_json
from storekit.automation import AppliedEvent
from storekit.errors import CountingBusy
from storekit.models import Order, Product, Refund
from storekit.payload_store import decompress
from storekit.repository.reports import CounterChange
from storekit.snapshots import POINTER
from storekit.store import StoreConfig

ZERO = Decimal(0)
#: a day's product counters live in one item; lines of an order beyond this many go to overflow
#: items (one of PRODUCT_SHARDS), so one update stays within DynamoDB's 4 KB expression limit
LINES_IN_DAY_ITEM = 50
PRODUCT_SHARDS = 8
TOTALS = "totals"
PRODUCTS = "products"
#: order statuses that are not (or no longer) a sale (WooCommerce; Shopify says cancelled_at)
NOT_A_SALE = frozenset({"failed", "trash", "pending", "checkout-draft", "draft"})
CANCELLED = frozenset({"cancelled", "refunded"})
#: a marker changed by another worker between read and write is read again this many times
ATTEMPTS = 6
#: the reports' part of each order's ledger (storekit.repository.counted)
LEDGER_PART = "reports"


def products_bucket(product_key: str, index: int) -> str:
    """The day's products item, or for the lines of a very big order an overflow item."""
    if index < LINES_IN_DAY_ITEM:
        return PRODUCTS
    shard = int(hashlib.sha256(product_key.encode()).hexdigest()[:4], 16) % PRODUCT_SHARDS
    return f"{PRODUCTS}#{shard}"


def store_day(at: datetime | None, store: StoreConfig, fallback: datetime) -> str:
    return (at or fallback).astimezone(ZoneInfo(store.timezone)).date().isoformat()


def channel_of(order: Order) -> str:
    """The sales channel: Shopify source_name (web, pos, shopify_draft_order, an app id),
    WooCommerce's attribution source type (or "web")."""
    text = (order.source_name or order.attribution_source_type or "web").strip().lower()
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)[:40] or "web"


# --- the facts of one order ---------------------------------------------------------------------


def order_facts(order: Order, store: StoreConfig, now: datetime, donation_lines: set[str]) -> dict[str, Any]:
    """What the counters need of one version of an order (stored in its marker: amounts as text)."""
    lines = []
    for index, line in enumerate(order.line_items):
        line_id = line.id or f"line-{index}"
        quantity = max(0, int(line.quantity))
        gross = (line.price or ZERO) * quantity
        lines.append(
            {
                "id": line_id,
                "key": f"{line.product_id or '-'}/{line.variant_id or line.product_id or '-'}",
                "title": _title(line.title, line.variant_title),
                "qty": quantity,
                "gross": str(gross),
                "discount": str(line.total_discount or ZERO),
                "donation": line_id in donation_lines,
            }
        )
    status = (order.status or "").lower()
    foreign = bool(order.currency) and order.currency != store.currency
    cancelled = order.cancelled_at is not None or status in CANCELLED
    return {
        "updated_at": order.updated_at.isoformat() if order.updated_at else "",
        "day": store_day(order.created_at, store, now),
        "sale": status not in NOT_A_SALE and not order.test,
        "foreign": foreign,
        "cancel_day": store_day(order.cancelled_at, store, now) if cancelled else None,
        "channel": channel_of(order),
        "lines": lines,
        "tip": str(order.total_tip or ZERO),
    }


def _title(title: str | None, variant: str | None) -> str:
    text = title or "(untitled)"
    if variant and variant != "Default Title":
        text += f" - {variant}"
    return text[:200]


def refund_facts(refund: Refund, store: StoreConfig, now: datetime) -> dict[str, Any]:
    lines = [
        {
            "id": line.line_item_id or "",
            "qty": max(0, int(line.quantity)),
            # older payloads leave the amount out: the order's own line price is used then
            "amount": "" if line.subtotal is None else str(line.subtotal),
        }
        for line in refund.refund_line_items
    ]
    return {"day": store_day(refund.created_at, store, now), "lines": lines, "total": str(refund.total)}


def merged(
    facts: dict[str, Any], *, order: dict[str, Any] | None = None, refunds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The facts with a newer order version and new refunds merged in (commutative, idempotent)."""
    out = dict(facts)
    if order is not None:
        known = out.get("order")
        if known is None or _newer(order, known):
            cancel_day = _earliest(order.get("cancel_day"), known.get("cancel_day") if known else None)
            out["order"] = {**order, "cancel_day": cancel_day}
        elif order.get("cancel_day"):
            out["order"] = {**known, "cancel_day": _earliest(order["cancel_day"], known.get("cancel_day"))}
    if refunds:
        known_refunds = dict(out.get("refunds") or {})
        for refund_id, refund in refunds.items():
            if refund_id not in known_refunds or refund["day"] < known_refunds[refund_id]["day"]:
                known_refunds[refund_id] = refund
        out["refunds"] = known_refunds
    return out


def _newer(candidate: dict[str, Any], known: dict[str, Any]) -> bool:
    """A version is newer by updated_at; between equal times the greater content wins (so the
    choice does not depend on which came first)."""
    a, b = candidate.get("updated_at") or "", known.get("updated_at") or ""
    if a != b:
        return bool(a > b)
    return repr(sorted(candidate.items())) > repr(sorted(known.items()))


def _earliest(a: str | None, b: str | None) -> str | None:
    days = [d for d in (a, b) if d]
    return min(days) if days else None


# --- what the counters hold of one order ---------------------------------------------------------

Contribution = dict[str, dict[str, Decimal]]  # "{day}|{bucket}" -> attribute -> amount


def contribution(
    facts: dict[str, Any], tips_are_donations: bool = True
) -> tuple[Contribution, dict[str, dict[str, str]]]:
    """(amounts per day and bucket, titles per products bucket) this order's facts put in the counters."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    order = facts.get("order")
    refunds: dict[str, Any] = facts.get("refunds") or {}

    def add(day: str, bucket: str, attr: str, amount: Decimal | int) -> None:
        if amount:
            out[f"{day}|{bucket}"][attr] += Decimal(amount)

    if order is None:  # refunds of an order storeflow has not received: money back, on their days
        for refund in refunds.values():
            amount = _refund_amount(refund)
            add(refund["day"], TOTALS, "refunds", amount)
            add(refund["day"], TOTALS, "net", -amount)
        return _clean(out), dict(labels)
    if not order["sale"]:
        return {}, {}
    day = order["day"]
    if order["foreign"]:
        add(day, TOTALS, "orders_other_currency", 1)
        return _clean(out), {}
    channel = order["channel"]
    lines = {line["id"]: line for line in order["lines"]}
    bucket_of = {line["id"]: products_bucket(line["key"], i) for i, line in enumerate(order["lines"])}
    remaining = {line_id: (line["qty"], _net(line)) for line_id, line in lines.items()}

    add(day, TOTALS, "orders", 1)
    add(day, TOTALS, f"ch:{channel}|orders", 1)
    for line in order["lines"]:
        net = _net(line)
        if line["donation"]:
            add(day, TOTALS, "donations", net)
            continue
        bucket = bucket_of[line["id"]]
        add(day, TOTALS, "units", line["qty"])
        add(day, TOTALS, "gross", Decimal(line["gross"]))
        add(day, TOTALS, "discounts", Decimal(line["discount"]))
        add(day, TOTALS, "net", net)
        add(day, TOTALS, f"ch:{channel}|net", net)
        add(day, bucket, f"{line['key']}|units", line["qty"])
        add(day, bucket, f"{line['key']}|revenue", net)
        labels[f"{day}|{bucket}"][f"{line['key']}|title"] = line["title"]
    tip = Decimal(order["tip"])
    add(day, TOTALS, "tips" if tips_are_donations else "net", tip)

    for refund_id in sorted(refunds):
        refund = refunds[refund_id]
        on = refund["day"]
        for refunded in refund["lines"]:
            line = lines.get(refunded["id"])
            amount = _line_refund(refunded, line)
            if line is None:
                add(on, TOTALS, "refunds", amount)
                add(on, TOTALS, "net", -amount)
                continue
            qty_left, net_left = remaining[line["id"]]
            remaining[line["id"]] = (max(0, qty_left - refunded["qty"]), net_left - amount)
            if line["donation"]:
                add(on, TOTALS, "donations", -amount)
                continue
            bucket = bucket_of[line["id"]]
            add(on, TOTALS, "refunds", amount)
            add(on, TOTALS, "refunded_units", min(qty_left, refunded["qty"]))
            add(on, TOTALS, "net", -amount)
            add(on, TOTALS, f"ch:{channel}|net", -amount)
            add(on, bucket, f"{line['key']}|units", -min(qty_left, refunded["qty"]))
            add(on, bucket, f"{line['key']}|revenue", -amount)
        if not refund["lines"]:  # an amount-only refund (shipping, a goodwill gesture)
            amount = Decimal(refund["total"])
            add(on, TOTALS, "refunds", amount)
            add(on, TOTALS, "net", -amount)
            add(on, TOTALS, f"ch:{channel}|net", -amount)

    cancel_day = order.get("cancel_day")
    if cancel_day:
        add(cancel_day, TOTALS, "cancelled_orders", 1)
        for line_id, (qty_left, net_left) in remaining.items():
            line = lines[line_id]
            left = max(ZERO, net_left)
            if line["donation"]:
                add(cancel_day, TOTALS, "donations", -left)
                continue
            bucket = bucket_of[line["id"]]
            add(cancel_day, TOTALS, "cancelled", left)
            add(cancel_day, TOTALS, "net", -left)
            add(cancel_day, TOTALS, f"ch:{channel}|net", -left)
            add(cancel_day, bucket, f"{line['key']}|units", -qty_left)
            add(cancel_day, bucket, f"{line['key']}|revenue", -left)
        add(cancel_day, TOTALS, "tips" if tips_are_donations else "net", -tip)
    return _clean(out), dict(labels)


def _net(line: dict[str, Any]) -> Decimal:
    return Decimal(line["gross"]) - Decimal(line["discount"])


def _line_refund(refunded: dict[str, Any], line: dict[str, Any] | None) -> Decimal:
    """A refunded line's amount: as the refund says, else its share of the order line's net."""
    if refunded["amount"] != "":
        return Decimal(refunded["amount"])
    if line is None or not line["qty"]:
        return ZERO
    return _net(line) * min(refunded["qty"], line["qty"]) / line["qty"]


def _refund_amount(refund: dict[str, Any]) -> Decimal:
    """What a refund of an order not received yet gives back: its lines' amounts, else its total."""
    if refund["lines"] and all(line["amount"] != "" for line in refund["lines"]):
        return sum((Decimal(line["amount"]) for line in refund["lines"]), ZERO)
    return Decimal(refund["total"])


def _clean(out: dict[str, dict[str, Decimal]]) -> Contribution:
    return {
        where: {a: v for a, v in attrs.items() if v} for where, attrs in out.items() if any(attrs.values())
    }


def changes_between(before: Contribution, after: Contribution) -> dict[str, dict[str, Decimal]]:
    """What to ADD to the counters so they hold `after` instead of `before`."""
    delta: dict[str, dict[str, Decimal]] = {}
    for where in set(before) | set(after):
        old, new = before.get(where, {}), after.get(where, {})
        attrs = {a: new.get(a, ZERO) - old.get(a, ZERO) for a in set(old) | set(new)}
        attrs = {a: v for a, v in attrs.items() if v}
        if attrs:
            delta[where] = attrs
    return delta


# --- the kept-after hook -------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """An order's marker: its facts, and what the counters hold of it. That is the contribution of
    its facts with the tips setting it was counted with (`tips`, kept instead of the contribution
    itself: half the marker, which is written in a transaction on every change of the order)."""

    facts: dict[str, Any]
    held: Contribution
    #: None: no part in the ledger yet (its first write is conditional on none being there)
    version: int | None
    #: whether the order has a marker (in the ledger, or an old one of before the ledger)
    found: bool = True

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> Marker:
        if item is None:
            return cls({}, {}, None, found=False)
        facts = _plain(item.get("facts") or {})
        if "held" in item:  # a marker written before the tips setting was kept instead
            held = {
                where: {a: Decimal(str(v)) for a, v in attrs.items()}
                for where, attrs in (item.get("held") or {}).items()
            }
        else:
            held = contribution(facts, bool(item.get("tips", True)))[0]
        return cls(facts, held, int(item["version"]) if "version" in item else None)


def _plain(value: Any) -> Any:
    """A marker as read back (DynamoDB numbers are Decimals): ints where they were ints."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value)
    return value


def rules_of(store: StoreConfig) -> DonationRules:
    return ReportSettings.model_validate(store.automation("reports").settings).donations


def keep_report_counts(applied: AppliedEvent) -> None:
    """Count an order, a refund or a cancellation into the sales counters, exactly once."""
    resource = applied.parsed.resource
    store = applied.store
    if isinstance(resource, Order):
        order_id = resource.id
    elif isinstance(resource, Refund) and resource.order_id:
        order_id = resource.order_id
    else:
        return
    if not store.automation("reports").enabled:
        return
    rules = rules_of(store)
    new_order: dict[str, Any] | None = None
    new_refunds: dict[str, Any] = {}
    if isinstance(resource, Order):
        new_order = order_facts(resource, store, applied.now, donation_lines(resource, rules, applied))
        for refund in resource.refunds:
            if refund.id:
                new_refunds[refund.id] = refund_facts(refund, store, applied.now)
    elif isinstance(resource, Refund) and resource.id:
        new_refunds[resource.id] = refund_facts(resource, store, applied.now)
    legacy = keys.report_marker(store.store_id, order_id)
    for _ in range(ATTEMPTS):
        part = applied.repo.ledger_part(store.store_id, order_id, LEDGER_PART, legacy)
        marker = Marker.from_item(part)
        facts = merged(marker.facts, order=new_order, refunds=new_refunds)
        if facts == marker.facts and marker.found:
            return
        held, labels = contribution(facts, rules.tips)
        delta = changes_between(marker.held, held)
        changes = []
        for where in sorted(set(delta) | set(labels)):
            day, bucket = where.split("|", 1)
            changes.append(
                CounterChange(
                    keys.sales_day(store.store_id, day, bucket), delta.get(where, {}), labels.get(where, {})
                )
            )
        item = {"facts": facts, "tips": rules.tips}
        if applied.repo.apply_order_counted(
            store.store_id, order_id, LEDGER_PART, item, marker.version, changes
        ):
            return
    raise CountingBusy(f"order {order_id}'s report counts changed under each of {ATTEMPTS} tries")


def donation_lines(order: Order, rules: DonationRules, applied: AppliedEvent) -> set[str]:
    """Ids of the order's lines the store counts as donations."""
    out: set[str] = set()
    skus = {s.strip().lower() for s in rules.skus}
    tags = {t.strip().lower() for t in rules.tags}
    types = {t.strip().lower() for t in rules.product_types}
    for index, line in enumerate(order.line_items):
        line_id = line.id or f"line-{index}"
        if line.sku and line.sku.strip().lower() in skus:
            out.add(line_id)
        elif (tags or types) and line.product_id:
            product = _product(applied, line.product_id)
            if product is not None and (
                {t.lower() for t in product.tags} & tags or (product.product_type or "").lower() in types
            ):
                out.add(line_id)
    return out


def _product(applied: AppliedEvent, product_id: str) -> Product | None:
    blob = applied.repo.entity_snapshot(applied.store.store_id, "product", product_id)
    if blob is None or blob.startswith(POINTER):
        return None
    found = resource_from_json(decompress(blob))
    return found if isinstance(found, Product) else None
