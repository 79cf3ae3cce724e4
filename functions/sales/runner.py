"""Runs a price sale's start and end from the minute sweeper: records, changes and restores prices
in bulk calls through the store's API, with progress kept after every call.

A step never runs past its time budget: throttling (HTTP 429, Shopify THROTTLED) is waited out
in-process while the wait fits, else the step files its own continuation at the time the store
gives and the next sweep goes on from the last saved batch. Each product's prices are recorded
once (a conditional write): a step that runs again reuses the record, so a sale never applies twice
and the restore always puts back what the variant had before the sale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.sales.models import Progress, Sale
from functions.sales.pricing import VariantChange, record_start, reprice, restore_decision, shows_sale
from storekit.clients.prices import PriceUpdate, Product, VariantPrice, is_variable, price_book
from storekit.clock import iso
from storekit.errors import PermanentError, Throttled, TransientError
from storekit.outbound import ApiCall
from storekit.runtime import Runtime
from storekit.store import StoreConfig

#: the job kind of every sale step (start, end, cancel, continue)
SALE_JOB = "sale"
#: the name under which a store sets sales' mode ("automations": {"sales": {"mode": "dry-run"}})
SALES = "sales"
#: products whose current prices one restore read covers
RESTORE_CHUNK = 50
#: batches written between two saves of the sale's progress (each save also looks for a cancel)
PROGRESS_EVERY = 10
#: transient faults in a row before a step hands over to a later sweep
TRANSIENT_TRIES = 3


@dataclass
class Pace:
    """How long one step may run and wait: its budget, the longest in-process wait, and how it
    sleeps (tests and the bench pass a sleep that only counts)."""

    budget_s: float = 600.0
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    started: float = field(default_factory=time.monotonic)
    waited_s: float = 0.0

    def spent(self) -> float:
        return time.monotonic() - self.started


#: the pace of a step the sweeper runs (tests and the bench install one whose sleep only counts)
DEFAULT_PACE: Callable[[], Pace] = Pace


class ContinueLater(Exception):
    """The step stops here and a new one is filed `wait_s` later (throttled, or out of time)."""

    def __init__(self, wait_s: float, why: str) -> None:
        super().__init__(why)
        self.wait_s = wait_s


class StoreCalls:
    """Sends rendered calls to the store, counting them and waiting out throttling."""

    def __init__(self, send: Callable[[ApiCall], Any], pace: Pace) -> None:
        self._send = send
        self._pace = pace
        self.calls = 0
        self.throttled = 0
        #: variants done since the sale's progress was last saved
        self.done = 0

    def __call__(self, call: ApiCall) -> Any:
        faults = 0
        while True:
            if self._pace.spent() > self._pace.budget_s:
                raise ContinueLater(0, "the step used its time budget")
            self.calls += 1
            try:
                return self._send(call)
            except Throttled as exc:
                self.throttled += 1
                wait = exc.retry_after if exc.retry_after is not None else 2.0
                if wait > self._pace.max_wait_s or self._pace.spent() + wait > self._pace.budget_s:
                    raise ContinueLater(wait, f"throttled by the store: {exc}") from exc
                self._pace.waited_s += wait
                self._pace.sleep(wait)
            except TransientError as exc:
                faults += 1
                if faults >= TRANSIENT_TRIES:
                    raise ContinueLater(60, f"the store is not answering: {exc}") from exc
                self._pace.waited_s += faults
                self._pace.sleep(faults)


# --- the sale's state, changed only through a conditional write --------------------------------


def load_sale(runtime: Runtime, store_id: str, job_id: str) -> tuple[Sale, int] | None:
    found = runtime.repo.sale(store_id, job_id)
    if found is None:
        return None
    data, version = found
    return Sale.model_validate(data), version


def change_sale(runtime: Runtime, store_id: str, job_id: str, change: Callable[[Sale], Sale]) -> Sale:
    """Apply `change` to the sale as stored now; a write that lost to another one reads again."""
    for _ in range(10):
        found = load_sale(runtime, store_id, job_id)
        if found is None:
            raise PermanentError("the sale no longer exists")
        sale, version = found
        changed = change(sale).model_copy(update={"updated_at": iso(runtime.clock.now())})
        if runtime.repo.save_sale(changed.model_dump(mode="json"), changed.view(), version):
            return changed
    raise TransientError("the sale kept changing under this step")


def file_step(runtime: Runtime, sale: Sale, step: str, due: datetime, step_id: str | None = None) -> bool:
    """File a step of the sale. A start or end carries its time: moved by an edit, the step filed
    for the former time finds it superseded and does nothing."""
    params = {"sale_id": sale.job_id, "step": step}
    if step in ("start", "end") and step_id is None:
        params["due"] = iso(due)
    return runtime.repo.file_sale_step(
        sale.store_id,
        step_id or f"{sale.job_id}-{step}-{iso(due)}",
        SALE_JOB,
        iso(due),
        params,
    )


def is_dry_run(sale: Sale, store: StoreConfig) -> bool:
    return sale.dry_run or store.mode_for(SALES) == "dry-run"


# --- per-product records ------------------------------------------------------------------------


@dataclass
class ProductRecord:
    product_id: str
    variable: bool
    status: str  # recorded | planned | applied | restored | failed
    variants: list[VariantChange]
    note: str | None = None

    def dump(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "variable": self.variable,
            "status": self.status,
            "note": self.note,
            "variants": [v.model_dump(mode="json") for v in self.variants],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> ProductRecord:
        return cls(
            product_id=str(data["product_id"]),
            variable=bool(data["variable"]),
            status=str(data["status"]),
            note=data.get("note"),
            variants=[VariantChange.model_validate(v) for v in data["variants"]],
        )


def _records(runtime: Runtime, sale: Sale) -> Iterator[ProductRecord]:
    for data in runtime.repo.sale_products(sale.store_id, sale.job_id):
        yield ProductRecord.load(data)


def _keep(runtime: Runtime, sale: Sale, record: ProductRecord) -> None:
    runtime.repo.keep_sale_product(sale.store_id, sale.job_id, record.product_id, record.dump())


def _in_other_sales(runtime: Runtime, sale: Sale) -> list[Sale]:
    """The store's other price sales that may hold variants now (overlapping window, not over)."""
    others = []
    for data in runtime.repo.sales_of_store(sale.store_id):
        other = Sale.model_validate(data)
        if (
            other.job_id != sale.job_id
            and other.method == "price"
            and other.state == "running"
            and other.starts_at < sale.ends_at
            and sale.starts_at < other.ends_at
        ):
            others.append(other)
    return others


