"""The minute sweeper: due jobs found by time-bucket key (never a scan), each run exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from functions.engine.execute import RETRY_JOB, release_for_retry
from storekit import keys
from storekit.clock import iso, parse_iso
from storekit.observability import logger
from storekit.records import JobRecord
from storekit.runtime import Runtime

#: how far back a first sweep (or one after an outage) looks for jobs it has not seen
LOOKBACK = timedelta(hours=24)
#: an action still `running` this long after its last change lost its executor (a Lambda runs 15 min
#: at most), so it is put back in line
STALLED_AFTER = timedelta(minutes=20)

JobHandler = Callable[[JobRecord, Runtime], str]


def _retry_action(job: JobRecord, runtime: Runtime) -> str:
    released = release_for_retry(
        job.store_id, str(job.params["action_id"]), runtime, from_statuses=("retrying", "scheduled")
    )
    return "released for retry" if released else "action no longer waiting"


JOB_HANDLERS: dict[str, JobHandler] = {RETRY_JOB: _retry_action}


def register_job_kind(kind: str, handler: JobHandler) -> None:
    if kind in JOB_HANDLERS:
        raise ValueError(f"job kind {kind!r} registered twice")
    JOB_HANDLERS[kind] = handler


def sweep(runtime: Runtime) -> dict[str, int]:
    """Run every pending job due by now, from the last swept minute bucket on."""
    now = runtime.clock.now()
    cursor = runtime.repo.sweeper_cursor()
    start = parse_iso(cursor + ":00Z") if cursor else now - LOOKBACK
    counts = {"claimed": 0, "done": 0, "failed": 0}
    until = iso(now)
    for bucket in keys.buckets_between(max(start, now - LOOKBACK), now):
        for job in runtime.repo.due_jobs(bucket, until):
            if not runtime.repo.move_job(job, "claimed", "pending"):
                continue  # another sweeper claimed it
            counts["claimed"] += 1
            handler = JOB_HANDLERS.get(job.kind)
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                outcome = handler(job, runtime)
            except Exception as exc:
                logger.exception("job failed", extra={"store_id": job.store_id, "kind": job.kind})
                runtime.repo.move_job(job, "failed", "claimed", f"{type(exc).__name__}: {exc}"[:500])
                counts["failed"] += 1
                continue
            runtime.repo.move_job(job, "done", "claimed", outcome)
            counts["done"] += 1
    # the current minute may still receive jobs due later in it: start there next time
    runtime.repo.set_sweeper_cursor(keys.minute_bucket(now))
    counts["recovered"] = recover_stalled_actions(runtime)
    return counts


def recover_stalled_actions(runtime: Runtime) -> int:
    """Put actions whose executor died mid-way (still `running` long after) back to `pending`."""
    cutoff = iso(runtime.clock.now() - STALLED_AFTER)
    recovered = 0
    for store_id in runtime.repo.store_ids():
        for action in runtime.repo.actions_in_status(store_id, "running"):
            if action.updated_at < cutoff and runtime.repo.move_action(
                action, "pending", from_statuses=("running",), reason="executor stopped mid-way; retried"
            ):
                logger.warning("stalled action put back in line", extra={"store_id": store_id})
                recovered += 1
    return recovered
