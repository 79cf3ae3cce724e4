"""The local stack creates exactly what infra/resources.json declares."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.bootstrap import create_local_resources, template

pytestmark = pytest.mark.integration


def test_local_table_matches_the_cloudformation_definition(session: Any) -> None:
    resources = create_local_resources(session)
    declared = template()["Resources"]["StoreTable"]["Properties"]
    table = session.client("dynamodb").describe_table(TableName=resources.table_name)["Table"]
    assert table["KeySchema"] == declared["KeySchema"]
    assert {i["IndexName"]: i["KeySchema"] for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"]: i["KeySchema"] for i in declared["GlobalSecondaryIndexes"]
    }
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = session.client("dynamodb").describe_time_to_live(TableName=resources.table_name)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_fallback_queue_redrives_to_its_dead_letter_queue(session: Any) -> None:
    resources = create_local_resources(session)
    sqs = session.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=resources.fallback_queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    redrive = json.loads(attributes["RedrivePolicy"])
    dlq_arn = sqs.get_queue_attributes(QueueUrl=resources.fallback_dlq_url, AttributeNames=["QueueArn"])
    assert redrive["deadLetterTargetArn"] == dlq_arn["Attributes"]["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5


def test_bootstrap_is_idempotent(session: Any) -> None:
    assert create_local_resources(session) == create_local_resources(session)