def _held_elsewhere(runtime: Runtime, others: list[Sale], product_id: str) -> dict[str, Sale]:
    """Variant id -> the other sale whose prices it shows (or is about to)."""
    held: dict[str, Sale] = {}
    for other in others:
        for data in runtime.repo.sale_products_of(other.store_id, other.job_id, [product_id]):
            record = ProductRecord.load(data)
            if record.status in ("recorded", "applied", "planned"):
                for change in record.variants:
                    if change.outcome in ("recorded", "on_sale", "planned"):
                        held[change.variant_id] = other
    return held


# --- steps ------------------------------------------------------------------------------------


def sender(store: StoreConfig, runtime: Runtime, sale: Sale) -> Callable[[ApiCall], Any]:
    from functions.engine.perform import store_api

    holder: dict[str, Callable[[ApiCall], Any]] = {}

    def send(call: ApiCall) -> Any:  # credentials read on the first call, not before
        if "send" not in holder:
            holder["send"] = store_api(store, runtime)
        return holder["send"](call)

    return send


def save_counts(runtime: Runtime, sale: Sale, calls: StoreCalls, **update: Any) -> Sale:
    """Save the calls, throttled answers and variants done since the last save (and `update`)."""
    n, t, d = calls.calls, calls.throttled, calls.done
    calls.calls = calls.throttled = calls.done = 0

    def counted(s: Sale) -> Sale:
        progress = s.progress.model_copy(update={"done": s.progress.done + d})
        values = {"api_calls": s.api_calls + n, "throttled": s.throttled + t, "progress": progress}
        return s.model_copy(update={**values, **update})

    return change_sale(runtime, sale.store_id, sale.job_id, counted)


