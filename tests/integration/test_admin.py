"""Admin API: auth, store config + secrets, listings, schedules; bad input never stores anything."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.composition import build_registry
from storekit.automation import Domain
from tests.payloads import load_fixture
from tests.support import ADMIN_TOKEN, AUTH, SECRET, body_json, put_store, shopify_headers, store_body

pytestmark = pytest.mark.integration


def test_health_needs_no_token(api: Any) -> None:
    answer = api.http.get("/health")
    assert answer.status_code == 200
    assert body_json(answer)["ok"] is True


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}, {"Authorization": "Basic abc"}],
    ids=["none", "wrong", "no-scheme", "basic"],
)
def test_admin_routes_need_the_bearer_token(api: Any, headers: dict[str, str]) -> None:
    put_store(api)
    for path in ("/stores/demo", "/stores/demo/events", "/stores/demo/actions", "/stores/demo/runs"):
        answer = api.http.get(path, headers=headers)
        assert answer.status_code == 401, path
        assert "error" in body_json(answer)
    answer = api.http.put(
        "/stores/demo", headers={**headers, "Content-Type": "application/json"}, body=json.dumps(store_body())
    )
    assert answer.status_code == 401


def test_new_store_starts_in_dry_run_with_every_automation_on_defaults(api: Any) -> None:
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(store_body()))
    assert answer.status_code == 201
    view = body_json(answer)
    assert view["mode"] == "dry-run"
    tags = view["automations"]["channel-tags"]
    assert tags["enabled"] is True
    assert tags["mode"] == "dry-run"
    assert tags["settings"]["channel_prefix"] == "channel:"
    assert view["secrets_saved"] == {
        "webhook_secrets": 1,
        "api_credentials": True,
        "slack_webhook_url": False,
        "outbound_webhook_secret": False,
        "hubspot_access_token": False,
    }
    again = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(store_body(mode="live")))
    assert again.status_code == 200
    assert body_json(again)["mode"] == "live"


def test_secrets_are_never_echoed_or_logged(api: Any, caplog: pytest.LogCaptureFixture, capsys: Any) -> None:
    # storeflow's own logs at DEBUG (botocore's DEBUG wire logs are its own and stay off in production)
    caplog.set_level(logging.DEBUG, logger="storeflow")
    put_store(api)
    body, _ = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")
    api.http.post("/webhooks/shopify/demo", headers=shopify_headers(body, "orders/create", "x1"), body=body)
    answer = api.http.get("/stores/demo", headers=AUTH)
    captured = capsys.readouterr()
    for text in (answer.body.decode(), caplog.text, captured.out, captured.err):
        assert SECRET not in text
        assert "shpat_test_token" not in text


def test_secret_kept_when_an_update_leaves_it_out(api: Any) -> None:
    put_store(api)
    update = store_body(name="Renamed")
    del update["webhook_secret"]
    del update["api_credentials"]
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(update))
    assert answer.status_code == 200
    assert body_json(answer)["secrets_saved"]["webhook_secrets"] == 1
    body, _ = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")
    ok = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, "orders/create", "k1"), body=body
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "JSON object"),
        (b"[1]", "JSON object"),
        (json.dumps(store_body(timezone="Mars/Olympus")).encode(), "time zone"),
        (json.dumps(store_body(mode="yolo")).encode(), "mode"),
        (json.dumps(store_body(currency="euro")).encode(), "currency"),
        (json.dumps(store_body("woocommerce", shop_domain="woo.example")).encode(), "base URL"),
        (json.dumps(store_body(automations={"nope": {}})).encode(), "unknown automation"),
        (
            json.dumps(
                store_body(automations={"channel-tags": {"settings": {"tag_customer": "maybe"}}})
            ).encode(),
            "tag_customer",
        ),
        (json.dumps(store_body(webhook_secret="short")).encode(), "webhook_secret"),
        (json.dumps(store_body(surprise=1)).encode(), "surprise"),
        (
            json.dumps({k: v for k, v in store_body().items() if k != "webhook_secret"}).encode(),
            "webhook_secret",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "timezone",
        "mode",
        "currency",
        "woo-domain",
        "automation",
        "settings",
        "short-secret",
        "unknown-field",
        "no-secret",
    ],
)
def test_bad_store_input_is_400_and_changes_nothing(api: Any, body: bytes, message: str) -> None:
    answer = api.http.put("/stores/new", headers=AUTH, body=body)
    assert answer.status_code == 400
    error = body_json(answer)["error"]
    assert message in error
    assert "short" not in error or message == "webhook_secret"
    assert api.http.get("/stores/new", headers=AUTH).status_code == 404


def test_bad_update_leaves_the_stored_store_as_it_was(api: Any) -> None:
    put_store(api)
    before = body_json(api.http.get("/stores/demo", headers=AUTH))
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(store_body(timezone="Nowhere/Land")))
    assert answer.status_code == 400
    assert body_json(api.http.get("/stores/demo", headers=AUTH)) == before


def test_platform_cannot_change(api: Any) -> None:
    put_store(api)
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(store_body("woocommerce")))
    assert answer.status_code == 400


def test_invalid_store_id_is_400(api: Any) -> None:
    answer = api.http.put("/stores/Bad_Id!", headers=AUTH, body=json.dumps(store_body()))
    assert answer.status_code == 400


def test_store_token_sees_only_its_store(api: Any) -> None:
    put_store(api, "alpha")
    put_store(api, "beta")
    answer = api.http.post("/stores/alpha/token", headers=AUTH)
    assert answer.status_code == 201
    token = body_json(answer)["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert api.http.get("/stores/alpha", headers=mine).status_code == 200
    assert api.http.get("/stores/alpha/actions", headers=mine).status_code == 200
    assert api.http.get("/stores/beta", headers=mine).status_code == 401
    assert api.http.get("/stores/beta/events", headers=mine).status_code == 401
    put = api.http.put(
        "/stores/beta", headers={**mine, "Content-Type": "application/json"}, body=json.dumps(store_body())
    )
    assert put.status_code == 401
    assert body_json(api.http.get("/stores/alpha", headers=AUTH))["store_token_issued"] is True


def _issued_token(api: Any, store_id: str) -> dict[str, str]:
    token = body_json(api.http.post(f"/stores/{store_id}/token", headers=AUTH))["token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_store_token_saves_its_own_settings_but_not_secrets_or_shop(api: Any) -> None:
    """The dashboard's settings editor with a store token (issue 16): same PUT, same validation."""
    put_store(api, "alpha")
    mine = _issued_token(api, "alpha")
    shop = {"platform": "shopify", "shop_domain": "alpha-shop.myshopify.com"}
    settings = {"automations": {"low-stock": {"enabled": False}}, "mode": "live"}
    saved = api.http.put("/stores/alpha", headers=mine, body=json.dumps({**shop, **settings}))
    assert saved.status_code == 200, saved.body
    view = body_json(api.http.get("/stores/alpha", headers=AUTH))
    assert view["automations"]["low-stock"]["enabled"] is False
    assert view["mode"] == "live"

    bad = api.http.put(
        "/stores/alpha",
        headers=mine,
        body=json.dumps({**shop, "automations": {"low-stock": {"settings": {"threshold": -1}}}}),
    )
    assert bad.status_code == 400
    assert "automations.low-stock.settings" in body_json(bad)["error"]

    for refused, field in (
        ({**shop, "webhook_secret": "x" * 20}, "webhook_secret"),
        ({**shop, "api_credentials": {"access_token": "shpat_other"}}, "api_credentials"),
        ({**shop, "rate_limits": {}}, "rate_limits"),
        ({"platform": "shopify", "shop_domain": "elsewhere.myshopify.com"}, "shop_domain"),
    ):
        answer = api.http.put("/stores/alpha", headers=mine, body=json.dumps(refused))
        assert answer.status_code == 403, (field, answer.body)
        assert field in body_json(answer)["error"]
    after = body_json(api.http.get("/stores/alpha", headers=AUTH))
    assert after["shop_domain"] == "alpha-shop.myshopify.com"
    assert after["rate_limits"] == view["rate_limits"]
    assert after["updated_at"] == view["updated_at"]


