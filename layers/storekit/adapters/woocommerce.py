"""WooCommerce webhook bodies (exactly the REST API v3 resource) -> canonical models.

Topics: order.created/updated/deleted/restored, product.*, customer.*. WooCommerce has no core
refund topic: storeflow accepts the refund resource under the custom topic `order_refund.created`
(add it as a custom "Action" webhook topic in WooCommerce). Times are the *_gmt fields (UTC).
A product variation body (it has a parent_id and no name) becomes a Product (id = the parent) holding
that one variant; its event's entity_id is the variation's own id (WordPress post ids never collide),
so updates of two variations of one product are ordered independently. A simple or variable product
becomes a Product with one variant carrying the product's own sku, price and stock.
Order attribution (WooCommerce 8.5+ `_wc_order_attribution_*` meta) fills utm, referring_site,
landing_site and attribution_source_type; the Shipment Tracking extension's
`_wc_shipment_tracking_items` meta becomes Order.fulfillments. Names are HTML-unescaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from storekit import models as m
from storekit.adapters.base import EntityKind, Family, Topic, utm_params
from storekit.errors import MalformedPayload
from storekit.models import Count, Id, Money, Tags, Time

TOPICS: dict[str, Topic] = {
    "order.created": Topic.ORDER_CREATED,
    "order.updated": Topic.ORDER_UPDATED,
    "order.restored": Topic.ORDER_UPDATED,
    "order.deleted": Topic.ORDER_DELETED,
    "order_refund.created": Topic.REFUND_CREATED,
    "product.created": Topic.PRODUCT_CREATED,
    "product.updated": Topic.PRODUCT_UPDATED,
    "product.restored": Topic.PRODUCT_UPDATED,
    "product.deleted": Topic.PRODUCT_DELETED,
    "customer.created": Topic.CUSTOMER_CREATED,
    "customer.updated": Topic.CUSTOMER_UPDATED,
    "customer.deleted": Topic.CUSTOMER_DELETED,
}

_FINANCIAL = {
    "pending": "pending",
    "on-hold": "pending",
    "processing": "paid",
    "completed": "paid",
    "cancelled": "voided",
    "refunded": "refunded",
    "failed": "failed",
}
#: WordPress post status -> canonical product status (private products are not for sale: draft)
_PRODUCT_STATUS = {
    "publish": "active",
    "future": "draft",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
    "trash": "archived",
}
ATTRIBUTION_PREFIX = "_wc_order_attribution_"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
#: what WooCommerce's attribution script writes when it knows nothing
ATTRIBUTION_NOTHING = frozenset({"", "(none)", "(direct)"})
SHIPMENT_TRACKING_META = "_wc_shipment_tracking_items"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class WMeta(_Shape):
    key: str | None = None
    value: Any = None


class WAddress(_Shape):
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None

    def canonical(self) -> m.Address:
        return m.Address(
            first_name=self.first_name or None,
            last_name=self.last_name or None,
            company=self.company or None,
            address1=self.address_1 or None,
            address2=self.address_2 or None,
            city=self.city or None,
            province_code=self.state or None,
            zip=self.postcode or None,
            country_code=self.country or None,
            phone=self.phone or None,
        )


class WLineItem(_Shape):
    id: Id = None
    name: str | None = None
    product_id: Id = None
    variation_id: Id = None
    quantity: Count = 0
    subtotal: Money = None
    total: Money = None
    sku: str | None = None
    price: Money = None

    def canonical(self) -> m.LineItem:
        discount = (self.subtotal or Decimal("0")) - (self.total or Decimal("0"))
        return m.LineItem(
            id=self.id,
            product_id=_post_id(self.product_id),
            variant_id=_post_id(self.variation_id),
            sku=self.sku or None,
            title=_unescaped(self.name),
            quantity=self.quantity,
            price=self.price,
            total_discount=max(discount, Decimal("0")),
        )


class WCoupon(_Shape):
    code: str | None = None
    discount: Money = None


def _post_id(value: str | None) -> str | None:
    """WordPress says 0 for 'none' (a guest, a simple product's variation, a deleted product)."""
    return value if value not in (None, "", "0") else None


def _unescaped(name: str | None) -> str | None:
    """WooCommerce returns names HTML-escaped ('Ship Your Idea &ndash; Black')."""
    return html.unescape(name) if name else name


class WShippingLine(_Shape):
    total: Money = None


class WFeeLine(_Shape):
    name: str | None = None
    total: Money = None


#: WooCommerce has no tip field: tip plugins add a fee line named like these (whole words, any case)
TIP_FEE_NAME = re.compile(
    r"(?<![\w-])(tips?|gratuity|trinkgeld|pourboire|propina|fooi)(?![\w-])", re.IGNORECASE
)


def tips_of(fees: list[WFeeLine]) -> Decimal | None:
    """The order's tip: the sum of its tip-named fee lines (None when it has none)."""
    tips = [fee.total or Decimal("0") for fee in fees if fee.name and TIP_FEE_NAME.search(fee.name)]
    return sum(tips, Decimal("0")) if tips else None


class WRefundSummary(_Shape):
    id: Id = None
    total: Money = None
    reason: str | None = None


class WOrder(_Shape):
    id: Id = None
    number: Id = None
    status: str | None = None
    currency: str | None = None
    created_via: str | None = None
    date_created_gmt: Time = None
    date_modified_gmt: Time = None
    date_paid_gmt: Time = None
    discount_total: Money = None
    shipping_total: Money = None
    total: Money = None
    total_tax: Money = None
    customer_id: Id = None
    customer_ip_address: str | None = None
    customer_user_agent: str | None = None
    customer_note: str | None = None
    billing: WAddress | None = None
    shipping: WAddress | None = None
    payment_method: str | None = None
    payment_method_title: str | None = None
    meta_data: list[WMeta] = []
    line_items: list[WLineItem] = []
    shipping_lines: list[WShippingLine] = []
    coupon_lines: list[WCoupon] = []
    fee_lines: list[WFeeLine] = []
    refunds: list[WRefundSummary] = []

    def canonical(self) -> m.Order:
        if not self.id:
            raise MalformedPayload("order has no id")
        billing = self.billing or WAddress()
        meta = {item.key: item.value for item in self.meta_data if item.key}
        attribution = {
            k[len(ATTRIBUTION_PREFIX) :]: v for k, v in meta.items() if k.startswith(ATTRIBUTION_PREFIX)
        }
        landing_site = _attribution_text(attribution.get("session_entry"))
        utm = utm_params(landing_site) | {
            key: value for key in UTM_KEYS if (value := _attribution_text(attribution.get(key)))
        }
        subtotal = sum((li.subtotal or Decimal("0") for li in self.line_items), Decimal("0"))
        refunded = sum((abs(r.total or Decimal("0")) for r in self.refunds), Decimal("0"))
        customer = None
        if _post_id(self.customer_id):
            customer = m.Customer(
                id=self.customer_id,
                email=billing.email or None,
                phone=billing.phone or None,
                first_name=billing.first_name or None,
                last_name=billing.last_name or None,
            )
        return m.Order(
            id=self.id,
            name=f"#{self.number or self.id}",
            number=self.number,
            email=billing.email or None,
            phone=billing.phone or None,
            customer=customer,
            line_items=[li.canonical() for li in self.line_items],
            billing_address=billing.canonical() if self.billing else None,
            shipping_address=self.shipping.canonical() if self.shipping else None,
            discount_codes=[
                m.DiscountCode(code=c.code, amount=c.discount) for c in self.coupon_lines if c.code
            ],
            currency=self.currency,
            subtotal=subtotal,
            total=self.total,
            total_tax=self.total_tax,
            total_discounts=self.discount_total,
            total_shipping=self.shipping_total,
            total_tip=tips_of(self.fee_lines),
            current_total=self.total - refunded if self.total is not None else None,
            financial_status=financial_status(self.status, refunded),
            fulfillment_status="fulfilled" if self.status == "completed" else None,
            status=self.status,
            paid_at=self.date_paid_gmt,
            payment=m.PaymentDetails(gateway=self.payment_method) if self.payment_method else None,
            client_ip=self.customer_ip_address or None,
            user_agent=self.customer_user_agent or None,
            source_name=self.created_via or None,
            referring_site=_attribution_text(attribution.get("referrer")),
            landing_site=landing_site,
            utm=utm,
            attribution_source_type=_attribution_text(attribution.get("source_type")),
            note=self.customer_note or None,
            fulfillments=shipment_tracking(self.id, meta.get(SHIPMENT_TRACKING_META)),
            refunds=[
                m.Refund(id=r.id, order_id=self.id, note=r.reason or None, total=abs(r.total or Decimal("0")))
                for r in self.refunds
            ],
            created_at=self.date_created_gmt,
            updated_at=self.date_modified_gmt,
        )


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


def financial_status(status: str | None, refunded: Decimal) -> str | None:
    """WooCommerce's one order status, read as Shopify's financial_status."""
    paid = _FINANCIAL.get(status or "")
    if paid == "paid" and refunded > 0:
        return "partially_refunded"
    return paid


def _attribution_text(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() not in ATTRIBUTION_NOTHING else None


def _unix_time(value: Any) -> datetime | None:
    """The Shipment Tracking extension keeps date_shipped as unix seconds ('1711929600')."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise ValueError("date_shipped must be unix seconds")
    try:
        return datetime.fromtimestamp(int(str(value).strip()), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("date_shipped is out of range") from exc


class WTracking(_Shape):
    tracking_id: Id = None
    tracking_provider: str | None = None
    custom_tracking_provider: str | None = None
    tracking_number: Id = None
    custom_tracking_link: str | None = None
    date_shipped: Annotated[datetime | None, BeforeValidator(_unix_time)] = None


def shipment_tracking(order_id: str, value: Any) -> list[m.Fulfillment]:
    """The Shipment Tracking extension's `_wc_shipment_tracking_items` meta -> fulfillments.

    Items the extension left in a shape we cannot read are left out: the order itself still counts
    (WooCommerce never redelivers a refused webhook).
    """
    if not isinstance(value, list):
        return []
    out = []
    for raw in value:
        try:
            item = WTracking.model_validate(raw)
        except ValidationError:
            continue
        out.append(
            m.Fulfillment(
                id=item.tracking_id,
                order_id=order_id,
                status="success",
                tracking_company=item.tracking_provider or item.custom_tracking_provider or None,
                tracking_numbers=[item.tracking_number] if item.tracking_number else [],
                tracking_urls=[item.custom_tracking_link] if item.custom_tracking_link else [],
                created_at=item.date_shipped,
            )
        )
    return out


class WLink(_Shape):
    href: str


class WLinks(_Shape):
    up: list[WLink] = []


def _up_id(links: WLinks | None) -> str | None:
    """The id at the end of a resource's `_links.up` (its order, or a variation's product)."""
    if links and links.up:
        return links.up[0].href.rstrip("/").rsplit("/", 1)[-1] or None
    return None


class WCategory(_Shape):
    id: Id = None


class WProduct(_Shape):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    id: Id = None
    parent_id: Id = None
    name: str | None = None
    slug: str | None = None
    #: a published documentation example has `true` here; anything but text means "unknown"
    status: str | bool | None = None
    sku: str | None = None
    price: Money = None
    regular_price: Money = None
    sale_price: Money = None
    stock_quantity: Count | None = None
    #: true, false, or "parent" (a variation whose parent manages its stock)
    manage_stock: bool | str | None = None
    stock_status: str | None = None
    backorders: str | None = None
    catalog_visibility: str | None = None
    categories: list[WCategory] = []
    variations: list[Id] = []
    tags: Tags = []
    type: str | None = None
    date_created_gmt: Time = None
    date_modified_gmt: Time = None
    links: WLinks | None = Field(default=None, alias="_links")

    def canonical(self) -> m.Product:
        if not self.id:
            raise MalformedPayload("product has no id")
        status = (
            _PRODUCT_STATUS.get(self.status.lower(), "active") if isinstance(self.status, str) else "active"
        )
        parent = _post_id(self.parent_id)
        if not self.name and parent is None:
            parent = _up_id(self.links)
        product_id = parent if parent and not self.name else self.id
        # `price` is what a buyer pays now (a scheduled sale not yet started leaves it at regular_price)
        price = _first(self.price, self.sale_price, self.regular_price)
        was = self.regular_price if self.regular_price and price and self.regular_price > price else None
        variant = m.Variant(
            id=self.id,
            product_id=product_id,
            sku=self.sku or None,
            price=price,
            compare_at_price=was,
            inventory_quantity=self.stock_quantity,
            tracked=self.manage_stock if isinstance(self.manage_stock, bool) else None,
            keeps_selling=(self.backorders or "no").lower() in ("yes", "notify"),
            stock_status=self.stock_status,
        )
        return m.Product(
            id=product_id,
            title=_unescaped(self.name),
            handle=self.slug,
            status=status,
            tags=self.tags,
            product_type=self.type,
            variants=[variant],
            published=status == "active" if isinstance(self.status, str) else None,
            catalog_visibility=self.catalog_visibility,
            category_ids=[c.id for c in self.categories if c.id],
            variation_ids=[v for v in self.variations if v],
            created_at=self.date_created_gmt,
            updated_at=self.date_modified_gmt,
        )


class WCustomer(_Shape):
    id: Id = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    billing: WAddress | None = None
    is_paying_customer: bool | None = None
    meta_data: list[WMeta] = []
    date_created_gmt: Time = None
    date_modified_gmt: Time = None

    def canonical(self) -> m.Customer:
        return m.Customer(
            id=self.id,
            meta={
                item.key: str(item.value)
                for item in self.meta_data
                if item.key and isinstance(item.value, str | int | bool) and not item.key.startswith("_")
            },
            email=self.email or None,
            phone=(self.billing.phone or None) if self.billing else None,
            first_name=self.first_name or None,
            last_name=self.last_name or None,
            created_at=self.date_created_gmt,
            updated_at=self.date_modified_gmt,
        )


class WRefundLine(_Shape):
    id: Id = None
    quantity: Count = 0
    subtotal: Money = None
    meta_data: list[WMeta] = []

    def refunded_item_id(self) -> str | None:
        """The order line this refund line returns (`_refunded_item_id` meta; else its own id)."""
        for item in self.meta_data:
            if item.key == "_refunded_item_id" and isinstance(item.value, str | int):
                return str(item.value) or self.id
        return self.id


class WRefund(_Shape):
    id: Id = None
    order_id: Id = None
    amount: Money = None
    reason: str | None = None
    date_created_gmt: Time = None
    line_items: list[WRefundLine] = []
    links: WLinks | None = Field(default=None, alias="_links")

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    def canonical(self) -> m.Refund:
        order_id = self.order_id or _up_id(self.links)
        return m.Refund(
            id=self.id,
            order_id=order_id,
            note=self.reason or None,
            refund_line_items=[
                m.RefundLine(
                    line_item_id=li.refunded_item_id(),
                    quantity=abs(li.quantity),  # WooCommerce stores refunded lines negative
                    subtotal=abs(li.subtotal) if li.subtotal is not None else None,
                )
                for li in self.line_items
            ],
            total=abs(self.amount or Decimal("0")),
            created_at=self.date_created_gmt,
        )


def _own_id(what: str) -> Callable[[Any], tuple[str, datetime | None]]:
    """Key of a shape whose entity is itself, ordered by its date_modified_gmt when it has one."""

    def key(shape: Any) -> tuple[str, datetime | None]:
        if not shape.id:
            raise MalformedPayload(f"{what} has no id")
        return shape.id, getattr(shape, "date_modified_gmt", None)

    return key


def _customer(c: WCustomer) -> m.Customer:
    _own_id("customer")(c)
    return c.canonical()


def _refund(r: WRefund) -> m.Refund:
    _own_id("refund")(r)
    return r.canonical()


_ORDER = Family(WOrder, EntityKind.ORDER, _own_id("order"), WOrder.canonical)
#: a variation's event is keyed by the variation's own id (see the module's docstring)
_PRODUCT = Family(WProduct, EntityKind.PRODUCT, _own_id("product"), WProduct.canonical)
_CUSTOMER = Family(WCustomer, EntityKind.CUSTOMER, _own_id("customer"), _customer)

#: each topic's family: its raw shape, its event key and its canonical resource
FAMILIES: dict[Topic, Family] = {
    Topic.ORDER_CREATED: _ORDER,
    Topic.ORDER_UPDATED: _ORDER,
    Topic.ORDER_DELETED: _ORDER,
    Topic.REFUND_CREATED: Family(
        WRefund, EntityKind.REFUND, lambda r: (_own_id("refund")(r)[0], None), _refund
    ),
    Topic.PRODUCT_CREATED: _PRODUCT,
    Topic.PRODUCT_UPDATED: _PRODUCT,
    Topic.PRODUCT_DELETED: _PRODUCT,
    Topic.CUSTOMER_CREATED: _CUSTOMER,
    Topic.CUSTOMER_UPDATED: _CUSTOMER,
    Topic.CUSTOMER_DELETED: _CUSTOMER,
}
