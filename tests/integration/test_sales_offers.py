"""Bundles, quantity breaks and free gifts (issue 14 items 3 and 4) end to end: the admin API files
them, the minute sweeper creates the platform discount at the start and removes it at the end,
against the in-memory store APIs (tests/fake_catalog.py) seeded from real product payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses

from functions.engine.sweep import sweep
from functions.sales import runner
from storekit.clock import FixedClock
from storekit.runtime import Runtime
from tests.fake_catalog import FakeProduct, FakeShopify, FakeVariant, FakeWoo, shopify_products_from_real
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers, woo_headers

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


# --- free gift with purchase ---------------------------------------------------------------------

EVENTS = Path(__file__).resolve().parents[1] / "events"
TRACKED_IPOD = (EVENTS / "shopify" / "products_update__tracked-ipod.json").read_bytes()
LEVEL = json.loads(load_fixture("shopify/inventory_levels_update__python-api.json")[0])  # Pink's item
HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo",
        headers=shopify_headers(body, topic, delivery_id, shop="demo.myshopify.com"),
        body=body,
    )
    assert answer.status_code == 200, answer.body


def pink_level(api: Any, pump: Any, delivery: str, available: int, at: str) -> None:
    body = {**LEVEL, "available": available, "updated_at": at}
    deliver(api, json.dumps(body).encode(), "inventory_levels/update", delivery)
    pump.drain()


def gift(api: Any, **fields: Any) -> Any:
    body = {
        "name": "Free pink iPod",
        "gift_product_id": IPOD,
        "gift_variant_id": PINK,
        "buy_product_ids": [SHIRT],
        "min_quantity": 2,
        **WINDOW,
        **fields,
    }
    return post(api, kind="gift", **{k: v for k, v in body.items() if v is not None})


def gift_actions(api: Any) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == "gift-stock"]


def test_a_gift_is_paused_when_it_sells_out_and_resumed_on_restock_once_per_change(
    api: Any, runtime: Runtime, pump: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    put_store(
        api,
        shop_domain="demo.myshopify.com",
        mode="live",
        slack_webhook_url=HOOK,
        automations={"sold-out": {"enabled": False}, "low-stock": {"enabled": False}},
    )
    shopify = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        shopify.install(mock)
        mock.post(HOOK, body="ok")
        deliver(api, TRACKED_IPOD, "products/update", "p-1")  # Pink: 10 in stock
        pump.drain()
        job_id = body_json(gift(api))["job_id"]
        sweep(runtime)
        pump.drain()
        [(discount_id, discount)] = shopify.discounts.items()
        assert discount["customerBuys"]["value"] == {"quantity": "2"}
        assert discount["customerBuys"]["items"]["products"]["productsToAdd"] == [
            f"gid://shopify/Product/{SHIRT}"
        ]
        assert discount["customerGets"]["items"]["products"]["productVariantsToAdd"] == [
            f"gid://shopify/ProductVariant/{PINK}"
        ]
        assert discount["customerGets"]["value"]["discountOnQuantity"] == {
            "quantity": "1",
            "effect": {"percentage": 1.0},
        }
        assert discount["usesPerOrderLimit"] == "1"

        pink_level(api, pump, "l-1", 0, "2026-11-24T12:10:00Z")  # sold out: paused
        pink_level(api, pump, "l-1", 0, "2026-11-24T12:10:00Z")  # the same delivery again
        pink_level(api, pump, "l-2", 0, "2026-11-24T12:11:00Z")  # still 0
        assert shopify.toggles == [(discount_id, "EXPIRED")]
        shown = show(api, job_id)
        assert shown["offer"]["paused"] is True and shown["offer"]["toggles"] == 1
        pink_level(api, pump, "l-3", 4, "2026-11-24T12:20:00Z")  # restocked: resumed
        pink_level(api, pump, "l-4", 6, "2026-11-24T12:21:00Z")
        pink_level(api, pump, "l-5", 0, "2026-11-24T12:30:00Z")  # sold out again: paused again
        slack = [json.loads(c.request.body)["text"] for c in mock.calls if c.request.url == HOOK]  # type: ignore[arg-type]
    assert shopify.toggles == [(discount_id, "EXPIRED"), (discount_id, "ACTIVE"), (discount_id, "EXPIRED")]
    assert [t.split("\n")[0] for t in slack if t.startswith("Gift")] == [
        "Gift paused: Free pink iPod",
        "Gift back on: Free pink iPod",
        "Gift paused: Free pink iPod",
    ]
    kinds = sorted((a["kind"], a["status"]) for a in gift_actions(api))
    assert kinds.count(("set_discount_active", "done")) == 3
    assert show(api, job_id)["offer"]["toggles"] == 3


def test_a_gift_offer_in_a_dry_run_store_plans_its_pause_with_the_exact_call(
    api: Any, runtime: Runtime, pump: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sales live, the gift-stock automation in dry-run: the pause is planned (its preview is the
    call), recorded once, and nothing is sent to the store."""
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    put_store(
        api,
        shop_domain="demo.myshopify.com",
        mode="live",
        automations={
            "sold-out": {"enabled": False},
            "low-stock": {"enabled": False},
            "gift-stock": {"mode": "dry-run", "settings": {"slack": False}},
        },
    )
    shopify = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        shopify.install(mock)
        deliver(api, TRACKED_IPOD, "products/update", "p-1")
        pump.drain()
        job_id = body_json(gift(api))["job_id"]
        sweep(runtime)
        pink_level(api, pump, "l-1", 0, "2026-11-24T12:10:00Z")
        pink_level(api, pump, "l-2", 0, "2026-11-24T12:11:00Z")
    assert shopify.toggles == []
    [planned] = gift_actions(api)
    assert planned["status"] == "planned"
    detail = body_json(api.http.get(f"/stores/demo/actions/{planned['action_id']}", headers=AUTH))
    assert detail["preview"]["operation"] == "discountAutomaticDeactivate"
    assert show(api, job_id)["offer"]["paused"] is True


