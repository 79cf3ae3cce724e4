"""Catalog rules: on product create/update, rules on product type, title words, vendor, SKU prefix
and tags add tags or put the product into a collection (Shopify collection / WooCommerce
category), only where it is not there yet. An update that changes nothing a rule reads writes
nothing (Shopify sends products/update for every stock change: those never cost a store write).
"""

from __future__ import annotations

from typing import Any

from functions.inventory.facts import StockFacts, is_full_product, product_before
from functions.inventory.models import CatalogRulesSettings
from storekit.actions import Action, AddTags, AddToCollection
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.models import Product


def rule_inputs(product: Product) -> tuple[Any, ...]:
    """What catalog rules read of a product (tags and SKUs in any order)."""
    return (
        product.product_type or "",
        product.title or "",
        product.vendor or "",
        frozenset(t.casefold() for t in product.tags),
        frozenset((v.sku or "").casefold() for v in product.variants),
        frozenset(product.category_ids),
    )


def catalog_rules(product: Product, ctx: Context[CatalogRulesSettings, StockFacts]) -> Decision:
    rules = ctx.settings.rules
    if not rules:
        return nothing("no catalog rules are set (setting rules)")
    if not is_full_product(product):
        return nothing(f"a variation update of product {product.id}: rules read the product's own update")
    previous = ctx.related.product
    if previous is not None and rule_inputs(previous) == rule_inputs(product):
        return nothing("nothing a catalog rule reads changed (type, title, vendor, SKUs, tags, categories)")
    matched = [rule for rule in rules if rule.matches(product)]
    if not matched:
        return nothing(
            f"product {product.title or product.id} matches none of the {len(rules)} catalog rule(s)"
        )
    have = {t.casefold() for t in product.tags}
    tags: list[str] = []
    for rule in matched:
        for tag in rule.add_tags:
            if tag.casefold() not in have and tag.casefold() not in {t.casefold() for t in tags}:
                tags.append(tag)
    actions: list[Action] = []
    notes: list[str] = []
    if tags:
        actions.append(AddTags(resource="product", resource_id=product.id, tags=tags))
    collections = sorted({r.add_to_collection for r in matched if r.add_to_collection})
    if ctx.store.platform == "shopify":
        # a product event does not list its collections: each is added once per product
        actions += [
            AddToCollection(product_id=product.id, collection_id=c, once_per=f"collection:{product.id}:{c}")
            for c in collections
        ]
    else:
        missing = [c for c in collections if c not in product.category_ids]
        # every call carries all the categories it should end with (the ones it has and the new ones)
        actions += [
            AddToCollection(
                product_id=product.id, collection_id=c, categories=[*product.category_ids, *missing]
            )
            for c in missing
        ]
    if not actions and not notes:
        notes.append(f"product {product.title or product.id} already has what its {len(matched)} rule(s) add")
    return Decision(actions, "; ".join(notes) or None)


CATALOG_RULES: Automation[Product, CatalogRulesSettings, StockFacts] = Automation(
    name="catalog-rules",
    description="Tag new and changed products, or put them in a collection, by the store's rules",
    topics=frozenset({Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED}),
    settings_model=CatalogRulesSettings,
    takes=(Product,),
    run=catalog_rules,
    load=product_before,
    reads=frozenset({"product"}),
)
