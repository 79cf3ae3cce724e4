"""Stock-hoarding guard: per-customer limits on limited products (by product id or SKU). A customer
is an email, IP address, card (BIN + last four) or shipping address: units of one limited product
bought by any of them within `window_hours`, this order included, above `max_units_per_customer`
-> tag, hold fulfillment, tell staff. Once per order. (Bots buying a drop out show up here and in
`risk-score`'s velocity signals.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field

from functions.fraud.facts import window_start
from functions.fraud.models import StaffAlert, Tag
from functions.fraud.risk import order_label, order_link, staff_alert
from functions.fraud.signals import identities
from storekit import keys
from storekit.actions import Action, AddTags, HoldFulfillment
from storekit.adapters import Topic
from storekit.automation import AppliedEvent, Automation, Context, Decision, Reader, nothing
from storekit.models import LineItem, Order, Product
from storekit.store import StoreConfig

HOARDING = "stock-hoarding"
#: a limited product's units are counted per identity in this dimension of the velocity counters
_UNITS = "units"
#: at most this many limited products of one order are checked (one batch read of their counters)
MAX_LIMITED_LINES = 10
_WORDS = {"email": "email", "ip": "IP address", "card": "card", "address": "shipping address"}


class HoardingSettings(StaffAlert):
    """`stock-hoarding`: which products are limited, and how many units one customer may buy."""

    limited_product_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=500
    )
    limited_skus: list[Annotated[str, Field(max_length=255)]] = Field(default_factory=list, max_length=500)
    #: products carrying this tag (products/create and products/update keep the set) are limited too
    limited_tag: Tag | None = None
    max_units_per_customer: int = Field(default=2, ge=1, le=100000)
    window_hours: int = Field(default=24, ge=1, le=720)
    tag: Tag = "limit-exceeded"
    hold_fulfillment: bool = True


def limited_units(
    order: Order, settings: HoardingSettings, tagged: frozenset[str] = frozenset()
) -> dict[str, tuple[int, str]]:
    """product id -> (units in this order, a name for it), for the limited products only (named in
    the settings, or `tagged` with limited_tag)."""
    found: dict[str, tuple[int, str]] = {}
    for line in order.line_items:
        product = line.product_id or line.sku
        if not product or not (is_limited(line, settings) or (line.product_id or "") in tagged):
            continue
        units, _ = found.get(product, (0, ""))
        found[product] = (units + max(line.quantity, 0), line.sku or line.title or f"product {product}")
    return dict(list(found.items())[:MAX_LIMITED_LINES])


def is_limited(line: LineItem, settings: HoardingSettings) -> bool:
    return bool(
        (line.product_id and line.product_id in settings.limited_product_ids)
        or (line.sku and line.sku in settings.limited_skus)
    )


@dataclass(frozen=True)
class EarlierUnits:
    """Units of each limited product bought before this order in the window, per identity."""

    units: dict[tuple[str, str], int] = field(default_factory=dict)
    #: the order's products that carry the store's limited_tag
    tagged: frozenset[str] = frozenset()


def _width(settings: HoardingSettings) -> int:
    return settings.window_hours * 3600


def _settings(store: StoreConfig | None) -> HoardingSettings | None:
    if store is None:
        return HoardingSettings()
    try:
        return HoardingSettings.model_validate(store.automation(HOARDING).settings)
    except ValueError:
        return None


def _epoch(order: Order, fallback: Any) -> int:
    moment = order.created_at or fallback
    return int(moment.timestamp()) if moment else 0


def _counter_keys(
    store_id: str, dimension: str, value: str, product: str, at: int, width: int
) -> list[keys.Key]:
    start = window_start(at, width)
    return [
        keys.fraud_velocity(store_id, f"{_UNITS}-{dimension}", f"{value}|{product}", w)
        for w in (start, start - width)
    ]


def tagged_products(order: Order, store_id: str, settings: HoardingSettings, repo: Any) -> frozenset[str]:
    """The order's products the store tagged limited_tag (one BatchGetItem; none without the tag)."""
    if settings.limited_tag is None:
        return frozenset()
    ids = sorted({line.product_id for line in order.line_items if line.product_id})[:MAX_LIMITED_LINES]
    if not ids:
        return frozenset()
    wanted = {product: keys.fraud_limited_product(store_id, product) for product in ids}
    found = repo.fraud_items(list(wanted.values()))
    return frozenset(p for p, k in wanted.items() if (k["PK"], k["SK"]) in found)


