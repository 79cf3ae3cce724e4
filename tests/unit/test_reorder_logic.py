"""Supplier reorder, pure: sales counted once per order/refund/cancellation, the velocity, the
reorder point and quantity, the purchase order drafted (HTML table + CSV), on real payloads."""

from __future__ import annotations

import csv
import email
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.engine.perform import render
from functions.inventory.facts import ItemVariant, StockFacts
from functions.inventory.models import ProductFacts
from functions.inventory.purchase_orders import csv_text
from functions.inventory.reorder import (
    ReorderFacts,
    ReorderSettings,
    Supplier,
    reorder,
    reorder_point,
    reorder_quantity,
)
from functions.inventory.sales import SalesMark, on_order, on_refund, store_day, velocity, window
from storekit.actions import DraftPurchaseOrder
from storekit.adapters import canonical_topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.clients.email import mime_bytes
from storekit.outbound import PurchaseOrderFiling
from storekit.store import StoreConfig
from tests.payloads import FIXTURES, topic_for

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
ORDER_1001 = "shopify/orders_create__python-api-order.json"  # GREEN, RED, BLACK x1 each
REFUND_OF_1001 = "shopify/refunds_create__python-api-refund.json"  # BLACK and GREEN lines x1
LEVEL = "shopify/inventory_levels_update__python-api.json"  # item 808950810 (Pink), 6 available
GREEN, RED, BLACK, PINK = "39072856", "49148385", "457924702", "808950810"
#: the settings render reads: the sender, and no sending domains (any sender passes)
_SETTINGS = {"email_sender": "orders@demo-shop.example", "sending_domain_list": lambda self: None}
RUNTIME: Any = type("R", (), {"settings": type("S", (), _SETTINGS)()})()


def real(relpath: str, changes: dict[str, Any] | None = None) -> Any:
    platform, platform_topic = topic_for(FIXTURES / relpath)
    topic = canonical_topic(platform, platform_topic)
    assert topic is not None
    data = {**json.loads((FIXTURES / relpath).read_bytes()), **(changes or {})}
    return parse_delivery(platform, topic, data).resource


def store() -> StoreConfig:
    return StoreConfig(
        store_id="demo",
        platform="shopify",
        shop_domain="demo-shop.myshopify.com",
        name="Demo Shop",
        timezone="Europe/Berlin",
        currency="EUR",
        created_at=NOW,
        updated_at=NOW,
    )


APPLE = Supplier(
    name="Apple Wholesale",
    email="orders@apple-wholesale.example",
    lead_time_days=14,
    pack_size=10,
    min_order_qty=20,
    vendors=["Apple"],
    unit_costs={"IPOD2008PINK": Decimal("120.50")},
)


# --- sales counters: each order, refund and cancellation counts once ---------------------------
def test_an_order_counts_its_units_once_on_its_store_day() -> None:
    order = real(ORDER_1001)
    day = store_day(order.created_at, "Europe/Berlin", NOW)
    assert day == "2008-01-10"
    mark, deltas = on_order(SalesMark(), order, day) or (None, {})
    assert deltas == {(GREEN, day): 1, (RED, day): 1, (BLACK, day): 1}
    assert mark is not None and on_order(mark, order, day) is None  # a repeat delivery: nothing


def test_a_refund_takes_its_units_off_the_order_day_once() -> None:
    order, refund = real(ORDER_1001), real(REFUND_OF_1001)
    mark, _ = on_order(SalesMark(), order, "2008-01-10") or (SalesMark(), {})
    mark2, deltas = on_refund(mark, refund) or (mark, {})
    assert deltas == {(BLACK, "2008-01-10"): -1, (GREEN, "2008-01-10"): -1}
    assert on_refund(mark2, refund) is None


