"""Sale prices in Decimal, rounded the currency's way, never below 0; the restore decision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.sales.pricing import Discount, VariantPrice, record_start, restore_decision, sale_price

pytestmark = pytest.mark.unit

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)


@pytest.mark.parametrize(
    ("before", "discount", "currency", "expected"),
    [
        ("19.99", Discount(percent_off=Decimal(25)), "USD", "14.99"),  # 14.9925
        ("19.98", Discount(percent_off=Decimal(25)), "USD", "14.99"),  # 14.985 rounds half up
        ("1999", Discount(percent_off=Decimal(15)), "JPY", "1699"),  # 1699.15, no minor unit
        ("12.345", Discount(percent_off=Decimal(10)), "KWD", "11.111"),  # 11.1105, three places
        ("5.00", Discount(amount_off=Decimal("8")), "EUR", "0.00"),  # never below 0
        ("100.00", Discount(percent_off=Decimal(100)), "USD", "0.00"),
    ],
)
def test_sale_prices_round_the_currency_way(
    before: str, discount: Discount, currency: str, expected: str
) -> None:
    price = sale_price(Decimal(before), discount, currency)
    assert price is not None and str(price) == expected


def test_fixed_prices_are_found_by_variant_id_then_sku() -> None:
    fixed = Discount(prices={"42": Decimal("5"), "SKU-1": Decimal("7.5")})
    assert sale_price(Decimal(10), fixed, "USD", "42", "SKU-1") == Decimal("5.00")
    assert sale_price(Decimal(10), fixed, "USD", "43", "SKU-1") == Decimal("7.50")
    assert sale_price(Decimal(10), fixed, "USD", "43", "other") is None


@given(prices, st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2))
def test_a_percent_sale_never_raises_a_price_or_goes_below_zero(before: Decimal, percent: Decimal) -> None:
    price = sale_price(before, Discount(percent_off=percent), "USD")
    assert price is not None and Decimal(0) <= price <= before
    assert price == price.quantize(Decimal("0.01"))


def test_a_variant_the_sale_would_not_lower_is_skipped_and_says_why() -> None:
    change = record_start(
        VariantPrice(product_id="1", variant_id="2", price=Decimal("5")),
        Discount(prices={"2": Decimal(9)}),
        "USD",
    )
    assert change.outcome == "skipped" and "not below" in (change.note or "")


@given(prices, st.decimals(min_value=1, max_value=99, places=0), prices)
def test_the_end_restores_what_was_recorded_or_keeps_the_merchants_price(
    before: Decimal, percent: Decimal, by_hand: Decimal
) -> None:
    variant = VariantPrice(product_id="1", variant_id="2", price=before)
    change = record_start(variant, Discount(percent_off=percent), "USD")
    if change.sale_price is None:
        return  # rounded to the same price: nothing to do
    on = change.model_copy(update={"outcome": "on_sale"})
    untouched = variant.model_copy(update={"price": change.sale_price, "compare_at": before})
    restored = restore_decision(on, untouched)
    assert (restored.outcome, restored.after_price, restored.after_compare_at) == ("restored", before, None)
    touched = untouched.model_copy(update={"price": by_hand})
    decided = restore_decision(on, touched)
    if by_hand == change.sale_price:
        assert decided.outcome == "restored"
    else:  # (a price set back by hand is kept too: its compare-at is still the sale's)
        assert decided.outcome == "kept" and decided.after_price == by_hand
    assert restore_decision(on, None).outcome == "gone"
