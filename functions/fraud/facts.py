"""What the risk score reads before deciding, and what the fraud domain keeps after each event.

Kept after (hooks, idempotent: stream records repeat):
- order created: the order in the velocity counters of its email, IP, card and shipping address
  (an attribute per order in the window's item: the same order again counts once; a window keeps
  its velocity_max_orders + 1 earliest and latest orders, which decide the signal exactly, so a
  flood from one IP keeps the item under a KB: FraudRepository.note_velocity) and its value in
  the store's running sum (once per order: the domain's part of the order's ledger, written with the
  sum in one transaction, summed over a stream batch: functions.fraud.outcomes.count_new_order);
- transaction created (Shopify order_transactions/create): its AVS/CVV results and card (BIN, last
  four) on the order's fraud facts, and the card's velocity counter;
- risk assessment changed: the platform's risk level on the order's fraud facts;
- dispute created (a chargeback): the order's email, IP, card and address flagged, so later orders
  that share one score higher (`chargeback_history`).

Read before (loader): one BatchGetItem of the order's fraud facts, the store's running sum, the
velocity windows (this one and the one before) and the flags of the order's email, IP, card and
address (a second, of the card's, when only a transaction that came first knew the card). A
transaction or risk event reads the order's snapshot first: at most 3 reads per score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from functions.fraud.models import RiskSettings
from functions.fraud.signals import Facts, card_of, identities
from storekit import keys
from storekit.automation import AppliedEvent, ForgottenCustomer, Reader
from storekit.models import Dispute, Order, PaymentDetails, RiskAssessment, Transaction
from storekit.observability import logger
from storekit.repository.fraud import VELOCITY_KEPT
from storekit.store import StoreConfig

RISK_SCORE = "risk-score"
#: velocity items outlive their window by a day, then expire (TTL)
_EXPIRY_SECONDS = 86400


def risk_settings(store: StoreConfig | None) -> RiskSettings:
    """The store's risk-score settings (defaults when they no longer validate: logged)."""
    if store is None:
        return RiskSettings()
    try:
        return RiskSettings.model_validate(store.automation(RISK_SCORE).settings)
    except ValidationError:
        logger.warning("stored settings no longer validate", extra={"automation": RISK_SCORE})
        return RiskSettings()


def window_width(settings: RiskSettings) -> int:
    return settings.velocity_window_hours * 3600


def window_start(at: int, width: int) -> int:
    return at // width * width


def velocity_keep(settings: RiskSettings) -> int:
    """How many of a velocity window's earliest and of its latest orders decide the velocity
    signal exactly: one more than velocity_max_orders (the repository bounds it by VELOCITY_CAP)."""
    return settings.velocity_max_orders + 1


@dataclass(frozen=True)
class RiskInput:
    """The order to score and what was read about it; `missing` says why there is no order."""

    order: Order | None
    facts: Facts
    missing: str | None = None
    #: the event brought new card checks or a new platform risk level (a rescore of a known order)
    rescore: str | None = None


def payment_of(facts_item: dict[str, Any]) -> PaymentDetails | None:
    """The card checks kept from the order's transactions."""
    if not any(facts_item.get(k) for k in ("avs", "cvv", "card_bin", "card_last4")):
        return None
    return PaymentDetails(
        avs_result_code=facts_item.get("avs") or None,
        cvv_result_code=facts_item.get("cvv") or None,
        credit_card_bin=facts_item.get("card_bin") or None,
        credit_card_last4=facts_item.get("card_last4") or None,
    )


def _epoch(at: datetime | None, fallback: datetime | None) -> int:
    moment = at or fallback
    return int(moment.timestamp()) if moment else 0


