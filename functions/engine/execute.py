"""The executor: the only code that acts on the outside world.

Action items reach it from the stream. A store (or automation) in dry-run gets its actions marked
`planned` with nothing called; in live mode the platform or channel client is called. Throttling
(429 Retry-After, Shopify THROTTLED) and transient faults are retried with backoff through a due
job; permanent failures are recorded with their reason.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from functions.engine.perform import perform, render
from storekit.actions import INTERNAL_KINDS, Action, SendEmail, SendSms, action_from_json
from storekit.automation import OutgoingAction, SettledAction
from storekit.clock import iso
from storekit.errors import ConfigurationError, ExternalCallError, Throttled
from storekit.observability import logger, metrics
from storekit.outbound import DueJob
from storekit.records import ActionRecord, JobRecord
from storekit.repository import action_from_item
from storekit.runtime import Runtime
from storekit.store import StoreConfig

T = TypeVar("T")

MAX_ATTEMPTS = 5
BASE_BACKOFF_S = 30
MAX_BACKOFF_S = 3600
RETRY_JOB = "retry_action"


def backoff_seconds(attempts: int, retry_after: float | None) -> float:
    """How long to wait before the next attempt: Retry-After when given, else doubling from 30 s."""
    if retry_after is not None and retry_after > 0:
        return min(float(retry_after), MAX_BACKOFF_S)
    return float(min(BASE_BACKOFF_S * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def execute_action(item: dict[str, Any], runtime: Runtime) -> str:
    """Carry out (or plan) one pending action exactly once. Returns the resulting status."""
    if item.get("status") != "pending":
        return "skipped"
    record = action_from_item(item)
    claimed = runtime.repo.move_action(record, "running", from_statuses=("pending",), count_attempt=True)
    if claimed is None:
        return "skipped"  # another worker (or a repeated stream record) got it first
    store = runtime.store(record.store_id, fresh=True)
    if store is None:
        _finish(claimed, "failed", runtime, reason="store no longer exists")
        return "failed"
    mode = store.mode_for(record.automation)
    if mode == "dry-run" and record.kind not in INTERNAL_KINDS:
        refused = _refusal(store, record, runtime)
        if refused is not None:
            _finish(claimed, "failed", runtime, reason=refused, mode=mode)
            return _settled(store, "failed", runtime, record)
        _finish(claimed, "planned", runtime, reason="dry-run: nothing was called", mode=mode)
        return _settled(store, "planned", runtime, record)
    action = action_from_json(record.action)
    if action.not_before is not None and action.not_before > runtime.clock.now():
        due = iso(action.not_before)
        _file_retry(claimed, action.not_before, runtime)
        _finish(claimed, "scheduled", runtime, reason=f"held until {due}", next_attempt_at=due, mode=mode)
        return "scheduled"
    refused = _refusal(store, record, runtime, action) if action.kind not in INTERNAL_KINDS else None
    if refused is not None:
        _finish(claimed, "failed", runtime, reason=refused, mode=mode)
        return _settled(store, "failed", runtime, record)
    if action.kind in INTERNAL_KINDS:
        request = render(action, store, runtime)
        assert isinstance(request, DueJob)
        job = runtime.repo.put_job(
            JobRecord(
                job_id=record.action_id,  # the outbox key: the same decision files one job
                store_id=record.store_id,
                kind=request.job_kind,
                due_at=request.due_at,
                params=request.params,
                created_at=iso(runtime.clock.now()),
            )
        )
        _finish(
            claimed,
            "done",
            runtime,
            result=f"job {record.action_id}",
            mode=mode,
            reason=None if job else "job already filed",
        )
        return _settled(store, "done", runtime, record)
    try:
        result = perform(action, store, runtime)
    except ExternalCallError as exc:
        return _after_failure(claimed, exc, store, runtime)
    except ConfigurationError as exc:
        _finish(claimed, "failed", runtime, reason=str(exc), mode=mode)
        return _settled(store, "failed", runtime, record)
    except Exception as exc:
        # a bug, not the outside world: record it rather than leave the action running
        logger.exception(
            "action raised unexpectedly", extra={"store_id": record.store_id, "kind": record.kind}
        )
        reason = f"unexpected {type(exc).__name__}: {exc}"[:500]
        _finish(claimed, "failed", runtime, reason=reason, mode=mode)
        return _settled(store, "failed", runtime, record)
    # the outside world has acted: recording that must not fail on a passing table fault, or the
    # action would look unfinished (and a message could not be told from one never sent)
    _finish(claimed, "done", runtime, result=result, mode=mode, durable=True)
    note_customer_contact(record.store_id, action, runtime)
    logger.info("action done", extra={"store_id": record.store_id, "kind": record.kind})
    return _settled(store, "done", runtime, record)


def _refusal(
    store: StoreConfig, record: ActionRecord, runtime: Runtime, action: Action | None = None
) -> str | None:
    """The domains' reason not to carry out (or plan) the action now, if any (Domain.admits)."""
    if not runtime.registry.admits:
        return None
    if action is None:
        try:
            action = action_from_json(record.action)
        except ValueError:
            return None
    outgoing = OutgoingAction(
        store=store,
        repo=runtime.repo,
        now=runtime.clock.now(),
        action=action,
        action_id=record.action_id,
        automation=record.automation,
    )
    for admit in runtime.registry.admits:
        reason = admit(outgoing)
        if reason is not None:
            return reason
    return None


