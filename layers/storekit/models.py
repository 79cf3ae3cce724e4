"""Canonical models every automation reads, whatever the platform. Money is Decimal, time is
timezone-aware UTC, ids are strings. Adapters (storekit.adapters) build these from webhooks."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

#: amounts a store can really charge: below 10**15 in any currency, at most 38 significant digits and
#: no finer than 10**-30 (what DynamoDB numbers and report counters can hold exactly)
MAX_MONEY_ADJUSTED_EXPONENT = 14
MIN_MONEY_EXPONENT = -30
MAX_MONEY_DIGITS = 38
#: counts (quantities, stock, orders) beyond this are not real
MAX_COUNT = 10**12


def to_money(value: Any) -> Decimal | None:
    """'10.00', 10, 10.5 -> Decimal (floats via their shortest repr, never binary noise)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("money must be a number or a decimal string")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("money must be finite")
        value = repr(value)
    if isinstance(value, str) and "_" in value:
        raise ValueError("money must be a decimal number")
    if isinstance(value, int | str | Decimal):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError("money must be a decimal number") from exc
        if not amount.is_finite():
            raise ValueError("money must be finite")
        return amount
    raise ValueError("money must be a number or a decimal string")


def plausible_money(amount: Decimal | None) -> Decimal | None:
    """Refuse amounts no store charges (1e300, 5e-324): they cannot be stored or summed exactly."""
    if amount is None or amount.is_zero():
        return amount
    exponent = amount.as_tuple().exponent
    if (
        amount.adjusted() > MAX_MONEY_ADJUSTED_EXPONENT
        or not isinstance(exponent, int)
        or exponent < MIN_MONEY_EXPONENT
        or len(amount.as_tuple().digits) > MAX_MONEY_DIGITS
    ):
        raise ValueError("money is out of range")
    return amount


def to_utc(value: Any) -> datetime | None:
    """ISO-8601 text or datetime -> aware UTC; a time without offset (WooCommerce *_gmt) is UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError("not an ISO-8601 time") from exc
    else:
        raise ValueError("time must be ISO-8601 text")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 at +05:00, year 9999 at -05:00
        raise ValueError("time is out of range") from exc


def to_id(value: Any) -> str | None:
    """Numbers and strings -> their text; ids are always compared as strings."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("id must be a number or a string")
    text = str(value).strip()
    if len(text) > 200:
        raise ValueError("id is too long")
    return text