def test_a_cancellation_after_a_refund_takes_off_only_what_is_still_counted() -> None:
    order, refund = real(ORDER_1001), real(REFUND_OF_1001)
    mark, _ = on_order(SalesMark(), order, "2008-01-10") or (SalesMark(), {})
    mark, _ = on_refund(mark, refund) or (mark, {})
    cancelled = real(ORDER_1001, {"cancelled_at": "2008-01-11T10:00:00-05:00"})
    mark, deltas = on_order(mark, cancelled, "2008-01-10") or (mark, {})
    assert deltas == {(RED, "2008-01-10"): -1, (GREEN, "2008-01-10"): 0, (BLACK, "2008-01-10"): 0}
    assert on_order(mark, cancelled, "2008-01-10") is None
    assert on_order(mark, order, "2008-01-10") is None  # a late orders/create of it counts nothing


def test_a_refund_before_its_order_is_left_out_when_the_order_counts() -> None:
    mark, deltas = on_refund(SalesMark(), real(REFUND_OF_1001)) or (SalesMark(), {})
    assert deltas == {}
    _, deltas = on_order(mark, real(ORDER_1001), "2008-01-10") or (mark, {})
    assert {k: v for k, v in deltas.items() if v} == {(RED, "2008-01-10"): 1}


def test_an_order_cancelled_before_it_was_counted_never_counts() -> None:
    cancelled = real(ORDER_1001, {"cancelled_at": "2008-01-11T10:00:00-05:00"})
    mark, deltas = on_order(SalesMark(), cancelled, "2008-01-10") or (SalesMark(), {})
    assert not any(deltas.values()) and mark.cancelled
    assert on_order(mark, real(ORDER_1001), "2008-01-10") is None


def test_the_window_is_window_days_up_to_today_and_velocity_is_per_day() -> None:
    assert window(NOW.date(), 28) == ("2026-10-28", "2026-11-24")
    assert velocity(42, 28) == Decimal("1.5")
    assert velocity(-3, 28) == 0


# --- reorder point and quantity ---------------------------------------------------------------
def test_reorder_point_is_velocity_times_lead_time_plus_safety_stock() -> None:
    assert reorder_point(Decimal(2), APPLE, ReorderSettings(safety_stock_days=7)) == Decimal(42)
    assert reorder_point(Decimal(2), APPLE, ReorderSettings(safety_stock_units=5)) == Decimal(33)


def test_quantity_covers_cover_days_rounded_up_to_packs_and_at_least_the_minimum() -> None:
    # 30 x 1.5 - 6 - 0 = 39 -> 4 packs of 10
    assert reorder_quantity(Decimal("1.5"), 6, 0, APPLE, 30) == 40
    # 30 x 0.5 - 6 = 9 -> 1 pack = 10, below the minimum 20 -> 20
    assert reorder_quantity(Decimal("0.5"), 6, 0, APPLE, 30) == 20
    assert reorder_quantity(Decimal("0.1"), 6, 0, APPLE, 30) == 0  # covered


def facts(sold: int, stock_item: dict[str, Any] | None = None) -> ReorderFacts:
    item = ItemVariant(
        product_id="632910392",
        variant_id=PINK,
        product_title="IPod Nano - 8GB",
        variant_title="Pink",
        sku="IPOD2008PINK",
        facts=ProductFacts(vendor="Apple"),
    )
    return ReorderFacts(stock=StockFacts(item=item, stock_item=stock_item or {}), sold={PINK: sold})


def ctx(settings: ReorderSettings, related: ReorderFacts) -> Context[Any, Any]:
    meta = EventMeta(event_id="e", platform="shopify", topic="t", delivery_id="d", received_at="x")
    return Context(store=store(), settings=settings, event=meta, now=NOW, related=related)


def drafted_purchase_order(send: str = "approval") -> DraftPurchaseOrder:
    settings = ReorderSettings(suppliers=[APPLE], send=send)  # type: ignore[arg-type]
    [action] = reorder(real(LEVEL), ctx(settings, facts(sold=42)))
    assert isinstance(action, DraftPurchaseOrder)
    return action


