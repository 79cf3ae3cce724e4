"""HubSpot sync through the official client, at the HTTP level: the client sends through a recorded
transport (`storekit.clients.hubspot.TRANSPORT`) that answers with HubSpot's documented response
shapes (developers.hubspot.com API reference: contacts/deals batch upsert, associations v4 default)
and records what the client sent. What is sent is exactly the action's preview; a 429 goes back
through the executor's retry path with its Retry-After; one push per change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.customers.crm import NAME as CRM
from storekit.actions import SyncToHubSpot
from storekit.clients import hubspot
from storekit.errors import PermanentError, Throttled
from tests.integration.test_customer_flows import ORDER, actions, deliver, later, welcome_customer
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
STAMP = "2026-11-24T11:00:05.123Z"


def upserted(record_id: str, properties: dict[str, str]) -> dict[str, Any]:
    """HubSpot's documented batch upsert answer (BatchResponseSimplePublicUpsertObject)."""
    return {
        "status": "COMPLETE",
        "results": [
            {
                "id": record_id,
                "properties": properties,
                "createdAt": STAMP,
                "updatedAt": STAMP,
                "archived": False,
                "new": True,
            }
        ],
        "startedAt": STAMP,
        "completedAt": STAMP,
    }


ASSOCIATED = {
    "status": "COMPLETE",
    "results": [
        {
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3},
            "from": {"id": "9001"},
            "to": {"id": "501"},
        }
    ],
    "startedAt": STAMP,
    "completedAt": STAMP,
}
RATE_LIMITED = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": "c7f4ac6f-3a6f-4dbb-bf2d-8f3b2d0f1c11",
    "policyName": "TEN_SECONDLY_ROLLING",
    "category": "RATE_LIMITS",
}


class Answer:
    """What urllib3 hands the client back (status, reason, data, headers)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = {200: "OK", 201: "Created", 400: "Bad Request", 429: "Too Many Requests"}.get(
            status, ""
        )
        self.data = json.dumps(body).encode()
        self._headers = {"Content-Type": "application/json;charset=utf-8", **(headers or {})}

    def getheaders(self) -> dict[str, str]:
        return self._headers

    def getheader(self, name: str, default: Any = None) -> Any:
        return self._headers.get(name, default)


class Recorded:
    """A urllib3 pool stand-in: answers in order, keeps each request (method, url, headers, body)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **_: Any) -> Answer:
        self.sent.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "body": json.loads(body) if body else None,
            }
        )
        assert self.answers, f"unexpected HubSpot call {method} {url}"
        return self.answers.pop(0)


def order_push() -> SyncToHubSpot:
    return SyncToHubSpot(
        email="bob.norman@hostmail.com",
        contact={"firstname": "Bob", "storeflow_tier": "vip"},
        customer_id="207119551",
        order_id="450789469",
        deal_id_property="storeflow_order_id",
        deal_key="demo:450789469",
        deal={"dealname": "Order #1001", "amount": "598.94", "pipeline": "default", "dealstage": "closedwon"},
        once_per="hubspot:crm:order:450789469",
    )


def test_an_order_push_sends_exactly_its_preview_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = Recorded(
        Answer(200, upserted("501", {"email": "bob.norman@hostmail.com"})),
        Answer(200, upserted("9001", {"dealname": "Order #1001"})),
        Answer(200, ASSOCIATED),
    )
    monkeypatch.setattr(hubspot, "TRANSPORT", pool)
    preview = hubspot.hubspot_calls(order_push())
    result = hubspot.HubSpotChannel(TOKEN).send(preview)
    assert result == "contact 501, deal 9001"
    assert [(s["method"], s["url"]) for s in pool.sent] == [
        ("POST", "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert"),
        ("POST", "https://api.hubapi.com/crm/v3/objects/deals/batch/upsert"),
        ("PUT", "https://api.hubapi.com/crm/v4/objects/deals/9001/associations/default/contacts/501"),
    ]
    assert [s["body"] for s in pool.sent] == [c.body for c in preview.calls]
    assert pool.sent[0]["body"]["inputs"][0] == {
        "idProperty": "email",
        "id": "bob.norman@hostmail.com",
        "properties": {"email": "bob.norman@hostmail.com", "firstname": "Bob", "storeflow_tier": "vip"},
    }
    assert all(s["headers"]["Authorization"] == f"Bearer {TOKEN}" for s in pool.sent)