def test_listing_is_newest_first_and_paginates_with_cursor(api: Any, clock: Any) -> None:
    put_store(api)
    body, _ = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")
    for i in range(7):
        clock.advance(seconds=1)
        api.http.post(
            "/webhooks/shopify/demo", headers=shopify_headers(body, "orders/create", f"p-{i}"), body=body
        )
    first = body_json(api.http.get("/stores/demo/events?limit=3", headers=AUTH))
    assert [e["delivery_id"] for e in first["items"]] == ["p-6", "p-5", "p-4"]
    assert first["next"]
    second = body_json(api.http.get(f"/stores/demo/events?limit=3&cursor={first['next']}", headers=AUTH))
    assert [e["delivery_id"] for e in second["items"]] == ["p-3", "p-2", "p-1"]
    third = body_json(api.http.get(f"/stores/demo/events?limit=3&cursor={second['next']}", headers=AUTH))
    assert [e["delivery_id"] for e in third["items"]] == ["p-0"]
    assert third["next"] is None
    default = body_json(api.http.get("/stores/demo/events", headers=AUTH))
    assert len(default["items"]) == 7


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=abc",
        "cursor=%%%",
        "cursor=eyJhIjogMX0",
        # the listing's partition but not the key attributes a real query gives out (DynamoDB
        # would refuse the query: a 503 instead of a 400)
        "cursor=eyJHU0kxUEsiOiAiU1RPUkUjZGVtbyNFVkVOVFMifQ",
    ],
)
def test_bad_listing_parameters_are_400(api: Any, query: str) -> None:
    put_store(api)
    answer = api.http.get(f"/stores/demo/events?{query}", headers=AUTH)
    assert answer.status_code == 400
    assert body_json(answer)["error"]


