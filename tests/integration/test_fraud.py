"""Fraud automations through signed webhooks, the stream and the executor (dry-run), on real payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

AUD = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])
TXN = json.loads(load_fixture("shopify/order_transactions_create__hookdeck-2024-10.json")[0])
ORDER_ID = "2998557704341"


def deliver(api: Any, data: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(data).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer), answer.body


def runs(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    return [r for r in items if r["automation"] == automation]


def actions(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == automation]


def an_order(n: int, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(AUD)
    data["id"] = 2998557704341 + n
    data["admin_graphql_api_id"] = f"gid://shopify/Order/{2998557704341 + n}"
    data["name"] = f"#{1100 + n}"
    data.update(changes)
    return data


def card_checks(order_id: str, avs: str, cvv: str) -> dict[str, Any]:
    txn = copy.deepcopy(TXN)
    txn["order_id"] = int(order_id)
    txn["id"] = int(order_id) + 7
    txn["admin_graphql_api_id"] = f"gid://shopify/OrderTransaction/{int(order_id) + 7}"
    txn["payment_details"].update(avs_result_code=avs, cvv_result_code=cvv, credit_card_bin="424242")
    return txn


def test_a_new_store_scores_in_dry_run_and_a_later_transaction_rescores(api: Any, pump: Any) -> None:
    put_store(api)  # nothing set: risk-score runs on its defaults, in dry-run
    deliver(api, AUD, "orders/create", "o-1")
    pump.drain()
    [first] = runs(api, "risk-score")
    assert first["outcome"] == "nothing-to-do"
    assert first["reason"].startswith("risk score 0/100: no risk signal fired")
    # the card checks arrive afterwards (order_transactions/create): AVS and CVV do not match
    deliver(api, card_checks(ORDER_ID, "N", "N"), "order_transactions/create", "t-1")
    pump.drain()
    second = next(r for r in runs(api, "risk-score") if r["outcome"] == "actions")
    assert second["reason"].startswith("rescored with transaction")
    assert "risk score 55/100" in second["reason"] and "cvv_no_match" in second["reason"]
    planned = actions(api, "risk-score")
    assert sorted(a["kind"] for a in planned) == [
        "add_order_note",
        "add_tags",
        "hold_fulfillment",
        "post_slack",
    ]
    assert {a["status"] for a in planned} == {"planned"}  # dry-run: nothing sent
    hold = next(a for a in planned if a["kind"] == "hold_fulfillment")
    detail = body_json(api.http.get(f"/stores/demo/actions/{hold['action_id']}", headers=AUTH))
    preview = detail["preview"]
    assert preview["operation"] == "fulfillmentOrderHold"
    assert preview["body"]["variables"]["fulfillmentHold"]["reason"] == "HIGH_RISK_OF_FRAUD"
    assert preview["reads_first"].startswith("order: its fulfillment orders")
    note = next(a for a in planned if a["kind"] == "add_order_note")
    note_preview = body_json(api.http.get(f"/stores/demo/actions/{note['action_id']}", headers=AUTH))[
        "preview"
    ]
    assert "+30 cvv_no_match: CVV result N" in note_preview["body"]["variables"]["input"]["note"]
    # the same webhooks again: no second action
    deliver(api, card_checks(ORDER_ID, "N", "N"), "order_transactions/create", "t-1-again")
    deliver(api, AUD, "orders/create", "o-1-again")
    pump.drain()
    assert len(actions(api, "risk-score")) == 4


def test_velocity_counts_each_order_once_however_often_it_is_delivered(api: Any, pump: Any) -> None:
    put_store(api, automations={"risk-score": {"settings": {"weights": {"email_velocity": 30}}}})
    for n in range(3):
        deliver(api, an_order(n), "orders/create", f"v-{n}")
        deliver(api, an_order(n), "orders/create", f"v-{n}-repeat")  # a repeat counts once
    pump.drain()
    assert actions(api, "risk-score") == []
    deliver(api, an_order(3), "orders/create", "v-3")
    pump.drain()
    [tagged] = [a for a in actions(api, "risk-score") if a["kind"] == "add_tags"]
    assert tagged["target"] == f"order:{int(ORDER_ID) + 3}"
    run = next(r for r in runs(api, "risk-score") if r["outcome"] == "actions")
    assert "4th order from this email within 24 h (more than 3)" in run["reason"]
    assert "4th order from this IP address" in run["reason"]


def test_a_chargeback_flags_the_card_and_email_so_a_later_order_scores_higher(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, an_order(0), "orders/create", "c-0")
    pump.drain()
    dispute = json.loads(load_fixture("shopify/disputes_create__hookdeck-2024-10.json")[0])
    dispute["order_id"] = int(ORDER_ID)  # reason "fraudulent" in the real sample
    deliver(api, dispute, "disputes/create", "d-1")
    pump.drain()
    deliver(api, an_order(1), "orders/create", "c-1")  # same email, IP, card, address
    pump.drain()
    run = next(r for r in runs(api, "risk-score") if r["outcome"] == "actions")
    assert "+50 chargeback_history: a chargeback named this email" in run["reason"]
    assert "fraudulent chargeback on order #1100" in run["reason"]


def test_restricted_destination_through_a_signed_webhook(api: Any, pump: Any) -> None:
    put_store(api, automations={"restricted-destinations": {"settings": {"blocked_countries": ["AU"]}}})
    deliver(api, AUD, "orders/create", "r-1")
    pump.drain()
    kinds = sorted(a["kind"] for a in actions(api, "restricted-destinations"))
    assert kinds == ["add_tags", "hold_fulfillment", "post_slack"]
    [run] = runs(api, "restricted-destinations")
    assert run["reason"] == "order #1030: country AU is in blocked_countries"


def test_bad_fraud_settings_are_a_400_naming_the_field(api: Any) -> None:
    put_store(api)
    bad = {"automations": {"risk-score": {"settings": {"review_at": 80, "hold_at": 20}}}}
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps({**_store(), **bad}))
    assert answer.status_code == 400
    assert "hold_at must not be below review_at" in body_json(answer)["error"]
    bad = {"automations": {"restricted-destinations": {"settings": {"blocked_countries": ["Narnia"]}}}}
    answer = api.http.put("/stores/demo", headers=AUTH, body=json.dumps({**_store(), **bad}))
    assert answer.status_code == 400
    assert "blocked_countries" in body_json(answer)["error"]


def _store() -> dict[str, Any]:
    from tests.support import shop_of, store_body

    return store_body(shop_domain=shop_of("demo"))


def test_scoring_an_order_takes_at_most_four_reads(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api, automations={"restricted-destinations": {"enabled": False}})
    deliver(api, an_order(0), "orders/create", "q-0")
    pump.drain()
    table = runtime.repo._table
    client = table.meta.client
    reads: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        def batch_get_item(self, **kw: Any) -> Any:
            reads.append("batch")
            return client.batch_get_item(**kw)

    class CountingTable:
        meta = type("Meta", (), {"client": Counting()})()

        def __getattr__(self, name: str) -> Any:
            return getattr(table, name)

    runtime.repo._table = CountingTable()
    try:
        deliver(api, card_checks(str(int(ORDER_ID)), "N", "M"), "order_transactions/create", "q-t")
        pump.drain()
    finally:
        runtime.repo._table = table
    run = next(r for r in runs(api, "risk-score") if "rescored" in (r["reason"] or ""))
    assert "avs_no_match" in run["reason"]
    assert 1 <= len(reads) <= 3, reads  # + the order's snapshot: at most 4 reads


def test_a_second_order_over_a_customers_limit_of_a_limited_product_is_held(api: Any, pump: Any) -> None:
    product = str(AUD["line_items"][0]["product_id"])
    put_store(api, automations={"stock-hoarding": {"settings": {"limited_product_ids": [product]}}})
    two = copy.deepcopy(AUD["line_items"])
    two[0]["quantity"] = 2
    deliver(api, an_order(0, line_items=two), "orders/create", "h-0")
    deliver(api, an_order(0, line_items=two), "orders/create", "h-0-repeat")  # counted once
    pump.drain()
    assert actions(api, "stock-hoarding") == []  # 2 units: at the limit
    one = copy.deepcopy(AUD["line_items"])
    deliver(api, an_order(1, line_items=one), "orders/create", "h-1")  # same email, IP, address
    pump.drain()
    assert sorted(a["kind"] for a in actions(api, "stock-hoarding")) == [
        "add_tags",
        "hold_fulfillment",
        "post_slack",
    ]
    run = next(r for r in runs(api, "stock-hoarding") if r["outcome"] == "actions")
    assert "3 units of" in run["reason"] and "within 24 h (limit 2)" in run["reason"]
