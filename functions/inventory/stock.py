"""A product's stock as storeflow knows it, and the pure rules on it.

One DynamoDB item per product (storekit.keys.product_stock) holds, per variant: its level at each
location (Shopify inventory_levels/update) and the total a product event carried (Shopify
inventory_quantity, WooCommerce stock_quantity), whether its stock counts (tracked and not sold on
when out of stock), whether a low-stock alert is out (and how many crossings there were); and for the
product: whether it is published / its catalog visibility, whether it carries the sold-out tag, and
what storeflow changed when it sold out. Attributes are flat (`L#{variant}#{location}`), so two
locations' updates never overwrite each other.

Only tracked stock counts: a variant that is not tracked, or that keeps selling when out of stock
(Shopify inventory_policy "continue", WooCommerce backorders allowed), is never low or sold out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

#: attribute name prefixes of the stock item
LEVEL = "L#"
LEVEL_AT = "LAT#"
TOTAL = "T#"
TOTAL_AT = "TAT#"
COUNTED = "C#"
LOW = "LOW#"
CROSSINGS = "N#"
VARIANTS = "VARIANTS"
PUBLISHED = "PUB"
VISIBILITY = "VIS"
TAGS = "TAGS"
SOLD_OUT = "SOLDOUT"


def level_attr(variant_id: str, location_id: str) -> str:
    return f"{LEVEL}{variant_id}#{location_id}"


def level_at_attr(variant_id: str, location_id: str) -> str:
    return f"{LEVEL_AT}{variant_id}#{location_id}"


@dataclass(frozen=True)
class SoldOutChanges:
    """What storeflow changed when a product sold out, so a restock undoes exactly that."""

    #: "unpublished" (Shopify Online Store), "hidden" (WooCommerce catalog visibility), or None
    hid: str | None = None
    #: the WooCommerce catalog visibility before storeflow hid it (restored on restock)
    visibility_before: str | None = None
    #: storeflow added the sold-out tag
    tagged: bool = False

    def changed_anything(self) -> bool:
        return self.hid is not None or self.tagged

    def to_json(self) -> str:
        return json.dumps(
            {"hid": self.hid, "visibility_before": self.visibility_before, "tagged": self.tagged}
        )

    @classmethod
    def from_json(cls, text: str) -> SoldOutChanges:
        data = json.loads(text)
        return cls(
            hid=data.get("hid"),
            visibility_before=data.get("visibility_before"),
            tagged=bool(data.get("tagged")),
        )


@dataclass(frozen=True)
class StockState:
    """A product's stock item, read."""

    levels: dict[str, dict[str, int]] = field(default_factory=dict)
    level_at: dict[str, dict[str, str]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    #: variant -> its stock counts (tracked, not sold on when out); absent = not known
    counted: dict[str, bool] = field(default_factory=dict)
    #: variant -> the crossing number of the low-stock alert out for it (absent: armed)
    low: dict[str, int] = field(default_factory=dict)
    crossings: dict[str, int] = field(default_factory=dict)
    #: every variant of the product (from a full product event); empty = not known
    variants: tuple[str, ...] = ()
    published: bool | None = None
    visibility: str | None = None
    #: the product's tags (from its last full product event)
    tags: tuple[str, ...] = ()
    #: what storeflow changed when the product sold out; None = not sold out (as storeflow saw it)
    sold_out: SoldOutChanges | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> StockState:
        levels: dict[str, dict[str, int]] = {}
        level_at: dict[str, dict[str, str]] = {}
        totals: dict[str, int] = {}
        counted: dict[str, bool] = {}
        low: dict[str, int] = {}
        crossings: dict[str, int] = {}
        for name, value in item.items():
            if name.startswith(LEVEL_AT):
                variant, _, location = name.removeprefix(LEVEL_AT).partition("#")
                level_at.setdefault(variant, {})[location] = str(value)
            elif name.startswith(LEVEL):
                variant, _, location = name.removeprefix(LEVEL).partition("#")
                levels.setdefault(variant, {})[location] = int(value)
            elif name.startswith(TOTAL_AT):
                continue
            elif name.startswith(TOTAL):
                totals[name.removeprefix(TOTAL)] = int(value)
            elif name.startswith(COUNTED):
                counted[name.removeprefix(COUNTED)] = bool(value)
            elif name.startswith(LOW):
                low[name.removeprefix(LOW)] = int(value)
            elif name.startswith(CROSSINGS):
                crossings[name.removeprefix(CROSSINGS)] = int(value)
        sold_out = item.get(SOLD_OUT)
        published = item.get(PUBLISHED)
        return cls(
            levels=levels,
            level_at=level_at,
            totals=totals,
            counted=counted,
            low=low,
            crossings=crossings,
            variants=tuple(str(v) for v in item.get(VARIANTS) or ()),
            published=bool(published) if published is not None else None,
            visibility=str(item[VISIBILITY]) if item.get(VISIBILITY) else None,
            tags=tuple(str(t) for t in item.get(TAGS) or ()),
            sold_out=SoldOutChanges.from_json(str(sold_out)) if sold_out else None,
        )

    def available(self, variant_id: str, location_id: str | None = None) -> int | None:
        """A variant's available stock: at one location, or summed across the locations storeflow
        has seen (else the total a product event carried); None when not known."""
        levels = self.levels.get(variant_id, {})
        if location_id is not None:
            return levels.get(location_id)
        if levels:
            return sum(levels.values())
        return self.totals.get(variant_id)

    def with_level(self, variant_id: str, location_id: str, quantity: int) -> StockState:
        levels = {**self.levels, variant_id: {**self.levels.get(variant_id, {}), location_id: quantity}}
        return _replace(self, levels=levels)

    def with_total(self, variant_id: str, quantity: int) -> StockState:
        return _replace(self, totals={**self.totals, variant_id: quantity})

    def has_tag(self, tag: str) -> bool:
        return tag.casefold() in {t.casefold() for t in self.tags}

    def with_counted(self, variant_id: str, counted: bool) -> StockState:
        return _replace(self, counted={**self.counted, variant_id: counted})

    def product_sold_out(self) -> bool | None:
        """Every counted variant at 0 (or below): True; some in stock: False; None when the
        product's variants are not known yet (no full product event seen), no variant counts, or a
        counted variant's stock is unknown."""
        counted = [v for v in self.variants if self.counted.get(v, False)]
        if not counted:
            return None
        amounts = [self.available(v) for v in counted]
        if any(a is None for a in amounts):
            return None
        return all(a is not None and a <= 0 for a in amounts)


def _replace(state: StockState, **changes: Any) -> StockState:
    from dataclasses import replace

    return replace(state, **changes)


Transition = Literal["crossed", "rearmed"]


def low_transition(
    state: StockState, variant_id: str, quantity: int | None, threshold: int, margin: int
) -> Transition | None:
    """A variant's low-stock state change at this quantity: "crossed" when it falls to the threshold
    or below while armed; "rearmed" when it rises above threshold + margin while an alert is out."""
    if quantity is None:
        return None
    alerted = variant_id in state.low
    if not alerted and quantity <= threshold:
        return "crossed"
    if alerted and quantity > threshold + margin:
        return "rearmed"
    return None


def next_crossing(state: StockState, variant_id: str) -> int:
    return state.crossings.get(variant_id, 0) + 1


def changes_when_sold_out(state: StockState, hide: bool, tag: str, platform: str) -> SoldOutChanges:
    """What storeflow changes when a product sells out: only what is not so already (a product the
    merchant had unpublished or hidden, or had tagged, is left as it is, and so is never "undone")."""
    if hide:
        if platform == "shopify":
            return SoldOutChanges(hid="unpublished") if state.published is True else SoldOutChanges()
        if state.visibility == "hidden":
            return SoldOutChanges()
        return SoldOutChanges(hid="hidden", visibility_before=state.visibility or "visible")
    return SoldOutChanges(tagged=not state.has_tag(tag))
