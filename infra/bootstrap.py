"""Create the resources of infra/resources.json through boto3 (the local stack and the tests use it
against moto, whose CloudFormation cannot run the SAM template). One definition, two uses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent / "resources.json"


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    stream_arn: str
    fallback_queue_url: str
    fallback_dlq_url: str
    stream_failure_queue_url: str
    archive_bucket: str


def template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESOURCES.read_text())
    return data


def _props(name: str) -> dict[str, Any]:
    props: dict[str, Any] = template()["Resources"][name]["Properties"]
    return props


def _create_table(ddb: Any, name: str) -> str:
    props = _props("StoreTable")
    try:
        description = ddb.describe_table(TableName=name)["Table"]
        return str(description["LatestStreamArn"])
    except ddb.exceptions.ResourceNotFoundException:
        pass
    stream = props["StreamSpecification"]
    description = ddb.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]},
    )["TableDescription"]
    ttl = props["TimeToLiveSpecification"]
    ddb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]},
    )
    return str(description["LatestStreamArn"])


def _create_queue(sqs: Any, name: str, resource: str, dlq_arn: str | None = None) -> str:
    props = _props(resource)
    attributes = {
        "MessageRetentionPeriod": str(props["MessageRetentionPeriod"]),
    }
    if "VisibilityTimeout" in props:
        attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
    if "RedrivePolicy" in props and dlq_arn:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
        )
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_local_resources(session: Any, prefix: str = "storeflow") -> LocalResources:
    """Create (or find) the table, queues and bucket; idempotent."""
    ddb = session.client("dynamodb")
    sqs = session.client("sqs")
    s3 = session.client("s3")
    table = f"{prefix}-table"
    stream_arn = _create_table(ddb, table)
    dlq_url = _create_queue(sqs, f"{prefix}-webhook-fallback-dlq", "FallbackDeadLetterQueue")
    fallback_url = _create_queue(sqs, f"{prefix}-webhook-fallback", "FallbackQueue", _queue_arn(sqs, dlq_url))
    failure_url = _create_queue(sqs, f"{prefix}-stream-failures", "StreamFailureQueue")
    bucket = f"{prefix}-archive-local"
    s3.create_bucket(Bucket=bucket)
    rules = _props("ArchiveBucket")["LifecycleConfiguration"]["Rules"]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": rule["Id"],
                    "Status": rule["Status"],
                    "Filter": {"Prefix": rule["Prefix"]},
                    "Expiration": {"Days": rule["ExpirationInDays"]},
                }
                for rule in rules
            ]
        },
    )
    return LocalResources(
        table_name=table,
        stream_arn=stream_arn,
        fallback_queue_url=fallback_url,
        fallback_dlq_url=dlq_url,
        stream_failure_queue_url=failure_url,
        archive_bucket=bucket,
    )


def env_for(resources: LocalResources) -> dict[str, str]:
    """The STOREFLOW_* settings that point the app at these resources."""
    return {
        "STOREFLOW_TABLE": resources.table_name,
        "STOREFLOW_FALLBACK_QUEUE_URL": resources.fallback_queue_url,
        "STOREFLOW_ARCHIVE_BUCKET": resources.archive_bucket,
        "STOREFLOW_STAGE": "local",
    }
