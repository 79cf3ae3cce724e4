"""Settings of the inventory and catalog automations (per store, validated, with defaults)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storekit.email_address import EmailAddress
from storekit.models import Product, Variant

_Name = Field(default=None, min_length=1, max_length=255)


class StockRule(BaseModel):
    """A low-stock threshold for the variants one thing names: a SKU, a product tag, a product type
    or a vendor (exactly one). A rule may count one location's stock only (`location`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    sku: str | None = _Name
    tag: str | None = _Name
    product_type: str | None = _Name
    vendor: str | None = _Name
    #: a location id: the rule counts that location's stock only (else the sum of all locations)
    location: str | None = Field(default=None, min_length=1, max_length=64)
    threshold: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _names_one_thing(self) -> StockRule:
        named = [n for n in (self.sku, self.tag, self.product_type, self.vendor) if n is not None]
        if len(named) != 1:
            raise ValueError("a rule names exactly one of sku, tag, product_type, vendor")
        return self

    @property
    def rank(self) -> int:
        """SKU rules first, then tag, product type, vendor."""
        return 0 if self.sku else 1 if self.tag else 2 if self.product_type else 3

    def matches(self, product: ProductFacts, sku: str | None) -> bool:
        fold = str.casefold
        if self.sku is not None:
            return sku is not None and fold(sku) == fold(self.sku)
        if self.tag is not None:
            return fold(self.tag) in {fold(t) for t in product.tags}
        if self.product_type is not None:
            return fold(product.product_type or "") == fold(self.product_type)
        return fold(product.vendor or "") == fold(self.vendor or "")


