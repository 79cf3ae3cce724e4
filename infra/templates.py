"""Builds what deployment needs from infra/resources.json, so the resources are written once:

- the merge template for `chalice package --merge-template` (infra/package.sh writes it to
  build/merge-template.json): the resources, the stream and queue event settings Chalice cannot
  express, every function's settings and one least-privilege role per function;
- the IAM policy files Chalice uses for `chalice deploy` (.chalice/policy-<stage>.json).

    python -m infra.templates merge build/merge-template.json [--stage prod] [--runtime python3.13]
    python -m infra.templates policy dev
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from storekit.settings_model import SENDING_DOMAINS_PATTERN, parse_sending_domains

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
RUNTIMES = ("python3.11", "python3.12", "python3.13")

#: the SAM names `chalice package` generates (function resource -> role, event source names)
FUNCTION_ROLES = {
    "APIHandler": "ApiHandlerRole",
    "Dispatch": "DispatchRole",
    "Execute": "ExecuteRole",
    "DrainFallback": "DrainFallbackRole",
    "Sweep": "SweepRole",
}
#: the stream functions and the item type (attribute `type`, storekit.keys) each one is given
STREAM_FUNCTIONS = {"Dispatch": "EVENT", "Execute": "ACTION"}
STREAM_RETRIES = 3
STREAM_MAX_RECORD_AGE = 24 * 3600

#: what each function may do, beyond what all of them need (COMMON). Add a grant here when a
#: function starts calling a new AWS API; `chalice deploy` uses the union of all of them.
COMMON = ("Table", "Archive", "ArchiveList", "SecretsRead", "Logs", "Tracing")
GRANTS = {
    "APIHandler": ("SecretsWrite", "AdminToken", "FallbackSend"),  # admin API, webhook ingest
    "Dispatch": ("StreamRead", "FailureDestination", "SecretsDelete"),  # privacy topics drop secrets
    "Execute": ("StreamRead", "FailureDestination", "Email", "Sms", "SmsOnly"),
    "DrainFallback": ("FallbackConsume",),
    "Sweep": (),
}


def resources() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INFRA / "resources.json").read_text())
    return data


def _statement(sid: str, actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


def statements(arn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every grant by name; `arn` maps each resource to its ARN (an expression or a pattern)."""
    return {
        "Table": _statement(
            "Table",
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
            ],
            [arn["table"], arn["indexes"]],
        ),
        "StreamRead": _statement(
            "TableStream",
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            [arn["stream"]],
        ),
        "FallbackSend": _statement("FallbackSend", ["sqs:SendMessage"], [arn["fallback"]]),
        "FallbackConsume": _statement(
            "FallbackConsume",
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            [arn["fallback"]],
        ),
        # the stream mappings' on-failure destination is sent with the function's role
        "FailureDestination": _statement("StreamFailures", ["sqs:SendMessage"], [arn["failures"]]),
        "Archive": _statement(
            "Archive", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [arn["objects"]]
        ),
        "ArchiveList": _statement("ArchiveList", ["s3:ListBucket"], [arn["bucket"]]),
        "SecretsRead": _statement("StoreSecretsRead", ["secretsmanager:GetSecretValue"], [arn["secrets"]]),
        "SecretsWrite": _statement(
            "StoreSecretsWrite",
            ["secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"],
            [arn["secrets"]],
        ),
        "SecretsDelete": _statement("StoreSecretsDelete", ["secretsmanager:DeleteSecret"], [arn["secrets"]]),
        # SecureString under the AWS managed key aws/ssm: no kms:Decrypt grant needed
        "AdminToken": _statement("AdminToken", ["ssm:GetParameter"], [arn["parameter"]]),
        # From an address of the deployment's sending domains only (SendingDomains): the senders are
        # store settings, so the identity is not known here, but its domain is
        "Email": {
            **_statement("Email", ["ses:SendEmail", "ses:SendRawEmail"], [arn["identities"]]),
            "Condition": {"StringLike": {"ses:FromAddress": arn["from_addresses"]}},
        },
        # SMS to a phone number has no resource ARN; Publish is the only SNS action granted, and
        # SmsOnly denies it on every topic, so the grant reaches phone numbers alone
        "Sms": _statement("Sms", ["sns:Publish"], "*"),
        "SmsOnly": {
            "Sid": "SmsOnly",
            "Effect": "Deny",
            "Action": ["sns:Publish"],
            "Resource": "arn:*:sns:*:*:*",
        },
        "Logs": _statement(
            "Logs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            [arn["log_group"]] + ([arn["log_streams"]] if arn["log_streams"] != arn["log_group"] else []),
        ),
        # X-Ray accepts no resource scoping for these two
        "Tracing": _statement("Tracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    }


def policy(grants: dict[str, dict[str, Any]], names: tuple[str, ...]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [grants[name] for name in names]}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attribute]}


