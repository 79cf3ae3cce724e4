"""The local stack creates exactly what infra/resources.json declares, and only once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.bootstrap import create_local_resources, env_for, template

pytestmark = pytest.mark.integration

DECLARED = template()["Resources"]


def test_local_table_matches_the_cloudformation_definition(session: Any) -> None:
    resources = create_local_resources(session)
    declared = DECLARED["StoreTable"]["Properties"]
    ddb = session.client("dynamodb")
    table = ddb.describe_table(TableName=resources.table_name)["Table"]
    assert resources.table_name == "storeflow-table"  # ${AWS::StackName}-table, stack "storeflow"
    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
    assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"]
    assert {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in declared["GlobalSecondaryIndexes"]
    }
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"] == resources.stream_arn
    ttl = ddb.describe_time_to_live(TableName=resources.table_name)["TimeToLiveDescription"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("expires_at", "ENABLED")
    backups = ddb.describe_continuous_backups(TableName=resources.table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_fallback_queue_redrives_to_its_dead_letter_queue(session: Any) -> None:
    resources = create_local_resources(session)
    sqs = session.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=resources.fallback_queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    redrive = json.loads(attributes["RedrivePolicy"])
    dlq = sqs.get_queue_attributes(QueueUrl=resources.fallback_dlq_url, AttributeNames=["All"])["Attributes"]
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    declared = DECLARED["FallbackQueue"]["Properties"]
    assert attributes["VisibilityTimeout"] == str(declared["VisibilityTimeout"])
    assert resources.fallback_queue_url.endswith("/storeflow-webhook-fallback")
    assert resources.stream_failure_queue_url.endswith("/storeflow-stream-failures")


def test_archive_bucket_expires_payloads_and_is_private(session: Any) -> None:
    resources = create_local_resources(session)
    s3 = session.client("s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=resources.archive_bucket)["Rules"]
    assert {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules} == {"raw/": 30, "fallback/": 14}
    block = s3.get_public_access_block(Bucket=resources.archive_bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    # the deployed bucket refuses plain HTTP; locally (moto over HTTP, conditions ignored) it is not applied
    [deny] = DECLARED["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket=resources.archive_bucket)
    s3.put_object(Bucket=resources.archive_bucket, Key="raw/probe", Body=b"x")  # the app can write


def test_bootstrap_is_idempotent(session: Any) -> None:
    first = create_local_resources(session)
    assert create_local_resources(session) == first
    assert len(session.client("dynamodb").list_tables()["TableNames"]) == 1
    assert len(session.client("sqs").list_queues()["QueueUrls"]) == 3
    assert len(session.client("s3").list_buckets()["Buckets"]) == 1


def test_env_points_the_settings_at_the_resources(session: Any) -> None:
    resources = create_local_resources(session)
    env = env_for(resources)
    assert env["STOREFLOW_TABLE"] == resources.table_name
    assert env["STOREFLOW_FALLBACK_QUEUE_URL"] == resources.fallback_queue_url
    assert env["STOREFLOW_ARCHIVE_BUCKET"] == resources.archive_bucket
    assert all(name.startswith("STOREFLOW_") for name in env)
