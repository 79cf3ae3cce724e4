"""Supplier reorder through signed webhooks, the stream, the executor and the purchase-order routes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
TRACKED_IPOD = (EVENTS / "shopify" / "products_update__tracked-ipod.json").read_bytes()
ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])  # GREEN, RED, BLACK
REFUND = json.loads(load_fixture("shopify/refunds_create__python-api-refund.json")[0])  # BLACK, GREEN
LEVEL = json.loads(load_fixture("shopify/inventory_levels_update__python-api.json")[0])
GREEN, RED, BLACK = "39072856", "49148385", "457924702"
SENDER = "orders@demo-shop.example"
SUPPLIER = {
    "name": "Apple Wholesale",
    "email": "orders@apple-wholesale.example",
    "lead_time_days": 14,
    "vendors": ["Apple"],
    "unit_costs": {"IPOD2008RED": "99.90"},
}


def deliver(api: Any, body: dict[str, Any] | bytes, topic: str, delivery_id: str) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = shopify_headers(raw, topic, delivery_id)
    answer = api.http.post("/webhooks/shopify/demo", headers=headers, body=raw)
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer), answer.body


def order(number: int, **changes: Any) -> dict[str, Any]:
    return {**ORDER, "id": 900000 + number, "created_at": "2026-11-20T10:00:00+01:00", **changes}


def sold(runtime: Any, variant: str) -> int:
    return int(runtime.repo.variant_units_sold("demo", variant, "2026-10-28", "2026-11-24"))


def reorder_store(api: Any, **settings: Any) -> None:
    put_store(
        api,
        automations={
            "reorder": {"mode": "live", "settings": {"suppliers": [SUPPLIER], "sender": SENDER, **settings}},
            "low-stock": {"enabled": False},
            "sold-out": {"enabled": False},
        },
    )


def test_sales_count_once_whatever_the_repetition_netted_by_refunds_and_cancellation(
    api: Any, pump: Any, runtime: Any
) -> None:
    reorder_store(api)
    deliver(api, order(1), "orders/create", "o-1")
    deliver(api, order(1), "orders/create", "o-1-again")  # a second delivery id, same order
    deliver(api, order(1, updated_at="2026-11-20T11:00:00+01:00"), "orders/updated", "o-1-upd")
    pump.drain()
    assert (sold(runtime, GREEN), sold(runtime, RED), sold(runtime, BLACK)) == (1, 1, 1)
    refund = {**REFUND, "order_id": 900001}
    deliver(api, refund, "refunds/create", "r-1")
    deliver(api, refund, "refunds/create", "r-1-again")
    pump.drain()
    assert (sold(runtime, GREEN), sold(runtime, RED), sold(runtime, BLACK)) == (0, 1, 0)
    cancelled = order(1, cancelled_at="2026-11-21T09:00:00+01:00", updated_at="2026-11-21T09:00:00+01:00")
    for delivery in ("c-1", "c-1-again"):
        deliver(api, cancelled, "orders/cancelled", delivery)
    pump.drain()
    assert (sold(runtime, GREEN), sold(runtime, RED), sold(runtime, BLACK)) == (0, 0, 0)


def sell_red(api: Any, pump: Any, orders: int) -> None:
    deliver(api, TRACKED_IPOD, "products/update", "p-1")
    for n in range(orders):
        deliver(api, order(n), "orders/create", f"o-{n}")
    pump.drain()


def red_level(api: Any, pump: Any, delivery: str, available: int, at: str) -> None:
    body = {**LEVEL, "inventory_item_id": int(RED), "available": available, "updated_at": at}
    deliver(api, body, "inventory_levels/update", delivery)
    pump.drain()


def listing(api: Any, query: str = "", headers: dict[str, str] = AUTH, store: str = "demo") -> Any:
    return api.http.get(f"/stores/{store}/purchase-orders{query}", headers=headers)


def move(api: Any, po: str, what: str, headers: dict[str, str] = AUTH, store: str = "demo") -> Any:
    return api.http.post(f"/stores/{store}/purchase-orders/{po}/{what}", headers=headers)


def test_a_po_held_for_approval_is_approved_emailed_received_and_re_arms(
    api: Any, pump: Any, runtime: Any, session: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    reorder_store(api)
    sell_red(api, pump, 14)  # 14 RED in 28 days: 0.5/day; point 0.5 x 14 + 0.5 x 7 = 10.5
    red_level(api, pump, "l-1", 12, "2026-11-24T11:00:00Z")
    assert body_json(listing(api))["items"] == []
    red_level(api, pump, "l-2", 5, "2026-11-24T11:01:00Z")
    red_level(api, pump, "l-3", 4, "2026-11-24T11:02:00Z")  # lower still: the same open PO
    page = body_json(listing(api, "?status=awaiting_approval"))
    [po] = page["items"]
    assert page["next"] is None
    assert po["status"] == "awaiting_approval" and po["supplier"] == "Apple Wholesale"
    [line] = po["lines"]
    assert (line["sku"], line["quantity"], line["line_total"]) == ("IPOD2008RED", 10, "999.00")  # 15 - 5
    number = po["number"]
    assert ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages == []  # held: nothing sent

    approved = move(api, number, "approve")
    assert approved.status_code == 200, approved.body
    assert body_json(approved)["status"] == "ordered"
    pump.drain()
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert f'filename="{number}.csv"' in mail.raw_data and "IPOD2008RED" in mail.raw_data
    again = move(api, number, "approve")
    assert again.status_code == 409
    assert body_json(again)["error"] == (
        f"purchase order {number} is ordered: only awaiting_approval can approve"
    )

    assert move(api, number, "receive").status_code == 200
    assert body_json(listing(api, "?status=received"))["items"][0]["number"] == number
    red_level(api, pump, "l-4", 3, "2026-11-24T11:03:00Z")  # received: re-armed
    [second] = body_json(listing(api, "?status=awaiting_approval"))["items"]
    assert second["number"] != number
    assert move(api, second["number"], "cancel").status_code == 200
    cancelled = move(api, second["number"], "cancel")
    assert cancelled.status_code == 409 and "is cancelled" in body_json(cancelled)["error"]
    assert len(body_json(listing(api))["items"]) == 2


def test_sent_at_once_the_supplier_gets_it_without_approval(api: Any, pump: Any, session: Any) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    reorder_store(api, send="email")
    sell_red(api, pump, 14)
    red_level(api, pump, "l-1", 5, "2026-11-24T11:00:00Z")
    [po] = body_json(listing(api))["items"]
    assert po["status"] == "ordered"
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert "orders@apple-wholesale.example" in mail.destinations


def test_a_new_store_plans_the_po_in_dry_run_with_a_preview(api: Any, pump: Any) -> None:
    settings = {"suppliers": [SUPPLIER], "send": "email", "sender": SENDER}
    put_store(api, automations={"reorder": {"settings": settings}})
    sell_red(api, pump, 14)
    red_level(api, pump, "l-1", 5, "2026-11-24T11:00:00Z")
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    [planned] = [a for a in items if a["automation"] == "reorder"]
    assert planned["status"] == "planned" and planned["kind"] == "draft_purchase_order"
    detail = body_json(api.http.get(f"/stores/demo/actions/{planned['action_id']}", headers=AUTH))
    preview = detail["preview"]
    assert preview["channel"] == "purchase_order" and preview["number"].startswith("PO-20261124-")
    assert preview["variants"] == {"632910392": {RED: 10}}
    mail = preview["email"]
    assert mail["to"] == "orders@apple-wholesale.example" and "<td>IPOD2008RED</td>" in mail["html"]
    assert mail["attachments"][0]["filename"] == f"{preview['number']}.csv"
    assert body_json(listing(api))["items"] == []  # dry-run: nothing filed


def test_po_routes_answer_400_404_409_and_keep_stores_apart(api: Any, pump: Any) -> None:
    reorder_store(api)
    sell_red(api, pump, 14)
    red_level(api, pump, "l-1", 5, "2026-11-24T11:00:00Z")
    [po] = body_json(listing(api))["items"]
    put_store(api, "other")
    other_token = body_json(api.http.post("/stores/other/token", headers=AUTH))["token"]
    other = {"Authorization": f"Bearer {other_token}"}
    assert listing(api, headers=other).status_code == 401  # another store's token
    assert move(api, po["number"], "cancel", headers=other).status_code == 401
    assert body_json(listing(api, headers=other, store="other"))["items"] == []
    assert move(api, po["number"], "cancel", headers=other, store="other").status_code == 404
    assert listing(api, "?status=lost").status_code == 400
    assert listing(api, "?limit=0").status_code == 400
    assert listing(api, "?cursor=nope").status_code == 400
    assert move(api, po["number"], "explode").status_code == 404
    assert move(api, "PO-20261124-00000000", "approve").status_code == 404
    assert move(api, po["number"], "receive").status_code == 409  # not ordered yet
    assert api.http.get("/stores/demo/purchase-orders").status_code == 401
    assert body_json(listing(api))["items"][0]["status"] == "awaiting_approval"  # nothing changed


def test_daily_sales_counters_hold_a_block_of_days_per_item_and_expire(runtime: Any) -> None:
    """A day's units add up; 32 days share one item, so a 28-day window reads 1-2 items however
    many orders there were; a block no window reaches any more expires (TTL)."""
    repo = runtime.repo

    def count(order_id: str, day: str, units: int) -> bool:
        return bool(
            repo.apply_sales("demo", order_id, "sales", {"day": day, "version": 1}, None, {(RED, day): units})
        )

    assert count("o1", "2026-11-20", 2) and count("o2", "2026-11-20", 3) and count("o3", "2026-11-21", 1)
    assert count("o4", "2026-09-01", 5)  # outside the window below
    assert count("o1", "2026-11-20", 9) is False  # an order already counted: nothing written
    assert repo.variant_units_sold("demo", RED, "2026-11-20", "2026-11-20") == 5
    assert repo.variant_units_sold("demo", RED, "2026-10-28", "2026-11-24") == 6
    assert repo.variant_units_sold("demo", RED, "2026-08-01", "2026-11-24") == 11
    for n in range(60):  # a unit a day, 25 Sep to 23 Nov
        day = (date(2026, 9, 25) + timedelta(days=n)).isoformat()
        assert count(f"d{n}", day, 1)
    items = [i for i in runtime.table.scan()["Items"] if "#VSALES#" in str(i["PK"])]
    assert len(items) <= 5  # 60+ days in a handful of block items, not one item per day
    assert all(int(i["expires_at"]) > datetime(2027, 9, 1, tzinfo=UTC).timestamp() for i in items)
    assert repo.variant_units_sold("demo", RED, "2026-10-28", "2026-11-24") == 6 + 27  # 28 Oct to 23 Nov