def units_before(order: Order, read: Reader) -> EarlierUnits:
    """The limited products' unit counters of the order's identities (one BatchGetItem; one more
    first for the products tagged limited_tag, when the store names one)."""
    settings = _settings(read.store)
    if settings is None:
        return EarlierUnits()
    tagged = tagged_products(order, read.store_id, settings, read.repo)
    limited = limited_units(order, settings, tagged)
    if not limited:
        return EarlierUnits(tagged=tagged)
    at, width = _epoch(order, read.now), _width(settings)
    wanted: dict[tuple[str, str], list[keys.Key]] = {}
    for dimension, value in identities(order, order.payment).items():
        for product in limited:
            wanted[(dimension, product)] = _counter_keys(read.store_id, dimension, value, product, at, width)
    items = read.repo.fraud_items([k for ks in wanted.values() for k in ks])
    own = f"o#{order.id}"
    units: dict[tuple[str, str], int] = {}
    for pair, counter_keys in wanted.items():
        total = 0
        for key in counter_keys:
            item = items.get((key["PK"], key["SK"]), {})
            for name, when in item.items():
                if name.startswith("o#") and name != own and at - width <= int(when) <= at:
                    total += int(item.get(f"u#{name[2:]}", 0))
        units[pair] = total
    return EarlierUnits(units, tagged)


def hoarding(order: Order, ctx: Context[HoardingSettings, EarlierUnits]) -> Decision:
    settings = ctx.settings
    if not settings.limited_product_ids and not settings.limited_skus and not settings.limited_tag:
        return nothing("no limited product set (settings limited_product_ids, limited_skus, limited_tag)")
    limited = limited_units(order, settings, ctx.related.tagged)
    if not limited:
        return nothing(f"{order_label(order)} has no limited product")
    found = identities(order, order.payment)
    over: list[str] = []
    for product, (units, name) in limited.items():
        for dimension in found:
            total = ctx.related.units.get((dimension, product), 0) + units
            if total > settings.max_units_per_customer:
                over.append(
                    f"{total} units of {name} from this {_WORDS[dimension]} within {settings.window_hours} h "
                    f"(limit {settings.max_units_per_customer})"
                )
                break
    if not over:
        return nothing(
            f"{order_label(order)}: limited products within "
            f"{settings.max_units_per_customer} units per customer"
        )
    once = f"hoarding:{order.id}"
    actions: list[Action] = [
        AddTags(resource="order", resource_id=order.id, tags=[settings.tag], once_per=once)
    ]
    why = "; ".join(over)
    if settings.hold_fulfillment:
        actions.append(
            HoldFulfillment(
                order_id=order.id, reason="other", notes=f"purchase limit: {why}"[:256], once_per=once
            )
        )
    alerts, no_alert = staff_alert(
        f"Purchase limit exceeded: {order_label(order)}",
        f"{why}\n{order_link(ctx.store, order.id)}",
        settings,
        once,
    )
    actions += alerts
    tail = f". Left out: {no_alert}" if no_alert else ""
    return Decision(actions, f"{order_label(order)}: {why}{tail}")


def keep_limited_units(applied: AppliedEvent) -> None:
    """An order created: its units of each limited product into its identities' counters (once)."""
    order = applied.parsed.resource
    if applied.topic != "order.created" or not isinstance(order, Order):
        return
    if not applied.store.automation(HOARDING).enabled:
        return
    settings = _settings(applied.store)
    if settings is None:
        return
    limited = limited_units(
        order, settings, tagged_products(order, applied.store.store_id, settings, applied.repo)
    )
    if not limited:
        return
    at, width = _epoch(order, applied.now), _width(settings)
    for dimension, value in identities(order, order.payment).items():
        for product, (units, _) in limited.items():
            applied.repo.note_velocity(
                applied.store.store_id,
                f"{_UNITS}-{dimension}",
                f"{value}|{product}",
                window_start(at, width),
                order.id,
                at,
                at + 2 * width + 86400,
                units=units,
            )


def keep_limited_products(applied: AppliedEvent) -> None:
    """A product created or updated: in the store's limited set while it carries limited_tag (case
    does not matter), out of it when the tag is taken off or the product is deleted."""
    product = applied.parsed.resource
    if not isinstance(product, Product) or not applied.store.automation(HOARDING).enabled:
        return
    settings = _settings(applied.store)
    if settings is None or settings.limited_tag is None:
        return
    tag = settings.limited_tag.casefold()
    limited = applied.topic != "product.deleted" and any(t.strip().casefold() == tag for t in product.tags)
    applied.repo.set_limited_product(applied.store.store_id, product.id, limited)


STOCK_HOARDING: Automation[Order, HoardingSettings, EarlierUnits] = Automation(
    name=HOARDING,
    description="Per-customer purchase limits on limited products: tag, hold and report an order "
    "over the limit",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=HoardingSettings,
    takes=(Order,),
    run=hoarding,
    load=units_before,
    #: products are kept only for their limited_tag (keep_limited_products)
    reads=frozenset({"product"}),
)