def read_facts(
    order: Order,
    read: Reader,
    settings: RiskSettings,
    payment: PaymentDetails | None = None,
    platform_risk: str | None = None,
) -> Facts:
    """One BatchGetItem: the order's facts, the store's stats, its velocity windows and flags."""
    store_id = read.store_id
    at = _epoch(order.created_at, read.now)
    width = window_width(settings)
    facts_key = keys.fraud_facts(store_id, order.id)
    stats_key = keys.fraud_stats(store_id)
    wanted = [facts_key, stats_key]
    found_ids: dict[str, str] = {}
    # the card may only be known from the facts item: ask for the velocity of every card we know
    for dimension, value in identities(order, payment or order.payment).items():
        found_ids[dimension] = value
    windows = (window_start(at, width), window_start(at, width) - width)
    for dimension, value in found_ids.items():
        wanted += [keys.fraud_velocity(store_id, dimension, value, w) for w in windows]
        wanted.append(keys.fraud_flag(store_id, dimension, value))
    items = read.repo.fraud_items(wanted)
    kept = items.get((facts_key["PK"], facts_key["SK"]), {})
    card = card_of(payment_of(kept))
    if card and "card" not in found_ids:  # the card is known from a transaction that came first
        found_ids["card"] = card
        more = [keys.fraud_velocity(store_id, "card", card, w) for w in windows]
        items.update(read.repo.fraud_items([*more, keys.fraud_flag(store_id, "card", card)]))

    def item(key: keys.Key) -> dict[str, Any]:
        return items.get((key["PK"], key["SK"]), {})

    card_checks = (
        payment if payment is not None and (payment.avs_result_code or payment.cvv_result_code) else None
    )
    stats = item(stats_key)
    velocity: dict[str, int] = {}
    at_least: set[str] = set()
    flagged: dict[str, str] = {}
    own = f"o#{order.id}"
    for dimension, value in found_ids.items():
        count = 0
        for w in windows:
            window = item(keys.fraud_velocity(store_id, dimension, value, w))
            inside = [
                name
                for name, when in window.items()
                if name.startswith("o#") and at - width <= int(when) <= at
            ]
            count += sum(1 for name in inside if name != own)
            # a window that dropped middle orders (note_velocity) counts exactly below the `keep`
            # it kept on each side; from there the true count may be higher
            if VELOCITY_KEPT in window and len(inside) >= int(window[VELOCITY_KEPT]):
                at_least.add(dimension)
        velocity[dimension] = count
        flag = item(keys.fraud_flag(store_id, dimension, value))
        if flag:
            flagged[dimension] = str(flag.get("reason") or "chargeback")
    return Facts(
        payment=card_checks or payment_of(kept) or payment,
        platform_risk=platform_risk or kept.get("platform_risk"),
        velocity=velocity,
        velocity_at_least=frozenset(at_least),
        flagged=flagged,
        store_orders=int(stats.get("orders", 0)),
        store_amount=Decimal(str(stats.get("amount_sum", 0))),
    )


def risk_input(resource: Order | Transaction | RiskAssessment, read: Reader) -> RiskInput:
    """The order to score (the event's own, or the snapshot a transaction or risk event names)."""
    settings = risk_settings(read.store)
    if isinstance(resource, Order):
        return RiskInput(resource, read_facts(resource, read, settings))
    order_id = resource.order_id
    what = "transaction" if isinstance(resource, Transaction) else "risk assessment"
    if not order_id:
        return RiskInput(None, Facts(), missing=f"the {what} names no order")
    order = read.order(order_id)
    if order is None:
        return RiskInput(
            None,
            Facts(),
            missing=f"the {what} names order {order_id}, which storeflow has not received: it is kept and "
            "counted when orders/create arrives",
        )
    if isinstance(resource, Transaction):
        payment = resource.payment
        if payment is None or not (payment.avs_result_code or payment.cvv_result_code or card_of(payment)):
            return RiskInput(
                order, Facts(), missing=f"transaction {resource.id} carries no card check results"
            )
        facts = read_facts(order, read, settings, payment=payment)
        return RiskInput(order, facts, rescore=f"rescored with transaction {resource.id}'s card checks")
    level = (resource.risk_level or "").lower() or None
    if level is None:
        return RiskInput(order, Facts(), missing="the risk assessment gives no risk level")
    facts = read_facts(order, read, settings, platform_risk=level)
    return RiskInput(order, facts, rescore=f"rescored with the platform's risk level {level}")


# --- kept after an event -------------------------------------------------------------------------
def _enabled(store: StoreConfig) -> bool:
    return store.automation(RISK_SCORE).enabled


def keep_order_counters(applied: AppliedEvent) -> None:
    """An order created: into the velocity windows of its email, IP, card and address (once per
    order; its value goes into the store's running sum with its `scored` outcome:
    functions.fraud.outcomes.count_new_order)."""
    order = applied.parsed.resource
    if applied.topic != "order.created" or not isinstance(order, Order) or not _enabled(applied.store):
        return
    settings = risk_settings(applied.store)
    store_id = applied.store.store_id
    at = _epoch(order.created_at, applied.now)
    width = window_width(settings)
    for dimension, value in identities(order, order.payment).items():
        applied.repo.note_velocity(
            store_id,
            dimension,
            value,
            window_start(at, width),
            order.id,
            at,
            at + 2 * width + _EXPIRY_SECONDS,
            keep=velocity_keep(settings),
        )


