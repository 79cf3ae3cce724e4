"""The stock-hoarding guard on the real order payload: per-customer limits on limited products."""

from __future__ import annotations

from typing import Any

import pytest

from functions.fraud.hoarding import EarlierUnits, HoardingSettings, hoarding
from tests.unit.test_fraud_logic import ctx, order_of, payload

pytestmark = pytest.mark.unit

PRODUCT = "6122640146581"  # the real AUD order's one line's product


def aud(quantity: int = 1) -> Any:
    data = payload()
    data["line_items"][0]["quantity"] = quantity
    return order_of(data)


def test_nothing_is_limited_until_set_and_the_run_says_so() -> None:
    decision = hoarding(aud(5), ctx(HoardingSettings(), EarlierUnits()))
    assert (
        list(decision) == []
        and decision.reason
        == "no limited product set (settings limited_product_ids, limited_skus, limited_tag)"
    )


def test_units_over_the_limit_in_one_order_are_held() -> None:
    order = aud(3)
    settings = HoardingSettings(limited_product_ids=[order.line_items[0].product_id or ""])
    decision = hoarding(order, ctx(settings, EarlierUnits()))
    assert [a.kind for a in decision] == ["add_tags", "hold_fulfillment", "post_slack"]
    assert decision.reason is not None and "3 units of" in decision.reason and "(limit 2)" in decision.reason


def test_earlier_orders_of_the_same_customer_count() -> None:
    order = aud(1)
    product = order.line_items[0].product_id or ""
    settings = HoardingSettings(limited_product_ids=[product])
    within = hoarding(order, ctx(settings, EarlierUnits({("email", product): 1})))
    assert list(within) == [] and within.reason is not None and "within 2 units per customer" in within.reason
    over = hoarding(order, ctx(settings, EarlierUnits({("address", product): 2})))
    assert (
        over.reason is not None
        and "3 units of" in over.reason
        and "from this shipping address" in over.reason
    )


def test_an_order_without_a_limited_product_says_so() -> None:
    decision = hoarding(aud(9), ctx(HoardingSettings(limited_skus=["NOT-IN-ORDER"]), EarlierUnits()))
    assert (
        list(decision) == [] and decision.reason is not None and "has no limited product" in decision.reason
    )
