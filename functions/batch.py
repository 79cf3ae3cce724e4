"""Powertools partial batch processing for the stream and queue handlers: a failing record is
reported back (batchItemFailures) instead of failing, or blocking, the whole batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal


def process_batch(
    event: Any, record_handler: Callable[[Any], None], source: Literal["sqs", "dynamodb"]
) -> Any:
    """Run `record_handler` on each record of a Chalice SQS/DynamoDB event; report the failures.

    Powertools is imported here, not at module level: it costs ~80 ms of cold import."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    kind = EventType.SQS if source == "sqs" else EventType.DynamoDBStreams
    processor = BatchProcessor(event_type=kind, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=processor, context=event.context
    )
