"""POST /stores/{id}/events/{event_id}/replay: the store's current settings on a stored event, in
dry-run whatever its mode; the actions it would plan with previews; nothing executed or counted."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0]  # order 6198432301356
PY_ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]
PY_SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
SENDER = "orders@demo-shop.example"


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def everything(api: Any) -> dict[str, Any]:
    """What a merchant can list: replay must leave all of it as it was."""
    out = {}
    for what in ("events", "runs", "actions", "schedules"):
        out[what] = body_json(api.http.get(f"/stores/demo/{what}?limit=500", headers=AUTH))["items"]
    out["activity"] = body_json(api.http.get("/stores/demo/reports/activity?days=7", headers=AUTH))
    return out


def replay(api: Any, event_id: str, headers: dict[str, str] = AUTH) -> Any:
    return api.http.post(f"/stores/demo/events/{event_id}/replay", headers=headers)


def test_replay_runs_todays_settings_in_dry_run_on_a_live_store_and_changes_nothing(
    api: Any, pump: Any, session: Any
) -> None:
    put_store(api)
    deliver(api, ORDER, "orders/create", "o-1")
    pump.drain()
    # the merchant changes a setting and goes live; then tries the change on last week's order
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    before = everything(api)
    with responses.RequestsMock():  # any call to the store's API would fail the test
        answer = replay(api, "shopify:o-1")
        pump.drain()
    assert answer.status_code == 200, answer.body
    result = body_json(answer)
    assert result["mode"] == "dry-run"
    assert result["event"]["delivery_id"] == "o-1"
    [run] = [r for r in result["runs"] if r["automation"] == "channel-tags"]
    assert run["outcome"] == "actions"
    [action] = run["actions"]  # the customer is no longer tagged: today's settings
    assert action["target"] == "order:6198432301356"
    assert action["already_in_outbox"] == "planned"  # the original dry-run planned it once
    assert action["preview"]["method"] == "POST"
    assert action["preview"]["body"]["variables"]["id"] == "gid://shopify/Order/6198432301356"
    assert everything(api) == before  # nothing written, executed or counted


def test_a_replayed_shipment_previews_the_email_and_says_why_for_the_rest(api: Any, pump: Any) -> None:
    put_store(api, automations={"channel-tags": {"enabled": False}})
    deliver(api, PY_ORDER, "orders/create", "o-1")
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-1")
    pump.drain()
    put_store(api, automations={"shipping-notice": {"settings": {"sender": SENDER, "sms": False}}})
    before = everything(api)
    result = body_json(replay(api, "shopify:f-1"))
    [notice] = [r for r in result["runs"] if r["automation"] == "shipping-notice"]
    [email] = notice["actions"]
    assert email["preview"]["channel"] == "email"
    assert email["preview"]["from"] == f"Demo Shop <{SENDER}>"
    assert email["preview"]["to"] == "bob.norman@hostmail.com"
    assert "1Z2345" in email["preview"]["text"]
    assert all(r["outcome"] != "nothing-to-do" or r["reason"] for r in result["runs"])
    assert everything(api) == before
    assert not ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_replay_answers_clearly_for_unknown_events_and_other_tokens(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, ORDER, "orders/create", "o-1")
    pump.drain()
    assert replay(api, "shopify:nope").status_code == 404
    assert replay(api, "nonsense").status_code == 404
    assert replay(api, "shopify%3Ao-1").status_code == 200  # the id may come URL-encoded
    assert replay(api, "shopify:o-1", headers={}).status_code == 401
    put_store(api, "other", shop_domain="other-shop.myshopify.com")
    token = body_json(api.http.post("/stores/other/token", headers=AUTH))["token"]
    assert replay(api, "shopify:o-1", headers={"Authorization": f"Bearer {token}"}).status_code == 401
