"""Scheduled product releases: filed through the schedules API, published by the executor when the
sweeper brings the job up (to each chosen Shopify channel, or WooCommerce status publish), announced
on Slack; cancelable until they run; a dry-run store plans them with the exact calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from functions.engine.sweep import sweep
from storekit.clock import FixedClock
from storekit.runtime import Runtime
from tests.support import AUTH, body_json, put_store

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
