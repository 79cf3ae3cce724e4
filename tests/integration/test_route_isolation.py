"""Every route, found from the app itself (so routes added later are covered without editing this
file; issue 17, items 3 and 4):

- a store's token never reads or changes another store: on every token route with a store id it
  gets 401 for the other store, and the other store is unchanged;
- every public route (no token: shoppers and bots reach it) runs into the one rate limiter: a bot
  from one address gets 429 with Retry-After within its first 40 requests.
Webhook routes are signed instead (test_shop_ownership, test_ingest); /health and /dashboard hold
no store data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

SIGNED_OR_STATIC = re.compile(r"^/(webhooks/|health$|dashboard$)")


def routes(app: Any) -> list[tuple[str, str]]:
    return sorted(
        (path, method)
        for path, methods in app.routes.items()
        for method in methods
        if not SIGNED_OR_STATIC.match(path)
    )


def fill(path: str, store_id: str) -> str:
    """The path with `store_id` and a placeholder for every other parameter."""
    return re.sub(r"\{(\w+)\}", lambda m: store_id if m.group(1) == "store_id" else "x1", path)


def call(api: Any, method: str, path: str, headers: dict[str, str]) -> Any:
    body = json.dumps({}) if method in ("POST", "PUT", "PATCH") else None
    return getattr(api.http, method.lower())(
        path, headers={"Content-Type": "application/json", **headers}, body=body
    )


def store_state(api: Any, store_id: str) -> list[Any]:
    return [
        body_json(api.http.get(f"/stores/{store_id}{what}", headers=AUTH))
        for what in ("", "/events", "/runs", "/actions", "/schedules")
    ]


def public_routes(app: Any, api: Any) -> list[tuple[str, str]]:
    """Routes that answer without a token (anything but 401)."""
    found = []
    for path, method in routes(app):
        answer = call(api, method, fill(path, "alpha"), {})
        if answer.status_code != 401:
            found.append((path, method))
    return found


def test_a_store_token_reaches_no_other_store_on_any_route(app: Any, api: Any) -> None:
    put_store(api, "alpha")
    put_store(api, "beta")
    token = body_json(api.http.post("/stores/alpha/token", headers=AUTH))["token"]
    mine = {"Authorization": f"Bearer {token}"}
    before = store_state(api, "beta")
    public = set(public_routes(app, api))
    checked = 0
    for path, method in routes(app):
        if "{store_id}" not in path or (path, method) in public:
            continue
        answer = call(api, method, fill(path, "beta"), mine)
        assert answer.status_code == 401, (method, path, answer.status_code, answer.body[:200])
        checked += 1
    assert checked >= 10, "the token routes of a store were found"
    assert store_state(api, "beta") == before


def test_every_public_route_stops_a_bot(app: Any, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    put_store(api, "alpha")
    public = public_routes(app, api)
    assert ("/stores/{store_id}/assistant", "POST") in public and ("/u/{token}", "GET") in public
    for n, (path, method) in enumerate(public):
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", f"203.0.113.{n + 1}")
        statuses = [call(api, method, fill(path, "alpha"), {}).status_code for _ in range(40)]
        assert 429 in statuses, (method, path, sorted(set(statuses)))
        assert 500 not in statuses
        refused = call(api, method, fill(path, "alpha"), {})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1, (method, path)
