"""What became of the orders the risk score judged, counted as events arrive (never a scan): per
store-local day (the order's own day, so an outcome weeks later lands in its order's cohort) and per
score band, the orders scored, held, cancelled, charged back (disputes/create), refunded, and the
held orders that were fulfilled (and of those, the ones that charged back): an order's counts are
those of the set of its events, whatever order their webhooks come in (platforms keep no order;
retries reorder), so a shipment counted before the order's hold settled is `held_fulfilled` too.

Bands are the store's risk-score bands, read off what the risk score decided: `pass` (below
review_at: no action), `review` (tagged), `hold` (fulfillment held), `cancel` (cancelled). An order
starts in `pass` and moves up when a risk-score action settles; its counted outcomes move with it.
With hold_fulfillment off, orders at hold_at count as `review` (nothing held them).

An order's day, band and counted outcomes live in the fraud part of its ledger
(storekit.repository.counted), with its value `counted`: each change of the part (an outcome
marked, the band moved) is written in one transaction with the counter changes it explains,
conditional on the part's version as read, so each outcome counts exactly once, in its order's band,
however the stream repeats or a write fails. A new order's `scored` is written with its value,
within a stream batch held and summed with the batch's (no write of its own); a risk-score action
that settles before its batch is written changes the part first, the batch's write of that order
then fails its condition and the order is counted again, in the raised band. An outcome that
arrives before its order is scored is marked `pending_<outcome>` in the part (a flag: nothing
personal), not counted; scoring the order counts its pending outcomes, on its day in its band, in
the same write as its `scored`. Outcomes of orders storeflow never scored (risk-score off when the
order came, cancelled at creation, created before storeflow) stay pending: never counted. An order
scored before the ledger held its outcomes keeps them on its fraud facts: read while its part has
no band, carried over on its next change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.fraud.facts import RISK_SCORE
from storekit import actions as a
from storekit import keys
from storekit.automation import AppliedEvent, SettledAction
from storekit.errors import CountingBusy
from storekit.models import Dispute, Fulfillment, Order, Refund
from storekit.repository import Repository
from storekit.store import StoreConfig

BANDS = ("pass", "review", "hold", "cancel")
#: the fraud domain's part of each order's ledger (storekit.repository.counted): its value counted,
#: its day, band and outcomes
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


#: a part change: (the part's attributes after, the report counters it adds to by (day, band, metric),
#: a new order's value into the store's running sum), or None: nothing to change
_Change = tuple[dict[str, Any], Counter[tuple[str, str, str]], Decimal | None] | None


def _fraud_part(repo: Repository, store_id: str, order_id: str) -> tuple[dict[str, Any], int | None]:
    """The fraud part of an order's ledger (its value `counted`, day, band, outcome_* marks) and its
    version (None: absent). An order counted or scored before has them on its fraud facts: read
    while the part is absent (ledger_part's legacy) or has no band yet (written before its
    outcomes moved into it)."""
    part = repo.ledger_part(store_id, order_id, LEDGER_PART, keys.fraud_facts(store_id, order_id))
    if part is None:
        return {}, None
    version = int(part["version"]) if "version" in part else None
    state = _kept(part)
    if version is not None and "band" not in state:
        state = {**_kept(repo.fraud_facts_as_read(store_id, order_id)), **state}
    return state, version


def _kept(attrs: dict[str, Any]) -> dict[str, Any]:
    """What the part keeps of an order (never its card checks or risk level: no personal data)."""
    return {
        name: value
        for name, value in attrs.items()
        if name in ("counted", "day", "band") or name.startswith(("outcome_", "pending_"))
    }


def _change_part(
    repo: Repository, store_id: str, order_id: str, change: Callable[[dict[str, Any]], _Change]
) -> dict[str, Any] | None:
    """Apply `change` to the fraud part of an order's ledger and write it with its counts (one
    transaction, conditional on the version read: read again when another worker changed the part
    first). Returns the part after the write, None when there was nothing to change."""
    for _ in range(_ATTEMPTS):
        state, version = _fraud_part(repo, store_id, order_id)
        planned = change(dict(state))
        if planned is None:
            return None
        attrs, counts, amount = planned
        attrs.setdefault("band", BANDS[0])  # always there: the part holds the order's outcomes
        if repo.count_fraud_part(store_id, order_id, LEDGER_PART, attrs, version, dict(counts), amount):
            return attrs
    raise CountingBusy(f"order {order_id}'s fraud counts changed under each of {_ATTEMPTS} tries")


def _move(
    part: dict[str, Any], counts: Counter[tuple[str, str, str]], was: tuple[str, str], to: tuple[str, str]
) -> None:
    """Move the outcomes counted for an order from (day, band) `was` to `to`."""
    for metric in METRICS:
        if part.get(f"outcome_{metric}"):
            counts[(*was, metric)] -= 1
            counts[(*to, metric)] += 1


#: outcomes that follow from others (a mark, and the marks it needs): a held order that was
#: fulfilled, and of those the ones that charged back; marked whatever order their webhooks came in
_FOLLOW_ONS = (
    ("held_fulfilled", ("held", "fulfilled")),
    ("held_fulfilled_chargeback", ("held_fulfilled", "chargeback")),
)


def _count(part: dict[str, Any], counts: Counter[tuple[str, str, str]], outcome: str) -> bool:
    """Mark `outcome` on the part and count it on the part's day in its band, once (False: it was
    marked before)."""
    if part.get(f"outcome_{outcome}"):
        return False
    part[f"outcome_{outcome}"] = True
    counts[(str(part["day"]), str(part["band"]), outcome)] += 1
    return True


def _follow_on(part: dict[str, Any], counts: Counter[tuple[str, str, str]]) -> None:
    """Mark (and count, in the part's day and band) each follow-on outcome the part's counted
    outcomes now make true, once: in the write that counts the last outcome it needs."""
    for mark, needs in _FOLLOW_ONS:
        if all(part.get(f"outcome_{need}") for need in needs):
            _count(part, counts, mark)


def count_outcome(
    repo: Repository, store: StoreConfig, order_id: str, outcome: str, at: datetime
) -> dict[str, Any] | None:
    """Mark one outcome of a scored order once, counted in its band on the order's day, with the
    follow-on outcomes it completes in the same write (a held order's shipment is also
    `held_fulfilled`: one write, so neither is left uncounted when the process dies between). An
    outcome of an order not scored (yet) is marked pending, not counted: count_new_order counts it
    when it scores the order. Returns the part after, only for the write that marked it."""

    def mark(part: dict[str, Any]) -> _Change:
        if part.get(f"outcome_{outcome}"):
            return None
        if not part.get("outcome_scored"):  # came before its order was scored (or never will be)
            if part.get(f"pending_{outcome}"):
                return None
            part[f"pending_{outcome}"] = True
            return part, Counter(), None
        part.setdefault("day", store_day(store, at))
        part.setdefault("band", BANDS[0])
        counts: Counter[tuple[str, str, str]] = Counter()
        _count(part, counts, outcome)
        _follow_on(part, counts)
        return part, counts, None

    return _change_part(repo, store.store_id, order_id, mark)


def raise_band(
    repo: Repository, store: StoreConfig, order_id: str, band: str, at: datetime, outcome: str | None = None
) -> dict[str, Any] | None:
    """Move an order up to `band` (not down); the outcomes already counted for it move too, in the
    same write. With `outcome` (held, cancelled), that outcome is marked once in the same write
    (counted in the band after). The part is created when the order has none yet (its batch is not
    written: that write then fails its condition and counts the order again, in this band)."""
    lower = BANDS[: BANDS.index(band)]

    def move(part: dict[str, Any]) -> _Change:
        counts: Counter[tuple[str, str, str]] = Counter()
        was = part.get("band")
        changed = False
        if was is None or was in lower:
            part["band"] = band
            changed = True
            if "day" in part:
                day = str(part["day"])
                _move(part, counts, (day, str(was or BANDS[0])), (day, band))
        if outcome is not None and not part.get(f"outcome_{outcome}"):
            part.setdefault("day", store_day(store, at))
            _count(part, counts, outcome)
            _follow_on(part, counts)  # held after its shipment was counted: held_fulfilled too
            changed = True
        return (part, counts, None) if changed else None

    return _change_part(repo, store.store_id, order_id, move)


def _scoring_on(store: StoreConfig) -> bool:
    return store.automation(RISK_SCORE).enabled


# --- kept after each event (Domain.keeps): each mark once in the order's ledger -----------------------------
def count_new_order(applied: AppliedEvent) -> None:
    """orders/create (kept after, each time: idempotent): the order's value into the store's running
    sum and its `scored` outcome (on its day, in its band), once each: marked in the fraud part of
    the order's ledger in the transaction with the sum and the counter (within a stream batch: held,
    summed with the batch's and written once per batch)."""
    store, order = applied.store, applied.parsed.resource
    if applied.topic != "order.created" or not isinstance(order, Order) or not _scoring_on(store):
        return
    amount = order.total if order.total is not None and order.total >= 0 and not order.test else None
    scores = order.cancelled_at is None and (order.status or "") != "cancelled"
    day = store_day(store, order.created_at or applied.now)

    def count(part: dict[str, Any]) -> _Change:
        counts: Counter[tuple[str, str, str]] = Counter()
        value = None
        if amount is not None and not part.get("counted"):
            part["counted"], value = True, amount
        if scores and not part.get("outcome_scored"):
            band = str(part.setdefault("band", BANDS[0]))
            if part.get("day", day) != day:  # counted on the day they settled, before the order was:
                _move(part, counts, (str(part["day"]), band), (day, band))  # to the order's cohort
            part["day"] = day
            _count(part, counts, "scored")
            for pending in [name for name in part if name.startswith("pending_")]:
                del part[pending]  # an outcome that came first: counted now, in this write
                _count(part, counts, pending.removeprefix("pending_"))
            _follow_on(part, counts)
        return (part, counts, value) if value is not None or counts else None

    _change_part(applied.repo, store.store_id, order.id, count)


def count_event_outcome(applied: AppliedEvent) -> None:
    """disputes/create: chargeback; refunds/create: refunded; a shipment (fulfillments/create,
    orders/fulfilled, a WooCommerce order completed): fulfilled (kept after, each time: marked once
    in the order's ledger, so a repeat counts nothing). (orders/create's `scored`: count_new_order.)"""
    store, resource = applied.store, applied.parsed.resource
    if not _scoring_on(store):
        return
    repo, now = applied.repo, applied.now
    if isinstance(resource, Order):
        if applied.topic == "order.fulfilled" or (
            applied.topic == "order.updated" and (resource.fulfillment_status or "") == "fulfilled"
        ):
            count_outcome(repo, store, resource.id, "fulfilled", now)
        return
    if isinstance(resource, Fulfillment) and resource.order_id and applied.topic == "fulfillment.created":
        count_outcome(repo, store, str(resource.order_id), "fulfilled", now)
    elif isinstance(resource, Dispute) and resource.order_id:
        count_outcome(repo, store, str(resource.order_id), "chargeback", now)
    elif isinstance(resource, Refund) and resource.order_id and resource.total > 0:
        count_outcome(repo, store, str(resource.order_id), "refunded", now)


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
    outcome = {"hold": "held", "cancel": "cancelled"}.get(band)
    raise_band(settled.repo, settled.store, order_id, band, settled.now, outcome)
