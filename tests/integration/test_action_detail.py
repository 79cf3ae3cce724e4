"""GET /stores/{id}/actions/{action_id}: the action's attempts, its event and run, and its preview:
what the executor sends or changes, rendered by the code that sends it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers, woo_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0]  # order 6198432301356
PY_ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # order 450789469, Bob
PY_SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
GRAPHQL = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
SENDER = "orders@demo-shop.example"
BOB = "bob.norman@hostmail.com"
EVENTS = Path(__file__).resolve().parents[1] / "events"


def deliver(api: Any, body: bytes, topic: str, delivery_id: str, store: str = "demo") -> None:
    answer = api.http.post(
        f"/webhooks/shopify/{store}", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def actions(api: Any, store: str = "demo") -> list[dict[str, Any]]:
    return list(body_json(api.http.get(f"/stores/{store}/actions?limit=500", headers=AUTH))["items"])


def detail(api: Any, action_id: str, store: str = "demo", headers: dict[str, str] = AUTH) -> Any:
    answer = api.http.get(f"/stores/{store}/actions/{action_id}", headers=headers)
    assert answer.status_code == 200, answer.body
    return body_json(answer)


def tags_added(node: str) -> dict[str, Any]:
    return {"data": {"tagsAdd": {"node": {"id": node}, "userErrors": []}}}


def test_a_dry_run_action_shows_the_call_going_live_would_make(api: Any, pump: Any) -> None:
    put_store(api, automations={"channel-tags": {"settings": {"tag_customer": False}}})
    deliver(api, ORDER, "orders/create", "d-1")
    pump.drain()
    [listed] = actions(api)
    shown = detail(api, listed["action_id"])
    assert shown["status"] == "planned"
    assert shown["preview"]["kind"] == "add_tags"
    assert shown["preview"]["method"] == "POST"
    assert shown["preview"]["url"] == GRAPHQL
    assert shown["preview"]["path"] == "/admin/api/2025-01/graphql.json"
    assert shown["preview"]["body"]["query"].startswith("mutation tagsAdd(")
    assert shown["preview"]["body"]["variables"]["id"] == "gid://shopify/Order/6198432301356"
    assert "channel:draft-order" in shown["preview"]["body"]["variables"]["tags"]
    [attempt] = shown["history"]
    assert attempt["outcome"] == "planned"
    assert attempt["reason"] == "dry-run: nothing was called"
    assert attempt["at"] == "2026-11-24T12:00:00.000000Z"
    assert shown["event"]["delivery_id"] == "d-1"
    assert shown["event"]["platform_topic"] == "orders/create"
    assert shown["run"]["automation"] == "channel-tags"
    assert shown["run"]["action_ids"] == [listed["action_id"]]


def test_live_sends_exactly_the_preview(api: Any, pump: Any) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        deliver(api, ORDER, "orders/create", "d-1")
        pump.drain()
        [call] = mock.calls
        sent = json.loads(call.request.body)
    [listed] = actions(api)
    shown = detail(api, listed["action_id"])
    assert shown["preview"]["body"] == sent
    assert [(a["outcome"], a["mode"]) for a in shown["history"]] == [("done", "live")]


def test_each_attempt_is_kept_with_its_outcome_and_reason(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, status=429, headers={"Retry-After": "5"}, body="Too Many Requests")
        deliver(api, ORDER, "orders/create", "d-1")
        pump.drain()
    clock.advance(seconds=61)
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        sweep(runtime)
        pump.drain()
    [listed] = actions(api)
    first, second = detail(api, listed["action_id"])["history"]
    assert first["outcome"] == "retrying"
    assert "Throttled" in first["reason"] and "429" in first["reason"]
    assert first["at"] == "2026-11-24T12:00:00.000000Z"
    assert second["outcome"] == "done"
    assert second["at"] == "2026-11-24T12:01:01.000000Z"


def test_another_stores_action_is_not_found(api: Any, pump: Any) -> None:
    put_store(api)
    put_store(api, "other", shop_domain="other-shop.myshopify.com")
    deliver(api, ORDER, "orders/create", "d-1")
    pump.drain()
    action_id = actions(api)[0]["action_id"]
    answer = api.http.get(f"/stores/other/actions/{action_id}", headers=AUTH)
    assert answer.status_code == 404
    assert "no action" in body_json(answer)["error"]
    token = body_json(api.http.post("/stores/other/token", headers=AUTH))["token"]
    theirs = {"Authorization": f"Bearer {token}"}
    assert api.http.get(f"/stores/demo/actions/{action_id}", headers=theirs).status_code == 401
    assert api.http.get(f"/stores/demo/actions/{action_id}").status_code == 401
    assert api.http.get("/stores/demo/actions/nope", headers=AUTH).status_code == 404


def test_the_email_preview_is_the_whole_message_for_the_stores_own_token(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(
        api,
        automations={
            "shipping-notice": {"settings": {"sender": SENDER, "reply_to": "help@demo-shop.example"}},
            "channel-tags": {"enabled": False},
        },
    )
    deliver(api, PY_ORDER, "orders/create", "o-1")
    pump.drain()
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-1")
    pump.drain()
    [listed] = [a for a in actions(api) if a["kind"] == "send_email"]
    assert BOB not in json.dumps(actions(api))  # the listing stays masked
    token = body_json(api.http.post("/stores/demo/token", headers=AUTH))["token"]
    shown = detail(api, listed["action_id"], headers={"Authorization": f"Bearer {token}"})
    email = shown["preview"]
    assert email["channel"] == "email"
    assert email["to"] == BOB
    assert email["from"] == f"Demo Shop <{SENDER}>"
    assert email["reply_to"] == "help@demo-shop.example"
    assert email["subject"] == "Your order #1001 is on its way - Demo Shop"
    assert "1Z2345" in email["text"] and "1Z2345" in email["html"]
    assert email["html"].lstrip().lower().startswith(("<!doctype", "<html"))
    assert shown["target"] == "email:b***@hostmail.com"
    assert not ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages  # dry-run sent nothing


def test_going_live_without_a_sender_shows_why_it_would_fail(api: Any, pump: Any) -> None:
    put_store(api, automations={"channel-tags": {"enabled": False}})
    deliver(api, PY_ORDER, "orders/create", "o-1")
    pump.drain()
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-1")
    pump.drain()
    [listed] = [a for a in actions(api) if a["kind"] == "send_email"]
    preview = detail(api, listed["action_id"])["preview"]
    assert preview["kind"] == "send_email"
    assert preview["error"].startswith("going live would fail: no email sender configured")


def test_after_customers_redact_the_preview_says_redacted(api: Any, pump: Any) -> None:
    put_store(api, automations={"shipping-notice": {"settings": {"sender": SENDER}}})
    deliver(api, PY_ORDER, "orders/create", "o-1")
    pump.drain()
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-1")
    pump.drain()
    [listed] = [a for a in actions(api) if a["kind"] == "send_email"]
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 207119551, "email": BOB, "phone": "+16136120707"},
        "orders_to_redact": [450789469],
    }
    deliver(api, json.dumps(redact).encode(), "customers/redact", "r-1")
    pump.drain()
    shown = detail(api, listed["action_id"])
    assert shown["preview"] == "redacted"
    assert BOB not in json.dumps(shown)


def test_a_woocommerce_tags_preview_is_the_rest_call(api: Any, pump: Any) -> None:
    put_store(
        api,
        "woo",
        platform="woocommerce",
        automations={"channel-tags": {"settings": {"tag_customer": False}}},
    )
    body = (EVENTS / "woocommerce" / "order_created__with-attribution.json").read_bytes()
    answer = api.http.post(
        "/webhooks/woocommerce/woo", headers=woo_headers(body, "order.created", "w-1"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    [listed] = actions(api, "woo")
    preview = detail(api, listed["action_id"], store="woo")["preview"]
    assert preview["method"] == "PUT"
    assert preview["path"] == "/wp-json/wc/v3/orders/727"
    assert preview["body"]["meta_data"][0]["key"] == "_storeflow_tags"
    assert preview["reads_first"] == "GET " + preview["path"]