@pytest.mark.parametrize(
    ("platform", "change", "named"),
    [
        ("shopify", {"buy_product_ids": None}, "buy_product_ids"),
        ("shopify", {"min_quantity": None}, "min_quantity, min_subtotal"),
        ("shopify", {"min_subtotal": "50"}, "min_quantity, min_subtotal"),
        ("shopify", {"gift_variant_id": "pink"}, "gift_variant_id"),
        ("shopify", {"buy_collection_ids": ["1"]}, "buy_product_ids, buy_collection_ids"),
        ("woocommerce", {}, "min_subtotal"),
        ("woocommerce", {"buy_product_ids": None, "min_quantity": None}, "min_subtotal"),
    ],
)
def test_a_bad_gift_is_a_400_naming_the_field(
    api: Any, runtime: Runtime, platform: str, change: dict[str, Any], named: str
) -> None:
    put_store(api, platform=platform, shop_domain="demo.myshopify.com" if platform == "shopify" else WOO)
    answer = gift(api, **change)
    assert answer.status_code == 400, answer.body
    assert named in body_json(answer)["error"]
    assert body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"] == []


def test_a_woocommerce_gift_is_a_one_item_free_coupon_from_a_subtotal(
    api: Any, runtime: Runtime, clock: FixedClock, woo: FakeWoo
) -> None:
    put_store(api, platform="woocommerce", shop_domain=WOO, mode="live")
    made = gift(
        api,
        gift_product_id="800",
        gift_variant_id="801",
        buy_product_ids=None,
        min_quantity=None,
        min_subtotal="60",
    )
    assert made.status_code == 201, made.body
    sweep(runtime)
    [coupon] = woo.discounts.values()
    assert coupon["discount_type"] == "percent" and coupon["amount"] == "100"
    assert coupon["product_ids"] == [801] and coupon["limit_usage_to_x_items"] == 1
    assert coupon["minimum_amount"] == "60"
    clock.advance(hours=7)
    sweep(runtime)
    assert woo.discounts == {}


