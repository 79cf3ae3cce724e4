"""Bundles, quantity breaks and free gifts (issue 14 items 3 and 4) end to end: the admin API files
them, the minute sweeper creates the platform discount at the start and removes it at the end,
against the in-memory store APIs (tests/fake_catalog.py) seeded from real product payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import responses

from functions.engine.sweep import sweep
from functions.sales import runner
from storekit.clock import FixedClock
from storekit.runtime import Runtime
from tests.fake_catalog import FakeProduct, FakeShopify, FakeVariant, FakeWoo, shopify_products_from_real
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

IPOD, SHIRT = "632910392", "788032119674292900"
PINK = "808950810"
WOO = "https://shop.example"


@pytest.fixture
def shopify(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeShopify]:
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    store = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        store.install(mock)
        yield store


@pytest.fixture
def woo(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWoo]:
    """Two simple products (the real WooCommerce docs' 794 at 21.99) and a variable one."""
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    store = FakeWoo(
        WOO,
        {
            "794": FakeProduct({"794": FakeVariant("WOO-794", Decimal("21.99"))}, variable=False),
            "795": FakeProduct({"795": FakeVariant("WOO-795", Decimal("8.50"))}, variable=False),
            "800": FakeProduct(
                {"801": FakeVariant("V-S", Decimal("30.00")), "802": FakeVariant("V-L", Decimal("32.00"))}
            ),
        },
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        store.install(mock)
        yield store


def post(api: Any, **body: Any) -> Any:
    return api.http.post("/stores/demo/schedules", headers=AUTH, body=json.dumps(body))


def show(api: Any, job_id: str) -> dict[str, Any]:
    answer = api.http.get(f"/stores/demo/schedules/{job_id}", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return dict(body_json(answer))


WINDOW = {"starts_at": "2026-11-24T12:00Z", "ends_at": "2026-11-24T18:00Z"}


def bundle(api: Any, **fields: Any) -> Any:
    body = {"name": "Pod + shirt", "product_ids": [IPOD, SHIRT], "percent_off": "20", **WINDOW, **fields}
    return post(api, kind="bundle", **body)


def test_a_shopify_bundle_is_a_buy_x_get_y_discount_for_its_window_and_removed_on_cancel(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="live")
    made = bundle(api)
    assert made.status_code == 201, made.body
    job_id = body_json(made)["job_id"]
    [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert listed["kind"] == "bundle" and listed["state"] == "scheduled"
    sweep(runtime)
    [(discount_id, discount)] = shopify.discounts.items()
    assert discount["startsAt"] == "2026-11-24T12:00:00.000000Z"
    assert discount["endsAt"] == "2026-11-24T18:00:00.000000Z"
    assert discount["customerBuys"] == {
        "items": {
            "products": {"productsToAdd": [f"gid://shopify/Product/{IPOD}"], "productVariantsToAdd": []}
        },
        "value": {"quantity": "1"},
    }
    gets = discount["customerGets"]
    assert gets["items"]["products"]["productsToAdd"] == [f"gid://shopify/Product/{SHIRT}"]
    assert gets["value"] == {"discountOnQuantity": {"quantity": "1", "effect": {"percentage": 0.2}}}
    shown = show(api, job_id)
    assert shown["state"] == "running" and shown["discount_id"] == discount_id
    assert shown["progress"] == {"done": 1, "total": 1}
    assert api.http.delete(f"/stores/demo/schedules/{job_id}", headers=AUTH).status_code == 202
    clock.advance(seconds=60)
    sweep(runtime)
    assert shopify.discounts == {}
    assert show(api, job_id)["state"] == "cancelled"


def test_a_bundle_in_dry_run_shows_the_discount_it_would_create_and_creates_none(
    api: Any, runtime: Runtime, shopify: FakeShopify
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="live")
    job_id = body_json(bundle(api, dry_run=True))["job_id"]
    sweep(runtime)
    assert shopify.discounts == {}
    call = show(api, job_id)["discount_call"]
    assert call["operation"] == "discountAutomaticBxgyCreate"
    assert call["body"]["variables"]["automaticBxgyDiscount"]["title"] == "Pod + shirt"


def test_a_woocommerce_bundle_is_a_coupon_on_both_products_with_their_prices_as_the_minimum(
    api: Any, runtime: Runtime, clock: FixedClock, woo: FakeWoo
) -> None:
    put_store(api, platform="woocommerce", shop_domain=WOO, mode="live")
    job_id = body_json(bundle(api, product_ids=["794", "800"]))["job_id"]
    sweep(runtime)
    [coupon] = woo.discounts.values()
    assert coupon["discount_type"] == "percent" and coupon["amount"] == "20"
    assert coupon["product_ids"] == [794, 800]
    assert coupon["minimum_amount"] == "51.99"  # 21.99 + the variable product's lowest, 30.00
    assert coupon["date_expires_gmt"] == "2026-11-24T18:00:00"
    assert show(api, job_id)["offer"]["minimum_amount"] == "51.99"
    clock.advance(hours=7)
    sweep(runtime)
    assert woo.discounts == {}
    assert show(api, job_id)["state"] == "done"


def test_a_woocommerce_quantity_break_is_a_coupon_whose_minimum_is_that_many_of_the_cheapest(
    api: Any, runtime: Runtime, woo: FakeWoo
) -> None:
    put_store(api, platform="woocommerce", shop_domain=WOO, mode="live")
    made = post(
        api,
        kind="sale",
        name="3 or more",
        product_ids=["794", "795"],
        percent_off="15",
        method="discount",
        min_quantity=3,
        **WINDOW,
    )
    assert made.status_code == 201, made.body
    sweep(runtime)
    [coupon] = woo.discounts.values()
    assert coupon["minimum_amount"] == "25.50"  # 3 x 8.50
    assert coupon["amount"] == "15" and coupon["product_ids"] == [794, 795]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"product_ids": ["1"]}, "product_ids"),
        ({"product_ids": ["1", "1"]}, "two different products"),
        ({"product_ids": ["1", "abc"]}, "product_ids"),
        ({"percent_off": "0"}, "percent_off"),
        ({"percent_off": None}, "percent_off"),
        ({"ends_at": "2026-11-24T11:00Z"}, "ends_at"),
        ({"amount_off": "5"}, "amount_off"),
    ],
)
def test_a_bad_bundle_is_a_400_naming_the_field_and_files_nothing(
    api: Any, runtime: Runtime, change: dict[str, Any], named: str
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="live")
    body = {
        "kind": "bundle",
        "name": "B",
        "product_ids": [IPOD, SHIRT],
        "percent_off": "20",
        **WINDOW,
        **change,
    }
    answer = post(api, **{k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 400, answer.body
    assert named in body_json(answer)["error"]
    assert body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"] == []