def start_sale(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    if (
        sale.state in ("cancelled", "done", "failed")
        or sale.phase in ("on", "ending")
        or sale.cancel_requested
    ):
        return f"nothing to start: the sale is {sale.state}"
    sale = change_sale(
        runtime,
        sale.store_id,
        sale.job_id,
        lambda s: s.model_copy(update={"state": "running", "phase": "starting"}),
    )
    book = price_book(store.platform, store.shop_domain)
    if not sale.recorded:
        total = _record_all(sale, store, runtime, calls, book)
        sale = save_counts(runtime, sale, calls, recorded=True, progress=Progress(done=0, total=total))
    dry = is_dry_run(sale, store)
    pending = [r for r in _records(runtime, sale) if r.status == "recorded"]
    by_id = {r.product_id: r for r in pending}
    for n, batch in enumerate(book.batches([(r.product_id, r.variable) for r in pending])):
        if n and n % PROGRESS_EVERY == 0:
            sale = save_counts(runtime, sale, calls)
            if sale.phase == "ending" or sale.cancel_requested:
                return "stopped: the sale is ending"
        records = [by_id[pid] for pid in batch]
        updates = [
            (r.product_id, r.variable, [_sale_update(c) for c in r.variants if c.sale_price is not None])
            for r in records
        ]
        updates = [u for u in updates if u[2]]
        if updates and not dry:
            try:
                calls(book.update_call(updates))
            except PermanentError as exc:  # e.g. a product deleted since it was read
                for r in records:
                    r.status, r.note = "failed", f"not changed: {exc}"[:300]
                    r.variants = [
                        c.model_copy(update={"outcome": "skipped", "note": "the store refused the change"})
                        if c.sale_price is not None
                        else c
                        for c in r.variants
                    ]
                    _keep(runtime, sale, r)
                continue
        changed = 0
        for r in records:
            r.status = "planned" if dry else "applied"
            r.variants = [
                c.model_copy(update={"outcome": "planned" if dry else "on_sale"})
                if c.sale_price is not None
                else c
                for c in r.variants
            ]
            changed += sum(1 for c in r.variants if c.sale_price is not None)
            _keep(runtime, sale, r)
        calls.done += changed
    sale = save_counts(runtime, sale, calls, phase="on")
    verb = "planned (dry-run)" if dry else "on sale"
    return f"{sale.progress.done} of {sale.progress.total} variant(s) {verb}"


def _sale_update(change: VariantChange) -> PriceUpdate:
    assert change.sale_price is not None
    return PriceUpdate(
        variant_id=change.variant_id, price=change.sale_price, compare_at=change.sale_compare_at
    )


def _record_all(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls, book: Any) -> int:
    """Record the price of every variant the sale selects (once per product) and its sale price.
    Returns how many variants the sale changes."""
    others = _in_other_sales(runtime, sale)
    total = 0
    seen: set[str] = set()
    products: Iterator[Product] = book.selected(sale.selector, sale.selected, calls)
    for product_id, variants in products:
        if product_id in seen:
            continue
        seen.add(product_id)
        held = _held_elsewhere(runtime, others, product_id) if others else {}
        changes = []
        for variant in variants:
            if variant.variant_id in held:
                other = held[variant.variant_id]
                changes.append(
                    VariantChange(
                        variant_id=variant.variant_id,
                        sku=variant.sku,
                        before_price=variant.price,
                        before_compare_at=variant.compare_at,
                        outcome="skipped",
                        note=f"in the price sale {other.name!r} ({other.job_id}) already",
                    )
                )
            else:
                changes.append(record_start(variant, sale.discount, sale.currency))
        record = ProductRecord(
            product_id=product_id,
            variable=is_variable(store.platform, product_id, variants),
            status="recorded",
            variants=changes,
        )
        if not runtime.repo.record_sale_product(sale.store_id, sale.job_id, product_id, record.dump()):
            # recorded by an earlier run of this step: that record (the prices before) is kept
            found = runtime.repo.sale_products_of(sale.store_id, sale.job_id, [product_id])
            changes = ProductRecord.load(next(iter(found))).variants
        total += sum(1 for c in changes if c.sale_price is not None)
    return total


def end_sale(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    """Put back the recorded prices (the sale's end, its cancel, or after a start that failed)."""
    if sale.state == "scheduled":
        final = "cancelled" if sale.cancel_requested else "done"
        change_sale(runtime, sale.store_id, sale.job_id, lambda s: s.model_copy(update={"state": final}))
        return f"never started: {final}"
    if sale.phase is None:
        return f"nothing to end: the sale is {sale.state}"
    records = list(_records(runtime, sale))
    to_end = [r for r in records if r.status in ("applied", "planned", "recorded")]
    if sale.phase != "ending":
        on = sum(1 for r in to_end for c in r.variants if c.outcome in ("on_sale", "planned", "recorded"))
        sale = change_sale(
            runtime,
            sale.store_id,
            sale.job_id,
            lambda s: s.model_copy(update={"phase": "ending", "progress": Progress(done=0, total=on)}),
        )
    book = price_book(store.platform, store.shop_domain)
    for i in range(0, len(to_end), RESTORE_CHUNK):
        chunk = to_end[i : i + RESTORE_CHUNK]
        applied = [r.product_id for r in chunk if r.status == "applied"]
        current: dict[str, VariantPrice] = {}
        for _, variants in book.by_ids(applied, calls) if applied else ():
            current.update({v.variant_id: v for v in variants})
        decided: dict[str, ProductRecord] = {}
        for r in chunk:
            r.variants = [restore_decision(c, current.get(c.variant_id)) for c in r.variants]
            decided[r.product_id] = r
        sale = save_counts(runtime, sale, calls)
        for batch in book.batches([(r.product_id, r.variable) for r in chunk]):
            records = [decided[pid] for pid in batch]
            updates = [
                (
                    r.product_id,
                    r.variable,
                    [
                        PriceUpdate(
                            variant_id=c.variant_id, price=c.before_price, compare_at=c.before_compare_at
                        )
                        for c in r.variants
                        if c.outcome == "restored" and c.after_price is not None and _needs_write(c, current)
                    ],
                )
                for r in records
            ]
            updates = [u for u in updates if u[2]]
            if updates:
                try:
                    calls(book.update_call(updates))
                except PermanentError as exc:  # e.g. a product deleted since it was read
                    refused = f"not restored, the store refused it: {exc}"[:300]
                    for r in records:
                        r.note = refused
                        r.variants = [
                            c.model_copy(update={"outcome": "failed", "note": refused, "after_price": None})
                            if c.outcome == "restored" and _needs_write(c, current)
                            else c
                            for c in r.variants
                        ]
            for r in records:
                r.status = "restored"
                calls.done += sum(
                    1
                    for c in r.variants
                    if c.outcome in ("restored", "kept", "gone", "not_applied", "failed")
                )
                _keep(runtime, sale, r)
    outcomes: dict[str, int] = {}
    for r in _records(runtime, sale):
        for c in r.variants:
            outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    sale = save_counts(runtime, sale, calls, outcomes=outcomes, phase=None)
    sale = change_sale(
        runtime,
        sale.store_id,
        sale.job_id,
        lambda s: s.model_copy(
            update={
                "state": "failed" if s.state == "failed" else "cancelled" if s.cancel_requested else "done",
                "reason": f"{outcomes['failed']} variant(s) could not be restored: see each variant's note"
                if outcomes.get("failed")
                else s.reason,
            }
        ),
    )
    summary = ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items())) or "nothing changed"
    return f"{sale.state}: {summary}"


