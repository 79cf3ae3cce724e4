"""No public answer, nor the work behind it, tells whether an order, a customer or an email exists
(issue 17, item 4). A shopper's route is asked about something storeflow knows and about something
it does not: the status and body are the same, and so are the AWS calls made to answer (counted per
service and per read/write, deterministic: the time an answer takes follows from them, while a
wall-clock comparison would be noise). A bot that tries many of them runs into the rate limiter
(test_route_isolation)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient
from chalice.local import LambdaEventConverter

from storekit import keys
from storekit.links import LinkClaims
from tests.payloads import load_fixture
from tests.support import body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

READS = {"GetItem", "BatchGetItem", "Query", "GetObject", "HeadObject", "GetSecretValue", "GetParameter"}
TRACKED_IPOD = load_fixture("shopify/products_update__python-api-product.json")[0]
ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])  # #1001
KNOWN_EMAIL = ORDER["email"]
UNKNOWN_EMAIL = "nobody.here@example.org"


@contextmanager
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str]]]:
    """Every AWS call made in process while open: (service, "read" | "write") -> calls. A put and
    an update of one item are both one write (the same write units, the same round trip)."""
    counted: Counter[tuple[str, str]] = Counter()
    real = BaseClient._make_api_call

    def counting(client: BaseClient, operation: str, params: Any) -> Any:
        service = client.meta.service_model.service_name
        counted[(service, "read" if operation in READS else "write")] += 1
        return real(client, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", counting)
        yield counted


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


@pytest.fixture
def shop(api: Any) -> Any:
    put_store(api, automations={"back-in-stock-waitlist": {"settings": {"sender": "shop@example.com"}}})
    return api


@pytest.fixture
def variant(shop: Any, pump: Any) -> str:
    """A variant storeflow knows (from products/update), to sign up for."""
    deliver(shop, TRACKED_IPOD, "products/update", "p-1")
    pump.drain()
    return str(json.loads(TRACKED_IPOD)["variants"][0]["id"])


def same_answer_and_work(
    monkeypatch: pytest.MonkeyPatch, known: Callable[[], Any], unknown: Callable[[], Any]
) -> tuple[Any, Any]:
    """Ask both (each from a fresh address, once to warm every cache), then compare."""
    seen = []
    for n, ask in enumerate((known, unknown, known, unknown)):
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", f"192.0.2.{n + 1}")
        with aws_calls(monkeypatch) as calls:
            answer = ask()
        seen.append((answer.status_code, answer.body, dict(calls)))
    (k_status, k_body, k_calls), (u_status, u_body, u_calls) = seen[2], seen[3]
    assert (k_status, k_body) == (u_status, u_body)
    assert k_calls == u_calls, {"known": k_calls, "unknown": u_calls}
    assert sum(k_calls.values()) > 0, "the counter saw the calls"
    return seen[2], seen[3]


def sign_up(api: Any, email: str, variant: str) -> Any:
    body = {"email": email, "variant_id": variant, "consent": True}
    return api.http.post(
        "/stores/demo/waitlist", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )


def test_a_waitlist_signup_does_not_tell_whether_the_email_is_on_the_list(
    shop: Any, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sign_up(shop, "on.the.list@example.com", variant).status_code == 202
    emails = iter(f"new{n}@example.com" for n in range(4))
    (status, _, _), _ = same_answer_and_work(
        monkeypatch,
        lambda: sign_up(shop, "on.the.list@example.com", variant),
        lambda: sign_up(shop, next(emails), variant),
    )
    assert status == 202


def link(runtime: Any, purpose: str, kind: str, **data: str) -> str:
    url = runtime.link_url(LinkClaims(purpose=purpose, store_id="demo", kind=kind, data=data))  # type: ignore[arg-type]
    return url.removeprefix("http://127.0.0.1:8000")


@pytest.mark.parametrize("purpose", ["u", "o", "c"])
def test_a_marketing_link_does_not_tell_whether_its_customer_is_known(
    shop: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, purpose: str
) -> None:
    """Signed links (a redacted customer's link stays valid): the unsubscribe, the open pixel and the
    click of a known customer and of one storeflow has no record of."""
    known = keys.contact_digest("demo", KNOWN_EMAIL)
    unknown = keys.contact_digest("demo", UNKNOWN_EMAIL)
    runtime.repo.note_contact_order("demo", known, "2026-11-20T10:00:00+00:00")  # a customer who ordered
    assert runtime.repo.marketing_contact("demo", known) and not runtime.repo.marketing_contact(
        "demo", unknown
    )
    kind, extra = (
        ("marketing", {}) if purpose == "u" else ("flow", {"f": "welcome", "u": "https://shop.example/"})
    )
    headers = {"Accept": "image/gif"} if purpose == "o" else {}
    (status, _, _), _ = same_answer_and_work(
        monkeypatch,
        lambda: shop.http.get(link(runtime, purpose, kind, c=known, **extra), headers=headers),
        lambda: shop.http.get(link(runtime, purpose, kind, c=unknown, **extra), headers=headers),
    )
    assert status == {"u": 200, "o": 200, "c": 302}[purpose]


def test_a_waitlist_unsubscribe_does_not_tell_whether_the_email_was_on_the_list(
    shop: Any, variant: str, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_list = [f"on{n}@example.com" for n in range(2)]
    for email in on_list:
        assert sign_up(shop, email, variant).status_code == 202
    leaving = iter(on_list)

    def leave(email: str) -> Any:
        return shop.http.get(link(runtime, "u", "waitlist", v=variant, h=keys.email_digest("demo", email)))

    (status, _, _), _ = same_answer_and_work(
        monkeypatch, lambda: leave(next(leaving)), lambda: leave(UNKNOWN_EMAIL)
    )
    assert status == 200
    assert not runtime.repo.waitlist_entry("demo", variant, keys.email_digest("demo", on_list[1]))


def ask_assistant(api: Any, number: str, email: str) -> Any:
    body = {"message": "where is my order?", "order_number": number, "email": email}
    return api.http.post(
        "/stores/demo/assistant", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )


def test_the_assistant_does_not_tell_whether_an_order_number_exists(
    shop: Any, pump: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every AWS call counted (the assistant's own timing test counts table reads and bytes)."""
    deliver(shop, json.dumps(ORDER).encode(), "orders/create", "o-1")
    pump.drain()
    (status, body, _), _ = same_answer_and_work(
        monkeypatch,
        lambda: ask_assistant(shop, "#1001", "someone.else@example.com"),
        lambda: ask_assistant(shop, "#9999", "someone.else@example.com"),
    )
    assert status == 200 and "couldn't find" in body_json_text(body)
    assert "#1001" in body_json(ask_assistant(shop, "#1001", ORDER["email"]))["reply"]


def body_json_text(body: bytes) -> str:
    return str(json.loads(body)["reply"])
