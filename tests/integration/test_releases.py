"""Scheduled product releases: filed through the schedules API, published by the executor when the
sweeper brings the job up (to each chosen Shopify channel, or WooCommerce status publish), announced
on Slack; cancelable until they run; a dry-run store plans them with the exact calls."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import responses

from functions.engine.sweep import sweep
from storekit.clock import FixedClock
from storekit.runtime import Runtime
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

GRAPHQL = "https://demo.myshopify.com/admin/api/2025-01/graphql.json"
HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"
IPOD = "632910392"


def release(api: Any, **fields: Any) -> Any:
    body = {
        "kind": "release",
        "name": "iPod drop",
        "product_ids": [IPOD],
        "publish_at": "2026-11-24T14:00",  # Paris: 13:00 UTC
        "channels": ["111", "gid://shopify/Publication/222"],
        "announce_slack": True,
        **fields,
    }
    return api.http.post("/stores/demo/schedules", headers=AUTH, body=json.dumps(body))


def actions(api: Any) -> list[dict[str, Any]]:
    return [
        a
        for a in body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
        if a["automation"] == "product-release"
    ]


def published() -> dict[str, Any]:
    node = {"publishablePublish": {"userErrors": []}}
    return {"data": node}


def test_a_release_publishes_to_each_channel_at_its_time_and_announces_it(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any
) -> None:
    put_store(
        api, shop_domain="demo.myshopify.com", mode="live", timezone="Europe/Paris", slack_webhook_url=HOOK
    )
    made = release(api)
    assert made.status_code == 201, made.body
    job = body_json(made)
    assert job["due_at"] == "2026-11-24T13:00:00.000000Z"
    assert job["publish_at_local"] == "2026-11-24T14:00:00+01:00"
    [call] = job["would_publish"]
    assert call["operation"] == "publishablePublish"
    assert call["body"]["variables"]["input"] == [
        {"publicationId": "gid://shopify/Publication/111"},
        {"publicationId": "gid://shopify/Publication/222"},
    ]
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=published())
        mock.post(HOOK, body="ok")
        sweep(runtime)
        pump.drain()
        assert len(mock.calls) == 0  # not yet
        clock.advance(hours=1, seconds=30)
        sweep(runtime)
        pump.drain()
        sent = {c.request.url: json.loads(c.request.body) for c in mock.calls}  # type: ignore[arg-type]
    assert sent[GRAPHQL]["variables"]["id"] == f"gid://shopify/Product/{IPOD}"
    assert sent[GRAPHQL]["variables"]["input"][1] == {"publicationId": "gid://shopify/Publication/222"}
    assert "iPod drop is out now" in sent[HOOK]["text"]
    assert sorted(a["status"] for a in actions(api)) == ["done", "done"]
    [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert listed["status"] == "done"
    assert api.http.delete(f"/stores/demo/schedules/{job['job_id']}", headers=AUTH).status_code == 409


def test_a_dry_run_release_plans_the_exact_calls_and_sends_nothing(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="dry-run")
    job = body_json(release(api, publish_at="2026-11-24T12:00Z", announce_slack=False, channels=[]))
    assert job["mode"] == "dry-run"
    with responses.RequestsMock():  # any call would fail the test
        sweep(runtime)
        pump.drain()
    [action] = actions(api)
    assert action["status"] == "planned"
    detail = body_json(api.http.get(f"/stores/demo/actions/{action['action_id']}", headers=AUTH))
    assert detail["preview"]["operation"] == "publishablePublish"
    assert detail["preview"]["reads_first"]  # no channel given: the Online Store's id is read first


def test_a_release_cancelled_before_its_time_publishes_nothing(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="live")
    job = body_json(release(api, announce_slack=False))
    assert api.http.delete(f"/stores/demo/schedules/{job['job_id']}", headers=AUTH).status_code == 200
    with responses.RequestsMock():
        clock.advance(hours=3)
        sweep(runtime)
        pump.drain()
    assert actions(api) == []


def test_a_woocommerce_release_sets_the_product_status_to_publish(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any
) -> None:
    put_store(api, platform="woocommerce", shop_domain="https://shop.example", mode="live")
    assert release(api, channels=["1"]).status_code == 400  # WooCommerce has no channels
    body_json(
        release(api, channels=[], announce_slack=False, publish_at="2026-11-24T12:00Z", product_ids=["794"])
    )
    with responses.RequestsMock() as mock:
        mock.put("https://shop.example/wp-json/wc/v3/products/794", json={"id": 794, "status": "publish"})
        sweep(runtime)
        pump.drain()
        [call] = mock.calls
    assert json.loads(call.request.body) == {"status": "publish"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"product_ids": ["shirt"]}, "product_ids"),
        ({"product_ids": []}, "product_ids"),
        ({"publish_at": "soon"}, "publish_at"),
        ({"channels": ["pos"]}, "channels"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_release_is_a_400_naming_the_field(
    api: Any, runtime: Runtime, fields: dict[str, Any], named: str
) -> None:
    put_store(api, shop_domain="demo.myshopify.com")
    answer = release(api, **fields)
    assert answer.status_code == 400 and named in body_json(answer)["error"], answer.body
    assert body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"] == []


# --- announcements: marketing email with consent and unsubscribe, signed outbound webhook -----------

SENDER = "news@demo-shop.example"
SOCIAL = "https://social.example.com/hooks/storeflow"
ADA, BOB = "ada@example.com", "bob.norman@hostmail.com"
TRACKED_IPOD = (
    Path(__file__).resolve().parents[1] / "events" / "shopify" / "products_update__tracked-ipod.json"
).read_bytes()


def announcing_store(api: Any, mode: str = "live") -> None:
    put_store(
        api,
        shop_domain="demo.myshopify.com",
        mode=mode,
        timezone="Europe/Paris",
        slack_webhook_url=HOOK,
        outbound_webhook_secret="whsec_social_test_secret",
        automations={
            "product-release": {"settings": {"sender": SENDER, "webhook_url": SOCIAL}},
            "sold-out": {"enabled": False},
            "low-stock": {"enabled": False},
        },
    )


def seen_ipod(api: Any, pump: Any) -> None:
    """storeflow learns the product's title and handle from its products/update."""
    answer = api.http.post(
        "/webhooks/shopify/demo",
        headers=shopify_headers(TRACKED_IPOD, "products/update", "p-1", shop="demo.myshopify.com"),
        body=TRACKED_IPOD,
    )
    assert answer.status_code == 200, answer.body
    pump.drain()


