"""The minute sweeper: due jobs found by their hour partition (never a scan), each run exactly once."""

from __future__ import annotations

from datetime import timedelta

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from functions.engine.dispatch import decide_and_record
from functions.engine.execute import RETRY_JOB, release_for_retry
from storekit import keys
from storekit.actions import REPEATABLE_KINDS
from storekit.automation import EventMeta, JobHandler, Reader
from storekit.clock import iso
from storekit.observability import logger, metrics
from storekit.records import JobRecord, RunSource
from storekit.runtime import Runtime

#: how far back a first sweep (no cursor yet) looks for jobs: 25 hour partitions, one Query each
LOOKBACK = timedelta(hours=24)
#: hour partitions one sweep reads at most from its cursor (a day); a sweeper that fell further
#: behind (an outage) catches up over the following sweeps, oldest hour first
MAX_PARTITIONS_PER_SWEEP = 24
#: the previous hour is read again this long into a new one: a job filed for "now" in its last
#: moments whose write lands after a sweep read that hour is still found
SETTLE = timedelta(minutes=1)
#: an action still `running` (or a job still `claimed`) this long after its last change lost its
#: executor (a Lambda runs 15 min at most), so it is put back in line (taken over)
STALLED_AFTER = timedelta(minutes=20)


def _retry_action(job: JobRecord, runtime: Runtime) -> str:
    released = release_for_retry(
        job.store_id, str(job.params["action_id"]), runtime, from_statuses=("retrying", "scheduled")
    )
    return "released for retry" if released else "action no longer waiting"


#: job kinds the engine files itself (merchants schedule the kinds the domains declare)
ENGINE_JOBS: dict[str, JobHandler] = {RETRY_JOB: _retry_action}


def job_handler(kind: str, runtime: Runtime) -> JobHandler | None:
    """The engine's own job kinds, then the kinds domains declare, then automations' own due jobs."""
    return (
        ENGINE_JOBS.get(kind)
        or runtime.registry.schedule_handler(kind)
        or automation_job_handler(kind, runtime)
    )


def automation_job_handler(kind: str, runtime: Runtime) -> JobHandler | None:
    """Jobs an automation filed for itself (ScheduleJob with job_kind = its name)."""
    automation = runtime.registry.get(kind)
    if automation is None or automation.on_due is None:
        return None
    on_due = automation.on_due

    def run(job: JobRecord, runtime: Runtime) -> str:
        store = runtime.store(job.store_id, fresh=True)
        if store is None:
            return "store no longer exists"
        if not store.automation(kind).enabled:
            return f"{kind} is disabled for this store"
        meta = EventMeta(
            event_id=f"job:{job.job_id}",
            platform=store.platform,
            topic=f"job:{kind}",
            delivery_id=job.job_id,
            received_at=iso(runtime.clock.now()),
        )
        related = automation.load_due(job, Reader(store.store_id, runtime.repo, runtime.archive))
        run = decide_and_record(automation, store, meta, related, runtime, lambda ctx: on_due(job, ctx))
        runtime.repo.put_runs(RunSource(store.store_id, meta.event_id, meta.topic, run.created_at), [run])
        return f"{run.outcome}: {len(run.action_ids)} action(s)"

    return run


