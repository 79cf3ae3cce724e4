"""Local stand-ins for what AWS does around the Lambdas: stream and SQS event source mappings and
the EventBridge minute schedule. They hand Lambda-shaped events to the very same Chalice handlers.

moto's stream records differ from Lambda's (AWS-LOCAL-FACTS.md): no eventSourceARN and a datetime
ApproximateCreationDateTime. `lambda_shaped` fixes both before the handler sees a record.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice.local import LambdaContext

log = logging.getLogger("storeflow.local")

Handler = Callable[[dict[str, Any], Any], Any]

#: how often a record that reported a batch item failure is handed over again (Lambda: bounded retries)
MAX_REDELIVERIES = 4


def lambda_shaped(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    shaped = dict(record)
    shaped["eventSourceARN"] = stream_arn
    shaped["awsRegion"] = region
    shaped.setdefault("eventSource", "aws:dynamodb")
    shaped.setdefault("eventVersion", "1.1")
    ddb = dict(shaped.get("dynamodb", {}))
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    shaped["dynamodb"] = ddb
    return shaped


def invoke(name: str, handler: Handler, event: dict[str, Any]) -> set[str]:
    """Call a handler like Lambda would; return the ids it reported as failed."""
    context = LambdaContext(name, memory_size=256, max_runtime_ms=60_000)
    context.aws_request_id = str(uuid.uuid4())
    try:
        answer = handler(event, context)
    except Exception:
        # Lambda retries the whole batch when the function raises
        log.exception("%s raised; the whole batch is retried", name)
        records = event.get("Records", [])
        return {str(r.get("messageId") or r.get("dynamodb", {}).get("SequenceNumber")) for r in records}
    failures = (answer or {}).get("batchItemFailures", []) if isinstance(answer, dict) else []
    return {str(f["itemIdentifier"]) for f in failures}


class StreamPoller:
    """One table stream, every shard, each batch given to every consumer (dispatch, execute)."""

    def __init__(
        self,
        session: Any,
        stream_arn: str,
        consumers: dict[str, Handler],
        batch_size: int = 25,
        observer: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._observer = observer
        self._streams = session.client("dynamodbstreams")
        self._arn = stream_arn
        self._region = session.region_name or "us-east-1"
        self._consumers = consumers
        self._batch = batch_size
        self._iterators: dict[str, str] = {}

    def _shard_iterators(self) -> dict[str, str]:
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        return self._iterators

    def poll_once(self) -> int:
        """Deliver every record available now; returns how many were delivered."""
        delivered = 0
        for shard_id, iterator in list(self._shard_iterators().items()):
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=self._batch)
                records = [lambda_shaped(r, self._arn, self._region) for r in page.get("Records", [])]
                next_iterator = page.get("NextShardIterator")
                if records:
                    self._deliver(records)
                    delivered += len(records)
                    if self._observer is not None:
                        for record in records:
                            self._observer(record)
                self._iterators[shard_id] = next_iterator or iterator
                if not records or not next_iterator:
                    break
                iterator = next_iterator
        return delivered

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        for name, handler in self._consumers.items():
            pending = records
            for _ in range(MAX_REDELIVERIES):
                failed = invoke(name, handler, {"Records": pending})
                if not failed:
                    break
                # DynamoDB batch item failures name the record's sequence number
                pending = [r for r in pending if r["dynamodb"].get("SequenceNumber") in failed]
                if not pending:
                    break
            else:
                log.error("%s: %d record(s) still failing after redeliveries", name, len(pending))

    def drain(self, max_rounds: int = 50) -> int:
        """Poll until the stream is quiet (handlers write items that produce more records)."""
        total = 0
        for _ in range(max_rounds):
            delivered = self.poll_once()
            total += delivered
            if not delivered:
                return total
        return total


class QueuePoller:
    """An SQS event source mapping: receive, hand to the handler, delete what succeeded."""

    def __init__(self, session: Any, queue_url: str, queue_arn: str, name: str, handler: Handler) -> None:
        self._sqs = session.client("sqs")
        self._url = queue_url
        self._arn = queue_arn
        self._name = name
        self._handler = handler

    def poll_once(self) -> int:
        answer = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self._arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
        failed = invoke(self._name, self._handler, {"Records": records})
        for m in messages:
            if m["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    now = datetime.now().astimezone()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [rule_arn],
        "detail": {},
    }


class Ticker(threading.Thread):
    """Run `tick` every `interval` seconds until stopped; a failing tick is logged, not fatal."""

    def __init__(self, name: str, interval: float, tick: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self._interval = interval
        self._tick = tick
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("%s tick failed", self.name)
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()


# --- the quiet console of `make run`: one line per webhook received and per action decided ---------
#: action statuses an attempt ends in (pending and running are steps on the way)
_DECIDED = frozenset({"planned", "done", "failed", "retrying", "scheduled"})


def _image(record: dict[str, Any], which: str) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    raw = record.get("dynamodb", {}).get(which) or {}
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in raw.items()}


def console_line(record: dict[str, Any]) -> str | None:
    """What `make run` prints for one table stream record, or None for the records nobody needs
    to see: a webhook stored (store, platform topic), a run that decided nothing or failed
    (automation, outcome, reason), an action's attempt (automation, what, outcome). Never personal
    data: action summaries mask recipients, and payloads are never read."""
    new = _image(record, "NewImage")
    kind = new.get("type")
    if kind == "EVENT" and record.get("eventName") == "INSERT":
        return f"webhook  {new.get('store_id')}  {new.get('platform')} {new.get('platform_topic')}  received"
    if kind == "RUN" and record.get("eventName") == "INSERT" and new.get("outcome") != "actions":
        reason = f": {new['reason']}" if new.get("reason") else ""
        return f"run      {new.get('store_id')}  {new.get('automation')}  {new.get('outcome')}{reason}"
    if kind == "ACTION" and record.get("eventName") == "MODIFY":
        status = new.get("status")
        if status not in _DECIDED or _image(record, "OldImage").get("status") == status:
            return None
        tail = f" ({new['reason']})" if new.get("reason") and status != "planned" else ""
        what = f"{new.get('automation')}  {new.get('summary')}"
        return f"action   {new.get('store_id')}  {what}  -> {status}{tail}"
    return None