def _needs_write(change: VariantChange, current: dict[str, VariantPrice]) -> bool:
    """False when the variant shows the recorded prices already (a restore that ran before)."""
    now = current.get(change.variant_id)
    return now is None or (now.price, now.compare_at) != (change.before_price, change.before_compare_at)


def reprice_sale(sale: Sale, store: StoreConfig, runtime: Runtime, calls: StoreCalls) -> str:
    """After an edit of a running sale's price: each variant that still shows the sale's price gets
    the new one (figured from its recorded price); one changed by hand is left to the end."""
    if sale.state != "running" or sale.phase != "on" or sale.cancel_requested:
        return f"nothing to reprice: the sale is {sale.phase or sale.state}"
    book = price_book(store.platform, store.shop_domain)
    records = [r for r in _records(runtime, sale) if r.status in ("applied", "planned")]
    changed = 0
    for i in range(0, len(records), RESTORE_CHUNK):
        chunk = records[i : i + RESTORE_CHUNK]
        applied = [r.product_id for r in chunk if r.status == "applied"]
        current: dict[str, VariantPrice] = {}
        for _, variants in book.by_ids(applied, calls) if applied else ():
            current.update({v.variant_id: v for v in variants})
        writes: dict[str, list[PriceUpdate]] = {}
        for r in chunk:
            kept: list[VariantChange] = []
            for c in r.variants:
                again = reprice(c, sale.discount, sale.currency)
                if c.outcome not in ("on_sale", "planned") or again.sale_price == c.sale_price:
                    kept.append(c)
                    continue
                now = current.get(c.variant_id)
                if c.outcome == "on_sale" and (now is None or not shows_sale(c, now)):
                    kept.append(c)  # deleted or changed by hand: the end says so
                    continue
                if again.sale_price is None:  # the edited sale no longer lowers it
                    note = "the edited sale no longer lowers it: its price was put back"
                    kept.append(
                        again.model_copy(
                            update={
                                "outcome": "skipped",
                                "note": note,
                                "after_price": c.before_price,
                                "after_compare_at": c.before_compare_at,
                            }
                        )
                    )
                    update = PriceUpdate(
                        variant_id=c.variant_id, price=c.before_price, compare_at=c.before_compare_at
                    )
                else:
                    kept.append(again.model_copy(update={"outcome": c.outcome}))
                    update = _sale_update(again)
                if c.outcome == "on_sale":
                    writes.setdefault(r.product_id, []).append(update)
                changed += 1
            r.variants = kept
        by_id = {r.product_id: r for r in chunk}
        for batch in book.batches([(r.product_id, r.variable) for r in chunk]):
            updates = [(pid, by_id[pid].variable, writes[pid]) for pid in batch if pid in writes]
            if updates:
                calls(book.update_call(updates))
            for pid in batch:
                _keep(runtime, sale, by_id[pid])
    save_counts(runtime, sale, calls)
    return f"{changed} variant(s) repriced"