def to_tags(value: Any) -> list[str]:
    """Shopify sends 'a, b'; WooCommerce sends [{"name": "a"}, ...]; lists of strings pass."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if isinstance(value, list):
        out = []
        for tag in value:
            if isinstance(tag, str):
                name = tag
            elif isinstance(tag, dict) and isinstance(tag.get("name"), str):
                name = tag["name"]
            else:
                raise ValueError("tags must be names")
            if name.strip():
                out.append(name.strip())
        return out
    raise ValueError("tags must be a comma-separated string or a list")


Money = Annotated[Decimal | None, BeforeValidator(to_money), AfterValidator(plausible_money)]
Time = Annotated[datetime | None, BeforeValidator(to_utc)]
Id = Annotated[str | None, BeforeValidator(to_id)]
Tags = Annotated[list[str], BeforeValidator(to_tags)]
Count = Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT)]


class Canonical(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Address(Canonical):
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None


class Customer(Canonical):
    kind: Literal["customer"] = "customer"
    id: Id = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    tags: list[str] = []
    accepts_email_marketing: bool = False
    accepts_sms_marketing: bool = False
    orders_count: Count | None = None
    total_spent: Money = None
    #: WooCommerce customer meta / Shopify metafields as "namespace.key" (text values): e.g. the
    #: consent or birthday key a store names
    meta: dict[str, str] = {}
    created_at: Time = None
    updated_at: Time = None


class LineItem(Canonical):
    id: Id = None
    product_id: Id = None
    variant_id: Id = None
    sku: str | None = None
    title: str | None = None
    variant_title: str | None = None
    quantity: Count = 0
    #: unit price before discounts
    price: Money = None
    #: discounts allocated to this line, all units together
    total_discount: Decimal = Decimal("0")


class DiscountCode(Canonical):
    code: str
    amount: Money = None
    type: str | None = None


class PaymentDetails(Canonical):
    gateway: str | None = None
    avs_result_code: str | None = None
    cvv_result_code: str | None = None
    credit_card_bin: str | None = None
    credit_card_company: str | None = None
    #: the card number's last four digits (from the masked number the platform sends)
    credit_card_last4: str | None = None


class Fulfillment(Canonical):
    kind: Literal["fulfillment"] = "fulfillment"
    id: Id = None
    order_id: Id = None
    status: str | None = None
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_numbers: list[str] = []
    tracking_urls: list[str] = []
    line_items: list[LineItem] = []
    #: who the shipment is for, when the platform says (Shopify: email and the destination's phone)
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    created_at: Time = None
    updated_at: Time = None

    @property
    def tracking_number(self) -> str | None:
        return self.tracking_numbers[0] if self.tracking_numbers else None

    @property
    def tracking_url(self) -> str | None:
        return self.tracking_urls[0] if self.tracking_urls else None


class RefundLine(Canonical):
    line_item_id: Id = None
    quantity: Count = 0
    #: the refunded amount for these units, positive
    subtotal: Money = None


class Refund(Canonical):
    kind: Literal["refund"] = "refund"
    id: Id = None
    order_id: Id = None
    note: str | None = None
    refund_line_items: list[RefundLine] = []
    #: money returned to the buyer (Shopify: successful refund transactions), positive
    total: Decimal = Decimal("0")
    restock: bool | None = None
    created_at: Time = None


class Order(Canonical):
    kind: Literal["order"] = "order"
    id: str
    name: str | None = None
    number: str | None = None
    email: str | None = None
    phone: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = []
    billing_address: Address | None = None
    shipping_address: Address | None = None
    discount_codes: list[DiscountCode] = []
    currency: str | None = None
    #: as ordered (Shopify total_price etc.; WooCommerce total); refunds are in `refunds`
    subtotal: Money = None
    total: Money = None
    total_tax: Money = None
    total_discounts: Money = None
    total_shipping: Money = None
    #: after edits and refunds (Shopify current_total_price; WooCommerce total minus refunds)
    current_total: Money = None
    #: tips the buyer added (Shopify total_tip_received); reports keep them apart from sales
    total_tip: Money = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    #: the platform's own order status (WooCommerce status; Shopify "cancelled" or None)
    status: str | None = None
    cancelled_at: Time = None
    cancel_reason: str | None = None
    #: when the money was taken (WooCommerce date_paid_gmt; Shopify says it by financial_status)
    paid_at: Time = None
    payment: PaymentDetails | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    accept_language: str | None = None
    source_name: str | None = None
    referring_site: str | None = None
    landing_site: str | None = None
    #: utm_* parameters (Shopify: landing_site query; WooCommerce: order-attribution meta)
    utm: dict[str, str] = {}
    #: WooCommerce order attribution's source type: utm, organic, referral, typein, admin, mobile_app
    attribution_source_type: str | None = None
    tags: list[str] = []
    note: str | None = None
    test: bool = False
    order_status_url: str | None = None
    accepts_marketing: bool = False
    #: the checkout and cart the order came from (Shopify): what ends an abandoned-checkout flow
    checkout_token: str | None = None
    cart_token: str | None = None
    fulfillments: list[Fulfillment] = []
    refunds: list[Refund] = []
    created_at: Time = None
    updated_at: Time = None


class Variant(Canonical):
    id: Id = None
    product_id: Id = None
    sku: str | None = None
    title: str | None = None
    price: Money = None
    compare_at_price: Money = None
    inventory_quantity: Count | None = None
    inventory_item_id: Id = None
    #: whether the platform counts this variant's stock (Shopify inventory_management, WooCommerce
    #: manage_stock); None = the payload does not say (Shopify 2024+ webhooks: see inventory_items)
    tracked: bool | None = None
    #: sold on when out of stock (Shopify inventory_policy "continue", WooCommerce backorders allowed)
    keeps_selling: bool = False
    #: WooCommerce stock_status: instock, outofstock, onbackorder
    stock_status: str | None = None


class Product(Canonical):
    kind: Literal["product"] = "product"
    id: str
    title: str | None = None
    handle: str | None = None
    status: Literal["active", "draft", "archived"] = "active"
    tags: list[str] = []
    vendor: str | None = None
    product_type: str | None = None
    variants: list[Variant] = []
    #: on the online store (Shopify: published_at set; WooCommerce: status publish); None = not said
    published: bool | None = None
    #: WooCommerce catalog_visibility: visible, catalog, search, hidden
    catalog_visibility: str | None = None
    #: WooCommerce category ids
    category_ids: list[str] = []
    #: WooCommerce: the ids of a variable product's variations
    variation_ids: list[str] = []
    created_at: Time = None
    updated_at: Time = None


class InventoryLevel(Canonical):
    kind: Literal["inventory"] = "inventory"
    inventory_item_id: str
    location_id: Id = None
    available: Count | None = None
    updated_at: Time = None


class InventoryItem(Canonical):
    kind: Literal["inventory_item"] = "inventory_item"
    id: str
    sku: str | None = None
    cost: Money = None
    tracked: bool | None = None
    updated_at: Time = None


class Checkout(Canonical):
    kind: Literal["checkout"] = "checkout"
    id: Id = None
    token: str
    cart_token: str | None = None
    email: str | None = None
    phone: str | None = None
    customer: Customer | None = None
    line_items: list[LineItem] = []
    currency: str | None = None
    subtotal: Money = None
    total: Money = None
    total_tax: Money = None
    total_discounts: Money = None
    abandoned_checkout_url: str | None = None
    accepts_marketing: bool = False
    accepts_sms_marketing: bool = False
    completed_at: Time = None
    created_at: Time = None
    updated_at: Time = None


class FulfillmentEvent(Canonical):
    kind: Literal["fulfillment_event"] = "fulfillment_event"
    id: str
    fulfillment_id: Id = None
    order_id: Id = None
    status: str | None = None
    message: str | None = None
    happened_at: Time = None
    estimated_delivery_at: Time = None
    updated_at: Time = None


class Transaction(Canonical):
    kind: Literal["transaction"] = "transaction"
    id: str
    order_id: Id = None
    transaction_kind: str | None = None
    status: str | None = None
    gateway: str | None = None
    amount: Money = None
    currency: str | None = None
    #: the card check results and card (Shopify: the transaction's payment_details)
    payment: PaymentDetails | None = None
    created_at: Time = None


class Dispute(Canonical):
    kind: Literal["dispute"] = "dispute"
    id: str
    order_id: Id = None
    type: str | None = None
    amount: Money = None
    currency: str | None = None
    reason: str | None = None
    status: str | None = None
    evidence_due_by: Time = None
    initiated_at: Time = None


class RiskAssessment(Canonical):
    kind: Literal["risk_assessment"] = "risk_assessment"
    order_id: Id = None
    provider_title: str | None = None
    risk_level: str | None = None
    created_at: Time = None


class Cart(Canonical):
    kind: Literal["cart"] = "cart"
    id: str
    token: str | None = None
    line_items: list[LineItem] = []
    created_at: Time = None
    updated_at: Time = None


class Shop(Canonical):
    kind: Literal["shop"] = "shop"
    id: Id = None
    domain: str | None = None
    myshopify_domain: str | None = None
    name: str | None = None
    currency: str | None = None
    iana_timezone: str | None = None


class PrivacyRequest(Canonical):
    """customers/redact, customers/data_request and shop/redact bodies."""

    kind: Literal["privacy_request"] = "privacy_request"
    shop_id: Id = None
    shop_domain: str | None = None
    customer_id: Id = None
    customer_email: str | None = None
    orders_to_redact: list[str] = []
    orders_requested: list[str] = []
    data_request_id: Id = None


Resource = Annotated[
    Order
    | Customer
    | Product
    | InventoryLevel
    | InventoryItem
    | Fulfillment
    | FulfillmentEvent
    | Checkout
    | Cart
    | Refund
    | Transaction
    | Dispute
    | RiskAssessment
    | Shop
    | PrivacyRequest,
    Field(discriminator="kind"),
]
