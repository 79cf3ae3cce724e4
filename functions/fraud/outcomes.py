"""What became of the orders the risk score judged, counted as events arrive (never a scan): per
store-local day (the order's own day, so an outcome weeks later lands in its order's cohort) and per
score band, the orders scored, held, cancelled, charged back (disputes/create), refunded, and the
held orders that were fulfilled (and of those, the ones that charged back later).

Bands are the store's risk-score bands, read off what the risk score decided: `pass` (below
review_at: no action), `review` (tagged), `hold` (fulfillment held), `cancel` (cancelled). An order
starts in `pass` and moves up when a risk-score action settles; its counted outcomes move with it.
With hold_fulfillment off, orders at hold_at count as `review` (nothing held them).

Each outcome is marked once on the order's fraud facts (a conditional write), so repeated webhooks
and stream records count once. Outcomes of orders storeflow never scored are not counted."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from functions.fraud.facts import RISK_SCORE
from storekit import actions as a
from storekit import keys
from storekit.automation import AppliedEvent, SettledAction
from storekit.models import Dispute, Fulfillment, Order, Refund
from storekit.observability import logger
from storekit.repository import Repository
from storekit.store import StoreConfig

BANDS = ("pass", "review", "hold", "cancel")
#: the fraud domain's part of each order's ledger (storekit.repository.counted): its value counted
LEDGER_PART = "fraud"
#: a ledger part changed by another worker between read and write is read again this many times
_ATTEMPTS = 5
#: what each band's row counts
METRICS = (
    "scored",
    "held",
    "cancelled",
    "chargeback",
    "refunded",
    "fulfilled",
    "held_fulfilled",
    "held_fulfilled_chargeback",
)
_BAND_OF_ACTION = {
    "add_tags": "review",
    "add_order_note": "review",
    "hold_fulfillment": "hold",
    "cancel_order": "cancel",
}


def store_day(store: StoreConfig, at: datetime) -> str:
    return at.astimezone(ZoneInfo(store.timezone)).date().isoformat()


def count_outcome(
    repo: Repository, store: StoreConfig, order_id: str, outcome: str, at: datetime, needs_scored: bool = True
) -> dict[str, object] | None:
    """Mark one outcome of an order once and add it to its band's counter on the order's day."""
    facts = repo.note_fraud_outcome(
        store.store_id, order_id, outcome, store_day(store, at), BANDS[0], needs_scored
    )
    if facts is None:
        return None
    repo.add_fraud_count(store.store_id, str(facts["day"]), str(facts["band"]), outcome)
    return facts


def raise_band(repo: Repository, store: StoreConfig, order_id: str, band: str) -> None:
    """Move an order up to `band`; the outcomes already counted for it move too."""
    lower = BANDS[: BANDS.index(band)]
    old = repo.raise_fraud_band(store.store_id, order_id, band, lower)
    if not old or "day" not in old:
        return  # not lower, or not counted yet: the counts to come go to the new band
    day, was = str(old["day"]), str(old.get("band") or BANDS[0])
    for metric in METRICS:
        if old.get(f"outcome_{metric}"):
            repo.add_fraud_count(store.store_id, day, was, metric, -1)
            repo.add_fraud_count(store.store_id, day, band, metric, 1)


def _scoring_on(store: StoreConfig) -> bool:
    return store.automation(RISK_SCORE).enabled


# --- counted once per event (Domain.counts) ---------------------------------------------------------
def count_new_order(applied: AppliedEvent) -> None:
    """orders/create (kept after, each time: idempotent): the order's value into the store's running
    sum, once (the domain's part of the order's ledger marks it, in the transaction with the sum:
    summed over a stream batch, written once per batch), and its `scored` outcome, marked once on
    its fraud facts. An order counted before the ledger has `counted` on its fraud facts (read while
    its ledger has no part of the domain's)."""
    store, order = applied.store, applied.parsed.resource
    if applied.topic != "order.created" or not isinstance(order, Order) or not _scoring_on(store):
        return
    store_id = store.store_id
    amount = order.total if order.total is not None and order.total >= 0 and not order.test else None
    if amount is not None:
        legacy = keys.fraud_facts(store_id, order.id)
        for _ in range(_ATTEMPTS):
            part = applied.repo.ledger_part(store_id, order.id, LEDGER_PART, legacy)
            if part is not None and part.get("counted"):
                break
            version = int(part["version"]) if part is not None and "version" in part else None
            if applied.repo.count_order_value(store_id, order.id, LEDGER_PART, version, amount):
                break
        else:
            logger.warning("fraud stats busy: order left for its next delivery", extra={"store_id": store_id})
    if order.cancelled_at is None and (order.status or "") != "cancelled":
        day = store_day(store, order.created_at or applied.now)
        facts = applied.repo.mark_scored(store_id, order.id, day, BANDS[0])
        if facts is not None:
            applied.repo.add_fraud_count(store_id, str(facts["day"]), str(facts["band"]), "scored")


def count_event_outcome(applied: AppliedEvent) -> None:
    """disputes/create: chargeback; refunds/create: refunded; a shipment (fulfillments/create,
    orders/fulfilled, a WooCommerce order completed): fulfilled. (orders/create's `scored`:
    count_new_order.)"""
    store, resource = applied.store, applied.parsed.resource
    if not _scoring_on(store):
        return
    repo, now = applied.repo, applied.now
    if isinstance(resource, Order):
        if applied.topic == "order.fulfilled" or (
            applied.topic == "order.updated" and (resource.fulfillment_status or "") == "fulfilled"
        ):
            _fulfilled(repo, store, resource.id, now)
        return
    if isinstance(resource, Fulfillment) and resource.order_id and applied.topic == "fulfillment.created":
        _fulfilled(repo, store, str(resource.order_id), now)
    elif isinstance(resource, Dispute) and resource.order_id:
        facts = count_outcome(repo, store, str(resource.order_id), "chargeback", now)
        if facts and facts.get("outcome_held_fulfilled"):
            count_outcome(repo, store, str(resource.order_id), "held_fulfilled_chargeback", now)
    elif isinstance(resource, Refund) and resource.order_id and resource.total > 0:
        count_outcome(repo, store, str(resource.order_id), "refunded", now)


def _fulfilled(repo: Repository, store: StoreConfig, order_id: str, now: datetime) -> None:
    facts = count_outcome(repo, store, order_id, "fulfilled", now)
    if facts and facts.get("outcome_held"):
        count_outcome(repo, store, order_id, "held_fulfilled", now)


# --- counted once per settled action (Domain.settles) -----------------------------------------------
def count_decision(settled: SettledAction) -> None:
    """A risk-score action that was planned (dry-run) or done: the order's band, and held/cancelled."""
    action = settled.action
    if settled.automation != RISK_SCORE or settled.status not in ("planned", "done") or action is None:
        return
    band = _BAND_OF_ACTION.get(action.kind)
    if band is None or not isinstance(action, a.AddTags | a.AddOrderNote | a.HoldFulfillment | a.CancelOrder):
        return
    order_id = action.resource_id if isinstance(action, a.AddTags) else action.order_id
    repo, store = settled.repo, settled.store
    raise_band(repo, store, order_id, band)
    if band == "hold":
        count_outcome(repo, store, order_id, "held", settled.now, needs_scored=False)
    elif band == "cancel":
        count_outcome(repo, store, order_id, "cancelled", settled.now, needs_scored=False)