def admin_token_parameter(stage: str) -> str:
    return f"/storeflow/{stage}/admin-token"


#: the packaged stack's log group, which all its functions write to (LoggingConfig)
LOG_GROUP = "FunctionLogs"


def merge_template(stage: str, runtime: str | None = None) -> dict[str, Any]:
    """The template `chalice package --merge-template` deep-merges into its SAM output."""
    data = resources()
    grants = statements(
        {
            "table": _get_att("StoreTable", "Arn"),
            "indexes": _sub("${StoreTable.Arn}/index/*"),
            "stream": _sub("${StoreTable.Arn}/stream/*"),
            "fallback": _get_att("FallbackQueue", "Arn"),
            "failures": _get_att("StreamFailureQueue", "Arn"),
            "objects": _sub("${ArchiveBucket.Arn}/*"),
            "bucket": _get_att("ArchiveBucket", "Arn"),
            "secrets": _sub(
                f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}"
                f":secret:storeflow/{stage}/*"
            ),
            "parameter": _sub(
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                f":parameter{admin_token_parameter(stage)}"
            ),
            "identities": _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
            # "a.com,b.org" -> ["*@a.com", "*@b.org"]; "" -> ["*@"], which no address matches
            "from_addresses": {
                "Fn::Split": [
                    ",",
                    {
                        "Fn::Join": [
                            "",
                            ["*@", {"Fn::Join": [",*@", {"Fn::Split": [",", {"Ref": "SendingDomains"}]}]}],
                        ]
                    },
                ]
            },
            # the stack's own log group (below), not every /aws/lambda/* group of the account: the
            # generated function names cannot be matched by a pattern (the stack part may be cut);
            # its Arn ends in ":*", which covers its streams
            "log_group": _get_att(LOG_GROUP, "Arn"),
            "log_streams": _get_att(LOG_GROUP, "Arn"),
        }
    )
    environment = {
        "STOREFLOW_STAGE": stage,
        "STOREFLOW_TABLE": {"Ref": "StoreTable"},
        "STOREFLOW_FALLBACK_QUEUE_URL": {"Ref": "FallbackQueue"},
        "STOREFLOW_ARCHIVE_BUCKET": {"Ref": "ArchiveBucket"},
        "STOREFLOW_ADMIN_TOKEN_PARAMETER": admin_token_parameter(stage),
        "STOREFLOW_SECRETS_PREFIX": "storeflow",
        "STOREFLOW_EMAIL_SENDER": {"Ref": "EmailSender"},
        "STOREFLOW_PUBLIC_URL": {"Ref": "PublicUrl"},
        "STOREFLOW_SENDING_DOMAINS": {"Ref": "SendingDomains"},
        # every stream/queue mapping below sets FunctionResponseTypes: ReportBatchItemFailures
        "STOREFLOW_PARTIAL_BATCH_RESPONSES": "true",
    }
    out: dict[str, Any] = {
        "Parameters": {
            "EmailSender": {
                "Type": "String",
                "Default": "",
                "Description": "verified SES identity that message actions are sent from (empty: none)",
            },
            "SendingDomains": {
                "Type": "String",
                "Default": "",
                "AllowedPattern": SENDING_DOMAINS_PATTERN,
                "Description": "the domains message actions may send email from, comma-separated, no "
                "spaces (example.com,shop.example.org): the functions may send From an address of "
                "these only (empty: no email can be sent)",
            },
            "PublicUrl": {
                "Type": "String",
                "Default": "",
                "Description": "the API's URL (the EndpointURL output of a first deploy): where the "
                "signed unsubscribe and tracking links in messages point",
            },
        },
        "Resources": dict(data["Resources"]),
        "Outputs": dict(data["Outputs"]),
    }
    res = out["Resources"]
    # every function logs here; kept when the stack goes, as Lambda's default groups are
    res[LOG_GROUP] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    for function, role in FUNCTION_ROLES.items():
        document = policy(grants, COMMON + GRANTS[function])
        role_policy = {"PolicyName": f"{role}Policy", "PolicyDocument": document}
        res[role] = {"Properties": {"Policies": [role_policy]}}
        props: dict[str, Any] = {
            "Environment": {"Variables": environment},
            "LoggingConfig": {"LogGroup": {"Ref": LOG_GROUP}},
        }
        if runtime:
            props["Runtime"] = runtime
        res[function] = {"Properties": props}
    for function, item_type in STREAM_FUNCTIONS.items():
        pattern = {"dynamodb": {"NewImage": {"type": {"S": [item_type]}}}}
        res[function]["Properties"]["Events"] = {
            f"{function}DynamodbEventSource": {
                "Type": "DynamoDB",
                "Properties": {
                    "Stream": _get_att("StoreTable", "StreamArn"),
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "BisectBatchOnFunctionError": True,
                    "MaximumRetryAttempts": STREAM_RETRIES,
                    "MaximumRecordAgeInSeconds": STREAM_MAX_RECORD_AGE,
                    "DestinationConfig": {
                        "OnFailure": {"Destination": _get_att("StreamFailureQueue", "Arn")}
                    },
                    "FilterCriteria": {"Filters": [{"Pattern": json.dumps(pattern)}]},
                },
            }
        }
    res["DrainFallback"]["Properties"]["Events"] = {
        "DrainFallbackSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": _get_att("FallbackQueue", "Arn"),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
    }
    # the data stack's function alarms name Chalice's functions (<stack>-dispatch); here they are ours
    for function in STREAM_FUNCTIONS:
        for alarm in (f"{function}StreamAgeAlarm", f"{function}ThrottleAlarm"):
            res[alarm]["Properties"]["Dimensions"] = [{"Name": "FunctionName", "Value": {"Ref": function}}]
    if runtime:
        res["ManagedLayer"] = {"Properties": {"CompatibleRuntimes": [runtime]}}
    return out