class ProductFacts(BaseModel):
    """What rules read of a product."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    tags: list[str] = []
    product_type: str | None = None
    vendor: str | None = None

    @classmethod
    def of(cls, product: Product | None) -> ProductFacts:
        if product is None:
            return cls()
        return cls(tags=product.tags, product_type=product.product_type, vendor=product.vendor)


class StaffChannels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: post to the store's Slack channel
    slack: bool = True
    #: and/or email this address
    email: EmailAddress | None = Field(default=None, max_length=320)
    #: a verified SES identity of the store (else the deployment's STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)


class LowStockSettings(StaffChannels):
    #: the store default: alert when a variant's stock falls to this many or fewer
    threshold: int = Field(default=5, ge=0, le=1_000_000)
    #: an alert is re-armed only once stock rises above threshold + margin
    margin: int = Field(default=2, ge=0, le=1_000_000)
    #: rules by SKU, tag, product type or vendor; SKU rules win, then tag, type, vendor
    rules: list[StockRule] = Field(default=[], max_length=200)
    #: alerts within this many minutes go out as one digest
    digest_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: names for location ids in messages ("905684977": "Warehouse")
    location_names: dict[str, str] = Field(default={}, max_length=200)

    def rule_for(self, product: ProductFacts, sku: str | None) -> StockRule | None:
        matching = [rule for rule in self.rules if rule.matches(product, sku)]
        return min(matching, key=lambda r: r.rank) if matching else None


SOLD_OUT_TAG = "sold-out"


class SoldOutSettings(StaffChannels):
    """What a product that sold out gets: hidden from the online store, or a `sold-out` tag."""

    on_sold_out: Literal["hide", "tag"] = "tag"
    #: Shopify: the Online Store publication's id (else it is looked up when the product is hidden)
    publication_id: str | None = Field(default=None, min_length=1, max_length=100)
    tag: str = Field(default=SOLD_OUT_TAG, min_length=1, max_length=255)
    #: tell marketing when a product is back in stock (Slack and/or `email`)
    notify_back_in_stock: bool = True


class CatalogRule(BaseModel):
    """When a product matches every condition given, add tags and/or put it in a collection."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    product_type: str | None = _Name
    #: every word must be in the title (whole words, any case)
    title_words: list[str] = Field(default=[], max_length=20)
    vendor: str | None = _Name
    sku_prefix: str | None = _Name
    #: the product has any of these tags
    tags: list[str] = Field(default=[], max_length=20)
    add_tags: list[str] = Field(default=[], max_length=20)
    #: a Shopify collection id or a WooCommerce category id
    add_to_collection: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("title_words", "tags", "add_tags")
    @classmethod
    def _trimmed(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    @model_validator(mode="after")
    def _has_condition_and_effect(self) -> CatalogRule:
        if not (self.product_type or self.title_words or self.vendor or self.sku_prefix or self.tags):
            raise ValueError(
                "a catalog rule needs a condition: product_type, title_words, vendor, sku_prefix or tags"
            )
        if not (self.add_tags or self.add_to_collection):
            raise ValueError("a catalog rule needs an effect: add_tags or add_to_collection")
        return self

    def matches(self, product: Product) -> bool:
        fold = str.casefold
        if self.product_type and fold(product.product_type or "") != fold(self.product_type):
            return False
        if self.vendor and fold(product.vendor or "") != fold(self.vendor):
            return False
        if self.title_words:
            words = set(fold(product.title or "").replace("-", " ").split())
            if not all(fold(w) in words for w in self.title_words):
                return False
        if self.sku_prefix and not any(
            (v.sku or "").casefold().startswith(fold(self.sku_prefix)) for v in product.variants
        ):
            return False
        return not self.tags or bool({fold(t) for t in self.tags} & {fold(t) for t in product.tags})


class CatalogRulesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    rules: list[CatalogRule] = Field(default=[], max_length=100)


def counts(variant: Variant, tracked_override: bool | None = None) -> bool:
    """Whether a variant's stock counts: tracked (unknown = tracked, Shopify's default; an
    inventory_items/update saying untracked wins) and not sold on when out of stock."""
    tracked = tracked_override if tracked_override is not None else variant.tracked
    return tracked is not False and not variant.keeps_selling


# --- supplier reorder settings (functions/inventory/reorder.py decides with them) -----------
REORDER_NAME = "reorder"
#: stock item attributes the purchase orders keep per variant
OPEN_PO = "PO#"
ON_ORDER = "POQ#"
PO_GENERATION = "POGEN#"


class Supplier(BaseModel):
    """A supplier and the variants it supplies: by vendor, SKU or SKU prefix (any that matches)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1, max_length=255)
    email: EmailAddress = Field(max_length=320)
    lead_time_days: int = Field(default=7, ge=0, le=365)
    pack_size: int = Field(default=1, ge=1, le=1_000_000)
    min_order_qty: int = Field(default=1, ge=1, le=1_000_000)
    #: the currency it invoices in (else the store's)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    vendors: list[str] = Field(default=[], max_length=50)
    skus: list[str] = Field(default=[], max_length=1000)
    sku_prefixes: list[str] = Field(default=[], max_length=50)
    #: SKU -> unit cost in `currency` (shown on the PO; a line without one shows no total)
    unit_costs: dict[str, Decimal] = Field(default={}, max_length=1000)

    @model_validator(mode="after")
    def _supplies_something(self) -> Supplier:
        if not (self.vendors or self.skus or self.sku_prefixes):
            raise ValueError(f"supplier {self.name!r} needs vendors, skus or sku_prefixes")
        if any(cost < 0 for cost in self.unit_costs.values()):
            raise ValueError("unit_costs must not be negative")
        return self

    def supplies(self, facts: ProductFacts, sku: str | None) -> bool:
        fold = str.casefold
        if sku and (
            fold(sku) in {fold(s) for s in self.skus}
            or any(fold(sku).startswith(fold(p)) for p in self.sku_prefixes)
        ):
            return True
        return bool(facts.vendor) and fold(facts.vendor or "") in {fold(v) for v in self.vendors}


class ReorderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    suppliers: list[Supplier] = Field(default=[], max_length=100)
    #: days of sales the velocity is taken over
    window_days: int = Field(default=28, ge=1, le=365)
    #: days of sales a PO covers
    cover_days: int = Field(default=30, ge=1, le=365)
    #: safety stock in days of sales, unless `safety_stock_units` is set
    safety_stock_days: int = Field(default=7, ge=0, le=365)
    safety_stock_units: int | None = Field(default=None, ge=0, le=1_000_000)
    #: "email": send each PO to the supplier at once; "approval": hold it for the merchant
    send: Literal["email", "approval"] = "approval"
    #: a verified SES identity of the store (else STOREFLOW_EMAIL_SENDER); replies go to `reply_to`
    sender: str | None = Field(default=None, max_length=320)
    reply_to: EmailAddress | None = Field(default=None, max_length=320)

    def supplier_for(self, facts: ProductFacts, sku: str | None) -> Supplier | None:
        """The first supplier that names the SKU, else the first by vendor."""
        by_sku = [s for s in self.suppliers if sku and s.supplies(ProductFacts(), sku)]
        if by_sku:
            return by_sku[0]
        return next((s for s in self.suppliers if s.supplies(facts, sku)), None)
