"""Executor and outbox decisions that need no AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from functions.engine.dispatch import action_key
from functions.engine.execute import MAX_BACKOFF_S, backoff_seconds
from storekit.actions import AddTags, SendEmail, SendSms, action_from_json
from storekit.records import EventRecord

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def event(delivery: str) -> EventRecord:
    return EventRecord(
        store_id="demo",
        platform="shopify",
        topic="order.created",
        platform_topic="orders/create",
        delivery_id=delivery,
        entity_kind="order",
        entity_id="1",
        received_at="t",
    )


def test_backoff_honours_retry_after_then_doubles_with_a_cap() -> None:
    assert backoff_seconds(1, 5) == 5
    assert backoff_seconds(1, None) == 30
    assert backoff_seconds(2, None) == 60
    assert backoff_seconds(3, None) == 120
    assert backoff_seconds(30, None) == MAX_BACKOFF_S
    assert backoff_seconds(1, 10_000) == MAX_BACKOFF_S


def test_outbox_key_by_once_per_ignores_the_delivery() -> None:
    action = AddTags(resource="order", resource_id="1", tags=["a"], once_per="order:1")
    first = action_key("demo", event("d1").event_id, "channel-tags", 0, action)
    assert first == action_key("demo", event("d2").event_id, "channel-tags", 0, action)


def test_outbox_key_without_once_per_is_per_delivery_and_content() -> None:
    a = AddTags(resource="order", resource_id="1", tags=["a"])
    b = AddTags(resource="order", resource_id="1", tags=["b"])
    assert action_key("demo", event("d1").event_id, "x", 0, a) == action_key(
        "demo", event("d1").event_id, "x", 0, a
    )
    assert action_key("demo", event("d1").event_id, "x", 0, a) != action_key(
        "demo", event("d2").event_id, "x", 0, a
    )
    assert action_key("demo", event("d1").event_id, "x", 0, a) != action_key(
        "demo", event("d1").event_id, "x", 0, b
    )


def test_action_summaries_do_not_reveal_personal_data() -> None:
    email = SendEmail(to="jane.doe@example.com", template="notice")
    sms = SendSms(to="+14155550123", text="Your order shipped")
    for action in (email, sms):
        shown = action.summary() + action.target()
        assert "jane.doe" not in shown
        assert "4155550123" not in shown


def test_actions_round_trip_through_json() -> None:
    data = {"kind": "schedule_job", "job_kind": "follow_up", "due_at": "2026-11-24T12:00:00+00:00"}
    action = action_from_json(data)
    assert action.due_at == datetime(2026, 11, 24, 12, tzinfo=UTC)  # type: ignore[union-attr]
    assert action_from_json(action.model_dump(mode="json")) == action
    with pytest.raises(ValidationError):
        action_from_json({"kind": "launch_rockets"})
    with pytest.raises(ValidationError):
        action_from_json({"kind": "add_tags", "resource": "order", "resource_id": "1", "tags": []})


def test_importing_app_creates_no_client_and_reads_no_settings() -> None:
    code = (
        "import app, storekit.runtime as r, storekit.settings as s;"
        "assert r._RUNTIME is None;"
        "assert s.get_settings.cache_info().currsize == 0;"
        "print('clean')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STOREFLOW_"))}
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'layers'}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_fixed_clock_refuses_naive_times() -> None:
    from storekit.clock import FixedClock, parse_iso

    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        parse_iso("2026-01-01T00:00:00")
    assert parse_iso("2026-01-01T01:00:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)