def test_a_429_is_throttled_with_its_retry_after_and_a_400_names_only_the_category(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hubspot, "TRANSPORT", Recorded(Answer(429, RATE_LIMITED, {"Retry-After": "7"})))
    with pytest.raises(Throttled) as throttled:
        hubspot.HubSpotChannel(TOKEN).send(hubspot.hubspot_calls(order_push()))
    assert throttled.value.retry_after == 7
    invalid = {
        "status": "error",
        "message": "Property values were not valid: bob.norman@hostmail.com",
        "correlationId": "0d6b1f2e-5a0c-4d0c-9a53-2a3f4e3b1b7e",
        "category": "VALIDATION_ERROR",
    }
    monkeypatch.setattr(hubspot, "TRANSPORT", Recorded(Answer(400, invalid)))
    with pytest.raises(PermanentError) as refused:
        hubspot.HubSpotChannel(TOKEN).send(hubspot.hubspot_calls(order_push()))
    assert str(refused.value) == "HubSpot upsert contact: HTTP 400 VALIDATION_ERROR"


def test_crm_sync_pushes_a_customer_change_to_hubspot_once_and_retries_a_429(
    api: Any, pump: Any, runtime: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_store(
        api,
        mode="live",
        hubspot_access_token=TOKEN,
        automations={CRM: {"settings": {"hubspot": {}}}},
    )
    pool = Recorded(
        Answer(429, RATE_LIMITED, {"Retry-After": "60"}),
        Answer(200, upserted("501", {"email": "bob.norman@hostmail.com"})),
    )
    monkeypatch.setattr(hubspot, "TRANSPORT", pool)
    changed = welcome_customer(tags="tier:vip, history:repeat, value:high", updated_at="2026-11-24T11:00:00Z")
    deliver(api, changed, "customers/update", "cu-1")
    deliver(api, changed, "customers/update", "cu-1-again")  # the same change delivered twice
    pump.drain()
    [pushed] = actions(api, CRM)
    assert (pushed["kind"], pushed["status"]) == ("hubspot_sync", "retrying")
    later(clock, runtime, pump, minutes=2)
    [pushed] = actions(api, CRM)
    assert pushed["status"] == "done" and len(pool.sent) == 2
    properties = pool.sent[1]["body"]["inputs"][0]["properties"]
    assert properties["storeflow_tier"] == "vip"
    assert properties["storeflow_segments"] == "history:repeat;value:high"
    detail = body_json(api.http.get(f"/stores/demo/actions/{pushed['action_id']}", headers=AUTH))
    assert detail["preview"]["calls"][0]["body"] == pool.sent[1]["body"]
    assert TOKEN not in json.dumps(detail) and TOKEN not in json.dumps(
        body_json(api.http.get("/stores/demo", headers=AUTH))
    )


def test_an_order_is_previewed_as_a_deal_with_its_contact_in_dry_run(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api, automations={CRM: {"settings": {"hubspot": {"stage_paid": "closedwon"}}}})
    deliver(api, {**ORDER, "financial_status": "paid"}, "orders/create", "o-1")
    pump.drain()
    [planned] = actions(api, CRM)
    assert planned["status"] == "planned"
    detail = body_json(api.http.get(f"/stores/demo/actions/{planned['action_id']}", headers=AUTH))
    calls = detail["preview"]["calls"]
    assert [c["operation"] for c in calls] == ["upsert contact", "upsert deal", "associate deal with contact"]
    deal = calls[1]["body"]["inputs"][0]
    assert deal["idProperty"] == "storeflow_order_id" and deal["id"] == f"demo:{ORDER['id']}"
    assert deal["properties"]["dealstage"] == "closedwon"
    assert deal["properties"]["amount"] == ORDER["total_price"]
    assert calls[2]["path"] == "/crm/v4/objects/deals/{deal}/associations/default/contacts/{contact}"


def test_importing_the_app_does_not_load_the_hubspot_client() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "import sys, app; print(any(m == 'hubspot' or m.startswith('hubspot.') for m in sys.modules))"
    env = {"PYTHONPATH": f"{root}:{root / 'layers'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