def sweep(runtime: Runtime) -> dict[str, int]:
    """Run every pending job due by now, from the sweeper's cursor (an hour partition) on."""
    now = runtime.clock.now()
    cursor = runtime.repo.sweeper_cursor()
    if cursor:  # resume exactly where the last sweep stopped (a day of partitions at most)
        start = keys.job_partition_start(cursor)
        partitions = keys.job_partitions_between(start, now, limit=MAX_PARTITIONS_PER_SWEEP)
    else:  # first sweep ever: look back a day
        partitions = keys.job_partitions_between(now - LOOKBACK, now)
    counts = {"claimed": 0, "done": 0, "failed": 0, "taken_over": 0, "deferred": 0}
    until = iso(now)
    stalled_before = iso(now - STALLED_AFTER)
    #: the oldest partition holding a job another sweeper claimed recently: the cursor stays there
    #: so the job is looked at again, and taken over if that sweeper died before finishing it
    held: str | None = None
    for partition in partitions:
        for due in runtime.repo.due_jobs(partition, until):
            if due.status == "claimed" and (due.claimed_at or "") >= stalled_before:
                held = held or partition
                continue
            job = runtime.repo.claim_job(due, stalled_before)
            if job is None:
                continue  # another sweeper claimed it
            if due.status == "claimed":
                logger.warning("job abandoned by a dead sweeper taken over", extra={"kind": job.kind})
                counts["taken_over"] += 1
            counts["claimed"] += 1
            handler = job_handler(job.kind, runtime)
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                outcome = handler(job, runtime)
            except ClientError as exc:
                if not is_passing_fault(exc):
                    fail_job(job, exc, runtime)
                    counts["failed"] += 1
                    continue
                # a passing table fault is no reason to give the job up (a retry job that failed
                # would leave its action waiting forever): it stays claimed, and is taken over
                # once the claim is STALLED_AFTER old
                logger.warning("job hit a passing table fault; tried again later", extra={"kind": job.kind})
                held = held or partition
                counts["deferred"] += 1
                continue
            except Exception as exc:
                fail_job(job, exc, runtime)
                counts["failed"] += 1
                continue
            runtime.repo.move_job(job, "done", "claimed", outcome)
            counts["done"] += 1
    # resume at the last partition looked at: the current hour still gets jobs (due later in it, or
    # filed for the past), and a sweeper that fell behind more than a day continues from there
    settled = keys.job_partition(now - SETTLE)
    runtime.repo.set_sweeper_cursor(held or min(partitions[-1], settled))
    counts["recovered"] = recover_stalled_actions(runtime)
    # the heartbeat the "sweeper stopped" alarm watches (no data for 15 minutes = alarm)
    metrics.add_metric(name="SweeperHeartbeat", unit=MetricUnit.Count, value=1)
    return counts


#: DynamoDB errors that pass (throttling, a service hiccup): the same request later succeeds
PASSING_FAULTS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


def is_passing_fault(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in PASSING_FAULTS


def fail_job(job: JobRecord, exc: Exception, runtime: Runtime) -> None:
    """A job that cannot succeed: failed, with its reason."""
    logger.exception("job failed", extra={"store_id": job.store_id, "kind": job.kind})
    runtime.repo.move_job(job, "failed", "claimed", f"{type(exc).__name__}: {exc}"[:500])


#: why a message (or another kind that must not happen twice) left `running` is not sent again
UNKNOWN_OUTCOME = (
    "the executor stopped while carrying this out, so it may or may not have gone out: it is not "
    "repeated on its own (it must not reach anyone twice); check, then retry it here if needed"
)


def recover_stalled_actions(runtime: Runtime) -> int:
    """Actions whose executor died mid-way (still `running` long after): a repeatable kind goes back
    to `pending`; any other is failed with the reason that its outcome is unknown (never sent twice)."""
    cutoff = iso(runtime.clock.now() - STALLED_AFTER)
    recovered = 0
    for store_id in runtime.repo.store_ids():
        for action in runtime.repo.actions_in_status(store_id, "running"):
            if action.updated_at >= cutoff:
                continue
            if action.kind in REPEATABLE_KINDS:
                moved = runtime.repo.move_action(
                    action, "pending", from_statuses=("running",), reason="executor stopped mid-way; retried"
                )
            else:
                moved = runtime.repo.move_action(
                    action, "failed", from_statuses=("running",), reason=UNKNOWN_OUTCOME
                )
            if moved:
                logger.warning("stalled action recovered", extra={"store_id": store_id, "kind": action.kind})
                recovered += 1
    return recovered