def test_a_level_at_the_reorder_point_drafts_one_po_for_the_supplier() -> None:
    action = drafted_purchase_order()
    # velocity 42/28 = 1.5/day; point 1.5 x 14 + 1.5 x 7 = 31.5 >= 6 available
    assert action.supplier == "Apple Wholesale" and action.email is None
    assert action.variants == {"632910392": {PINK: 40}}
    [line] = action.document["lines"]
    assert (line["quantity"], line["unit_cost"], line["line_total"]) == (40, "120.50", "4820.00")
    assert action.document["total"] == "4820.00" and action.document["currency"] == "EUR"
    assert action.number.startswith("PO-20261124-")
    assert drafted_purchase_order().number == action.number  # a repeat decides the same PO


def test_above_the_reorder_point_the_run_says_how_far() -> None:
    decision = reorder(real(LEVEL), ctx(ReorderSettings(suppliers=[APPLE]), facts(sold=4)))
    assert list(decision) == []
    assert decision.reason == (
        "IPod Nano - 8GB - Pink (SKU IPOD2008PINK): 6 available + 0 on order, above the reorder point "
        "3 (0.14/day over 28 days)"
    )


def test_an_open_po_holds_the_variant_until_received_or_cancelled() -> None:
    stock_item = {f"PO#{PINK}": "PO-20261120-ABCDEF01", f"POQ#{PINK}": 40}
    decision = reorder(real(LEVEL), ctx(ReorderSettings(suppliers=[APPLE]), facts(42, stock_item)))
    assert list(decision) == []
    assert "purchase order PO-20261120-ABCDEF01 is open" in (decision.reason or "")


def test_a_new_po_generation_gives_a_new_number() -> None:
    first = drafted_purchase_order()
    again = reorder(real(LEVEL), ctx(ReorderSettings(suppliers=[APPLE]), facts(42, {f"POGEN#{PINK}": 1})))
    assert isinstance(again[0], DraftPurchaseOrder) and again[0].number != first.number


def test_no_supplier_and_no_sales_are_said() -> None:
    assert reorder(real(LEVEL), ctx(ReorderSettings(), facts(42))).reason == (
        "no suppliers are set (setting suppliers: name, email, and vendors or skus)"
    )
    other = Supplier(name="Other", email="o@example.com", vendors=["Samsung"])
    why = reorder(real(LEVEL), ctx(ReorderSettings(suppliers=[other]), facts(42))).reason or ""
    assert why.endswith("no supplier supplies it (by vendor or SKU)")
    why = reorder(real(LEVEL), ctx(ReorderSettings(suppliers=[APPLE]), facts(0))).reason or ""
    assert why.endswith("no sales in the last 28 days: nothing to reorder")


def test_a_supplier_that_supplies_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="needs vendors, skus or sku_prefixes"):
        Supplier(name="X", email="x@example.com")


# --- the PO as sent: HTML table, CSV attachment ---------------------------------------------
def test_sent_at_once_the_preview_is_the_filing_and_the_email_with_its_csv() -> None:
    action = drafted_purchase_order(send="email")
    request = render(action, store(), RUNTIME)
    assert isinstance(request, PurchaseOrderFiling) and request.email is not None
    mail = request.email
    assert mail.to == "orders@apple-wholesale.example"
    assert mail.subject == f"Purchase order {action.number} from Demo Shop"
    assert "<td>IPOD2008PINK</td>" in mail.html and "4820.00" in mail.html
    [attachment] = mail.attachments
    assert attachment.filename == f"{action.number}.csv"
    rows = list(csv.reader(io.StringIO(attachment.content)))
    title = "IPod Nano - 8GB - Pink"
    assert rows[1] == [action.number, "IPOD2008PINK", title, "40", "120.50", "4820.00", "EUR"]
    parsed = email.message_from_bytes(mime_bytes(mail))
    names = [part.get_filename() for part in parsed.walk() if part.get_filename()]
    assert names == [f"{action.number}.csv"]


def test_a_title_a_spreadsheet_would_run_is_kept_as_text() -> None:
    action = drafted_purchase_order()
    from functions.inventory.purchase_orders import PurchaseOrder

    po = PurchaseOrder.model_validate(
        {**action.document, "lines": [{**action.document["lines"][0], "title": "=HYPERLINK(1)"}]}
    )
    assert "'=HYPERLINK(1)" in csv_text(po)
