"""A sale as the merchant enters it (POST /stores/{id}/schedules) and as storeflow keeps it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.sales.pricing import Discount
from storekit.clock import iso

SaleState = Literal["scheduled", "running", "done", "failed", "cancelled"]
#: where a running sale is: changing prices, on (prices changed), putting them back
Phase = Literal["starting", "on", "ending"]

_ID = r"^[A-Za-z0-9_:/.-]{1,80}$"
SELECTORS = ("product_ids", "collection_ids", "tags", "skus")
DISCOUNTS = ("percent_off", "amount_off", "prices")


def local_time(text: str, timezone: str) -> datetime:
    """An ISO time with an offset, or a store-local one (no offset: in the store's time zone), as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


class SaleInput(BaseModel):
    """Body of POST /stores/{id}/schedules for a sale; times are parsed with the store's time zone."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["sale"]
    name: str = Field(min_length=1, max_length=200)
    product_ids: list[str] | None = Field(default=None, min_length=1, max_length=2000)
    collection_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    tags: list[str] | None = Field(default=None, min_length=1, max_length=50)
    skus: list[str] | None = Field(default=None, min_length=1, max_length=2000)
    percent_off: Decimal | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)
    amount_off: Decimal | None = Field(default=None, gt=0, lt=Decimal("1e9"), allow_inf_nan=False)
    prices: dict[str, Decimal] | None = Field(default=None, min_length=1, max_length=2000)
    starts_at: str = Field(min_length=10, max_length=40)
    ends_at: str = Field(min_length=10, max_length=40)
    method: Literal["price", "discount"] = "price"
    #: dry-run this sale whatever the store's mode: the exact price changes, nothing applied
    dry_run: bool = False
    #: a quantity break ("3+ units, 15% off"): only with method "discount" (Shopify)
    min_quantity: int | None = Field(default=None, ge=2, le=10_000)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.strip() or not value.isprintable():
            raise ValueError("must be printable text")
        return value.strip()

    @field_validator("product_ids", "collection_ids", "skus")
    @classmethod
    def _ids(cls, values: list[str] | None) -> list[str] | None:
        import re

        for value in values or []:
            if not re.match(_ID, value):
                raise ValueError(f"{value[:40]!r} is not an id (1-80 of A-Z a-z 0-9 _ : / . -)")
        return values

    @field_validator("tags")
    @classmethod
    def _tags(cls, values: list[str] | None) -> list[str] | None:
        for value in values or []:
            if not value.strip() or len(value) > 255 or not value.isprintable():
                raise ValueError("each tag is 1-255 printable characters")
        return values

    @field_validator("prices")
    @classmethod
    def _prices(cls, values: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        for key, price in (values or {}).items():
            if not key or len(key) > 80:
                raise ValueError("each key is a variant id or SKU of 1-80 characters")
            if not price.is_finite() or price < 0 or price >= Decimal("1e9"):
                raise ValueError(f"price of {key[:40]!r} must be a number from 0")
        return values

    @model_validator(mode="after")
    def _one_of_each(self) -> SaleInput:
        chosen = [name for name in SELECTORS if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(f"give exactly one of {', '.join(SELECTORS)}")
        how = [name for name in DISCOUNTS if getattr(self, name) is not None]
        if len(how) != 1:
            raise ValueError(f"give exactly one of {', '.join(DISCOUNTS)}")
        if self.min_quantity is not None and self.method != "discount":
            raise ValueError("min_quantity (a quantity break) needs method 'discount'")
        return self

    @property
    def selector(self) -> tuple[str, list[str]]:
        for name in SELECTORS:
            value = getattr(self, name)
            if value is not None:
                return name, list(value)
        raise AssertionError("validated: one selector")

    @property
    def discount(self) -> Discount:
        return Discount(percent_off=self.percent_off, amount_off=self.amount_off, prices=self.prices)


class Progress(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    done: int = 0
    total: int = 0


class Offer(BaseModel):
    """What a bundle or gift discount names beyond a sale's fields, and (a gift) whether its discount
    is paused now."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    #: a bundle: [A, B] (Shopify: buy A, get B at the percent off)
    bundle: list[str] = Field(default_factory=list)
    #: a gift: the qualifying items (Shopify), the minimum quantity or amount spent, the gift
    buy_product_ids: list[str] = Field(default_factory=list)
    buy_collection_ids: list[str] = Field(default_factory=list)
    min_quantity: int | None = None
    min_subtotal: Decimal | None = None
    gift_product_id: str | None = None
    gift_variant_id: str | None = None
    #: the gift sold out and its discount is paused (deactivated); pauses and resumes so far
    paused: bool = False
    toggles: int = 0
    #: WooCommerce: the cart minimum storeflow set on the coupon (from the prices read at the start)
    minimum_amount: Decimal | None = None


class Sale(BaseModel):
    """A sale as kept: its window (UTC), what it selects, how it prices, and where it is."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    job_id: str
    store_id: str
    kind: Literal["sale", "bundle", "gift"] = "sale"
    name: str
    method: Literal["price", "discount"]
    selector: str
    selected: list[str]
    discount: Discount
    currency: str
    timezone: str
    starts_at: str
    ends_at: str
    dry_run: bool = False
    min_quantity: int | None = None
    #: a bundle's or gift's own terms (None: a sale)
    offer: Offer | None = None
    state: SaleState = "scheduled"
    phase: Phase | None = None
    cancel_requested: bool = False
    #: every selected variant's price is recorded (the start goes on to change them)
    recorded: bool = False
    progress: Progress = Progress()
    #: per-variant outcomes counted (restored, kept, gone, skipped, ...)
    outcomes: dict[str, int] = Field(default_factory=dict)
    reason: str | None = None
    #: the platform discount a `discount` sale created (Shopify id / WooCommerce coupon id)
    discount_id: str | None = None
    #: the call that creates it (in dry-run: the one going live would send)
    discount_call: dict[str, Any] | None = None
    note: str | None = None
    api_calls: int = 0
    throttled: int = 0
    created_at: str
    updated_at: str

    def view(self) -> dict[str, Any]:
        """What the schedules listing and GET show (times in UTC and in the store's zone)."""
        zone = ZoneInfo(self.timezone)

        def local(text: str) -> str:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).isoformat()

        data = self.model_dump(mode="json")
        return {
            **data,
            "starts_at_local": local(self.starts_at),
            "ends_at_local": local(self.ends_at),
            "due_at": self.starts_at,
            "status": self.state,
        }


def new_sale(
    body: SaleInput, store_id: str, job_id: str, currency: str, timezone: str, now: datetime
) -> Sale:
    name, selected = body.selector
    return Sale(
        job_id=job_id,
        store_id=store_id,
        name=body.name,
        method=body.method,
        selector=name,
        selected=selected,
        discount=body.discount,
        currency=currency,
        timezone=timezone,
        starts_at=iso(local_time(body.starts_at, timezone)),
        ends_at=iso(local_time(body.ends_at, timezone)),
        dry_run=body.dry_run,
        min_quantity=body.min_quantity,
        created_at=iso(now),
        updated_at=iso(now),
    )


class SaleEdit(BaseModel):
    """Body of PATCH /stores/{id}/schedules/{job_id} for a sale: what changes (the rest stays)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: str | None = Field(default=None, min_length=10, max_length=40)
    ends_at: str | None = Field(default=None, min_length=10, max_length=40)
    percent_off: Decimal | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)
    amount_off: Decimal | None = Field(default=None, gt=0, lt=Decimal("1e9"), allow_inf_nan=False)
    prices: dict[str, Decimal] | None = Field(default=None, min_length=1, max_length=2000)

    _printable = field_validator("name")(SaleInput._printable.__func__)  # type: ignore[attr-defined]
    _prices = field_validator("prices")(SaleInput._prices.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _one_discount(self) -> SaleEdit:
        if len([n for n in DISCOUNTS if getattr(self, n) is not None]) > 1:
            raise ValueError(f"give at most one of {', '.join(DISCOUNTS)}")
        return self

    @property
    def discount(self) -> Discount | None:
        if self.percent_off is None and self.amount_off is None and self.prices is None:
            return None
        return Discount(percent_off=self.percent_off, amount_off=self.amount_off, prices=self.prices)


_NUMBER_ID = r"^(gid://shopify/[A-Za-z]+/)?[0-9]{1,20}$"


def _number_ids(values: list[str]) -> list[str]:
    import re

    for value in values:
        if not re.match(_NUMBER_ID, value):
            raise ValueError(f"{value[:40]!r} is not an id (a number or a gid://shopify/... id)")
    return [value.rsplit("/", 1)[-1] for value in values]


class BundleInput(BaseModel):
    """Body of POST /stores/{id}/schedules for a bundle: "buy A and B together, X% off"."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["bundle"]
    name: str = Field(min_length=1, max_length=200)
    #: [A, B]: the two products bought together
    product_ids: list[str] = Field(min_length=2, max_length=2)
    percent_off: Decimal = Field(gt=0, le=100, allow_inf_nan=False)
    starts_at: str = Field(min_length=10, max_length=40)
    ends_at: str = Field(min_length=10, max_length=40)
    dry_run: bool = False

    _printable = field_validator("name")(SaleInput._printable.__func__)  # type: ignore[attr-defined]

    @field_validator("product_ids")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        ids = _number_ids(values)
        if len(set(ids)) != len(ids):
            raise ValueError("name two different products")
        return ids


class GiftInput(BaseModel):
    """Body of POST /stores/{id}/schedules for a free gift with purchase."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["gift"]
    name: str = Field(min_length=1, max_length=200)
    gift_product_id: str = Field(min_length=1, max_length=60)
    gift_variant_id: str = Field(min_length=1, max_length=60)
    #: what qualifies (Shopify: one of these, with min_quantity or min_subtotal)
    buy_product_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    buy_collection_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    min_quantity: int | None = Field(default=None, ge=1, le=10_000)
    min_subtotal: Decimal | None = Field(default=None, gt=0, lt=Decimal("1e9"), allow_inf_nan=False)
    starts_at: str = Field(min_length=10, max_length=40)
    ends_at: str = Field(min_length=10, max_length=40)
    dry_run: bool = False

    _printable = field_validator("name")(SaleInput._printable.__func__)  # type: ignore[attr-defined]

    @field_validator("gift_product_id", "gift_variant_id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _number_ids([value])[0]

    @field_validator("buy_product_ids", "buy_collection_ids")
    @classmethod
    def _ids(cls, values: list[str] | None) -> list[str] | None:
        return _number_ids(values) if values is not None else None

    @model_validator(mode="after")
    def _one_condition(self) -> GiftInput:
        if self.buy_product_ids is not None and self.buy_collection_ids is not None:
            raise ValueError("give at most one of buy_product_ids, buy_collection_ids")
        if (self.min_quantity is None) == (self.min_subtotal is None):
            raise ValueError("give exactly one of min_quantity, min_subtotal")
        return self


def new_offer_sale(
    body: BundleInput | GiftInput, store_id: str, job_id: str, currency: str, timezone: str, now: datetime
) -> Sale:
    """A bundle or gift kept as a discount sale (the same steps start and end it)."""
    if isinstance(body, BundleInput):
        offer = Offer(bundle=list(body.product_ids))
        selector, selected = "product_ids", list(body.product_ids)
        discount = Discount(percent_off=body.percent_off)
    else:
        offer = Offer(
            buy_product_ids=list(body.buy_product_ids or []),
            buy_collection_ids=list(body.buy_collection_ids or []),
            min_quantity=body.min_quantity,
            min_subtotal=body.min_subtotal,
            gift_product_id=body.gift_product_id,
            gift_variant_id=body.gift_variant_id,
        )
        selector, selected = "product_ids", [body.gift_product_id]
        discount = Discount(percent_off=Decimal(100))
    return Sale(
        job_id=job_id,
        store_id=store_id,
        kind=body.kind,
        name=body.name,
        method="discount",
        selector=selector,
        selected=selected,
        discount=discount,
        currency=currency,
        timezone=timezone,
        starts_at=iso(local_time(body.starts_at, timezone)),
        ends_at=iso(local_time(body.ends_at, timezone)),
        dry_run=body.dry_run,
        offer=offer,
        created_at=iso(now),
        updated_at=iso(now),
    )