def test_a_woocommerce_gift_coupon_expires_while_the_gift_is_sold_out_and_gets_its_end_back(
    api: Any, runtime: Runtime, pump: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real WooCommerce product (794) with managed stock, through product.created/updated."""
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    base = "https://woo.example"
    put_store(
        api,
        platform="woocommerce",
        mode="live",
        automations={
            "sold-out": {"enabled": False},
            "low-stock": {"enabled": False},
            "gift-stock": {"settings": {"slack": False}},
        },
    )
    woo = FakeWoo(base, {"794": FakeProduct({"794": FakeVariant(None, Decimal("21.99"))}, variable=False)})
    product = json.loads(load_fixture("woocommerce/product_created__rest-api-docs.json")[0])

    def stock(quantity: int, delivery: str, modified: str) -> None:
        product.update({"manage_stock": True, "stock_quantity": quantity, "date_modified_gmt": modified})
        body = json.dumps(product).encode()
        topic = "product.created" if delivery == "w-0" else "product.updated"
        answer = api.http.post(
            "/webhooks/woocommerce/demo", headers=woo_headers(body, topic, delivery), body=body
        )
        assert answer.status_code == 200, answer.body
        pump.drain()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        woo.install(mock)
        stock(10, "w-0", "2026-11-24T11:00:00")
        job_id = body_json(
            gift(
                api,
                gift_product_id="794",
                gift_variant_id="794",
                buy_product_ids=None,
                min_quantity=None,
                min_subtotal="60",
            )
        )["job_id"]
        sweep(runtime)
        pump.drain()
        [(coupon_id, coupon)] = woo.discounts.items()
        assert coupon["date_expires_gmt"] == "2026-11-24T18:00:00"
        stock(0, "w-1", "2026-11-24T12:10:00")
        stock(0, "w-2", "2026-11-24T12:11:00")
        assert woo.toggles == [(coupon_id, "2026-11-24T12:00:00")]  # expired as of the pause
        assert show(api, job_id)["offer"]["paused"] is True
        stock(3, "w-3", "2026-11-24T12:20:00")
        stock(2, "w-4", "2026-11-24T12:21:00")
    assert woo.toggles == [(coupon_id, "2026-11-24T12:00:00"), (coupon_id, "2026-11-24T18:00:00")]
    assert show(api, job_id)["offer"] == show(api, job_id)["offer"] | {"paused": False, "toggles": 2}


def test_a_gift_already_sold_out_at_its_start_starts_paused_and_resumes_on_restock(
    api: Any, runtime: Runtime, pump: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    put_store(
        api,
        shop_domain="demo.myshopify.com",
        mode="live",
        automations={
            "sold-out": {"enabled": False},
            "low-stock": {"enabled": False},
            "gift-stock": {"settings": {"slack": False}},
        },
    )
    shopify = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        shopify.install(mock)
        deliver(api, TRACKED_IPOD, "products/update", "p-1")
        pink_level(api, pump, "l-0", 0, "2026-11-24T11:50:00Z")  # sold out before the offer
        job_id = body_json(gift(api))["job_id"]
        sweep(runtime)
        pump.drain()
        [discount_id] = shopify.discounts
        assert shopify.toggles == [(discount_id, "EXPIRED")]
        assert show(api, job_id)["offer"]["paused"] is True
        pink_level(api, pump, "l-1", 2, "2026-11-24T12:20:00Z")
    assert shopify.toggles == [(discount_id, "EXPIRED"), (discount_id, "ACTIVE")]


def test_a_cancelled_gift_deletes_its_discount_and_stops_watching_the_gift(
    api: Any, runtime: Runtime, pump: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "DEFAULT_PACE", lambda: runner.Pace(sleep=lambda _: None))
    put_store(
        api,
        shop_domain="demo.myshopify.com",
        mode="live",
        automations={"sold-out": {"enabled": False}, "low-stock": {"enabled": False}},
    )
    shopify = FakeShopify(shopify_products_from_real())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        shopify.install(mock)
        deliver(api, TRACKED_IPOD, "products/update", "p-1")
        pump.drain()
        job_id = body_json(gift(api))["job_id"]
        sweep(runtime)
        [listed] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
        assert (listed["kind"], listed["state"]) == ("gift", "running")
        assert api.http.delete(f"/stores/demo/schedules/{job_id}", headers=AUTH).status_code == 202
        clock.advance(seconds=60)
        sweep(runtime)
        assert shopify.discounts == {}
        pink_level(api, pump, "l-1", 0, "2026-11-24T12:10:00Z")
    assert shopify.toggles == [] and gift_actions(api) == []
    assert show(api, job_id)["state"] == "cancelled"
    runs = body_json(api.http.get("/stores/demo/runs?limit=50", headers=AUTH))["items"]
    reasons = [r["reason"] for r in runs if r["automation"] == "gift-stock"]
    assert any("no running gift offer" in (r or "") for r in reasons)
