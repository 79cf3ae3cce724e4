"""Issue 4's automations end to end on the local stack (what `make run` starts), through signed
webhooks over real HTTP: delivery updates (and staff alerts), the post-delivery follow-up job, the
returns follow-up (run by the sweeper) and the order assistant. The demo store is in dry-run, so
each automation's decision shows up as planned actions / due jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storekit.signatures import sign
from tests.e2e.conftest import DEMO_SECRET, ROOT, TOKEN, call
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EVENTS = ROOT / "tests" / "events" / "shopify"
#: the demo's order #1054 (SMS consent, no email marketing consent) and its first shipment
ORDER_ID = "6198432301356"
SHIPMENT = json.loads((EVENTS / "fulfillments_create__for-sms-consent-order.json").read_text())


def send(base: str, topic: str, delivery_id: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
        "X-Shopify-API-Version": "2025-01",
    }
    assert call("POST", f"{base}/webhooks/shopify/demo", body, headers) == (200, {"ok": True})


def wait_for(what: Callable[[], Any], seconds: float = 30) -> Any:
    """Poll until `what()` is truthy (the stream and sweeper pollers run in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.3)
    return what()


def actions_of(base: str, automation: str) -> list[dict[str, Any]]:
    status, answer = call("GET", f"{base}/stores/demo/actions?limit=500", headers=AUTH)
    assert status == 200
    return [a for a in answer["items"] if a["automation"] == automation]


def configure(base: str, automations: dict[str, Any], **store: Any) -> None:
    store = {"platform": "shopify", "shop_domain": "demo-shop.myshopify.com", **store}
    body = json.dumps({"automations": automations, **store}).encode()
    status, answer = call("PUT", f"{base}/stores/demo", body, {**AUTH, "Content-Type": "application/json"})
    assert status == 200, answer


@pytest.fixture(scope="module")
def demo(stack: Any) -> str:
    base, _, _ = stack
    configure(
        base,
        {
            "delivery-updates": {"settings": {"staff_email": "ops@demo-shop.example"}},
            # the demo customer gave no email marketing consent: let the review request go anyway
            "post-delivery-follow-up": {"settings": {"needs_marketing_consent": False}},
        },
        slack_webhook_url="https://hooks.slack.com/services/T000/B000/demo",
    )
    return str(base)


def test_failed_delivery_tells_the_customer_and_the_staff(demo: str) -> None:
    failed = SHIPMENT | {"shipment_status": "failure", "updated_at": "2013-11-02T10:00:00-04:00"}
    send(demo, "fulfillments/update", "e2e-failure", failed)

    def settled() -> list[dict[str, Any]]:
        found = actions_of(demo, "delivery-updates")
        done = len(found) >= 3 and all(a["status"] in ("planned", "scheduled") for a in found)
        return found if done else []

    planned = wait_for(settled)
    kinds = sorted(a["kind"] for a in planned)
    # the customer consented to SMS; the staff get Slack and their email
    assert kinds == ["post_slack", "send_email", "send_sms"], actions_of(demo, "delivery-updates")
    assert {a["status"] for a in planned} <= {"planned", "scheduled"}
    staff_email = next(a for a in planned if a["kind"] == "send_email")
    assert "o***@demo-shop.example" in staff_email["summary"]  # to the staff address, masked


def test_delivery_files_the_follow_up_job_days_later(demo: str) -> None:
    # delivered yesterday: the follow-up is due in six days, so the sweeper (every 2 s here) must
    # leave it pending (a delivery from years ago would be due at once and get claimed)
    delivered_at = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    delivered = SHIPMENT | {
        "shipment_status": "delivered",
        "status": "success",
        "updated_at": delivered_at.isoformat(),
    }
    send(demo, "fulfillments/update", "e2e-delivered", delivered)

    def follow_up_jobs() -> list[dict[str, Any]]:
        status, answer = call("GET", f"{demo}/stores/demo/schedules?limit=500", headers=AUTH)
        assert status == 200
        return [j for j in answer["items"] if j["kind"] == "post-delivery-follow-up"]

    [job] = wait_for(follow_up_jobs)
    assert job["status"] == "pending"
    # due 7 days (the default) after the delivery itself, not after processing
    due = datetime.fromisoformat(job["due_at"].replace("Z", "+00:00"))
    assert due == delivered_at + timedelta(days=7)
    # ... and the customer heard about the delivery (SMS: consented)
    assert any("SMS" in a["summary"] for a in actions_of(demo, "delivery-updates"))


def test_refund_gets_one_returns_follow_up_on_the_customers_channel(demo: str) -> None:
    refund = json.loads(load_fixture("shopify/refunds_create__python-api-refund.json")[0])
    refund |= {"id": 777000111, "order_id": int(ORDER_ID), "created_at": "2013-11-04T10:00:00-04:00"}
    send(demo, "refunds/create", "e2e-refund", refund)
    # the webhook repeats (at-least-once): still one follow-up
    body = json.dumps(refund).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
        "X-Shopify-Webhook-Id": "e2e-refund-again",
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
        "X-Shopify-API-Version": "2025-01",
    }
    assert call("POST", f"{demo}/webhooks/shopify/demo", body, headers)[0] == 200

    # the refund files a due job (once per refund id); the sweeper (every 2 s here) runs it and
    # the channel is decided then
    def messages() -> list[dict[str, Any]]:
        return [a for a in actions_of(demo, "returns-follow-up") if a["kind"].startswith("send_")]

    wait_for(messages)
    time.sleep(5)  # more sweeps and the repeated delivery: nothing more may appear
    jobs = [a for a in actions_of(demo, "returns-follow-up") if a["kind"] == "schedule_job"]
    assert len(jobs) == 1, jobs
    [message] = messages()
    # a draft order with SMS consent and no message sent yet: the order source picks SMS
    assert message["kind"] == "send_sms"


def test_assistant_answers_only_with_proof(demo: str) -> None:
    def ask(**body: Any) -> dict[str, Any]:
        status, answer = call(
            "POST",
            f"{demo}/stores/demo/assistant",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200, answer
        return dict(answer)

    answer = ask(message="where is my order?", order_number="1054", email="wing.buyer@example.com")
    assert answer["intent"] == "where_is_my_order"
    assert answer["order"]["tracking_number"] == SHIPMENT["tracking_number"]
    assert SHIPMENT["tracking_url"] in answer["reply"]
    stranger = ask(message="where is my order?", order_number="1054", email="someone@example.com")
    assert stranger["order"] is None
    assert SHIPMENT["tracking_number"] not in json.dumps(stranger)
    help_text = ask(
        message="what's the meaning of life?", order_number="1054", email="wing.buyer@example.com"
    )
    assert help_text["reply"]  # a helpful fallback, not an error
    status, answer = call(
        "POST", f"{demo}/stores/demo/assistant", b"{not json", {"Content-Type": "application/json"}
    )
    assert status == 400 and answer["error"]
