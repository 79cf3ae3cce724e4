"""GET /stores/{id}/reports/fraud on real payloads delivered through signed webhooks: per risk-score
band, orders scored, held, cancelled, charged back, refunded, and the held orders that were good,
from counters kept as the events arrived (each counted once however often it is delivered)."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

import pytest

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

AUD = json.loads(load_fixture("shopify/orders_create__bag-server-test-order-AUD.json")[0])
DISPUTE = json.loads(load_fixture("shopify/disputes_create__hookdeck-2024-10.json")[0])
SHIPMENT = json.loads(load_fixture("shopify/fulfillments_create__hookdeck-2024-10.json")[0])
REFUND = json.loads(load_fixture("shopify/refunds_create__python-api-refund.json")[0])
PASSED, HELD = 2998557704341, 2998557704342


def deliver(api: Any, data: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(data).encode()
    for attempt in ("", "-again"):  # every webhook twice: counted once
        answer = api.http.post(
            "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id + attempt), body=body
        )
        assert answer.status_code == 200, answer.body


def order(order_id: int, name: str, **payment: str) -> dict[str, Any]:
    data = copy.deepcopy(AUD)
    data["id"] = order_id
    data["admin_graphql_api_id"] = f"gid://shopify/Order/{order_id}"
    data["name"] = name
    data["created_at"] = "2026-11-20T10:00:00+01:00"  # a store-local day in Europe/Berlin
    data["payment_details"].update(payment)
    return data


@pytest.fixture
def reported(api: Any, pump: Any) -> Any:
    put_store(api)  # a new store: risk-score on its defaults, dry-run
    deliver(api, order(PASSED, "#2001"), "orders/create", "p")
    deliver(api, order(HELD, "#2002", avs_result_code="N", cvv_result_code="N"), "orders/create", "h")
    pump.drain()
    # later: the passed order charges back and is refunded; the held one ships and is fine
    deliver(api, DISPUTE | {"order_id": PASSED}, "disputes/create", "d")
    deliver(api, REFUND | {"order_id": PASSED}, "refunds/create", "r")
    deliver(api, SHIPMENT | {"order_id": HELD}, "fulfillments/create", "f")
    pump.drain()
    return api


def test_the_fraud_report_shows_each_band_and_what_became_of_its_orders(reported: Any) -> None:
    answer = reported.http.get("/stores/demo/reports/fraud?from=2026-11-20&to=2026-11-20", headers=AUTH)
    assert answer.status_code == 200, answer.body
    report = body_json(answer)
    rows = {r["band"]: r for r in report["rows"]}
    assert rows["pass"] | {} == {
        "band": "pass",
        "scores": "0-29",
        "scored": 1,
        "held": 0,
        "cancelled": 0,
        "chargebacks": 1,
        "refunded": 1,
        "fulfilled": 0,
        "held_fulfilled": 0,
        "held_good": 0,
        "chargeback_rate_percent": "100.00",
    }
    assert rows["hold"]["scores"] == "50-84"
    assert (rows["hold"]["scored"], rows["hold"]["held"], rows["hold"]["held_good"]) == (1, 1, 1)
    assert rows["review"]["scored"] == 0 and rows["cancel"]["scored"] == 0
    assert report["summary"]["held_orders_that_were_good"] == 1
    assert report["summary"]["passed_orders_that_charged_back"] == 1
    assert report["summary"]["scored"] == 2
    assert 0 < report["items_read"] <= 10  # counters, not orders


def test_the_fraud_report_as_csv_and_other_days_are_empty(reported: Any) -> None:
    answer = reported.http.get(
        "/stores/demo/reports/fraud?from=2026-11-20&to=2026-11-20&format=csv", headers=AUTH
    )
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert [r["band"] for r in rows] == ["pass", "review", "hold", "cancel"]
    assert rows[2]["held_good"] == "1"
    other = body_json(
        reported.http.get("/stores/demo/reports/fraud?from=2026-11-21&to=2026-11-22", headers=AUTH)
    )
    assert other["summary"]["scored"] == 0 and other["items_read"] == 0
    bad = reported.http.get("/stores/demo/reports/fraud?from=tomorrow", headers=AUTH)
    assert bad.status_code == 400