#: pauses between tries of recording an action that was carried out (table throttling passes)
PERSIST_PAUSES_S = (0.05, 0.2, 0.5, 1.0)


def _persisting(write: Callable[[], T]) -> T:
    """Run a table write, trying again after short pauses on a DynamoDB fault (boto3 has retried
    already; this rides out a longer burst). The last fault is raised."""
    for pause in PERSIST_PAUSES_S:
        try:
            return write()
        except ClientError as exc:
            fault = exc.response.get("Error", {}).get("Code", "ClientError")
            logger.warning("recording a finished action failed; trying again", extra={"fault": fault})
            time.sleep(pause)
    return write()


def _finish(
    claimed: ActionRecord,
    status: str,
    runtime: Runtime,
    *,
    reason: str | None = None,
    result: str | None = None,
    next_attempt_at: str | None = None,
    mode: str | None = None,
    durable: bool = False,
) -> None:
    """End one attempt: move the running action to `status` and add the attempt to its history,
    in one write. `durable`: the outside world has acted, so the write rides out passing table
    faults."""

    def move() -> ActionRecord | None:
        return runtime.repo.move_action(
            claimed,
            status,
            from_statuses=("running",),
            reason=reason,
            result=result,
            next_attempt_at=next_attempt_at,
            mode=mode,
            note_attempt=True,
        )

    if durable:
        _persisting(move)
    else:
        move()


def note_customer_contact(store_id: str, action: Action, runtime: Runtime) -> None:
    """Remember the channel a message really reached someone on (live sends only: a planned
    dry-run message reached no one), so returns-follow-up answers on the channel last used."""
    if isinstance(action, SendEmail | SendSms):
        channel = "email" if isinstance(action, SendEmail) else "sms"
        try:
            runtime.repo.note_contact(store_id, action.to, channel, iso(runtime.clock.now()))
        except ClientError:
            # the message went out; only the channel preference is lost
            logger.warning("last contact not recorded", extra={"store_id": store_id, "channel": channel})


def _settled(store: StoreConfig, status: str, runtime: Runtime, record: ActionRecord | None = None) -> str:
    """Count an action that reached a final status (metrics + the domains' counters)."""
    metrics.add_metric(name=f"Actions{status.capitalize()}", unit=MetricUnit.Count, value=1)
    action: Action | None = None
    if record is not None:
        try:
            action = action_from_json(record.action)
        except ValueError:
            action = None  # a kind this version no longer carries out: counted without it
    settled = SettledAction(
        store=store,
        status=status,
        repo=runtime.repo,
        now=runtime.clock.now(),
        action=action,
        automation=record.automation if record is not None else "",
        action_id=record.action_id if record is not None else "",
    )
    for hook in runtime.registry.settles:
        hook(settled)
    return status


def _after_failure(record: ActionRecord, exc: ExternalCallError, store: StoreConfig, runtime: Runtime) -> str:
    reason = f"{type(exc).__name__}: {exc}"[:500]
    if not exc.retryable or record.attempts >= MAX_ATTEMPTS:
        final = reason if not exc.retryable else f"gave up after {record.attempts} attempts: {reason}"
        _finish(record, "failed", runtime, reason=final, mode="live")
        logger.warning("action failed", extra={"store_id": record.store_id, "kind": record.kind})
        return _settled(store, "failed", runtime, record)
    retry_after = exc.retry_after if isinstance(exc, Throttled) else None
    due = runtime.clock.now() + timedelta(seconds=backoff_seconds(record.attempts, retry_after))
    _file_retry(record, due, runtime)
    _finish(record, "retrying", runtime, reason=reason, next_attempt_at=iso(due), mode="live")
    metrics.add_metric(name="ActionRetries", unit=MetricUnit.Count, value=1)
    return "retrying"


def _file_retry(record: ActionRecord, due: datetime, runtime: Runtime) -> None:
    """A due job that hands the action back to the executor at `due` (the minute sweeper runs it)."""
    runtime.repo.put_job(
        JobRecord(
            job_id=uuid.uuid4().hex,
            store_id=record.store_id,
            kind=RETRY_JOB,
            due_at=iso(due),
            params={"action_id": record.action_id},
            created_at=iso(runtime.clock.now()),
        )
    )


def release_for_retry(
    store_id: str, action_id: str, runtime: Runtime, *, from_statuses: tuple[str, ...]
) -> bool:
    """Put an action back to `pending` (the stream hands it to the executor again)."""
    record = runtime.repo.get_action(store_id, action_id)
    if record is None:
        return False
    return runtime.repo.move_action(record, "pending", from_statuses=from_statuses) is not None
