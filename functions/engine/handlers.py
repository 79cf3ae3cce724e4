"""Engine entry points: the stream dispatcher, the stream executor and the minute sweeper."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent

from functions.batch import BatchNotFullyProcessed, process_batch
from functions.engine.dispatch import current_batch, dispatch_batch, dispatch_event
from functions.engine.execute import execute_action
from functions.engine.stream import handle_record
from functions.engine.sweep import sweep
from storekit import keys
from storekit.clock import iso
from storekit.runtime import get_runtime
from storekit.settings import get_settings, stream_arn_for_binding

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel

bp = Blueprint(__name__)

STREAM_BATCH_SIZE = 25


def _dispatch_record(record: DynamoDBStreamRecordModel) -> None:
    batch = current_batch()
    if batch is not None:
        batch.record = record
    handle_record(record, get_runtime(), item_type=keys.EVENT, handler_name="dispatch", handle=dispatch_event)


def _execute_record(record: DynamoDBStreamRecordModel) -> None:
    handle_record(record, get_runtime(), item_type=keys.ACTION, handler_name="execute", handle=execute_action)


@bp.on_dynamodb_record(
    stream_arn=stream_arn_for_binding(),
    batch_size=STREAM_BATCH_SIZE,
    starting_position="TRIM_HORIZON",
    name="dispatch",
)
def dispatch(event: DynamoDBEvent) -> dict[str, Any]:
    """Event items -> automations -> outbox. Reports batch item failures (see infra merge template).
    The batch's counted writes (markers and summed counters, functions.engine.dispatch.DispatchBatch)
    are written before its events are finished, its counter adds (events per topic and day) once
    per counter at its end."""
    runtime = get_runtime()
    with runtime.repo.counters_held(), dispatch_batch(runtime) as batch:
        answer = process_batch(event, _dispatch_record, "dynamodb", fail_whole_batch=False)
        failures = batch.finish(list(answer.get("batchItemFailures") or []))
    answer = {**answer, "batchItemFailures": failures}
    if failures and not get_settings().partial_batch_responses:
        raise BatchNotFullyProcessed(f"{len(failures)} record(s) of the batch failed; the batch is retried")
    _heartbeat("dispatch", keys.EVENT, event)
    return answer


@bp.on_dynamodb_record(
    stream_arn=stream_arn_for_binding(),
    batch_size=STREAM_BATCH_SIZE,
    starting_position="TRIM_HORIZON",
    name="execute",
)
def execute(event: DynamoDBEvent) -> dict[str, Any]:
    """Action items -> planned (dry-run) or carried out (live). The batch's counter adds (actions
    per status and automation and day) are written once per counter at its end."""
    with get_runtime().repo.counters_held():
        answer = process_batch(event, _execute_record, "dynamodb")
    _heartbeat("execute", keys.ACTION, event)
    return answer


def _heartbeat(handler: str, item_type: str, event: DynamoDBEvent) -> None:
    """At most one write a minute (storekit.repository.jobs) for the batches that held this
    handler's items: when it last got through one and how old its newest record was (GET
    /health?deep=1; deployed, CloudWatch's IteratorAge alarm watches it). A batch of other items
    (the local pollers hand every record to both handlers; deployed, the mapping's filter does
    not) writes nothing: the heartbeat's own stream record must not beat again."""
    created = [
        float(data["ApproximateCreationDateTime"])
        for record in event.to_dict().get("Records") or []
        if (data := record.get("dynamodb") or {}).get("NewImage", {}).get("type", {}).get("S") == item_type
        and data.get("ApproximateCreationDateTime") is not None
    ]
    if created:
        get_runtime().repo.note_stream_batch(handler, iso(datetime.fromtimestamp(max(created), UTC)))


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="sweep")
def minute_sweep(event: CloudWatchEvent) -> dict[str, int]:
    """Run due jobs (retries, scheduled sales, follow-ups), each exactly once."""
    return sweep(get_runtime())