def keep_card_checks(applied: AppliedEvent) -> None:
    """A transaction's AVS/CVV results and card, on its order's fraud facts; the card's velocity."""
    txn = applied.parsed.resource
    if (
        not isinstance(txn, Transaction)
        or not txn.order_id
        or txn.payment is None
        or not _enabled(applied.store)
    ):
        return
    payment = txn.payment
    fields = {
        name: value
        for name, value in (
            ("avs", payment.avs_result_code),
            ("cvv", payment.cvv_result_code),
            ("card_bin", payment.credit_card_bin),
            ("card_last4", payment.credit_card_last4),
        )
        if value
    }
    if not fields:
        return
    store_id = applied.store.store_id
    applied.repo.keep_fraud_facts(store_id, txn.order_id, fields)
    card = card_of(payment)
    if card:
        settings = risk_settings(applied.store)
        at = _epoch(txn.created_at, applied.now)
        width = window_width(settings)
        applied.repo.note_velocity(
            store_id,
            "card",
            card,
            window_start(at, width),
            txn.order_id,
            at,
            at + 2 * width + _EXPIRY_SECONDS,
            keep=velocity_keep(settings),
        )


def keep_platform_risk(applied: AppliedEvent) -> None:
    risk = applied.parsed.resource
    if not isinstance(risk, RiskAssessment) or not risk.order_id or not risk.risk_level:
        return
    if not _enabled(applied.store):
        return
    applied.repo.keep_fraud_facts(
        applied.store.store_id, risk.order_id, {"platform_risk": risk.risk_level.lower()}
    )


def keep_chargeback_flags(applied: AppliedEvent) -> None:
    """A chargeback for fraud flags its order's email, IP, card and address (when storeflow has the
    order), so later orders that share one score higher."""
    dispute = applied.parsed.resource
    if not isinstance(dispute, Dispute) or not dispute.order_id or not _enabled(applied.store):
        return
    if (dispute.reason or "").lower() not in ("fraudulent", "unrecognized"):
        return
    store_id = applied.store.store_id
    reader = Reader(store_id, applied.repo, store=applied.store, now=applied.now)
    try:
        order = reader.order(dispute.order_id)
    except Exception:  # a snapshot kept in S3 is not opened here: the flag is skipped, and said
        logger.warning("chargeback's order snapshot could not be read", extra={"store_id": store_id})
        return
    if order is None:
        logger.info("chargeback names an order storeflow has not received", extra={"store_id": store_id})
        return
    payment = payment_of(applied.repo.fraud_facts(store_id, order.id)) or order.payment
    for dimension, value in identities(order, payment).items():
        applied.repo.flag_for_fraud(
            store_id,
            dimension,
            value,
            {
                "reason": f"{dispute.reason} chargeback on order {order.name or order.id}",
                "dispute_id": dispute.id,
            },
        )


# --- customers/redact ------------------------------------------------------------------------------
#: at most this many lines of a redacted order have their hoarding counters looked up
_REDACT_LINES = 50


def forget_fraud_identities(forgotten: ForgottenCustomer) -> int:
    """customers/redact: the velocity counters and chargeback flags kept for the customer's email
    (each address given) and for the email, IP, card and shipping address of each order the request
    names, and the stock-hoarding unit counters of those orders' products. Keys are hashes of the
    values, so each is found by key (one GetItem or Query per identity), never by a scan."""
    store_id, repo = forgotten.store_id, forgotten.repo
    found: set[tuple[str, str]] = {("email", a) for a in forgotten.addresses if "@" in a}
    products: set[str] = set()
    reader = Reader(store_id, repo)
    for order_id in sorted(forgotten.order_ids):
        try:
            order = reader.order(order_id)
        except Exception:  # a snapshot kept in S3 is not opened here: its email still goes (above)
            logger.warning("redacted order's snapshot could not be read", extra={"store_id": store_id})
            continue
        if order is None:
            continue
        payment = payment_of(repo.fraud_facts(store_id, order_id)) or order.payment
        found |= set(identities(order, payment).items())
        products |= {p for line in order.line_items[:_REDACT_LINES] if (p := line.product_id or line.sku)}
    deleted = 0
    for dimension, value in sorted(found):
        deleted += repo.forget_fraud_identity(store_id, dimension, value)
        for product in sorted(products):
            deleted += repo.forget_fraud_identity(store_id, f"units-{dimension}", f"{value}|{product}")
    return deleted