def sending_domains(stage: str) -> list[str]:
    """The stage's STOREFLOW_SENDING_DOMAINS in .chalice/config.json (what `chalice deploy` sets)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage_env = config.get("stages", {}).get(stage, {}).get("environment_variables", {})
    text = str(
        stage_env.get("STOREFLOW_SENDING_DOMAINS")
        or config.get("environment_variables", {}).get("STOREFLOW_SENDING_DOMAINS", "")
    )
    try:
        return list(parse_sending_domains(text))
    except ValueError as exc:
        raise SystemExit(f".chalice/config.json, stage {stage}: STOREFLOW_SENDING_DOMAINS: {exc}") from None


def chalice_policy(stage: str) -> dict[str, Any]:
    """The policy file `chalice deploy` uses (one role for all functions: the union of the grants),
    with ARN patterns on the names infra/resources.json gives a data stack called `storeflow-<stage>`;
    email only From the stage's sending domains (none: no email grant)."""
    prefix = f"storeflow-{stage}"
    domains = sending_domains(stage)
    grants = statements(
        {
            "table": f"arn:aws:dynamodb:*:*:table/{prefix}-table",
            "indexes": f"arn:aws:dynamodb:*:*:table/{prefix}-table/index/*",
            "stream": f"arn:aws:dynamodb:*:*:table/{prefix}-table/stream/*",
            "fallback": f"arn:aws:sqs:*:*:{prefix}-webhook-fallback",
            "failures": f"arn:aws:sqs:*:*:{prefix}-stream-failures",
            "objects": f"arn:aws:s3:::{prefix}-archive-*/*",
            "bucket": f"arn:aws:s3:::{prefix}-archive-*",
            "secrets": f"arn:aws:secretsmanager:*:*:secret:storeflow/{stage}/*",
            "parameter": f"arn:aws:ssm:*:*:parameter{admin_token_parameter(stage)}",
            "identities": "arn:aws:ses:*:*:identity/*",
            "from_addresses": [f"*@{domain}" for domain in domains],
            # Chalice names the functions <app>-<stage>-<name>
            "log_group": f"arn:aws:logs:*:*:log-group:/aws/lambda/storeflow-{stage}-*",
            "log_streams": f"arn:aws:logs:*:*:log-group:/aws/lambda/storeflow-{stage}-*:*",
        }
    )
    names = tuple(name for name in grants if name not in COMMON and (domains or name != "Email"))
    return policy(grants, COMMON + names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    merge = sub.add_parser("merge")
    merge.add_argument("out")
    merge.add_argument("--stage", default="dev")
    merge.add_argument("--runtime", default=None, choices=RUNTIMES)
    policy_file = sub.add_parser("policy")
    policy_file.add_argument("stage")
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
