"""A sale's steps as the minute sweeper runs them (job kind "sale"): start, end, cancel, reprice
and their continuations, for price sales (functions/sales/runner.py) and discount sales
(functions/sales/discounts.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from functions.sales import runner
from functions.sales.discounts import end_discount, start_discount
from functions.sales.models import Sale
from functions.sales.runner import (
    ContinueLater,
    Pace,
    StoreCalls,
    change_sale,
    end_sale,
    file_step,
    load_sale,
    reprice_sale,
    save_counts,
    sender,
    start_sale,
)
from storekit.clock import iso, parse_iso
from storekit.errors import ExternalCallError, PermanentError
from storekit.observability import logger
from storekit.records import JobRecord
from storekit.runtime import Runtime


def not_started_late(sale: Sale, runtime: Runtime) -> str | None:
    """A start the sweeper reaches only after the sale's end changes nothing (and says so)."""
    if sale.state != "scheduled":
        return None
    now = runtime.clock.now()
    if now >= parse_iso(sale.ends_at):
        change_sale(
            runtime,
            sale.store_id,
            sale.job_id,
            lambda s: s.model_copy(
                update={
                    "state": "done",
                    "reason": "not started: its window had passed when the start came up",
                }
            ),
        )
        return "not started: its window had passed"
    return None


def run_sale_step(job: JobRecord, runtime: Runtime, pace: Pace | None = None) -> str:
    """A due step of a sale (the sweeper runs it): start, end, cancel or a continuation."""
    pace = pace or runner.DEFAULT_PACE()
    sale_id, step = str(job.params.get("sale_id", "")), str(job.params.get("step", ""))
    found = load_sale(runtime, job.store_id, sale_id)
    if found is None:
        return "the sale no longer exists"
    sale, _ = found
    store = runtime.store(job.store_id, fresh=True)
    if store is None:
        return "store no longer exists"
    calls = StoreCalls(sender(store, runtime, sale), pace)
    due = job.params.get("due")
    if due is not None and due != (sale.starts_at if step == "start" else sale.ends_at):
        return f"superseded: the sale's {step} was moved"
    try:
        if step == "start":
            if late := not_started_late(sale, runtime):
                return late
            start = start_discount if sale.method == "discount" else start_sale
            return start(sale, store, runtime, calls)
        if step in ("end", "cancel"):
            end = end_discount if sale.method == "discount" else end_sale
            return end(sale, store, runtime, calls)
        if step == "reprice" and sale.method == "price":
            return reprice_sale(sale, store, runtime, calls)
        raise PermanentError(f"no sale step {step!r}")
    except ContinueLater as later:
        due = runtime.clock.now() + timedelta(seconds=max(later.wait_s, 0))
        file_step(runtime, sale, step, due, step_id=f"{sale.job_id}-{step}-{uuid.uuid4().hex[:12]}")
        save_counts(runtime, sale, calls)
        logger.info("sale step continues later", extra={"store_id": sale.store_id, "step": step})
        return f"{step} continues at {iso(due)}: {later}"
    except ExternalCallError as exc:
        save_counts(runtime, sale, calls)
        reason = f"{step} failed: {type(exc).__name__}: {exc}"[:500]
        change_sale(
            runtime,
            sale.store_id,
            sale.job_id,
            lambda s: s.model_copy(
                update={"state": "failed" if step == "start" else s.state, "reason": reason}
            ),
        )
        if step != "start":
            raise  # the sweeper records the end step failed; the merchant sees the reason on the sale
        # what the start changed before it failed is put back at once
        file_step(runtime, sale, "end", runtime.clock.now(), step_id=f"{sale.job_id}-end-after-failure")
        return reason
