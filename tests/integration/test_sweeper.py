"""The due-job sweeper over hour partitions: what a first sweep costs, and that each due job still
runs exactly once, is taken over when its sweeper died, and is caught up after an outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.composition import build_registry
from functions.engine.sweep import MAX_PARTITIONS_PER_SWEEP, sweep
from storekit.automation import Domain
from storekit.clock import FixedClock, iso
from storekit.records import JobRecord
from storekit.runtime import Runtime
from tests.support import QueryLog

pytestmark = pytest.mark.integration

KIND = "test-sweeper"


@pytest.fixture
def ran(runtime: Runtime) -> list[str]:
    """The ids of the KIND jobs the sweeper ran, in order (a test domain declares the kind)."""
    calls: list[str] = []

    def record(job: JobRecord, _: Runtime) -> str:
        calls.append(job.job_id)
        return "ok"

    runtime.registry = build_registry(Domain(name="test", schedules={KIND: record}))
    return calls


def file_job(runtime: Runtime, job_id: str, due: datetime) -> JobRecord:
    job = runtime.repo.put_job(
        JobRecord(
            job_id=job_id, store_id="demo", kind=KIND, due_at=iso(due), created_at=iso(runtime.clock.now())
        )
    )
    assert job is not None
    return job


def test_a_first_sweep_reads_one_partition_per_hour_of_its_day_of_lookback(
    runtime: Runtime, clock: FixedClock, ran: list[str]
) -> None:
    """It read 1,441 minute buckets (1,442 Queries, seconds against moto) before."""
    file_job(runtime, "yesterday", clock.now() + timedelta(minutes=10))
    clock.advance(hours=23)  # the sweeper's first run: the job has been due for almost a day
    with QueryLog(runtime.table) as queries:
        counts = sweep(runtime)
    assert ran == ["yesterday"] and counts["done"] == 1
    jobs = queries.of("JOB#")
    assert len(jobs) == 25  # the 24 hours before, and the current one
    assert jobs[0] == "JOB#2026-11-24T11" and jobs[-1] == "JOB#2026-11-25T11"
    assert queries.count == len(jobs) + 1  # and the store list (stalled actions)
    clock.advance(minutes=1)
    sweep(runtime)  # (the first minute of an hour reads the one before again: see the last test)
    with QueryLog(runtime.table) as queries:
        clock.advance(minutes=1)
        sweep(runtime)
    assert queries.of("JOB#") == ["JOB#2026-11-25T11"]  # then one hour partition a minute


def test_a_sweep_after_an_outage_reads_a_day_at_most_and_the_next_one_goes_on(
    runtime: Runtime, clock: FixedClock, ran: list[str]
) -> None:
    sweep(runtime)
    file_job(runtime, "late", clock.now() + timedelta(hours=30))
    clock.advance(days=3)
    with QueryLog(runtime.table) as queries:
        assert sweep(runtime)["done"] == 0
    assert len(queries.of("JOB#")) == MAX_PARTITIONS_PER_SWEEP
    assert sweep(runtime)["done"] == 1
    assert ran == ["late"]


def test_two_sweepers_at_once_run_a_job_once(runtime: Runtime, clock: FixedClock, ran: list[str]) -> None:
    """Both see the job due; the conditional claim lets only one of them run it."""
    other = Runtime(runtime.settings, clock, registry=runtime.registry)
    file_job(runtime, "contested", clock.now())
    claim = runtime.repo.claim_job
    counts_of_other: list[dict[str, int]] = []

    def claim_after_the_other_sweeper(job: JobRecord, stalled_before: str) -> Any:
        if not counts_of_other:
            counts_of_other.append(sweep(other))  # the other sweeper gets there first
        return claim(job, stalled_before)

    runtime.repo.claim_job = claim_after_the_other_sweeper  # type: ignore[method-assign]
    counts = sweep(runtime)
    assert counts_of_other[0]["done"] == 1
    assert counts["claimed"] == 0
    assert ran == ["contested"]


def test_a_claim_held_over_an_hour_change_keeps_the_cursor_until_it_is_taken_over(
    runtime: Runtime, clock: FixedClock, ran: list[str]
) -> None:
    """A sweeper dies holding a job in the 12:00 partition; the hours go on, later jobs still run,
    and the sweeper never moves past 12:00 until the abandoned job is taken over and run."""
    clock.advance(minutes=49)
    sweep(runtime)
    clock.advance(minutes=1)  # 12:50
    held = file_job(runtime, "held", clock.now())
    assert runtime.repo.claim_job(held, iso(clock.now() - timedelta(minutes=20))) is not None  # ... dies
    clock.advance(minutes=10)  # 13:00
    file_job(runtime, "next-hour", clock.now() + timedelta(minutes=5))
    for _ in range(10):  # 13:01 .. 13:10: the claim is recent, left alone
        clock.advance(minutes=1)
        with QueryLog(runtime.table) as queries:
            sweep(runtime)
        assert queries.of("JOB#") == ["JOB#2026-11-24T12", "JOB#2026-11-24T13"]
    assert ran == ["next-hour"]
    clock.advance(minutes=15)  # 13:25, 35 minutes after the claim: abandoned
    counts = sweep(runtime)
    assert counts["taken_over"] == 1
    assert ran == ["next-hour", "held"]
    clock.advance(minutes=5)
    with QueryLog(runtime.table) as queries:
        assert sweep(runtime)["claimed"] == 0
    assert queries.of("JOB#") == ["JOB#2026-11-24T13"]  # the cursor moved on
    assert ran == ["next-hour", "held"]


def test_a_job_filed_for_now_as_an_hour_ends_still_runs_when_its_write_lands_late(
    runtime: Runtime, clock: FixedClock, ran: list[str]
) -> None:
    """A job filed at 12:59:59 (by its filer's clock) whose write lands after the 13:00 sweep read
    the 12:00 partition is found by the next sweep, which reads that hour again."""
    clock.advance(minutes=59, seconds=30)
    sweep(runtime)
    clock.advance(seconds=40)  # 13:00:10
    sweep(runtime)
    filer = Runtime(runtime.settings, FixedClock(datetime(2026, 11, 24, 12, 59, 59, tzinfo=UTC)))
    file_job(filer, "last-moment", filer.clock.now())
    clock.advance(seconds=50)  # 13:01
    sweep(runtime)
    assert ran == ["last-moment"]
    clock.advance(minutes=5)
    with QueryLog(runtime.table) as queries:
        sweep(runtime)
    assert queries.of("JOB#") == ["JOB#2026-11-24T13"]


def test_a_job_that_hits_a_passing_table_fault_is_run_again_not_failed(
    runtime: Runtime, clock: FixedClock
) -> None:
    """A retry job whose table write is throttled once used to be failed for good, leaving its
    action `retrying` forever; it now stays claimed and is taken over and run later."""
    from botocore.exceptions import ClientError

    tries: list[str] = []

    def throttled_once(job: JobRecord, _: Runtime) -> str:
        tries.append(job.job_id)
        if len(tries) == 1:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
            raise ClientError(error, "UpdateItem")  # type: ignore[arg-type]
        return "ok"

    def broken(job: JobRecord, _: Runtime) -> str:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "UpdateItem")  # type: ignore[arg-type]

    runtime.registry = build_registry(Domain(name="test", schedules={KIND: throttled_once, "broken": broken}))
    file_job(runtime, "throttled", clock.now())
    runtime.repo.put_job(
        JobRecord(
            job_id="bad", store_id="demo", kind="broken", due_at=iso(clock.now()), created_at=iso(clock.now())
        )
    )
    clock.advance(minutes=1)
    first = sweep(runtime)
    assert first["deferred"] == 1 and first["failed"] == 1  # a lasting error still fails its job
    clock.advance(minutes=5)
    assert sweep(runtime)["claimed"] == 0  # a recent claim is left alone
    clock.advance(minutes=30)
    later = sweep(runtime)
    assert later["taken_over"] == 1 and later["done"] == 1
    assert tries == ["throttled", "throttled"]
    jobs = {str(j["job_id"]): j["status"] for j in runtime.repo.items_of("demo", "schedules")}
    assert jobs == {"throttled": "done", "bad": "failed"}