def test_a_release_emails_its_consented_list_with_unsubscribe_and_posts_a_signed_webhook(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from storekit.clients import webhook

    monkeypatch.setattr(webhook, "resolve_host", lambda *_, **__: [(2, 1, 6, "", ("93.184.215.14", 443))])
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    announcing_store(api)
    seen_ipod(api, pump)
    made = release(api, channels=[], announce_email=[ADA, BOB], email_consent=True, announce_webhook=True)
    assert made.status_code == 201, made.body
    job = body_json(made)
    # what the release will send, rendered now by the executor's own code
    assert job["emails_total"] == 2
    first = job["would_email"][0]
    assert first["to"] == ADA and first["subject"].startswith("iPod drop is out now")
    assert "IPod Nano - 8GB" in first["text"]
    assert "See it now: http://127.0.0.1:8000/t/c/" in first["text"]  # the product page, as a signed click
    assert "Unsubscribe: http://127.0.0.1:8000/u/" in first["text"]
    [slack, hook] = job["would_send"]
    assert slack["payload"]["text"].startswith("iPod drop is out now: IPod Nano - 8GB")
    assert hook["url"] == SOCIAL and hook["body"]["event"] == "product.released"
    # Bob unsubscribes (his own link, from a previous email) before the release runs
    bob = next(e for e in job["would_email"] if e["to"] == BOB)
    link = next(line for line in bob["text"].splitlines() if line.startswith("Unsubscribe: "))
    assert api.http.get(link.removeprefix("Unsubscribe: http://127.0.0.1:8000")).status_code == 200
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(
            GRAPHQL,
            json={
                "data": {
                    "publications": {"nodes": [{"id": "gid://shopify/Publication/1", "name": "Online Store"}]}
                }
            },
        )
        mock.post(GRAPHQL, json=published())
        mock.post(HOOK, body="ok")
        mock.post(SOCIAL, body="{}")
        clock.advance(hours=1, seconds=30)
        sweep(runtime)
        pump.drain()
        posted = [c.request for c in mock.calls if c.request.url == SOCIAL]
    mails = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert [m.destinations["ToAddresses"] for m in mails] == [[ADA]]
    assert "/u/" in mails[0].body
    [sent] = posted
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    signature = base64.b64encode(
        hmac.new(b"whsec_social_test_secret", body, hashlib.sha256).digest()
    ).decode()
    assert sent.headers["X-Storeflow-Signature"] == signature
    event = json.loads(body)
    assert event["products"] == [
        {"id": IPOD, "title": "IPod Nano - 8GB", "url": "https://demo.myshopify.com/products/ipod-nano"}
    ]
    statuses = sorted((a["kind"], a["status"]) for a in actions(api))
    assert ("send_email", "done") in statuses and ("post_webhook", "done") in statuses
    runs = body_json(api.http.get("/stores/demo/runs?limit=50", headers=AUTH))["items"]
    [ran] = [r for r in runs if r["automation"] == "product-release"]
    assert "1 address(es) not emailed: the customer unsubscribed from marketing" in ran["reason"]


def test_a_dry_run_release_plans_its_emails_and_webhook_and_sends_nothing(
    api: Any, runtime: Runtime, clock: FixedClock, pump: Any
) -> None:
    announcing_store(api, mode="dry-run")
    job = body_json(release(api, announce_email=[ADA], email_consent=True, announce_webhook=True))
    assert job["mode"] == "dry-run" and job["emails_total"] == 1
    with responses.RequestsMock():  # any call would fail the test
        clock.advance(hours=2)
        sweep(runtime)
        pump.drain()
    planned = {a["kind"]: a for a in actions(api)}
    assert {a["status"] for a in planned.values()} == {"planned"}
    detail = body_json(
        api.http.get(f"/stores/demo/actions/{planned['send_email']['action_id']}", headers=AUTH)
    )
    assert detail["preview"]["to"] == ADA and "/u/" in detail["preview"]["text"]
    detail = body_json(
        api.http.get(f"/stores/demo/actions/{planned['post_webhook']['action_id']}", headers=AUTH)
    )
    assert detail["preview"]["body"]["release_id"] == job["job_id"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"announce_email": [ADA]}, "email_consent"),
        ({"announce_email": ["not-an-address"], "email_consent": True}, "announce_email"),
        ({"announce_webhook": True}, "webhook_url"),
    ],
)
def test_an_announcement_without_consent_or_webhook_url_is_a_400(
    api: Any, runtime: Runtime, fields: dict[str, Any], named: str
) -> None:
    put_store(api, shop_domain="demo.myshopify.com")
    answer = release(api, **fields)
    assert answer.status_code == 400 and named in body_json(answer)["error"], answer.body
    assert body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"] == []