def test_cursor_of_another_store_is_refused(api: Any, clock: Any) -> None:
    put_store(api, "alpha")
    put_store(api, "beta")
    body, _ = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")
    for i in range(2):
        clock.advance(seconds=1)
        api.http.post(
            "/webhooks/shopify/alpha", headers=shopify_headers(body, "orders/create", f"a-{i}"), body=body
        )
    cursor = body_json(api.http.get("/stores/alpha/events?limit=1", headers=AUTH))["next"]
    assert api.http.get(f"/stores/beta/events?cursor={cursor}", headers=AUTH).status_code == 400


def test_unknown_action_status_filter_is_400(api: Any) -> None:
    put_store(api)
    answer = api.http.get("/stores/demo/actions?status=lost", headers=AUTH)
    assert answer.status_code == 400
    assert "planned" in body_json(answer)["error"]


def test_listing_of_unknown_store_is_404(api: Any) -> None:
    assert api.http.get("/stores/ghost/actions", headers=AUTH).status_code == 404


def test_retry_of_unknown_action_is_404(api: Any) -> None:
    put_store(api)
    assert api.http.post("/stores/demo/actions/nope/retry", headers=AUTH).status_code == 404


def test_schedules_can_be_added_listed_and_cancelled(api: Any, runtime: Any) -> None:
    runtime.registry = build_registry(Domain(name="test", schedules={"test-reminder": lambda job, rt: "ok"}))
    put_store(api)
    bad = api.http.post(
        "/stores/demo/schedules",
        headers=AUTH,
        body=json.dumps({"kind": "nope", "due_at": "2026-12-01T09:00:00+01:00"}),
    )
    assert bad.status_code == 400
    assert "test-reminder" in body_json(bad)["error"]
    naive = api.http.post(
        "/stores/demo/schedules",
        headers=AUTH,
        body=json.dumps({"kind": "test-reminder", "due_at": "2026-12-01T09:00:00"}),
    )
    assert naive.status_code == 400
    made = api.http.post(
        "/stores/demo/schedules",
        headers=AUTH,
        body=json.dumps({"kind": "test-reminder", "due_at": "2026-12-01T09:00:00+01:00"}),
    )
    assert made.status_code == 201
    job = body_json(made)
    assert job["due_at"] == "2026-12-01T08:00:00.000000Z"
    [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert listed["job_id"] == job["job_id"]
    gone = api.http.delete(f"/stores/demo/schedules/{job['job_id']}", headers=AUTH)
    assert gone.status_code == 200
    assert api.http.delete(f"/stores/demo/schedules/{job['job_id']}", headers=AUTH).status_code == 409
    [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert listed["status"] == "cancelled"


def test_dashboard_page_is_served_without_secrets(api: Any) -> None:
    answer = api.http.get("/dashboard")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.body.decode()
    for path in ("/reports/activity", "/actions?limit=100", "/events?limit=100"):
        assert path in page
    assert ADMIN_TOKEN not in page
    assert "Content-Security-Policy" in answer.headers


def test_saving_stores_checks_the_link_key_once_per_process(api: Any, runtime: Any) -> None:
    """Every store save used to read the link key from Secrets Manager (an uncached call per PUT)."""
    name = runtime.settings.link_key_name()
    calls: list[str] = []
    sm = runtime.client("secretsmanager")
    sm.meta.events.register(
        "before-parameter-build.secrets-manager.*",
        lambda model, params, **_: calls.append(model.name) if name in params.values() else None,
    )
    put_store(api, "alpha")
    put_store(api, "alpha", name="Renamed")
    put_store(api, "beta")
    assert calls == ["GetSecretValue", "CreateSecret"]  # the first save only: not found, created
    key = sm.get_secret_value(SecretId=name)["SecretString"]
    assert len(bytes.fromhex(key)) == 32
