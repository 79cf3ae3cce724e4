"""Builds what deployment needs from infra/resources.json, so the resources are written once:

- the merge template for `chalice package --merge-template`: the resources, the stream and queue
  event settings Chalice cannot express, every function's settings and a least-privilege role;
- the IAM policy files Chalice uses for `chalice deploy` (.chalice/policy-<stage>.json).

    python -m infra.templates merge build/merge-template.json [--stage prod] [--runtime python3.13]
    python -m infra.templates policy dev
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
#: the SAM resources `chalice package` generates for the handlers, and the item type each stream one takes
STREAM_FUNCTIONS = {"Dispatch": "EVENT", "Execute": "ACTION"}
FUNCTIONS = ("APIHandler", "Dispatch", "Execute", "DrainFallback", "Sweep")
ROLES = ("ApiHandlerRole", "DispatchRole", "ExecuteRole", "DrainFallbackRole", "SweepRole")
DATA_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]
STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
QUEUE_ACTIONS = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]


def resources() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INFRA / "resources.json").read_text())
    return data


def statements(arn: dict[str, Any]) -> list[dict[str, Any]]:
    """Least-privilege statements; `arn` maps each resource to its ARN (expression or pattern)."""
    return [
        {
            "Sid": "Table",
            "Effect": "Allow",
            "Action": DATA_ACTIONS,
            "Resource": [arn["table"], arn["indexes"]],
        },
        {"Sid": "TableStream", "Effect": "Allow", "Action": STREAM_ACTIONS, "Resource": [arn["stream"]]},
        {"Sid": "Queues", "Effect": "Allow", "Action": QUEUE_ACTIONS, "Resource": arn["queues"]},
        {
            "Sid": "Archive",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [arn["objects"]],
        },
        {"Sid": "ArchiveList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [arn["bucket"]]},
        {
            "Sid": "StoreSecrets",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
            ],
            "Resource": [arn["secrets"]],
        },
        {
            "Sid": "AdminToken",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter"],
            "Resource": [arn["parameter"]],
        },
        {
            "Sid": "Email",
            "Effect": "Allow",
            "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Resource": [arn["identities"]],
        },
        # SMS to a phone number has no resource ARN; Publish is the only SNS action granted
        {"Sid": "Sms", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [arn["logs"]],
        },
        # X-Ray accepts no resource scoping for these two
        {
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def merge_template(stage: str, runtime: str | None = None) -> dict[str, Any]:
    data = resources()
    table_arn = {"Fn::GetAtt": ["StoreTable", "Arn"]}
    stream_arn = {"Fn::GetAtt": ["StoreTable", "StreamArn"]}
    policy = {
        "Version": "2012-10-17",
        "Statement": statements(
            {
                "table": table_arn,
                "indexes": _sub("${StoreTable.Arn}/index/*"),
                "stream": stream_arn,
                "queues": [{"Fn::GetAtt": [q, "Arn"]} for q in ("FallbackQueue", "StreamFailureQueue")],
                "objects": _sub("${ArchiveBucket.Arn}/*"),
                "bucket": {"Fn::GetAtt": ["ArchiveBucket", "Arn"]},
                "secrets": _sub(
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:storeflow/*"
                ),
                "parameter": _sub(
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/storeflow/*"
                ),
                "identities": _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
                "logs": _sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
            }
        ),
    }
    environment = {
        "STOREFLOW_TABLE": {"Ref": "StoreTable"},
        "STOREFLOW_FALLBACK_QUEUE_URL": {"Ref": "FallbackQueue"},
        "STOREFLOW_ARCHIVE_BUCKET": {"Ref": "ArchiveBucket"},
        "STOREFLOW_ADMIN_TOKEN_PARAMETER": f"/storeflow/{stage}/admin-token",
    }
    out: dict[str, Any] = {"Resources": dict(data["Resources"]), "Outputs": dict(data["Outputs"])}
    res = out["Resources"]
    for role in ROLES:
        res[role] = {"Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": policy}]}}
    for name in FUNCTIONS:
        props: dict[str, Any] = {"Environment": {"Variables": environment}, "Tracing": "Active"}
        if runtime:
            props["Runtime"] = runtime
        res[name] = {"Properties": props}
    for name, item_type in STREAM_FUNCTIONS.items():
        res[name]["Properties"]["Events"] = {
            f"{name}DynamodbEventSource": {
                "Type": "DynamoDB",
                "Properties": {
                    "Stream": stream_arn,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "BisectBatchOnFunctionError": True,
                    "MaximumRetryAttempts": 3,
                    "MaximumRecordAgeInSeconds": 86400,
                    "DestinationConfig": {
                        "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}
                    },
                    "FilterCriteria": {
                        "Filters": [
                            {"Pattern": json.dumps({"dynamodb": {"NewImage": {"type": {"S": [item_type]}}}})}
                        ]
                    },
                },
            }
        }
    res["DrainFallback"]["Properties"]["Events"] = {
        "DrainFallbackSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": {"Fn::GetAtt": ["FallbackQueue", "Arn"]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
    }
    if runtime:
        res["ManagedLayer"] = {"Properties": {"CompatibleRuntimes": [runtime]}}
    return out


def chalice_policy(stage: str) -> dict[str, Any]:
    """The policy file `chalice deploy` uses: ARN patterns on the names infra/resources.json gives
    a data stack called `storeflow-<stage>`."""
    prefix = f"storeflow-{stage}"
    return {
        "Version": "2012-10-17",
        "Statement": statements(
            {
                "table": f"arn:aws:dynamodb:*:*:table/{prefix}-table",
                "indexes": f"arn:aws:dynamodb:*:*:table/{prefix}-table/index/*",
                "stream": f"arn:aws:dynamodb:*:*:table/{prefix}-table/stream/*",
                "queues": [
                    f"arn:aws:sqs:*:*:{prefix}-webhook-fallback",
                    f"arn:aws:sqs:*:*:{prefix}-stream-failures",
                ],
                "objects": f"arn:aws:s3:::{prefix}-archive-*/*",
                "bucket": f"arn:aws:s3:::{prefix}-archive-*",
                "secrets": f"arn:aws:secretsmanager:*:*:secret:storeflow/{stage}/*",
                "parameter": f"arn:aws:ssm:*:*:parameter/storeflow/{stage}/*",
                "identities": "arn:aws:ses:*:*:identity/*",
                "logs": "arn:aws:logs:*:*:*",
            }
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    merge = sub.add_parser("merge")
    merge.add_argument("out")
    merge.add_argument("--stage", default="dev")
    merge.add_argument("--runtime", default=None, choices=["python3.11", "python3.12", "python3.13"])
    policy = sub.add_parser("policy")
    policy.add_argument("stage")
    args = parser.parse_args(argv)
    if args.what == "merge":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(merge_template(args.stage, args.runtime), indent=2) + "\n")
    else:
        target = ROOT / ".chalice" / f"policy-{args.stage}.json"
        target.write_text(json.dumps(chalice_policy(args.stage), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
