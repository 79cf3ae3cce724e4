"""Every bad request gets a clear `{"error": ...}` (issue 9, items 5 and 9)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storekit.records import ActionRecord
from tests.support import AUTH, body_json, put_store, store_body

pytestmark = pytest.mark.integration

NESTED = [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100k-arrays"),
    pytest.param(b'{"a":' * 5_000 + b"1" + b"}" * 5_000, id="5k-objects"),
]


@pytest.mark.parametrize("body", NESTED)
@pytest.mark.parametrize(
    "method,path,auth",
    [
        ("PUT", "/stores/demo", True),
        ("POST", "/stores/demo/schedules", True),
        ("POST", "/stores/demo/customer-links", True),
        ("POST", "/stores/demo/assistant", False),
    ],
    ids=["put-store", "schedules", "customer-links", "assistant"],
)
def test_deeply_nested_json_is_400_on_every_json_route(
    api: Any, method: str, path: str, auth: bool, body: bytes
) -> None:
    put_store(api)
    headers = AUTH if auth else {"Content-Type": "application/json"}
    answer = api.http.request(method, path, headers=headers, body=body)
    assert answer.status_code == 400
    assert body_json(answer) == {"error": "body is nested too deeply"}


@pytest.mark.parametrize(
    "method,path,auth",
    [
        ("PUT", "/stores/demo", True),
        ("POST", "/stores/demo/assistant", False),
        ("POST", "/webhooks/shopify/demo", False),
        ("GET", "/stores/demo/events", True),
    ],
)
def test_an_unsupported_content_type_gets_our_error_shape(
    api: Any, method: str, path: str, auth: bool
) -> None:
    put_store(api)
    headers = {**(AUTH if auth else {}), "Content-Type": "text/xml"}
    answer = api.http.request(method, path, headers=headers, body=b"<x/>")
    assert answer.status_code == 415
    data = body_json(answer)
    assert set(data) == {"error"}
    assert "Content-Type" in data["error"]


def test_a_method_a_route_does_not_take_gets_our_error_shape(api: Any) -> None:
    answer = api.http.request("PATCH", "/stores/demo", headers=AUTH, body=b"{}")
    assert answer.status_code == 405
    assert set(body_json(answer)) == {"error"}


def test_a_huge_cursor_is_400_not_414(api: Any) -> None:
    put_store(api)
    answer = api.http.get("/stores/demo/events?cursor=" + "A" * 100_000, headers=AUTH)
    assert answer.status_code == 400
    error = body_json(answer)["error"]
    assert "cursor" in error
    assert len(error) < 300


@pytest.mark.parametrize(
    "query,field",
    [("limit=0", "limit"), ("limit=ten", "limit"), ("limit=501", "limit"), ("status=lost", "status")],
)
def test_bad_query_parameters_are_400_naming_them(api: Any, query: str, field: str) -> None:
    put_store(api)
    answer = api.http.get(f"/stores/demo/actions?{query}", headers=AUTH)
    assert answer.status_code == 400
    assert field in body_json(answer)["error"]


def test_report_days_are_parsed_like_the_other_query_parameters(api: Any) -> None:
    put_store(api)
    answer = api.http.get("/stores/demo/reports/activity?days=0", headers=AUTH)
    assert answer.status_code == 400
    assert "days" in body_json(answer)["error"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/stores/demo/actions/{long}/retry"),
        ("DELETE", "/stores/demo/schedules/{long}"),
        ("GET", "/stores/demo/reports/{long}"),
        ("POST", "/webhooks/shopify/{long}"),
        ("POST", "/webhooks/{long}/demo"),
    ],
)
def test_long_ids_are_cut_in_error_messages(api: Any, method: str, path: str) -> None:
    put_store(api)
    long = "x" * 5_000
    answer = api.http.request(method, path.format(long=long), headers=AUTH, body=b"{}")
    assert answer.status_code in (400, 404), answer.body
    error = body_json(answer)["error"]
    assert "xxxx" in error
    assert len(error) < 400


def test_a_losing_concurrent_retry_says_the_state_the_action_is_really_in(
    api: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two retries of one failed action: the one that loses the conditional update must not say
    the action 'is failed' (the state it read before): it is pending now."""
    put_store(api)
    now = runtime.clock.now().isoformat()
    record = ActionRecord.model_validate(
        {
            "action_id": "a1",
            "store_id": "demo",
            "automation": "channel-tags",
            "kind": "tag_order",
            "target": "order 1",
            "summary": "tag order 1",
            "event_id": "shopify:d-1",
            "run_id": "r-1",
            "status": "failed",
            "created_at": now,
            "updated_at": now,
            "action": {"kind": "tag_order"},
        }
    )
    assert runtime.repo.put_action(record)
    real_get = runtime.repo.get_action
    reads = {"n": 0}

    def racing_get(store_id: str, action_id: str) -> Any:
        """The first read (the handler's) happens before a parallel retry wins the update."""
        reads["n"] += 1
        found = real_get(store_id, action_id)
        if reads["n"] == 2:
            runtime.repo.move_action(found, "pending", from_statuses=("failed",))
        return found

    monkeypatch.setattr(runtime.repo, "get_action", racing_get)
    answer = api.http.post("/stores/demo/actions/a1/retry", headers=AUTH)
    assert answer.status_code == 409
    assert body_json(answer)["error"].startswith("action is pending")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sms_template", "{{ 1/0 }}"),
        ("sms_template", "{% for i in range(1000000) %}x{% endfor %}"),
        ("email_template", {"subject": "Shipped", "html": "{{ 1/0 }}", "text": "x"}),
    ],
)
def test_a_template_that_does_not_render_is_400_on_save_naming_the_field(
    api: Any, field: str, value: Any
) -> None:
    put_store(api)
    body = store_body(automations={"shipping-notice": {"settings": {field: value}}})
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(body))
    assert answer.status_code == 400, answer.body
    assert f"automations.shipping-notice.settings: {field}" in body_json(answer)["error"]
    shown = body_json(api.http.get("/stores/demo", headers=AUTH))["automations"]["shipping-notice"]
    assert shown["settings"][field] is None  # nothing saved


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slack_webhook_url": "file:///etc/passwd"}, "slack_webhook_url"),
        ({"slack_webhook_url": "http://169.254.169.254/latest/meta-data/"}, "slack_webhook_url"),
        ({"slack_webhook_url": "https://hooks.slack.com.evil.example/services/x"}, "slack_webhook_url"),
        ({"webhook_secret": " " * 8}, "webhook_secret"),
        ({"webhook_secret": None, "webhook_secrets": ["good-secret-1", "\t" * 9]}, "webhook_secrets"),
        ({"outbound_webhook_secret": "   "}, "outbound_webhook_secret"),
        ({"api_credentials": {"access_token": " "}}, "api_credentials"),
        ({"name": "Demo\x00Shop"}, "name"),
        ({"name": "Demo\nShop"}, "name"),
        (
            {
                "automations": {
                    "post-delivery-follow-up": {"settings": {"review_url": "http://localhost/review"}}
                }
            },
            "review_url",
        ),
        (
            {"automations": {"returns-follow-up": {"settings": {"credit_url": "https://10.0.0.5/credit"}}}},
            "credit_url",
        ),
    ],
)
def test_unsafe_urls_blank_secrets_and_control_characters_are_refused_on_save(
    api: Any, overrides: dict[str, Any], field: str
) -> None:
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps(store_body(**overrides)))
    assert answer.status_code == 400, answer.body
    error = body_json(answer)["error"]
    assert field in error
    assert "passwd" not in error and "169.254" not in error  # the URL (maybe a secret) is not echoed
    assert api.http.get("/stores/demo", headers=AUTH).status_code == 404


def test_a_slack_url_and_https_links_to_public_hosts_are_accepted(api: Any) -> None:
    put_store(
        api,
        slack_webhook_url="https://hooks.slack.com/services/T000/B000/XXXX",
        automations={
            "post-delivery-follow-up": {"settings": {"review_url": "https://demo-shop.example/review"}}
        },
    )


def test_the_local_servers_own_refusals_are_json_too() -> None:
    """`make run`'s HTTP server answers a 100 KB URL itself (414) before any route runs."""
    import http.client
    import threading

    from chalice import Chalice
    from chalice.config import Config

    from infra.local_stack import api_server

    probe = Chalice(app_name="probe")
    server = api_server(probe, Config.create(chalice_app=probe, app_name="probe"), 0, verbose=False)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.server.handle_request, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/stores/demo/events?cursor=" + "A" * 100_000)
    answer = connection.getresponse()
    assert answer.status == 414
    assert answer.getheader("Content-Type") == "application/json"
    assert set(json.loads(answer.read())) == {"error"}
    connection.close()
    thread.join(timeout=10)
    server.server.server_close()
