"""Money stays exact: parsed as Decimal from whatever the platforms send, never through binary floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storekit.models import to_money

pytestmark = pytest.mark.unit

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False, allow_infinity=False
)


@given(amounts)
def test_decimal_strings_round_trip_exactly(amount: Decimal) -> None:
    assert to_money(str(amount)) == amount
    assert to_money(f"  {amount} ") == amount


@given(st.lists(amounts, max_size=50))
def test_sums_of_parsed_prices_are_exact(prices: list[Decimal]) -> None:
    parsed = [to_money(str(p)) for p in prices]
    assert sum((p for p in parsed if p is not None), Decimal("0")) == sum(prices, Decimal("0"))


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_json_floats_become_their_shortest_decimal(value: float) -> None:
    assert to_money(value) == Decimal(repr(value))


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_are_exact(value: int) -> None:
    assert to_money(value) == Decimal(value)


@pytest.mark.parametrize(
    "bad", [True, False, "NaN", "Infinity", "-inf", "12,50", "ten", [], {}, float("nan")]
)
def test_non_money_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        to_money(bad)
