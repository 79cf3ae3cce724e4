"""Inventory automations' pure decisions on real payloads: low stock (once per crossing, digests),
sold out / back in stock (undo exactly what storeflow did), catalog rules (no write for nothing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from functions.inventory.catalog_rules import catalog_rules
from functions.inventory.facts import ItemVariant, StockFacts, product_stock_values
from functions.inventory.low_stock import low_stock, send_digest, window_end
from functions.inventory.models import CatalogRulesSettings, LowStockSettings, ProductFacts, SoldOutSettings
from functions.inventory.sold_out import sold_out
from functions.inventory.stock import SoldOutChanges, StockState, changes_when_sold_out, low_transition
from storekit.actions import (
    AddTags,
    AddToCollection,
    PostSlack,
    RemoveTags,
    ScheduleJob,
    SendEmail,
    SetProductVisibility,
)
from storekit.adapters import Topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.models import InventoryLevel, Product
from storekit.records import JobRecord
from storekit.store import StoreConfig
from tests.payloads import FIXTURES

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, 7, tzinfo=UTC)
EVENTS = Path(__file__).resolve().parents[1] / "events"
#: python-api product 632910392 with inventory_policy deny and inventory item ids (= variant ids)
TRACKED_IPOD = EVENTS / "shopify" / "products_update__tracked-ipod.json"
PINK = "808950810"  # its Pink variant; the real inventory_levels_update__python-api names this item
LOCATION = "905684977"


def parsed(path: Path, topic: Topic, platform: str = "shopify", **changes: Any) -> Any:
    return parse_delivery(platform, topic, {**json.loads(path.read_bytes()), **changes}).resource


def level(available: int | None = 6, location: str = LOCATION) -> InventoryLevel:
    return parsed(
        FIXTURES / "shopify" / "inventory_levels_update__python-api.json",
        Topic.INVENTORY_UPDATED,
        available=available,
        location_id=int(location),
    )


def ipod() -> Product:
    return parsed(TRACKED_IPOD, Topic.PRODUCT_UPDATED)


def ctx(settings: Any, related: Any, platform: str = "shopify", now: datetime = NOW) -> Context[Any, Any]:
    store = StoreConfig(
        store_id="demo",
        platform=platform,  # type: ignore[arg-type]
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        name="Demo Shop",
        created_at=NOW,
        updated_at=NOW,
    )
    meta = EventMeta(event_id="e1", platform=platform, topic="t", delivery_id="d", received_at="x")
    return Context(store=store, settings=settings, event=meta, now=now, related=related)


def pink_item(**extra: Any) -> ItemVariant:
    return ItemVariant(
        product_id="632910392",
        variant_id=PINK,
        product_title="IPod Nano - 8GB",
        variant_title="Pink",
        sku="IPOD2008PINK",
        facts=ProductFacts(tags=["Emotive", "MP3"], product_type="Cult Products", vendor="Apple"),
        **extra,
    )


def stock_of(product: Product, **extra: Any) -> dict[str, Any]:
    """The stock item a product event leaves (what the keep hook writes)."""
    return {**product_stock_values(product), **extra}


# --- low stock -----------------------------------------------------------------------------------
def test_level_below_a_sku_rule_files_one_alert_for_the_digest_window() -> None:
    settings = LowStockSettings(rules=[{"sku": "ipod2008pink", "threshold": 8}])  # type: ignore[list-item]
    facts = StockFacts(item=pink_item(), stock_item=stock_of(ipod()))
    [job] = low_stock(level(6), ctx(settings, facts))
    assert isinstance(job, ScheduleJob)
    assert job.due_at == datetime(2026, 11, 24, 12, 15, tzinfo=UTC)  # the 15-minute window's end
    assert job.once_per == f"low-stock:632910392:{PINK}:1"
    assert job.params["quantity"] == 6
    assert job.params["sku"] == "IPOD2008PINK"
    assert job.params["location"] == f"location {LOCATION}"
    assert job.params["link"] == f"https://demo-shop.myshopify.com/admin/products/632910392/variants/{PINK}"


def test_default_threshold_is_not_crossed_at_six_and_the_run_says_so() -> None:
    facts = StockFacts(item=pink_item(), stock_item=stock_of(ipod()))
    decision = low_stock(level(6), ctx(LowStockSettings(), facts))
    assert list(decision) == []
    assert decision.reason == "IPod Nano - 8GB - Pink (SKU IPOD2008PINK): 6 left, above the threshold of 5"


def test_stock_is_summed_across_locations_unless_the_rule_names_one() -> None:
    item = stock_of(ipod(), **{f"L#{PINK}#1": 10})  # 10 more at another location
    facts = StockFacts(item=pink_item(), stock_item=item)
    assert list(low_stock(level(3), ctx(LowStockSettings(), facts))) == []  # 13 in all
    by_location = LowStockSettings(rules=[{"vendor": "apple", "location": LOCATION, "threshold": 5}])  # type: ignore[list-item]
    [job] = low_stock(level(3), ctx(by_location, facts))
    assert job.params["quantity"] == 3  # type: ignore[union-attr]


def test_rule_precedence_sku_then_tag_then_type_then_vendor() -> None:
    settings = LowStockSettings(
        rules=[  # type: ignore[list-item]
            {"vendor": "Apple", "threshold": 1},
            {"product_type": "cult products", "threshold": 2},
            {"tag": "mp3", "threshold": 3},
        ]
    )
    assert settings.rule_for(pink_item().facts, "IPOD2008PINK").threshold == 3  # type: ignore[union-attr]
    with_sku = settings.model_copy(
        update={
            "rules": [
                *settings.rules,
                *LowStockSettings(rules=[{"sku": "IPOD2008PINK", "threshold": 4}]).rules,
            ]
        }
    )  # type: ignore[list-item]
    assert with_sku.rule_for(pink_item().facts, "IPOD2008PINK").threshold == 4  # type: ignore[union-attr]
    assert settings.rule_for(ProductFacts(), "X") is None


def test_a_rule_names_exactly_one_thing() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        LowStockSettings(rules=[{"sku": "A", "vendor": "B", "threshold": 1}])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        LowStockSettings(digest_minutes=0)


def test_once_per_crossing_and_rearmed_only_above_threshold_plus_margin() -> None:
    state = StockState()
    assert low_transition(state, "v", 5, 5, 2) == "crossed"
    alerted = StockState(low={"v": 1}, crossings={"v": 1})
    assert [low_transition(alerted, "v", q, 5, 2) for q in (4, 0, 5, 6, 7)] == [None] * 5
    assert low_transition(alerted, "v", 8, 5, 2) == "rearmed"
    assert low_transition(StockState(crossings={"v": 1}), "v", 2, 5, 2) == "crossed"


def test_an_alert_already_out_is_not_repeated_and_the_run_says_when_it_rearms() -> None:
    item = stock_of(ipod(), **{f"LOW#{PINK}": 1, f"N#{PINK}": 1, f"L#{PINK}#{LOCATION}": 4})
    facts = StockFacts(item=pink_item(), stock_item=item)
    decision = low_stock(level(2), ctx(LowStockSettings(), facts))
    assert list(decision) == []
    assert "alert already out for this drop (again once stock rises above 7)" in (decision.reason or "")


def test_the_next_crossing_gets_a_new_once_per_key() -> None:
    item = stock_of(ipod(), **{f"N#{PINK}": 1, f"L#{PINK}#{LOCATION}": 9})  # re-armed after crossing 1
    [job] = low_stock(level(1), ctx(LowStockSettings(), StockFacts(item=pink_item(), stock_item=item)))
    assert job.once_per == f"low-stock:632910392:{PINK}:2"


def test_untracked_or_continue_selling_variants_are_never_low() -> None:
    facts = StockFacts(item=pink_item(counted=False), stock_item={})
    assert "not tracked or sold on" in (low_stock(level(0), ctx(LowStockSettings(), facts)).reason or "")
    # the real python-api product sells on when out (inventory_policy continue)
    real = parsed(FIXTURES / "shopify" / "products_update__python-api-product.json", Topic.PRODUCT_UPDATED)
    decision = low_stock(real, ctx(LowStockSettings(threshold=100), StockFacts()))
    assert list(decision) == []
    assert decision.reason is not None and decision.reason.count("sold on when out of stock") == 4


def test_unknown_inventory_item_names_the_subscription() -> None:
    decision = low_stock(level(1), ctx(LowStockSettings(), StockFacts()))
    assert "products/create and products/update" in (decision.reason or "")


def test_product_update_alerts_for_each_variant_that_crosses() -> None:
    product = ipod()
    before = stock_of(product)
    low = product.model_copy(
        update={"variants": [v.model_copy(update={"inventory_quantity": 1}) for v in product.variants[:2]]}
    )
    jobs = low_stock(low, ctx(LowStockSettings(), StockFacts(product=product, stock_item=before)))
    assert sorted(j.params["variant_id"] for j in jobs) == sorted(["49148385", PINK])  # type: ignore[union-attr]


def test_woocommerce_product_stock_and_manage_stock() -> None:
    path = FIXTURES / "woocommerce" / "product_created__rest-api-docs.json"
    untracked = parsed(path, Topic.PRODUCT_CREATED, "woocommerce")
    decision = low_stock(untracked, ctx(LowStockSettings(), StockFacts(), "woocommerce"))
    assert decision.reason == "Premium Quality: stock not tracked"
    tracked = parsed(path, Topic.PRODUCT_CREATED, "woocommerce", manage_stock=True, stock_quantity=2)
    [job] = low_stock(tracked, ctx(LowStockSettings(), StockFacts(), "woocommerce"))
    assert job.params["link"] == "https://woo.example/wp-admin/post.php?post=794&action=edit"  # type: ignore[union-attr]


def _job(job_id: str, created: str, **params: Any) -> JobRecord:
    alert = {
        "variant_id": job_id,
        "product": f"P{job_id}",
        "quantity": 1,
        "threshold": 5,
        "location": "all locations",
        "link": "L",
    }
    return JobRecord(
        job_id=job_id,
        store_id="demo",
        kind="low-stock",
        due_at="2026-11-24T12:15:00Z",
        params={**alert, **params},
        created_at=created,
    )


def test_alerts_of_one_window_go_out_as_one_digest_sent_by_the_first_job() -> None:
    jobs = tuple(_job(str(i), f"2026-11-24T12:0{i}:00Z") for i in range(1, 4))
    settings = LowStockSettings(email="ops@demo-shop.example")
    from functions.inventory.facts import DigestFacts

    sent = send_digest(jobs[0], ctx(settings, DigestFacts(jobs=jobs)))
    assert [a.kind for a in sent] == ["post_slack", "send_email"]
    slack = sent[0]
    assert isinstance(slack, PostSlack) and slack.text.startswith("Low stock: 3 variants")
    assert slack.once_per == "low-stock-digest:2026-11-24T12:15:00Z:slack"
    assert isinstance(sent[1], SendEmail) and sent[1].to == "ops@demo-shop.example"
    others = send_digest(jobs[2], ctx(settings, DigestFacts(jobs=jobs)))
    assert (
        list(others) == []
        and others.reason == "sent in the digest of 2026-11-24T12:15:00Z with 2 other alert(s)"
    )
    late = _job("9", "2026-11-24T12:16:00Z")  # filed after the window closed: goes alone
    [alone, _] = send_digest(late, ctx(settings, DigestFacts(jobs=(*jobs, late))))
    assert isinstance(alone, PostSlack) and alone.text.startswith("Low stock\nP9")


def test_a_flash_sale_of_300_variants_is_one_message() -> None:
    from functions.inventory.facts import DigestFacts

    jobs = tuple(_job(f"{i:03}", "2026-11-24T12:05:00Z") for i in range(300))
    sent = send_digest(jobs[0], ctx(LowStockSettings(), DigestFacts(jobs=jobs)))
    assert len(sent) == 1 and "... and 260 more" in sent[0].text  # type: ignore[union-attr]
    assert sum(len(send_digest(j, ctx(LowStockSettings(), DigestFacts(jobs=jobs)))) for j in jobs) == 1


def test_digest_window_end() -> None:
    assert window_end(datetime(2026, 1, 1, 10, 14, 59, tzinfo=UTC), 15) == datetime(
        2026, 1, 1, 10, 15, tzinfo=UTC
    )
    assert window_end(datetime(2026, 1, 1, 10, 15, tzinfo=UTC), 15) == datetime(
        2026, 1, 1, 10, 30, tzinfo=UTC
    )


def test_no_channel_says_so() -> None:
    decision = low_stock(level(0), ctx(LowStockSettings(slack=False), StockFacts()))
    assert decision.reason == "staff alerts are off (settings slack, email)"


# --- sold out / back in stock --------------------------------------------------------------------
def _all_zero(product: Product) -> dict[str, Any]:
    return stock_of(product, **{f"T#{v.id}": 0 for v in product.variants})


def test_every_variant_at_zero_tags_the_product_sold_out() -> None:
    product = ipod()
    before = stock_of(product, **{f"T#{v.id}": 0 for v in product.variants[1:]})  # Pink still has 10
    facts = StockFacts(item=pink_item(), stock_item=before)
    [tag] = sold_out(level(0), ctx(SoldOutSettings(), facts))
    assert tag == AddTags(resource="product", resource_id="632910392", tags=["sold-out"])
    # one variant left in stock: nothing
    assert (
        sold_out(level(1), ctx(SoldOutSettings(), facts)).reason == "IPod Nano - 8GB (632910392) is in stock"
    )


def test_still_sold_out_is_not_handled_twice() -> None:
    product = ipod()
    recorded = _all_zero(product) | {"SOLDOUT": SoldOutChanges(tagged=True).to_json()}
    decision = sold_out(
        product.model_copy(
            update={"variants": [v.model_copy(update={"inventory_quantity": 0}) for v in product.variants]}
        ),
        ctx(SoldOutSettings(), StockFacts(product=product, stock_item=recorded)),
    )
    assert list(decision) == [] and "still sold out" in (decision.reason or "")


def test_restock_untags_and_tells_marketing() -> None:
    product = ipod()
    recorded = _all_zero(product) | {"SOLDOUT": SoldOutChanges(tagged=True).to_json()}
    facts = StockFacts(item=pink_item(), stock_item=recorded)
    decision = sold_out(level(4), ctx(SoldOutSettings(), facts))
    [untag, notice] = decision
    assert untag == RemoveTags(resource="product", resource_id="632910392", tags=["sold-out"])
    assert isinstance(notice, PostSlack) and notice.text.startswith("Back in stock: IPod Nano - 8GB")
    assert decision.reason is None


def test_never_undoes_what_the_merchant_did() -> None:
    product = ipod()
    hidden_by_merchant = StockState.from_item(stock_of(product.model_copy(update={"published": False})))
    assert changes_when_sold_out(hidden_by_merchant, True, "sold-out", "shopify") == SoldOutChanges()
    tagged_by_merchant = StockState.from_item(stock_of(product.model_copy(update={"tags": ["Sold-Out"]})))
    assert changes_when_sold_out(tagged_by_merchant, False, "sold-out", "shopify") == SoldOutChanges()
    published = StockState.from_item(stock_of(product))
    assert changes_when_sold_out(published, True, "sold-out", "shopify") == SoldOutChanges(hid="unpublished")
    woo = StockState(visibility="search")
    assert changes_when_sold_out(woo, True, "x", "woocommerce") == SoldOutChanges(
        hid="hidden", visibility_before="search"
    )


def test_sold_out_needs_every_counted_variant_known() -> None:
    product = ipod()
    partial = {k: v for k, v in _all_zero(product).items() if k != f"T#{PINK}"}
    assert StockState.from_item(partial).product_sold_out() is None
    assert StockState.from_item(_all_zero(product)).product_sold_out() is True


# --- catalog rules -------------------------------------------------------------------------------
RULES = CatalogRulesSettings(
    rules=[  # type: ignore[list-item]
        {"vendor": "apple", "title_words": ["nano"], "add_tags": ["Apple Nano", "Emotive"]},
        {"sku_prefix": "IPOD2008", "add_tags": ["ipod"]},
        {"product_type": "Shirts", "add_tags": ["never"]},
    ]
)


def test_matching_rules_add_only_missing_tags() -> None:
    product = parsed(FIXTURES / "shopify" / "products_update__python-api-product.json", Topic.PRODUCT_UPDATED)
    [tags] = catalog_rules(product, ctx(RULES, StockFacts()))
    assert tags == AddTags(resource="product", resource_id="632910392", tags=["Apple Nano", "ipod"])


def test_an_update_that_changes_nothing_a_rule_reads_writes_nothing() -> None:
    product = parsed(FIXTURES / "shopify" / "products_update__python-api-product.json", Topic.PRODUCT_UPDATED)
    restocked = product.model_copy(
        update={"variants": [v.model_copy(update={"inventory_quantity": 99}) for v in product.variants]}
    )
    decision = catalog_rules(restocked, ctx(RULES, StockFacts(product=product)))
    assert (
        list(decision) == []
        and decision.reason is not None
        and "nothing a catalog rule reads changed" in decision.reason
    )


def test_product_already_tagged_gets_no_write() -> None:
    product = parsed(FIXTURES / "shopify" / "products_update__python-api-product.json", Topic.PRODUCT_UPDATED)
    tagged = product.model_copy(update={"tags": [*product.tags, "apple nano", "IPOD"]})
    decision = catalog_rules(tagged, ctx(RULES, StockFacts(product=product)))
    assert list(decision) == [] and "already has what its 2 rule(s) add" in (decision.reason or "")


def test_a_catalog_rule_needs_a_condition_and_an_effect() -> None:
    with pytest.raises(ValidationError, match="needs a condition"):
        CatalogRulesSettings(rules=[{"add_tags": ["x"]}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="needs an effect"):
        CatalogRulesSettings(rules=[{"vendor": "x"}])  # type: ignore[list-item]


def test_woocommerce_products_are_tagged_too() -> None:
    product = parsed(
        FIXTURES / "woocommerce/product_created__rest-api-docs.json", Topic.PRODUCT_CREATED, "woocommerce"
    )
    rules = CatalogRulesSettings(rules=[{"title_words": ["premium"], "add_tags": ["premium"]}])  # type: ignore[list-item]
    decision = catalog_rules(product, ctx(rules, StockFacts(), "woocommerce"))
    assert list(decision) == [AddTags(resource="product", resource_id="794", tags=["premium"])]
    assert decision.reason is None


def test_a_woocommerce_variation_alone_never_sells_out_its_product() -> None:
    """Variations of product 22 not seen yet may be in stock: without the product's own update
    (its list of variations) nothing is judged sold out."""
    variation = parsed(
        FIXTURES / "woocommerce/product_variation__rest-api-docs.json",
        Topic.PRODUCT_UPDATED,
        "woocommerce",
        manage_stock=True,
        stock_quantity=0,
    )
    decision = sold_out(variation, ctx(SoldOutSettings(), StockFacts(), "woocommerce"))
    assert list(decision) == [] and "variants are not known yet" in (decision.reason or "")
    parent = {"VARIANTS": ["732", "733"], "C#733": True, "T#733": 0, "VIS": "visible"}
    hide = SoldOutSettings(on_sold_out="hide")
    [hidden] = sold_out(variation, ctx(hide, StockFacts(stock_item=parent), "woocommerce"))
    assert hidden == SetProductVisibility(product_id="22", visible=False)


def test_hide_then_show_exactly_what_storeflow_hid() -> None:
    product = ipod()
    before = stock_of(product, **{f"T#{v.id}": 0 for v in product.variants[1:]})
    hide = SoldOutSettings(on_sold_out="hide")
    [unpublish] = sold_out(level(0), ctx(hide, StockFacts(item=pink_item(), stock_item=before)))
    assert unpublish == SetProductVisibility(product_id="632910392", visible=False)
    recorded = _all_zero(product) | {"SOLDOUT": SoldOutChanges(hid="unpublished").to_json()}
    [publish, _notice] = sold_out(level(3), ctx(hide, StockFacts(item=pink_item(), stock_item=recorded)))
    assert publish == SetProductVisibility(product_id="632910392", visible=True)
    # hidden by the merchant before it sold out: nothing hidden, so nothing shown again
    nothing_done = _all_zero(product) | {"SOLDOUT": SoldOutChanges().to_json()}
    [only_notice] = sold_out(level(3), ctx(hide, StockFacts(item=pink_item(), stock_item=nothing_done)))
    assert isinstance(only_notice, PostSlack)
    woo = {
        "VARIANTS": ["732"],
        "C#732": True,
        "T#732": 0,
        "SOLDOUT": SoldOutChanges(hid="hidden", visibility_before="search").to_json(),
    }
    variation = parsed(
        FIXTURES / "woocommerce/product_variation__rest-api-docs.json",
        Topic.PRODUCT_UPDATED,
        "woocommerce",
        manage_stock=True,
        stock_quantity=4,
    )
    [show, _] = sold_out(variation, ctx(hide, StockFacts(stock_item=woo), "woocommerce"))
    assert show == SetProductVisibility(product_id="22", visible=True, woo_visibility="search")


def test_collections_shopify_once_per_product_woocommerce_only_when_missing() -> None:
    rules = CatalogRulesSettings(rules=[{"vendor": "apple", "add_to_collection": "841564295"}])  # type: ignore[list-item]
    product = parsed(FIXTURES / "shopify" / "products_update__python-api-product.json", Topic.PRODUCT_UPDATED)
    [add] = catalog_rules(product, ctx(rules, StockFacts()))
    assert add == AddToCollection(
        product_id="632910392", collection_id="841564295", once_per="collection:632910392:841564295"
    )
    woo = parsed(
        FIXTURES / "woocommerce/product_created__rest-api-docs.json", Topic.PRODUCT_CREATED, "woocommerce"
    )
    into = CatalogRulesSettings(rules=[{"title_words": ["premium"], "add_to_collection": "20"}])  # type: ignore[list-item]
    [category] = catalog_rules(woo, ctx(into, StockFacts(), "woocommerce"))
    assert category == AddToCollection(product_id="794", collection_id="20", categories=["9", "14", "20"])
    already = CatalogRulesSettings(rules=[{"title_words": ["premium"], "add_to_collection": "14"}])  # type: ignore[list-item]
    decision = catalog_rules(woo, ctx(already, StockFacts(), "woocommerce"))
    assert list(decision) == [] and "already has what its 1 rule(s) add" in (decision.reason or "")


def test_a_woocommerce_product_sold_out_is_tagged_and_untagged_on_restock() -> None:
    path = FIXTURES / "woocommerce" / "product_created__rest-api-docs.json"
    product = parsed(path, Topic.PRODUCT_UPDATED, "woocommerce", manage_stock=True, stock_quantity=0)
    in_stock = stock_of(product, **{"T#794": 3})
    [tag] = sold_out(product, ctx(SoldOutSettings(), StockFacts(stock_item=in_stock), "woocommerce"))
    assert tag == AddTags(resource="product", resource_id="794", tags=["sold-out"])
    back = parsed(path, Topic.PRODUCT_UPDATED, "woocommerce", manage_stock=True, stock_quantity=2)
    recorded = {**stock_of(product), "SOLDOUT": SoldOutChanges(tagged=True).to_json()}
    settings = SoldOutSettings(notify_back_in_stock=False)
    untag, *_ = sold_out(back, ctx(settings, StockFacts(stock_item=recorded), "woocommerce"))
    assert untag == RemoveTags(resource="product", resource_id="794", tags=["sold-out"])
