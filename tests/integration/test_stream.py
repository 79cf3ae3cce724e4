"""Table stream records parsed at the edge (Powertools DynamoDBStreamRecordModel): a record that
does not parse is reported failed like one whose handler raised, and the rest of its batch is
still handled."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from chalice.local import LambdaContext

from functions.batch import BatchNotFullyProcessed
from infra.pollers import lambda_shaped
from storekit.settings import reset_settings
from tests.payloads import load_fixture
from tests.support import put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"


def stream_records(session: Any, resources: Any) -> list[dict[str, Any]]:
    """Every record on the table stream so far, shaped as Lambda hands them over."""
    streams = session.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=resources.stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=resources.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [lambda_shaped(r, resources.stream_arn, "us-east-1") for r in records]


def event_records(api: Any, session: Any, resources: Any) -> list[dict[str, Any]]:
    put_store(api)
    raw = load_fixture(ORDER)[0]
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(raw, "orders/create", "d-1"), body=raw
    )
    assert answer.status_code == 200
    return [r for r in stream_records(session, resources) if "EVENT" in r["dynamodb"]["Keys"]["SK"]["S"]]


def unparseable(record: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(record)
    bad["eventSource"] = "aws:kinesis"
    bad["dynamodb"]["SequenceNumber"] = "999999999"
    return bad


@pytest.mark.parametrize("partial_batch_responses", ["true", "false"])
def test_a_record_that_does_not_parse_fails_alone(
    api: Any,
    app: Any,
    runtime: Any,
    session: Any,
    resources: Any,
    monkeypatch: Any,
    partial_batch_responses: str,
) -> None:
    monkeypatch.setenv("STOREFLOW_PARTIAL_BATCH_RESPONSES", partial_batch_responses)
    reset_settings()
    records = event_records(api, session, resources)
    assert records
    batch = {"Records": [unparseable(records[-1]), *records]}
    handler = app.handler_map["dispatch"]
    context = LambdaContext("dispatch", memory_size=256)
    if partial_batch_responses == "true":
        assert handler(batch, context) == {"batchItemFailures": [{"itemIdentifier": "999999999"}]}
    else:
        with pytest.raises(BatchNotFullyProcessed):
            handler(batch, context)
    # the well-formed record was dispatched all the same
    assert runtime.repo.get_event_item("demo", "shopify", "d-1")["status"] == "processed"


def test_a_keys_only_record_is_handled_from_the_item_read_again(
    api: Any, app: Any, runtime: Any, session: Any, resources: Any
) -> None:
    [*_, record] = event_records(api, session, resources)
    keys_only = copy.deepcopy(record)
    keys_only["dynamodb"].pop("NewImage", None)
    keys_only["dynamodb"]["StreamViewType"] = "KEYS_ONLY"
    answer = app.handler_map["dispatch"]({"Records": [keys_only]}, LambdaContext("dispatch", memory_size=256))
    assert not (answer or {}).get("batchItemFailures")
    assert runtime.repo.get_event_item("demo", "shopify", "d-1")["status"] == "processed"
