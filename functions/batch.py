"""Powertools partial batch processing for the stream and queue handlers: a failing record is
reported back (batchItemFailures) instead of failing, or blocking, the whole batch, where the event
source mapping honours that answer (settings.partial_batch_responses); elsewhere the batch fails,
so the failed records are retried instead of silently dropped.

Table stream records are parsed at this edge into Powertools parser models
(DynamoDBStreamRecordModel: images as plain values); a record that does not parse is reported as
failed like one whose handler raised, and never reaches the handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from storekit.settings import get_settings


class BatchNotFullyProcessed(Exception):
    """Some records failed and the event source cannot be told which: retry the whole batch
    (handlers are idempotent; a stream record that keeps failing is parked after its tries)."""


def process_batch(
    event: Any,
    record_handler: Callable[[Any], None],
    source: Literal["sqs", "dynamodb"],
    *,
    fail_whole_batch: bool = True,
) -> Any:
    """Run `record_handler` on each record of a Chalice SQS/DynamoDB event; report the failures.
    DynamoDB stream records reach the handler as DynamoDBStreamRecordModel, SQS records as
    Powertools SQSRecord. `fail_whole_batch=False`: the caller reports (or raises for) the
    failures itself (the dispatcher adds those of its batch's last step).

    Powertools is imported here, not at module level: it costs ~80 ms of cold import."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel

    if source == "sqs":
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    else:
        processor = BatchProcessor(
            event_type=EventType.DynamoDBStreams,
            model=DynamoDBStreamRecordModel,
            raise_on_entire_batch_failure=False,
        )
    answer = process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=processor, context=event.context
    )
    failed = len(answer.get("batchItemFailures") or [])
    if failed and fail_whole_batch and not get_settings().partial_batch_responses:
        raise BatchNotFullyProcessed(f"{failed} record(s) of the batch failed; the batch is retried")
    return answer
