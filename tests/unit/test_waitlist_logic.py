"""The back-in-stock waitlist's pure parts: what a restock is, the emails it decides (with their
unsubscribe link and once-per-signup key), the signup body's checks."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from functions.engine.dispatch import action_key
from functions.inventory.facts import StockFacts
from functions.inventory.waitlist import (
    Restocked,
    Shopper,
    WaitlistFacts,
    WaitlistSettings,
    WaitlistSignup,
    email_action_id,
    notify_waitlist,
    restocked_variants,
)
from storekit.actions import SendEmail
from tests.unit.test_inventory_logic import PINK, ctx, ipod, level, pink_item, stock_of

pytestmark = pytest.mark.unit


def pink_at(quantity: int) -> dict[str, Any]:
    return stock_of(ipod(), **{f"T#{PINK}": quantity})


def test_a_restock_is_a_tracked_variant_rising_from_zero() -> None:
    facts = StockFacts(item=pink_item(), stock_item=pink_at(0))
    assert restocked_variants(level(2), facts) == [(PINK, 2)]
    assert restocked_variants(level(0), facts) == []  # still out
    more = StockFacts(item=pink_item(), stock_item=pink_at(3))
    assert restocked_variants(level(9), more) == []  # more stock is not a restock
    untracked = StockFacts(item=pink_item(counted=False), stock_item=pink_at(0))
    assert restocked_variants(level(2), untracked) == []
    unknown_before = StockFacts(item=pink_item(), stock_item={})
    assert restocked_variants(level(2), unknown_before) == []


def test_a_product_event_restocks_the_variants_it_brings_back() -> None:
    product = ipod()  # Pink 10, Red 20, ...
    before = stock_of(product, **{f"T#{v.id}": 0 for v in product.variants[:2]})
    assert [v for v, _ in restocked_variants(product, StockFacts(product=product, stock_item=before))] == [
        v.id for v in product.variants[:2]
    ]


def _restocked(n: int, more: bool = False) -> Restocked:
    shoppers = tuple(
        Shopper(f"s{i}@example.com", f"d{i}", f"2026-11-24T10:00:0{i}.000000Z") for i in range(n)
    )
    return Restocked(
        variant_id=PINK,
        available=1,
        product_id="632910392",
        product_title="IPod Nano - 8GB",
        variant_title="Pink",
        handle="ipod-nano",
        shoppers=shoppers,
        more=more,
    )


def test_restock_emails_each_waiting_shopper_with_an_unsubscribe_and_a_once_per_signup_key() -> None:
    decision = notify_waitlist(
        level(1), ctx(WaitlistSettings(), WaitlistFacts(restocked=(_restocked(3, True),)))
    )
    assert all(isinstance(e, SendEmail) for e in decision)
    emails: list[SendEmail] = list(decision)  # type: ignore[arg-type]
    assert [e.to for e in emails] == ["s0@example.com", "s1@example.com", "s2@example.com"]
    first = emails[0]
    assert first.template == "back_in_stock"
    assert first.context == {
        "product_title": "IPod Nano - 8GB - Pink",
        "url": f"https://demo-shop.myshopify.com/products/ipod-nano?variant={PINK}",
    }
    assert first.unsubscribe is not None and first.unsubscribe.kind == "waitlist"
    assert first.unsubscribe.data == {"v": PINK, "h": "d0"}  # a hash, never the address
    assert first.once_per == f"waitlist:{PINK}:d0:2026-11-24T10:00:00.000000Z"
    assert "the rest at the next restock" in (decision.reason or "")
    assert "3 per unit, 1 in stock" in (decision.reason or "")


def test_the_loader_skips_signups_by_the_key_the_engine_gives_their_email() -> None:
    [email] = notify_waitlist(level(1), ctx(WaitlistSettings(), WaitlistFacts(restocked=(_restocked(1),))))
    assert email_action_id("demo", PINK, "d0", "2026-11-24T10:00:00.000000Z") == action_key(
        "demo", "e1", "back-in-stock-waitlist", 0, email
    )


def test_runs_that_email_nobody_say_why() -> None:
    nobody = notify_waitlist(level(1), ctx(WaitlistSettings(), WaitlistFacts(restocked=(_restocked(0),))))
    assert list(nobody) == [] and "nobody waiting" in (nobody.reason or "")
    no_restock = notify_waitlist(level(1), ctx(WaitlistSettings(), WaitlistFacts()))
    assert list(no_restock) == [] and "no variant came back in stock" in (no_restock.reason or "")
    unknown = notify_waitlist(level(1), ctx(WaitlistSettings(), WaitlistFacts(known=False)))
    assert "in no product storeflow has received" in (unknown.reason or "")


def test_woocommerce_links_to_the_product_page() -> None:
    [email] = notify_waitlist(
        level(1), ctx(WaitlistSettings(), WaitlistFacts(restocked=(_restocked(1),)), platform="woocommerce")
    )
    assert isinstance(email, SendEmail)
    assert email.context["url"] == "https://woo.example/?post_type=product&p=632910392"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "variant_id": "1", "consent": False}, "consent"),
        ({"email": "a@example.com", "variant_id": "1", "consent": "true"}, "consent"),
        ({"email": "a@example.com", "variant_id": "1", "consent": 1}, "consent"),
        ({"email": "nope", "variant_id": "1", "consent": True}, "email"),
        ({"email": "a@example.com", "variant_id": "", "consent": True}, "variant_id"),
        ({"email": "a@example.com", "variant_id": True, "consent": True}, "variant_id"),
    ],
)
def test_a_signup_needs_an_email_a_variant_and_consent(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WaitlistSignup.model_validate(body)
    assert {str(e["loc"][0]) for e in caught.value.errors()} == {field}


def test_settings_are_checked() -> None:
    assert WaitlistSettings().notify_per_unit == 3
    with pytest.raises(ValidationError):
        WaitlistSettings(notify_per_unit=0)
    with pytest.raises(ValidationError):
        WaitlistSettings.model_validate({"per_unit": 3})
