"""The embedded moto's transactions (infra/moto_fidelity.py) behave as DynamoDB's: a cancelled
transaction writes none of its items and adds no stream record, and the stream a consumer is
reading keeps flowing afterwards (moto's own emulation swapped the table's stream shard for a copy,
so a reader's iterator stopped seeing new records); a transaction that succeeds writes every item
and each write is on the stream; a write that fails part-way puts back the items already written."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


class StreamReader:
    """A consumer of the table stream that keeps its place, as the local pollers do."""

    def __init__(self, session: Any, stream_arn: str) -> None:
        self._streams = session.client("dynamodbstreams")
        shard = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
        self._iterator = self._streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def read(self) -> list[tuple[str, str, str]]:
        """The records since the last read: (event, PK, SK)."""
        page = self._streams.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = page.get("NextShardIterator") or self._iterator
        return [
            (r["eventName"], r["dynamodb"]["Keys"]["PK"]["S"], r["dynamodb"]["Keys"]["SK"]["S"])
            for r in page["Records"]
        ]


def key(pk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": "A"}}


@pytest.fixture
def ddb(session: Any) -> Any:
    return session.client("dynamodb")


@pytest.fixture
def seeded(ddb: Any, resources: Any) -> str:
    """A counter item at 5 and a note, written before the transactions under test."""
    table = resources.table_name
    ddb.put_item(TableName=table, Item={**key("COUNTER"), "n": {"N": "5"}})
    ddb.put_item(TableName=table, Item={**key("NOTE"), "text": {"S": "kept"}})
    return str(table)


def stored(ddb: Any, table: str, pk: str) -> dict[str, Any] | None:
    found = ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True).get("Item")
    return dict(found) if found else None


def bump(table: str, condition: str | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key("COUNTER"),
        "UpdateExpression": "SET n = n + :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    if condition:
        update["ConditionExpression"] = condition
        update["ExpressionAttributeValues"][":limit"] = {"N": "5"}
    return {"Update": update}


def test_a_failed_condition_writes_nothing_and_the_stream_keeps_flowing(
    ddb: Any, session: Any, resources: Any, seeded: str
) -> None:
    reader = StreamReader(session, resources.stream_arn)
    assert [pk for _, pk, _ in reader.read()] == ["COUNTER", "NOTE"]

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": seeded, "Item": {**key("MARKER"), "order": {"S": "1001"}}}},
                bump(seeded),
                {
                    "Put": {
                        "TableName": seeded,
                        "Item": {**key("NOTE"), "text": {"S": "overwritten"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert stored(ddb, seeded, "MARKER") is None
    assert stored(ddb, seeded, "COUNTER") == {**key("COUNTER"), "n": {"N": "5"}}
    assert stored(ddb, seeded, "NOTE") == {**key("NOTE"), "text": {"S": "kept"}}
    assert reader.read() == []  # a cancelled transaction is not on the stream

    ddb.put_item(TableName=seeded, Item={**key("LATER"), "text": {"S": "after"}})
    assert reader.read() == [("INSERT", "LATER", "A")]  # the reader still sees what comes next
    everything = StreamReader(session, resources.stream_arn).read()
    assert [pk for _, pk, _ in everything] == ["COUNTER", "NOTE", "LATER"]


def test_a_failed_condition_can_return_the_stored_item(ddb: Any, seeded: str) -> None:
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": seeded,
                        "Key": key("COUNTER"),
                        "ConditionExpression": "n < :limit",
                        "ExpressionAttributeValues": {":limit": {"N": "5"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {"Delete": {"TableName": seeded, "Key": key("NOTE")}},
            ]
        )

    first, second = cancelled.value.response["CancellationReasons"]
    assert first["Code"] == "ConditionalCheckFailed"
    assert first["Item"] == {**key("COUNTER"), "n": {"N": "5"}}
    assert second == {"Code": "None"}
    assert stored(ddb, seeded, "NOTE") is not None


def test_a_transaction_that_passes_writes_every_item_and_each_is_on_the_stream(
    ddb: Any, session: Any, resources: Any, seeded: str
) -> None:
    reader = StreamReader(session, resources.stream_arn)
    reader.read()

    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": seeded,
                    "Item": {**key("MARKER"), "order": {"S": "1001"}},
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            bump(seeded, condition="n <= :limit"),
            {"Delete": {"TableName": seeded, "Key": key("NOTE")}},
        ]
    )

    assert stored(ddb, seeded, "MARKER") == {**key("MARKER"), "order": {"S": "1001"}}
    assert stored(ddb, seeded, "COUNTER") == {**key("COUNTER"), "n": {"N": "6"}}
    assert stored(ddb, seeded, "NOTE") is None
    assert reader.read() == [("INSERT", "MARKER", "A"), ("MODIFY", "COUNTER", "A"), ("REMOVE", "NOTE", "A")]


def test_a_write_that_fails_part_way_puts_back_the_items_already_written(
    ddb: Any, session: Any, resources: Any, seeded: str
) -> None:
    reader = StreamReader(session, resources.stream_arn)
    reader.read()

    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": seeded, "Item": {**key("MARKER"), "order": {"S": "1001"}}}},
                bump(seeded),
                {"Delete": {"TableName": seeded, "Key": key("NOTE")}},
                {
                    # valid as written, refused when applied: the item has no attribute `missing`
                    "Update": {
                        "TableName": seeded,
                        "Key": key("OTHER"),
                        "UpdateExpression": "SET n = missing + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert stored(ddb, seeded, "MARKER") is None
    assert stored(ddb, seeded, "COUNTER") == {**key("COUNTER"), "n": {"N": "5"}}
    assert stored(ddb, seeded, "NOTE") == {**key("NOTE"), "text": {"S": "kept"}}
    assert stored(ddb, seeded, "OTHER") is None
    assert reader.read() == []

    ddb.put_item(TableName=seeded, Item={**key("LATER"), "text": {"S": "after"}})
    assert reader.read() == [("INSERT", "LATER", "A")]


def test_one_item_named_twice_is_refused_before_anything_is_written(ddb: Any, seeded: str) -> None:
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": seeded, "Item": {**key("MARKER"), "order": {"S": "1"}}}},
                {"Put": {"TableName": seeded, "Item": {**key("MARKER"), "order": {"S": "2"}}}},
            ]
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "multiple operations on one item" in refused.value.response["Error"]["Message"]
    assert stored(ddb, seeded, "MARKER") is None


def test_queries_answer_as_moto_does(ddb: Any, resources: Any) -> None:
    """A query of the table reads only its partition, one of an index skips sorting the whole table:
    the same items, order and pages as moto's own query."""
    from infra import moto_fidelity

    table = resources.table_name
    for i in range(60):
        ddb.put_item(
            TableName=table,
            Item={
                "PK": {"S": f"P#{i % 3}"},
                "SK": {"S": f"S#{i:03}"},
                "GSI1PK": {"S": f"G#{i % 2}"},
                "GSI1SK": {"S": f"{(i * 7) % 10}"},  # repeats: ties ordered by the table's key
            },
        )

    def pages(**query: Any) -> list[list[str]]:
        out, start = [], None
        while True:
            answer = ddb.query(
                TableName=table, Limit=7, **query, **({"ExclusiveStartKey": start} if start else {})
            )
            out.append([f"{i['PK']['S']}/{i['SK']['S']}" for i in answer["Items"]])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return out

    queries: list[dict[str, Any]] = [
        {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#1"}}},
        {
            "KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": "P#2"}, ":a": {"S": "S#010"}, ":b": {"S": "S#040"}},
            "ScanIndexForward": False,
        },
        {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#9"}}},
        {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :g",
            "ExpressionAttributeValues": {":g": {"S": "G#0"}},
        },
        {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :g AND GSI1SK >= :s",
            "ExpressionAttributeValues": {":g": {"S": "G#1"}, ":s": {"S": "5"}},
            "ScanIndexForward": False,
        },
    ]
    ours = [pages(**q) for q in queries]
    moto_fidelity.uninstall()
    try:
        theirs = [pages(**q) for q in queries]
    finally:
        moto_fidelity.install()

    assert ours == theirs
    assert sum(len(p) for p in ours[0]) == 20 and len(ours[0]) == 3  # 20 items in pages of 7
    assert ours[2] == [[]]
