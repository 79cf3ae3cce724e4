"""Powertools partial batch processing for the stream and queue handlers: a failing record is
reported back (batchItemFailures) instead of failing, or blocking, the whole batch, where the event
source mapping honours that answer (settings.partial_batch_responses); elsewhere the batch fails,
so the failed records are retried instead of silently dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from storekit.settings import get_settings


class BatchNotFullyProcessed(Exception):
    """Some records failed and the event source cannot be told which: retry the whole batch
    (handlers are idempotent; a stream record that keeps failing is parked after its tries)."""


def process_batch(
    event: Any, record_handler: Callable[[Any], None], source: Literal["sqs", "dynamodb"]
) -> Any:
    """Run `record_handler` on each record of a Chalice SQS/DynamoDB event; report the failures.

    Powertools is imported here, not at module level: it costs ~80 ms of cold import."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    kind = EventType.SQS if source == "sqs" else EventType.DynamoDBStreams
    processor = BatchProcessor(event_type=kind, raise_on_entire_batch_failure=False)
    answer = process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=processor, context=event.context
    )
    failed = len(answer.get("batchItemFailures") or [])
    if failed and not get_settings().partial_batch_responses:
        raise BatchNotFullyProcessed(f"{failed} record(s) of the batch failed; the batch is retried")
    return answer
