"""The gift-stock automation's pure decision on real payloads: a running gift offer's discount is
paused when its gift sells out and resumed on restock, once per change (the once_per key carries
the offer's count of pauses and resumes), and every run that decides nothing says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from functions.inventory.facts import StockFacts
from functions.sales.gifts import GiftFacts, GiftSettings, gift_stock
from functions.sales.models import Offer, Sale
from functions.sales.pricing import Discount
from storekit.actions import PostSlack, SendEmail, SetDiscountActive
from tests.unit.test_inventory_logic import NOW, PINK, ctx, ipod, level, pink_item, stock_of

pytestmark = pytest.mark.unit


def offer_sale(**changes: Any) -> Sale:
    base: dict[str, Any] = {
        "job_id": "g1",
        "store_id": "demo",
        "kind": "gift",
        "name": "Free pink iPod",
        "method": "discount",
        "selector": "product_ids",
        "selected": ["632910392"],
        "discount": Discount(percent_off=Decimal(100)),
        "currency": "USD",
        "timezone": "UTC",
        "starts_at": "2026-11-24T12:00:00.000000Z",
        "ends_at": "2026-11-24T18:00:00.000000Z",
        "offer": Offer(
            gift_product_id="632910392", gift_variant_id=PINK, buy_product_ids=["1"], min_quantity=1
        ),
        "state": "running",
        "phase": "on",
        "discount_id": "901",
        "created_at": "2026-11-24T11:00:00.000000Z",
        "updated_at": "2026-11-24T11:00:00.000000Z",
    }
    return Sale(**{**base, **changes})


def facts(sale: Sale, **stock: Any) -> GiftFacts:
    return GiftFacts(
        stock=StockFacts(item=pink_item(), stock_item=stock_of(ipod(), **stock)), gifts=((PINK, sale),)
    )


def test_the_gift_selling_out_pauses_its_discount_and_tells_staff() -> None:
    decided = gift_stock(level(0), ctx(GiftSettings(email="staff@demo-shop.example"), facts(offer_sale())))
    pause, slack, email = decided
    assert pause == SetDiscountActive(
        discount_id="901", active=False, expires_at=NOW, sale_id="g1", once_per="gift:g1:0:pause"
    )
    assert isinstance(slack, PostSlack) and slack.text.startswith("Gift paused: Free pink iPod")
    assert isinstance(email, SendEmail) and email.once_per == "gift:g1:0:pause:email"


def test_a_paused_gift_back_in_stock_resumes_until_the_offer_ends_with_the_next_key() -> None:
    paused = offer_sale(offer=offer_sale().offer.model_copy(update={"paused": True, "toggles": 1}))  # type: ignore[union-attr]
    [resume, slack] = gift_stock(level(3), ctx(GiftSettings(), facts(paused)))
    assert isinstance(resume, SetDiscountActive) and resume.active is True
    assert resume.once_per == "gift:g1:1:resume"
    assert resume.expires_at.isoformat() == "2026-11-24T18:00:00+00:00"
    assert isinstance(slack, PostSlack) and slack.text.startswith("Gift back on")


@pytest.mark.parametrize(
    ("sale", "available", "reason"),
    [
        (offer_sale(), 6, "in stock (6)"),
        (offer_sale(offer=Offer(gift_variant_id=PINK, paused=True, toggles=1)), 0, "still sold out"),
        (offer_sale(discount_id=None), 0, "ran in dry-run"),
        (offer_sale(state="done", phase=None), 0, "is not on (done)"),
        (offer_sale(cancel_requested=True), 0, "is not on"),
    ],
)
def test_nothing_to_change_says_why(sale: Sale, available: int, reason: str) -> None:
    decided = gift_stock(level(available), ctx(GiftSettings(), facts(sale)))
    assert list(decided) == [] and reason in (decided.reason or "")


def test_an_untracked_gift_never_pauses() -> None:
    untracked = GiftFacts(
        stock=StockFacts(item=pink_item(counted=False), stock_item=stock_of(ipod())),
        gifts=((PINK, offer_sale()),),
    )
    decided = gift_stock(level(0), ctx(GiftSettings(), untracked))
    assert list(decided) == [] and "not tracked" in (decided.reason or "")


def test_no_gift_offer_watching_says_so() -> None:
    decided = gift_stock(level(0), ctx(GiftSettings(), GiftFacts(stock=StockFacts())))
    assert list(decided) == [] and "no running gift offer" in (decided.reason or "")
