"""What a price sale changes on each variant, and what its end puts back: pure, over Decimal.

At the start every affected variant's price and compare-at price are recorded (`VariantChange`),
then the variant gets compare-at = its old price and price = the sale price. At the end the
recorded values are put back, but only where the variant still shows exactly what the sale set:
a variant deleted meanwhile is skipped, and a price the merchant changed by hand during the sale
is kept. Both are said in the variant's `outcome`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from storekit.clients.prices import VariantPrice

#: ISO 4217 minor units of the currencies that do not have 2 (the rest round to cents)
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND"
_MINOR_UNITS: Mapping[str, int] = {
    **dict.fromkeys(_ZERO_DECIMAL.split(), 0),
    **dict.fromkeys(_THREE_DECIMAL.split(), 3),
}


def minor_units(currency: str) -> int:
    """Decimal places a price in `currency` is rounded to (JPY 0, KWD 3, most 2)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def in_currency(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


class Discount(BaseModel):
    """How a sale sets its price: one of `percent_off` (0-100), `amount_off`, or fixed `prices`
    (by variant id or SKU; a variant named in neither keeps its price)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    prices: dict[str, Decimal] | None = None


def sale_price(
    before: Decimal, discount: Discount, currency: str, variant_id: str = "", sku: str | None = None
) -> Decimal | None:
    """The variant's price during the sale (rounded the currency's way, never below 0), or None when
    the sale names no price for it (fixed `prices` without its id or SKU)."""
    if discount.percent_off is not None:
        price = before * (Decimal(100) - discount.percent_off) / Decimal(100)
    elif discount.amount_off is not None:
        price = before - discount.amount_off
    else:
        fixed = discount.prices or {}
        found = fixed.get(variant_id)
        if found is None and sku:
            found = fixed.get(sku)
        if found is None:
            return None
        price = found
    return max(in_currency(price, currency), in_currency(Decimal(0), currency))


Outcome = Literal[
    "recorded",  # recorded, not yet changed
    "planned",  # dry-run: would be changed to `sale_price`
    "on_sale",  # changed: shows the sale price now
    "skipped",  # never changed (why in `note`)
    "restored",  # put back to the recorded values
    "kept",  # the merchant changed it by hand during the sale: left as they set it
    "gone",  # deleted during the sale: nothing to put back
    "not_applied",  # the sale ended (or was cancelled) before this variant was changed
    "failed",  # the store refused to put it back (why in `note`)
]


class VariantChange(BaseModel):
    """One variant's record: before, during and after the sale."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    variant_id: str
    sku: str | None = None
    before_price: Decimal
    before_compare_at: Decimal | None = None
    sale_price: Decimal | None = None
    #: what the sale sets compare-at to: the price before the sale
    sale_compare_at: Decimal | None = None
    after_price: Decimal | None = None
    after_compare_at: Decimal | None = None
    outcome: Outcome = "recorded"
    note: str | None = None

    def view(self) -> dict[str, object]:
        """before / during / after as the admin API shows them."""

        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "variant_id": self.variant_id,
            "sku": self.sku,
            "before": {"price": money(self.before_price), "compare_at": money(self.before_compare_at)},
            "during": None
            if self.sale_price is None
            else {"price": money(self.sale_price), "compare_at": money(self.sale_compare_at)},
            "after": None
            if self.after_price is None
            else {"price": money(self.after_price), "compare_at": money(self.after_compare_at)},
            "outcome": self.outcome,
            "note": self.note,
        }


def record_start(variant: VariantPrice, discount: Discount, currency: str) -> VariantChange:
    """Record a variant's price and decide its sale price (skipped when the sale would not lower it)."""
    base = VariantChange(
        variant_id=variant.variant_id,
        sku=variant.sku,
        before_price=variant.price,
        before_compare_at=variant.compare_at,
    )
    price = sale_price(variant.price, discount, currency, variant.variant_id, variant.sku)
    if price is None:
        return base.model_copy(update={"outcome": "skipped", "note": "the sale names no price for it"})
    if price >= variant.price:
        return base.model_copy(
            update={
                "outcome": "skipped",
                "note": f"sale price {price} is not below its price {variant.price}",
            }
        )
    return base.model_copy(update={"sale_price": price, "sale_compare_at": variant.price})


def reprice(change: VariantChange, discount: Discount, currency: str) -> VariantChange:
    """The same recorded variant under an edited discount (the sale price is always figured from the
    recorded price, never from what the store shows during the sale: a sale never applies twice)."""
    again = record_start(
        VariantPrice(
            product_id="",
            variant_id=change.variant_id,
            sku=change.sku,
            price=change.before_price,
            compare_at=change.before_compare_at,
        ),
        discount,
        currency,
    )
    return change.model_copy(
        update={"sale_price": again.sale_price, "sale_compare_at": again.sale_compare_at, "note": again.note}
    )


def shows_sale(change: VariantChange, now: VariantPrice) -> bool:
    """True while the variant shows exactly what the sale set (nobody changed it by hand)."""
    return now.price == change.sale_price and now.compare_at == change.sale_compare_at


def restore_decision(change: VariantChange, now: VariantPrice | None) -> VariantChange:
    """What the end of the sale does to one variant: put back the recorded price and compare-at when
    it still shows the sale's; skip it when deleted; keep a price the merchant set by hand."""
    if change.outcome in ("restored", "kept", "gone", "skipped", "not_applied", "failed"):
        return change  # decided already (an end step that runs again decides nothing twice)
    if change.outcome in ("recorded", "planned"):
        note = "dry-run: nothing was changed" if change.outcome == "planned" else "the sale ended first"
        return change.model_copy(update={"outcome": "not_applied", "note": note})
    if now is None:
        return change.model_copy(
            update={"outcome": "gone", "note": "variant was deleted during the sale: nothing to restore"}
        )
    if (now.price, now.compare_at) == (change.before_price, change.before_compare_at):
        # shows the recorded prices already (an end step that stopped midway put them back)
        return change.model_copy(
            update={"outcome": "restored", "after_price": now.price, "after_compare_at": now.compare_at}
        )
    if not shows_sale(change, now):
        return change.model_copy(
            update={
                "outcome": "kept",
                "after_price": now.price,
                "after_compare_at": now.compare_at,
                "note": f"changed by hand during the sale to {now.price}"
                + (f" (compare-at {now.compare_at})" if now.compare_at is not None else "")
                + ": kept",
            }
        )
    return change.model_copy(
        update={
            "outcome": "restored",
            "after_price": change.before_price,
            "after_compare_at": change.before_compare_at,
            "note": None,
        }
    )
