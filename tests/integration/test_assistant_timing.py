"""The assistant's answer time does not tell whether an order number exists (issue 9, item 4).

Compared by the work each path does (the table calls and the bytes of order data they read), not
by wall time."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from boto3.dynamodb.types import Binary

from storekit import keys
from tests.payloads import load_fixture
from tests.support import body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])  # #1001, Bob
EMAIL = "bob.norman@hostmail.com"


def binary_bytes(value: Any) -> int:
    if isinstance(value, Binary | bytes | bytearray):
        return len(value.value if isinstance(value, Binary) else value)
    if isinstance(value, dict):
        return sum(binary_bytes(v) for v in value.values())
    if isinstance(value, list):
        return sum(binary_bytes(v) for v in value)
    return 0


class TableSpy:
    """Records each read of the table: (operation, index, projection) and the stored bytes it returned."""

    def __init__(self, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str | None, str | None]] = []
        self.bytes_read = 0
        for name in ("query", "get_item"):
            monkeypatch.setattr(runtime.table, name, self._spy(name, getattr(runtime.table, name)))

    def _spy(self, name: str, real: Any) -> Any:
        def spy(**request: Any) -> Any:
            answer = real(**request)
            self.calls.append((name, request.get("IndexName"), request.get("ProjectionExpression")))
            self.bytes_read += binary_bytes(answer.get("Items", [])) + binary_bytes(answer.get("Item", {}))
            return answer

        return spy


@pytest.fixture
def shop(api: Any, pump: Any) -> Any:
    put_store(api)
    big = dict(ORDER, id=450789470, name="#1002", note=os.urandom(60 * 1024).hex())  # a 120 KB order
    for order, delivery in ((ORDER, "o-1"), (big, "o-2")):
        body = json.dumps(order).encode()
        answer = api.http.post(
            "/webhooks/shopify/demo", headers=shopify_headers(body, "orders/create", delivery), body=body
        )
        assert answer.status_code == 200, answer.body
    pump.drain()
    return api


def ask(api: Any, number: str, email: str) -> dict[str, Any]:
    answer = api.http.post(
        "/stores/demo/assistant",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"message": "where is my order?", "order_number": number, "email": email}),
    )
    assert answer.status_code == 200, answer.body
    return dict(body_json(answer))


def work_of(api: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, number: str, email: str) -> Any:
    with monkeypatch.context() as patch:
        spy = TableSpy(runtime, patch)
        reply = ask(api, number, email)["reply"]
    return spy.calls, spy.bytes_read, reply


@pytest.mark.parametrize("known", ["#1001", "#1002"])
def test_unknown_number_and_wrong_email_do_the_same_work(
    shop: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch, known: str
) -> None:
    unknown = work_of(shop, runtime, monkeypatch, "#9999", EMAIL)
    wrong_email = work_of(shop, runtime, monkeypatch, known, "someone.else@example.com")
    assert unknown[2] == wrong_email[2]  # the same answer
    assert unknown[0] == wrong_email[0]  # the same reads, in the same order
    assert unknown[1] == wrong_email[1] == 0  # and no order data read by either
    # the right email does read the order (the comparison above would hide a broken spy)
    right = work_of(shop, runtime, monkeypatch, known, EMAIL.upper())
    assert right[1] > 0
    assert known in right[2]


def test_an_order_kept_before_proofs_existed_is_still_found(shop: Any, runtime: Any) -> None:
    runtime.table.delete_item(Key={"PK": keys.entity_partition("demo", "order", "450789469"), "SK": "PROOF"})
    assert "#1001" in ask(shop, "#1001", EMAIL)["reply"]
    assert "couldn't find" in ask(shop, "#1001", "someone.else@example.com")["reply"]


def test_a_changed_email_moves_the_proof(shop: Any, pump: Any, runtime: Any) -> None:
    updated = dict(ORDER, email="new.address@example.com", updated_at="2030-01-01T00:00:00-05:00")
    updated["customer"] = dict(ORDER["customer"], email="new.address@example.com")
    body = json.dumps(updated).encode()
    answer = shop.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, "orders/updated", "o-3"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    assert "#1001" in ask(shop, "#1001", "new.address@example.com")["reply"]
    assert "couldn't find" in ask(shop, "#1001", EMAIL)["reply"]
