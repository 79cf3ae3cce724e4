"""The quiet console of `make run`: which stream records become a line, and what the line says."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from infra.pollers import console_line

pytestmark = pytest.mark.unit


def record(name: str, new: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    s = TypeSerializer()
    images = {"NewImage": {k: s.serialize(v) for k, v in new.items()}}
    if old is not None:
        images["OldImage"] = {k: s.serialize(v) for k, v in old.items()}
    return {"eventName": name, "dynamodb": images}


ACTION = {"type": "ACTION", "store_id": "demo", "automation": "shipping-notice"}


def test_a_run_that_decided_nothing_says_why() -> None:
    run = {"type": "RUN", "store_id": "demo", "automation": "shipping-notice", "outcome": "nothing-to-do"}
    line = console_line(record("INSERT", {**run, "reason": "order 1 not received: subscribe orders/create"}))
    assert (
        line == "run      demo  shipping-notice  nothing-to-do: order 1 not received: subscribe orders/create"
    )
    assert console_line(record("INSERT", {**run, "outcome": "actions"})) is None  # its actions get lines


def test_an_action_line_per_attempt_outcome_with_masked_summary() -> None:
    summary = "send transactional email 'shipping_notice' to b***@hostmail.com"
    failed = {**ACTION, "summary": summary, "status": "failed", "reason": "SES send_email: MessageRejected"}
    line = console_line(record("MODIFY", failed, {**failed, "status": "running"}))
    assert line == f"action   demo  shipping-notice  {summary}  -> failed (SES send_email: MessageRejected)"
    assert (
        console_line(record("MODIFY", {**failed, "status": "running"}, {**failed, "status": "pending"}))
        is None
    )
    assert console_line(record("MODIFY", failed, failed)) is None  # moto's repeated MODIFY: no second line


def test_a_stored_webhook_names_store_and_topic() -> None:
    event = {"type": "EVENT", "store_id": "demo", "platform": "shopify", "platform_topic": "orders/create"}
    assert console_line(record("INSERT", event)) == "webhook  demo  shopify orders/create  received"
    assert console_line(record("INSERT", {"type": "COUNTER", "store_id": "demo"})) is None
