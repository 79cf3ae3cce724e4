"""Every DynamoDB operation the code calls is granted by the deployed policy (a missing action is
an AccessDenied in production that moto never shows: BatchGetItem was missing while four
repositories used it)."""

from __future__ import annotations

import re
from pathlib import Path

from infra.templates import chalice_policy

ROOT = Path(__file__).resolve().parents[2]
#: boto3 method -> the IAM actions it needs (a transaction is authorized per item it holds)
ACTIONS = {
    "get_item": {"dynamodb:GetItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "query": {"dynamodb:Query"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "batch_writer": {"dynamodb:BatchWriteItem"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
}
CALL = re.compile(r"\.(" + "|".join(ACTIONS) + r")\(")


def table_calls() -> set[str]:
    repository = ROOT / "layers" / "storekit" / "repository"
    sources = [*repository.glob("*.py"), *(ROOT / "functions").rglob("*.py")]
    return {name for path in sources for name in CALL.findall(path.read_text())}


def test_every_table_operation_the_code_calls_is_granted() -> None:
    calls = table_calls()
    assert {"batch_get_item", "query", "transact_write_items"} <= calls  # the scan finds them
    granted = {
        action
        for statement in chalice_policy("prod")["Statement"]
        if statement["Sid"] == "Table"
        for action in statement["Action"]
    }
    missing = {call: ACTIONS[call] - granted for call in calls if ACTIONS[call] - granted}
    assert missing == {}
