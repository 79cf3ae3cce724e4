"""Scheduled price sales end to end: the admin API files them, the minute sweeper starts and ends
them against an in-memory store API (tests/fake_catalog.py) seeded from real product payloads."""

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
from tests.payloads import FIXTURES
from tests.support import AUTH, body_json, put_store

pytestmark = pytest.mark.integration

IPOD, SHIRT = "632910392", "788032119674292900"
PINK, SHIRT_S = "808950810", "642667041472714000"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits a sale step made (throttling): counted, never slept."""
    slept: list[float] = []
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=slept.append))
    return slept


@pytest.fixture
def shopify(waits: list[float]) -> Iterator[FakeShopify]:
    store = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        store.install(mock)
        yield store


def live_store(api: Any, **overrides: Any) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="live", timezone="Europe/Paris", **overrides)


def post_sale(api: Any, **fields: Any) -> Any:
    body = {
        "kind": "sale",
        "name": "Black Friday",
        "product_ids": [IPOD, SHIRT],
        "percent_off": "25",
        "starts_at": "2026-11-24T14:00",  # Paris time: 13:00 UTC
        "ends_at": "2026-11-24T18:00+01:00",
        "method": "price",
        **fields,
    }
    return api.http.post("/stores/demo/schedules", headers=AUTH, body=json.dumps(body))


def show(api: Any, job_id: str) -> dict[str, Any]:
    answer = api.http.get(f"/stores/demo/schedules/{job_id}", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return dict(body_json(answer))


def prices(store: FakeShopify) -> dict[str, tuple[Decimal, Decimal | None]]:
    return {vid: (v.price, v.compare_at) for p in store.products.values() for vid, v in p.variants.items()}


def test_a_sale_is_filed_with_its_times_in_utc_and_in_the_store_zone(api: Any, runtime: Runtime) -> None:
    live_store(api)
    made = post_sale(api)
    assert made.status_code == 201, made.body
    sale = body_json(made)
    assert sale["state"] == "scheduled"
    assert sale["starts_at"] == "2026-11-24T13:00:00.000000Z"
    assert sale["starts_at_local"] == "2026-11-24T14:00:00+01:00"
    assert sale["ends_at"] == "2026-11-24T17:00:00.000000Z"
    [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert listed["job_id"] == sale["job_id"] and listed["state"] == "scheduled"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"percent_off": None}, "percent_off, amount_off, prices"),
        ({"amount_off": "5"}, "percent_off, amount_off, prices"),
        ({"product_ids": None}, "product_ids, collection_ids, tags, skus"),
        ({"percent_off": "120"}, "percent_off"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"ends_at": "2026-11-24T12:30:00Z"}, "ends_at"),
        ({"starts_at": "2026-11-20T10:00Z", "ends_at": "2026-11-21T10:00Z"}, "ends_at"),
        ({"method": "flash"}, "method"),
        ({"name": ""}, "name"),
        ({"skus": ["A"], "product_ids": None, "prices": {"A": "-1"}, "percent_off": None}, "prices"),
    ],
)
def test_bad_sales_are_refused_naming_the_field_and_store_nothing(
    api: Any, runtime: Runtime, change: dict[str, Any], named: str
) -> None:
    live_store(api)
    body = {k: v for k, v in change.items() if v is not None}
    fields = {k: None for k, v in change.items() if v is None}
    answer = post_sale(api, **body, **fields) if not fields else _post_without(api, fields, body)
    assert answer.status_code == 400, answer.body
    assert named in body_json(answer)["error"]
    assert body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"] == []


def _post_without(api: Any, dropped: dict[str, Any], extra: dict[str, Any]) -> Any:
    body = {
        "kind": "sale",
        "name": "Black Friday",
        "product_ids": [IPOD],
        "percent_off": "25",
        "starts_at": "2026-11-24T14:00",
        "ends_at": "2026-11-24T18:00",
        **extra,
    }
    for name in dropped:
        body.pop(name, None)
    return api.http.post("/stores/demo/schedules", headers=AUTH, body=json.dumps(body))


def test_an_overlapping_price_sale_on_the_same_products_is_a_409_naming_both(
    api: Any, runtime: Runtime
) -> None:
    live_store(api)
    first = body_json(post_sale(api))
    clash = post_sale(api, name="Cyber Monday", product_ids=[SHIRT, "1"], starts_at="2026-11-24T17:00")
    assert clash.status_code == 409
    error = body_json(clash)["error"]
    assert "Black Friday" in error and first["job_id"] in error and SHIRT in error
    after = post_sale(
        api, name="Later", product_ids=[SHIRT], starts_at="2026-11-24T18:00", ends_at="2026-11-24T20:00"
    )
    assert after.status_code == 201


def test_a_price_sale_changes_every_variant_then_restores_exactly(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api))
    sweep(runtime)
    assert prices(shopify) == before  # not yet: it starts at 13:00 UTC
    clock.advance(hours=1, seconds=30)
    sweep(runtime)
    during = prices(shopify)
    assert during[PINK] == (Decimal("149.25"), Decimal("199.00"))  # 25% off, compare-at the old price
    assert during[SHIRT_S] == (Decimal("14.99"), Decimal("19.99"))  # 19.99 * 0.75 = 14.9925
    shown = show(api, sale["job_id"])
    assert shown["state"] == "running" and shown["phase"] == "on"
    assert shown["progress"] == {"done": 6, "total": 6}
    pink = next(v for v in shown["variants"] if v["variant_id"] == PINK)
    assert pink["before"] == {"price": "199.00", "compare_at": None}
    assert pink["during"] == {"price": "149.25", "compare_at": "199.00"}
    sweep(runtime)  # a second sweep in the window changes nothing again
    assert prices(shopify) == during
    clock.advance(hours=4)
    sweep(runtime)
    assert prices(shopify) == before
    shown = show(api, sale["job_id"])
    assert shown["state"] == "done"
    assert shown["outcomes"] == {"restored": 6}
    assert next(v for v in shown["variants"] if v["variant_id"] == PINK)["after"] == {
        "price": "199.00",
        "compare_at": None,
    }


def test_a_hand_changed_price_is_kept_and_a_deleted_variant_skipped_and_both_reported(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api))
    clock.advance(hours=1, seconds=30)
    sweep(runtime)
    shopify.products[IPOD].variants[PINK].price = Decimal("99.00")  # the merchant, by hand
    del shopify.products[SHIRT].variants[SHIRT_S]  # deleted during the sale
    clock.advance(hours=4)
    sweep(runtime)
    after = prices(shopify)
    assert after[PINK] == (Decimal("99.00"), Decimal("199.00"))
    assert SHIRT_S not in after
    assert {k: v for k, v in after.items() if k != PINK} == {
        k: v for k, v in before.items() if k not in (PINK, SHIRT_S)
    }
    shown = show(api, sale["job_id"])
    assert shown["outcomes"] == {"restored": 4, "kept": 1, "gone": 1}
    notes = {v["variant_id"]: v["note"] for v in shown["variants"]}
    assert "99.00" in notes[PINK] and "kept" in notes[PINK]
    assert "deleted" in notes[SHIRT_S]


def test_cancelling_a_running_sale_restores_it_at_the_next_sweep(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api))
    clock.advance(hours=1, seconds=30)
    sweep(runtime)
    gone = api.http.delete(f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH)
    assert gone.status_code == 202
    assert body_json(gone)["cancel_requested"] is True
    assert api.http.delete(f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH).status_code == 409
    clock.advance(seconds=60)
    sweep(runtime)
    assert prices(shopify) == before
    assert show(api, sale["job_id"])["state"] == "cancelled"
    clock.advance(hours=4)
    sweep(runtime)  # its end comes up: nothing is done twice
    assert prices(shopify) == before
    assert show(api, sale["job_id"])["state"] == "cancelled"


def test_a_sale_cancelled_before_its_start_never_changes_a_price(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api))
    gone = api.http.delete(f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH)
    assert gone.status_code == 200 and body_json(gone)["state"] == "cancelled"
    clock.advance(hours=2)
    sweep(runtime)
    assert prices(shopify) == before and shopify.calls == 0


def test_a_start_the_sweeper_reaches_after_the_end_changes_nothing(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api))
    clock.advance(hours=6)  # the sweeper was down through the whole window
    sweep(runtime)
    assert prices(shopify) == before
    shown = show(api, sale["job_id"])
    assert shown["state"] == "done" and "window had passed" in shown["reason"]


def test_a_start_in_the_past_starts_at_the_next_sweep(
    api: Any, runtime: Runtime, shopify: FakeShopify
) -> None:
    live_store(api)
    sale = body_json(post_sale(api, starts_at="2026-11-24T10:00Z"))
    sweep(runtime)
    assert prices(shopify)[PINK] == (Decimal("149.25"), Decimal("199.00"))
    assert show(api, sale["job_id"])["progress"] == {"done": 6, "total": 6}


def test_dry_run_shows_the_exact_price_changes_and_applies_none(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="dry-run")
    before = prices(shopify)
    sale = body_json(post_sale(api, starts_at="2026-11-24T12:00Z", amount_off="50", percent_off=None))
    sweep(runtime)
    assert prices(shopify) == before and shopify.writes == 0
    shown = show(api, sale["job_id"])
    assert shown["dry_run"] is True
    pink = next(v for v in shown["variants"] if v["variant_id"] == PINK)
    assert pink["outcome"] == "planned"
    assert pink["during"] == {"price": "149.00", "compare_at": "199.00"}
    call = shown["planned_calls"][0]
    assert call["operation"] == "productVariantsBulkUpdate"
    assert {
        "id": f"gid://shopify/ProductVariant/{PINK}",
        "price": "149.00",
        "compareAtPrice": "199.00",
    } in call["body"]["variables"]["variants"]
    clock.advance(hours=6)
    sweep(runtime)
    assert prices(shopify) == before
    assert show(api, sale["job_id"])["outcomes"] == {"not_applied": 6}


def test_a_throttling_store_is_waited_out_and_counted(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify, waits: list[float]
) -> None:
    live_store(api)
    shopify.throttle_every = 2  # every other call: 429 Retry-After 2, then GraphQL THROTTLED
    before = prices(shopify)
    sale = body_json(post_sale(api, starts_at="2026-11-24T12:00Z"))
    sweep(runtime)
    assert prices(shopify)[PINK] == (Decimal("149.25"), Decimal("199.00"))
    clock.advance(hours=6)
    sweep(runtime)
    assert prices(shopify) == before
    shown = show(api, sale["job_id"])
    assert shown["throttled"] == shopify.throttles > 0
    assert shown["api_calls"] == shopify.calls
    assert 2.0 in waits and 1.0 in waits  # Retry-After, then (112 - 12) / 100 from the query cost


def test_a_step_that_would_wait_too_long_continues_at_a_later_sweep(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_store(api)
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(max_wait_s=0, sleep=lambda s: None))
    shopify.throttle_every = 2
    sale = body_json(post_sale(api, starts_at="2026-11-24T12:00Z"))
    for _ in range(8):
        sweep(runtime)
        clock.advance(seconds=60)
    shown = show(api, sale["job_id"])
    assert shown["phase"] == "on" and shown["progress"] == {"done": 6, "total": 6}
    assert prices(shopify)[PINK] == (Decimal("149.25"), Decimal("199.00"))


def test_a_woocommerce_sale_uses_batch_writes_and_restores_regular_and_sale_prices(
    api: Any, runtime: Runtime, clock: FixedClock, waits: list[float]
) -> None:
    base = "https://shop.example"
    real_simple = json.loads((FIXTURES / "woocommerce" / "product_created__rest-api-docs.json").read_text())
    products = {
        str(real_simple["id"]): FakeProduct(
            {str(real_simple["id"]): FakeVariant(None, Decimal(real_simple["regular_price"]))}, variable=False
        ),
        "799": FakeProduct(
            {
                "732": FakeVariant("V-S", Decimal("9.00")),
                "733": FakeVariant("V-M", Decimal("8.00"), Decimal("10.00")),
            }
        ),
    }
    woo = FakeWoo(base, products, throttle_every=3)
    put_store(api, platform="woocommerce", shop_domain=base, mode="live")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        woo.install(mock)
        sale = body_json(
            post_sale(
                api, product_ids=["794", "799"], starts_at="2026-11-24T12:00Z", ends_at="2026-11-24T18:00Z"
            )
        )
        sweep(runtime)
        assert (products["794"].variants["794"].price, products["794"].variants["794"].compare_at) == (
            Decimal("16.49"),
            Decimal("21.99"),
        )
        assert products["799"].variants["733"].price == Decimal("6.00")
        assert products["799"].variants["733"].compare_at == Decimal("8.00")
        clock.advance(hours=7)
        sweep(runtime)
    assert (products["794"].variants["794"].price, products["794"].variants["794"].compare_at) == (
        Decimal("21.99"),
        None,
    )
    assert (products["799"].variants["733"].price, products["799"].variants["733"].compare_at) == (
        Decimal("8.00"),
        Decimal("10.00"),
    )
    assert show(api, sale["job_id"])["outcomes"] == {"restored": 3}


def test_editing_a_running_sale_reprices_from_the_recorded_prices_and_moves_its_end(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api, starts_at="2026-11-24T12:00Z"))
    sweep(runtime)
    shopify.products[SHIRT].variants[SHIRT_S].price = Decimal("11.11")  # by hand
    edited = api.http.patch(
        f"/stores/demo/schedules/{sale['job_id']}",
        headers=AUTH,
        body=json.dumps({"percent_off": "50", "ends_at": "2026-11-24T20:00+01:00"}),
    )
    assert edited.status_code == 200, edited.body
    assert body_json(edited)["ends_at"] == "2026-11-24T19:00:00.000000Z"
    clock.advance(seconds=60)
    sweep(runtime)
    now = prices(shopify)
    assert now[PINK] == (Decimal("99.50"), Decimal("199.00"))  # half of 199.00, not of 149.25
    assert now[SHIRT_S] == (Decimal("11.11"), Decimal("19.99"))  # the merchant's price stays
    clock.advance(hours=5)  # 17:00 UTC, the former end: the sale goes on
    sweep(runtime)
    assert prices(shopify)[PINK] == (Decimal("99.50"), Decimal("199.00"))
    clock.advance(hours=2)
    sweep(runtime)
    after = prices(shopify)
    assert after[SHIRT_S] == (Decimal("11.11"), Decimal("19.99"))
    assert {k: v for k, v in after.items() if k != SHIRT_S} == {
        k: v for k, v in before.items() if k != SHIRT_S
    }
    bad = api.http.patch(
        f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH, body=json.dumps({"percent_off": "10"})
    )
    assert bad.status_code == 409


def test_editing_with_a_bad_field_is_a_400_and_changes_nothing(api: Any, runtime: Runtime) -> None:
    live_store(api)
    sale = body_json(post_sale(api))
    for body, named in (
        ({"percent_off": "0"}, "percent_off"),
        ({"ends_at": "2026-11-24T10:00Z"}, "ends_at"),
        ({"colour": "red"}, "colour"),
        ({"percent_off": "5", "amount_off": "1"}, "at most one"),
    ):
        answer = api.http.patch(
            f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH, body=json.dumps(body)
        )
        assert answer.status_code == 400 and named in body_json(answer)["error"], answer.body
    assert show(api, sale["job_id"])["discount"]["percent_off"] == "25"


def test_a_discount_sale_creates_a_shopify_automatic_discount_with_its_window_and_no_price_changes(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api, method="discount", skus=["IPOD2008PINK"], product_ids=None))
    clock.advance(hours=1, seconds=30)
    sweep(runtime)
    [(discount_id, discount)] = shopify.discounts.items()
    assert discount["startsAt"] == "2026-11-24T13:00:00.000000Z"
    assert discount["endsAt"] == "2026-11-24T17:00:00.000000Z"
    assert discount["customerGets"]["value"] == {"percentage": 0.25}
    assert discount["customerGets"]["items"]["products"]["productVariantsToAdd"] == [
        f"gid://shopify/ProductVariant/{PINK}"
    ]
    assert prices(shopify) == before
    assert show(api, sale["job_id"])["discount_id"] == discount_id
    gone = api.http.delete(f"/stores/demo/schedules/{sale['job_id']}", headers=AUTH)
    assert gone.status_code == 202
    clock.advance(seconds=60)
    sweep(runtime)
    assert shopify.discounts == {}
    assert show(api, sale["job_id"])["state"] == "cancelled"


def test_a_discount_sale_in_dry_run_shows_the_discount_it_would_create(
    api: Any, runtime: Runtime, shopify: FakeShopify
) -> None:
    put_store(api, shop_domain="demo.myshopify.com", mode="dry-run")
    sale = body_json(
        post_sale(api, method="discount", amount_off="5", percent_off=None, starts_at="2026-11-24T12:00Z")
    )
    sweep(runtime)
    assert shopify.discounts == {}
    shown = show(api, sale["job_id"])
    assert shown["discount_call"]["operation"] == "discountAutomaticBasicCreate"
    value = shown["discount_call"]["body"]["variables"]["automaticBasicDiscount"]["customerGets"]["value"]
    assert value == {"discountAmount": {"amount": "5", "appliesOnEachItem": True}}


def test_a_woocommerce_discount_sale_is_a_coupon_deleted_at_the_end(
    api: Any, runtime: Runtime, clock: FixedClock, waits: list[float]
) -> None:
    base = "https://shop.example"
    woo = FakeWoo(base, {"794": FakeProduct({"794": FakeVariant(None, Decimal("21.99"))}, variable=False)})
    put_store(api, platform="woocommerce", shop_domain=base, mode="live")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        woo.install(mock)
        answer = post_sale(
            api,
            method="discount",
            product_ids=["794"],
            starts_at="2026-11-24T12:00Z",
            ends_at="2026-11-24T18:00Z",
        )
        sweep(runtime)
        [coupon] = woo.discounts.values()
        assert coupon["discount_type"] == "percent" and coupon["amount"] == "25"
        assert coupon["product_ids"] == [794] and coupon["date_expires_gmt"] == "2026-11-24T18:00:00"
        clock.advance(hours=7)
        sweep(runtime)
    assert woo.discounts == {}
    assert show(api, body_json(answer)["job_id"])["state"] == "done"


def test_a_discount_sale_with_fixed_prices_is_a_400(api: Any, runtime: Runtime) -> None:
    live_store(api)
    answer = post_sale(api, method="discount", prices={"1": "5"}, percent_off=None)
    assert answer.status_code == 400 and "prices" in body_json(answer)["error"]


def test_a_restore_the_store_refuses_for_one_product_goes_on_with_the_others_and_says_so(
    api: Any, runtime: Runtime, clock: FixedClock, shopify: FakeShopify
) -> None:
    live_store(api)
    before = prices(shopify)
    sale = body_json(post_sale(api, starts_at="2026-11-24T12:00Z"))
    sweep(runtime)
    shopify.refuse_writes.add(SHIRT)  # e.g. deleted between the restore's read and its write
    clock.advance(hours=6)
    sweep(runtime)
    after = prices(shopify)
    assert after[PINK] == before[PINK]
    assert after[SHIRT_S] == (Decimal("14.99"), Decimal("19.99"))
    shown = show(api, sale["job_id"])
    assert shown["state"] == "done" and shown["outcomes"] == {"restored": 4, "failed": 2}
    assert "2 variant(s) could not be restored" in shown["reason"]
    note = next(v["note"] for v in shown["variants"] if v["variant_id"] == SHIRT_S)
    assert "Product does not exist" in note


def test_a_quantity_break_is_an_automatic_discount_with_a_minimum_quantity(
    api: Any, runtime: Runtime, shopify: FakeShopify
) -> None:
    live_store(api)
    assert post_sale(api, min_quantity=3).status_code == 400  # a price sale has no quantity break
    made = post_sale(api, method="discount", min_quantity=3, percent_off="15", starts_at="2026-11-24T12:00Z")
    assert made.status_code == 201, made.body
    sweep(runtime)
    [discount] = shopify.discounts.values()
    assert discount["minimumRequirement"] == {"quantity": {"greaterThanOrEqualToQuantity": "3"}}
    assert discount["customerGets"]["value"] == {"percentage": 0.15}


def test_a_sku_sale_over_a_variant_a_tag_sale_holds_is_a_409_naming_the_variant(
    api: Any, runtime: Runtime, shopify: FakeShopify
) -> None:
    """Selected two ways (tag "MP3" and SKU IPOD2008PINK): both read from the store at the POST."""
    live_store(api)
    tagged = body_json(post_sale(api, product_ids=None, tags=["MP3"]))
    clash = post_sale(api, name="Pink day", product_ids=None, skus=["IPOD2008PINK", "example-shirt-s"])
    assert clash.status_code == 409, clash.body
    error = body_json(clash)["error"]
    assert tagged["job_id"] in error and "selected by tags" in error and f"variant(s) {PINK}" in error
    apart = post_sale(api, name="Shirt day", product_ids=None, skus=["example-shirt-s"])
    assert apart.status_code == 201, apart.body
    assert "overlap_check" not in body_json(apart)
    names = [s["name"] for s in body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]]
    assert sorted(names) == ["Black Friday", "Shirt day"]


def test_a_store_that_cannot_be_read_files_the_sale_and_says_the_check_moves_to_the_start(
    api: Any, runtime: Runtime, waits: list[float]
) -> None:
    live_store(api)
    with responses.RequestsMock() as mock:
        mock.post("https://demo.myshopify.com/admin/api/2025-01/graphql.json", status=503)
        assert post_sale(api, product_ids=None, tags=["MP3"]).status_code == 201  # nothing to compare
        assert len(mock.calls) == 0
        later = post_sale(api, name="Pink day", product_ids=None, skus=["IPOD2008PINK"])
    assert later.status_code == 201, later.body
    assert "skipped at the start" in body_json(later)["overlap_check"]
