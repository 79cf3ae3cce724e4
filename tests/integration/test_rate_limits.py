"""The one rate limiter of the public routes, on the shopper assistant (issue 9, item 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers, store_body

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # #1001, bob.norman@hostmail.com
EMAIL = "bob.norman@hostmail.com"


def ask(api: Any, monkeypatch: pytest.MonkeyPatch, ip: str = "203.0.113.5", **question: Any) -> Any:
    """One question from `ip`, as API Gateway reports the caller (requestContext.identity.sourceIp)."""
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    question.setdefault("message", "where is my order?")
    return api.http.post(
        "/stores/demo/assistant", headers={"Content-Type": "application/json"}, body=json.dumps(question)
    )


@pytest.fixture
def shop(api: Any, pump: Any) -> Any:
    put_store(api)
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(ORDER, "orders/create", "o-1"), body=ORDER
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    return api


def test_a_bot_is_stopped_within_its_first_second_and_a_shopper_is_not(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = [ask(shop, monkeypatch, message="hello").status_code for _ in range(40)]
    assert statuses[:30] == [200] * 30  # the default: 30 a minute from one address
    assert set(statuses[30:]) == {429}
    refused = ask(shop, monkeypatch, message="hello")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "too many requests" in body_json(refused)["error"]
    # a shopper elsewhere is still answered, and proves their order
    other = ask(shop, monkeypatch, ip="198.51.100.7", order_number="#1001", email=EMAIL)
    assert other.status_code == 200
    assert body_json(other)["order"]["name"] == "#1001"


def test_the_address_is_answered_again_in_the_next_window(
    shop: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(31):
        last = ask(shop, monkeypatch, message="hello")
    assert last.status_code == 429
    clock.advance(seconds=int(last.headers["Retry-After"]))
    assert ask(shop, monkeypatch, message="hello").status_code == 200


def test_guessing_order_numbers_for_a_known_email_stops_before_it_finds_one(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack of the issue: an email and #P1...#P999, from many addresses (one per guess)."""
    answers = [
        ask(shop, monkeypatch, ip=f"192.0.2.{i}", order_number=f"#{990 + i}", email=EMAIL)
        for i in range(1, 12)
    ]
    statuses = [a.status_code for a in answers]
    assert statuses[:10] == [200] * 10  # "not found", ten times
    assert statuses[10] == 429
    # the right number with that email is refused too while the email is locked: nothing leaks
    right = ask(shop, monkeypatch, ip="192.0.2.200", order_number="#1001", email=EMAIL)
    assert right.status_code == 429
    assert "order" not in body_json(right)


def test_guessing_emails_for_one_order_number_is_stopped_too(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(10):
        assert (
            ask(
                shop, monkeypatch, ip=f"192.0.2.{i}", order_number="#1001", email=f"x{i}@example.com"
            ).status_code
            == 200
        )
    assert ask(shop, monkeypatch, ip="192.0.2.99", order_number="#1001", email=EMAIL).status_code == 429


def test_the_whole_store_has_a_limit_over_all_addresses(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    put_store(api, rate_limits={"per_store": 5})
    statuses = [ask(api, monkeypatch, ip=f"192.0.2.{i}", message="hello").status_code for i in range(7)]
    assert statuses == [200] * 5 + [429] * 2


def test_rate_limits_are_store_settings_validated_on_save(api: Any) -> None:
    put_store(api, rate_limits={"per_client": 5, "window_seconds": 10})
    shown = body_json(api.http.get("/stores/demo", headers=AUTH))["rate_limits"]
    assert shown["per_client"] == 5
    assert shown["window_seconds"] == 10
    assert shown["proof_failures"] == 10  # defaults fill the rest
    bad = api.http.put(
        "/stores/demo", headers=AUTH, body=json.dumps(store_body(rate_limits={"per_client": 0}))
    )
    assert bad.status_code == 400
    assert "rate_limits.per_client" in body_json(bad)["error"]
    unknown = api.http.put(
        "/stores/demo", headers=AUTH, body=json.dumps(store_body(rate_limits={"speed": 1}))
    )
    assert unknown.status_code == 400


def test_counters_expire_and_keep_no_address_or_email(
    shop: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask(shop, monkeypatch, order_number="#42", email="someone@example.com")
    items = [i for i in runtime.table.scan()["Items"] if i.get("type") == "RATE"]
    assert len(items) == 4  # client, store, and the two failed proofs
    text = json.dumps(items, default=str)
    assert "203.0.113.5" not in text
    assert "someone@example.com" not in text
    assert all(int(i["expires_at"]) > runtime.clock.now().timestamp() for i in items)


def test_a_later_public_route_uses_the_limiter_with_one_decorator(runtime: Any) -> None:
    """How the waitlist, tracking and unsubscribe routes will use it; a route without a store in
    its path (a signed token) is limited per client with the defaults."""
    from chalice import Blueprint, Chalice
    from chalice.test import Client

    from functions.answers import answer_errors, json_response
    from functions.public import rate_limited

    bp = Blueprint("probe")

    @bp.route("/t/o/{token}", methods=["GET"])
    @answer_errors
    @rate_limited(bp, "tracking")
    def pixel(token: str) -> Any:
        return json_response({"token": token})

    app = Chalice(app_name="probe")
    app.register_blueprint(bp)
    with Client(app) as client:
        statuses = [client.http.get("/t/o/abc").status_code for _ in range(32)]
    assert statuses == [200] * 30 + [429] * 2
