"""Create the resources of infra/resources.json through boto3, for the local stack and the tests.

moto's CloudFormation cannot run the SAM template, and on resources.json alone it skips the alarms
and takes ~1.4 s; direct calls take a few ms. Names, keys, indexes, stream, TTL, encryption,
redrive and lifecycle are all read from resources.json: one definition, two uses.

The archive bucket policy (deny requests not made over TLS) is not applied locally: moto ignores
the policy's `aws:SecureTransport` condition and would deny every request, and the local stack
talks to moto over plain HTTP on loopback anyway.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent / "resources.json"
#: the local stage: settings, secret names (`{prefix}/local/stores/{id}`)
LOCAL_STAGE = "local"


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    stream_arn: str
    fallback_queue_url: str
    fallback_dlq_url: str
    stream_failure_queue_url: str
    archive_bucket: str


@lru_cache(maxsize=1)
def _template_text() -> str:
    return RESOURCES.read_text()


def template() -> dict[str, Any]:
    """A fresh copy of infra/resources.json."""
    data: dict[str, Any] = json.loads(_template_text())
    return data


class _Resolver:
    """Evaluates the few intrinsic functions resources.json uses (Ref, Fn::GetAtt, Fn::Sub)."""

    def __init__(self, pseudo: dict[str, str]) -> None:
        self.values: dict[str, str] = dict(pseudo)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.values[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return self.values[".".join(value["Fn::GetAtt"])]
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self.values[m.group(1)], value["Fn::Sub"])
        return {k: self(v) for k, v in value.items()}


def _props(resources: dict[str, Any], name: str, resolve: _Resolver) -> dict[str, Any]:
    props: dict[str, Any] = resolve(resources[name]["Properties"])
    return props


def _create_table(ddb: Any, props: dict[str, Any]) -> str:
    name = props["TableName"]
    try:
        return str(ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"])
    except ddb.exceptions.ResourceNotFoundException:
        pass
    description = ddb.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **props["StreamSpecification"]},
    )["TableDescription"]
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    pitr = props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": pitr}
    )
    return str(description["LatestStreamArn"])


def _queue_attributes(props: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in ("MessageRetentionPeriod", "VisibilityTimeout", "SqsManagedSseEnabled")
        if key in props
    }
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    return attributes


def _create_queue(sqs: Any, props: dict[str, Any]) -> tuple[str, str]:
    """(url, arn) of the queue; create_queue with the same attributes returns the existing one."""
    url = str(sqs.create_queue(QueueName=props["QueueName"], Attributes=_queue_attributes(props))["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, str(arn)


def _create_bucket(s3: Any, props: dict[str, Any], region: str) -> None:
    name = props["BucketName"]
    try:
        s3.head_bucket(Bucket=name)
        return
    except s3.exceptions.ClientError:
        pass
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
    )
    encryption = [
        {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    ]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": encryption})
    rules = [
        {
            "ID": rule["Id"],
            "Status": rule["Status"],
            "Filter": {"Prefix": rule["Prefix"]},
            "Expiration": {"Days": rule["ExpirationInDays"]},
        }
        for rule in props["LifecycleConfiguration"]["Rules"]
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def create_local_resources(session: Any, prefix: str = "storeflow") -> LocalResources:
    """Create (or find) the table, queues and bucket of resources.json as stack `prefix`; idempotent."""
    region = session.region_name or "us-east-1"
    account = session.client("sts").get_caller_identity()["Account"]
    partition = "aws"
    resolve = _Resolver(
        {
            "AWS::StackName": prefix,
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
        }
    )
    resources = template()["Resources"]
    sqs = session.client("sqs")

    table = _props(resources, "StoreTable", resolve)
    stream_arn = _create_table(session.client("dynamodb"), table)

    dlq_url, dlq_arn = _create_queue(sqs, _props(resources, "FallbackDeadLetterQueue", resolve))
    resolve.values["FallbackDeadLetterQueue.Arn"] = dlq_arn
    fallback_url, _ = _create_queue(sqs, _props(resources, "FallbackQueue", resolve))
    failure_url, _ = _create_queue(sqs, _props(resources, "StreamFailureQueue", resolve))

    bucket = _props(resources, "ArchiveBucket", resolve)
    _create_bucket(session.client("s3"), bucket, region)

    return LocalResources(
        table_name=table["TableName"],
        stream_arn=stream_arn,
        fallback_queue_url=fallback_url,
        fallback_dlq_url=dlq_url,
        stream_failure_queue_url=failure_url,
        archive_bucket=bucket["BucketName"],
    )


def env_for(resources: LocalResources) -> dict[str, str]:
    """The STOREFLOW_* settings that point the app at these resources (local stage)."""
    return {
        "STOREFLOW_STAGE": LOCAL_STAGE,
        "STOREFLOW_TABLE": resources.table_name,
        "STOREFLOW_FALLBACK_QUEUE_URL": resources.fallback_queue_url,
        "STOREFLOW_ARCHIVE_BUCKET": resources.archive_bucket,
        "STOREFLOW_SECRETS_PREFIX": "storeflow",
        # the local pollers (infra/pollers.py) redeliver only the records a handler reports failed
        "STOREFLOW_PARTIAL_BATCH_RESPONSES": "true",
    }
