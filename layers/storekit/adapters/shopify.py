"""Shopify webhook bodies (REST-shaped JSON, any API version since 2023) -> canonical models.

Some published sample bodies have ids above 2**53 rounded by a JavaScript JSON parser; the
admin_graphql_api_id keeps the true id, so ids are taken from its tail when present.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from storekit import models as m
from storekit.adapters.base import EntityKind, Family, Topic, gid_tail, utm_params
from storekit.errors import MalformedPayload
from storekit.models import Count, Id, Money, Tags, Time

TOPICS: dict[str, Topic] = {
    "orders/create": Topic.ORDER_CREATED,
    "orders/updated": Topic.ORDER_UPDATED,
    "orders/paid": Topic.ORDER_PAID,
    "orders/cancelled": Topic.ORDER_CANCELLED,
    "orders/fulfilled": Topic.ORDER_FULFILLED,
    "orders/partially_fulfilled": Topic.ORDER_UPDATED,
    "orders/delete": Topic.ORDER_DELETED,
    "orders/risk_assessment_changed": Topic.ORDER_RISK_CHANGED,
    "fulfillments/create": Topic.FULFILLMENT_CREATED,
    "fulfillments/update": Topic.FULFILLMENT_UPDATED,
    "fulfillment_events/create": Topic.FULFILLMENT_EVENT_CREATED,
    "refunds/create": Topic.REFUND_CREATED,
    "order_transactions/create": Topic.TRANSACTION_CREATED,
    "disputes/create": Topic.DISPUTE_CREATED,
    "checkouts/create": Topic.CHECKOUT_CREATED,
    "checkouts/update": Topic.CHECKOUT_UPDATED,
    "carts/update": Topic.CART_UPDATED,
    "carts/create": Topic.CART_UPDATED,
    "products/create": Topic.PRODUCT_CREATED,
    "products/update": Topic.PRODUCT_UPDATED,
    "products/delete": Topic.PRODUCT_DELETED,
    "variants/out_of_stock": Topic.VARIANT_OUT_OF_STOCK,
    "inventory_levels/update": Topic.INVENTORY_UPDATED,
    "inventory_items/update": Topic.INVENTORY_ITEM_UPDATED,
    "customers/create": Topic.CUSTOMER_CREATED,
    "customers/update": Topic.CUSTOMER_UPDATED,
    "customers/delete": Topic.CUSTOMER_DELETED,
    "app/uninstalled": Topic.APP_UNINSTALLED,
    "customers/redact": Topic.CUSTOMER_REDACT,
    "customers/data_request": Topic.CUSTOMER_DATA_REQUEST,
    "shop/redact": Topic.SHOP_REDACT,
}


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


def _true_id(raw_id: str | None, gid: str | None) -> str | None:
    return gid_tail(gid) or raw_id


class SAddress(_Shape):
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

    def canonical(self) -> m.Address:
        return m.Address(**self.model_dump())


class SConsent(_Shape):
    state: str | None = None


class SMetafield(_Shape):
    namespace: str | None = None
    key: str | None = None
    value: Any = None


class SCustomer(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    tags: Tags = []
    accepts_marketing: bool | None = None
    email_marketing_consent: SConsent | None = None
    sms_marketing_consent: SConsent | None = None
    #: present when the webhook subscription names metafield namespaces (metafieldNamespaces)
    metafields: list[SMetafield] = []
    orders_count: Count | None = None
    total_spent: Money = None
    created_at: Time = None
    updated_at: Time = None

    def canonical(self) -> m.Customer:
        email_consent = self.email_marketing_consent
        sms_consent = self.sms_marketing_consent
        return m.Customer(
            id=_true_id(self.id, self.admin_graphql_api_id),
            email=self.email,
            phone=self.phone,
            first_name=self.first_name,
            last_name=self.last_name,
            tags=self.tags,
            accepts_email_marketing=(email_consent.state == "subscribed")
            if email_consent
            else bool(self.accepts_marketing),
            accepts_sms_marketing=bool(sms_consent and sms_consent.state == "subscribed"),
            meta={
                f"{m.namespace}.{m.key}": str(m.value)
                for m in self.metafields
                if m.namespace and m.key and isinstance(m.value, str | int)
            },
            orders_count=self.orders_count,
            total_spent=self.total_spent,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class SDiscountAllocation(_Shape):
    amount: Money = None


class SLineItem(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    product_id: Id = None
    variant_id: Id = None
    sku: str | None = None
    title: str | None = None
    name: str | None = None
    variant_title: str | None = None
    quantity: Count = 0
    price: Money = None
    total_discount: Money = None
    discount_allocations: list[SDiscountAllocation] = []

    def canonical(self) -> m.LineItem:
        allocated = [a.amount for a in self.discount_allocations if a.amount is not None]
        return m.LineItem(
            id=_true_id(self.id, self.admin_graphql_api_id),
            product_id=self.product_id,
            variant_id=self.variant_id,
            sku=self.sku or None,
            title=self.title or self.name,
            variant_title=self.variant_title,
            quantity=self.quantity,
            price=self.price,
            # since 2019 discounts live in discount_allocations; total_discount is often "0.00" beside them
            total_discount=sum(allocated, Decimal("0")) if allocated else self.total_discount or Decimal("0"),
        )


class SDiscountCode(_Shape):
    code: str | None = None
    amount: Money = None
    type: str | None = None


class SPaymentDetails(_Shape):
    avs_result_code: str | None = None
    cvv_result_code: str | None = None
    credit_card_bin: str | None = None
    credit_card_company: str | None = None
    #: masked ("•••• •••• •••• 4242"): only its last four digits are kept
    credit_card_number: str | None = None

    def canonical(self, gateway: str | None) -> m.PaymentDetails:
        digits = "".join(ch for ch in self.credit_card_number or "" if ch.isdigit())
        return m.PaymentDetails(
            gateway=gateway,
            avs_result_code=self.avs_result_code or None,
            cvv_result_code=self.cvv_result_code or None,
            credit_card_bin=self.credit_card_bin or None,
            credit_card_company=self.credit_card_company or None,
            credit_card_last4=digits[-4:] if len(digits) >= 4 else None,
        )


class SClientDetails(_Shape):
    browser_ip: str | None = None
    user_agent: str | None = None
    accept_language: str | None = None


class SMoney(_Shape):
    amount: Money = None


class SMoneySet(_Shape):
    shop_money: SMoney | None = None


class SShippingLine(_Shape):
    price: Money = None


class SFulfillment(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    order_id: Id = None
    name: str | None = None
    email: str | None = None
    destination: SAddress | None = None
    status: str | None = None
    shipment_status: str | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: list[str] = []
    tracking_url: str | None = None
    tracking_urls: list[str] = []
    line_items: list[SLineItem] = []
    created_at: Time = None
    updated_at: Time = None

    def canonical(self) -> m.Fulfillment:
        numbers = self.tracking_numbers or ([self.tracking_number] if self.tracking_number else [])
        urls = self.tracking_urls or ([self.tracking_url] if self.tracking_url else [])
        return m.Fulfillment(
            id=_true_id(self.id, self.admin_graphql_api_id),
            order_id=self.order_id,
            status=self.status,
            shipment_status=self.shipment_status,
            tracking_company=self.tracking_company,
            tracking_numbers=numbers,
            tracking_urls=urls,
            line_items=[li.canonical() for li in self.line_items],
            email=self.email or None,
            phone=(self.destination.phone or None) if self.destination else None,
            name=self.name,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class SRefundLine(_Shape):
    line_item_id: Id = None
    quantity: Count = 0
    subtotal: Money = None


class STransaction(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    order_id: Id = None
    kind: str | None = None
    status: str | None = None
    gateway: str | None = None
    amount: Money = None
    currency: str | None = None
    payment_details: SPaymentDetails | None = None
    created_at: Time = None


class SRefund(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    order_id: Id = None
    note: str | None = None
    restock: bool | None = None
    refund_line_items: list[SRefundLine] = []
    transactions: list[STransaction] = []
    created_at: Time = None

    def canonical(self) -> m.Refund:
        refunded = [
            t.amount
            for t in self.transactions
            if t.kind == "refund" and t.status not in ("failure", "error") and t.amount
        ]
        return m.Refund(
            id=_true_id(self.id, self.admin_graphql_api_id),
            order_id=self.order_id,
            note=self.note,
            restock=self.restock,
            refund_line_items=[
                m.RefundLine(line_item_id=line.line_item_id, quantity=line.quantity, subtotal=line.subtotal)
                for line in self.refund_line_items
            ],
            total=sum(refunded, Decimal("0")),
            created_at=self.created_at,
        )


class SOrder(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    name: str | None = None
    order_number: Id = None
    number: Id = None
    email: str | None = None
    contact_email: str | None = None
    phone: str | None = None
    customer: SCustomer | None = None
    line_items: list[SLineItem] = []
    billing_address: SAddress | None = None
    shipping_address: SAddress | None = None
    discount_codes: list[SDiscountCode] = []
    currency: str | None = None
    subtotal_price: Money = None
    current_subtotal_price: Money = None
    total_price: Money = None
    current_total_price: Money = None
    total_tax: Money = None
    current_total_tax: Money = None
    total_discounts: Money = None
    current_total_discounts: Money = None
    total_tip_received: Money = None
    total_shipping_price_set: SMoneySet | None = None
    shipping_lines: list[SShippingLine] = []
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled_at: Time = None
    cancel_reason: str | None = None
    gateway: str | None = None
    payment_gateway_names: list[str] = []
    payment_details: SPaymentDetails | None = None
    browser_ip: str | None = None
    client_details: SClientDetails | None = None
    source_name: str | None = None
    referring_site: str | None = None
    landing_site: str | None = None
    tags: Tags = []
    note: str | None = None
    test: bool | None = False
    order_status_url: str | None = None
    buyer_accepts_marketing: bool | None = False
    checkout_token: str | None = None
    cart_token: str | None = None
    fulfillments: list[SFulfillment] = []
    refunds: list[SRefund] = []
    created_at: Time = None
    updated_at: Time = None

    def canonical(self) -> m.Order:
        order_id = _true_id(self.id, self.admin_graphql_api_id)
        if not order_id:
            raise MalformedPayload("order has no id")
        client = self.client_details or SClientDetails()
        shipping = self.total_shipping_price_set
        total_shipping = shipping.shop_money.amount if shipping and shipping.shop_money else None
        if total_shipping is None and self.shipping_lines:
            total_shipping = sum((line.price or Decimal("0") for line in self.shipping_lines), Decimal("0"))
        payment = None
        if self.payment_details or self.gateway or self.payment_gateway_names:
            details = self.payment_details or SPaymentDetails()
            payment = details.canonical(
                self.gateway or (self.payment_gateway_names[0] if self.payment_gateway_names else None)
            )
        return m.Order(
            id=order_id,
            name=self.name,
            number=self.order_number or self.number,
            email=self.email or self.contact_email or None,
            phone=self.phone,
            customer=self.customer.canonical() if self.customer and self.customer.id else None,
            line_items=[li.canonical() for li in self.line_items],
            billing_address=self.billing_address.canonical() if self.billing_address else None,
            shipping_address=self.shipping_address.canonical() if self.shipping_address else None,
            discount_codes=[
                m.DiscountCode(code=d.code, amount=d.amount, type=d.type)
                for d in self.discount_codes
                if d.code
            ],
            currency=self.currency,
            subtotal=_first(self.subtotal_price, self.current_subtotal_price),
            total=_first(self.total_price, self.current_total_price),
            total_tax=_first(self.total_tax, self.current_total_tax),
            total_discounts=_first(self.total_discounts, self.current_total_discounts),
            total_shipping=total_shipping,
            current_total=self.current_total_price,
            total_tip=self.total_tip_received,
            financial_status=self.financial_status,
            fulfillment_status=self.fulfillment_status,
            status="cancelled" if self.cancelled_at else None,
            cancelled_at=self.cancelled_at,
            cancel_reason=self.cancel_reason,
            payment=payment,
            client_ip=client.browser_ip or self.browser_ip,
            user_agent=client.user_agent,
            accept_language=client.accept_language,
            source_name=self.source_name,
            referring_site=self.referring_site or None,
            landing_site=self.landing_site or None,
            utm=utm_params(self.landing_site),
            tags=self.tags,
            note=self.note,
            test=bool(self.test),
            order_status_url=self.order_status_url,
            accepts_marketing=bool(self.buyer_accepts_marketing),
            checkout_token=self.checkout_token or None,
            cart_token=self.cart_token or None,
            fulfillments=[f.canonical() for f in self.fulfillments],
            refunds=[r.canonical() for r in self.refunds],
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


class SVariant(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    product_id: Id = None
    sku: str | None = None
    title: str | None = None
    price: Money = None
    compare_at_price: Money = None
    inventory_quantity: Count | None = None
    inventory_item_id: Id = None
    inventory_management: str | None = None
    inventory_policy: str | None = None
    updated_at: Time = None

    def canonical(self) -> m.Variant:
        tracked = bool(self.inventory_management) if "inventory_management" in self.model_fields_set else None
        return m.Variant(
            id=_true_id(self.id, self.admin_graphql_api_id),
            product_id=self.product_id,
            sku=self.sku or None,
            title=self.title,
            price=self.price,
            compare_at_price=self.compare_at_price,
            inventory_quantity=self.inventory_quantity,
            inventory_item_id=self.inventory_item_id,
            tracked=tracked,
            keeps_selling=(self.inventory_policy or "").lower() == "continue",
        )


class SProduct(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    title: str | None = None
    handle: str | None = None
    status: str | None = None
    published_at: Time = None
    tags: Tags = []
    vendor: str | None = None
    product_type: str | None = None
    variants: list[SVariant] = []
    created_at: Time = None
    updated_at: Time = None

    def canonical(self) -> m.Product:
        product_id = _true_id(self.id, self.admin_graphql_api_id)
        if not product_id:
            raise MalformedPayload("product has no id")
        status = (self.status or "active").lower()
        return m.Product(
            id=product_id,
            title=self.title,
            handle=self.handle,
            status=status if status in ("active", "draft", "archived") else "active",
            tags=self.tags,
            vendor=self.vendor,
            product_type=self.product_type,
            variants=[v.canonical() for v in self.variants],
            published=self.published_at is not None if "published_at" in self.model_fields_set else None,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class SInventoryLevel(_Shape):
    inventory_item_id: Id = None
    location_id: Id = None
    available: Count | None = None
    updated_at: Time = None


class SCheckout(_Shape):
    id: Id = None
    token: str | None = None
    cart_token: str | None = None
    email: str | None = None
    phone: str | None = None
    customer: SCustomer | None = None
    line_items: list[SLineItem] = []
    currency: str | None = None
    subtotal_price: Money = None
    total_price: Money = None
    total_tax: Money = None
    total_discounts: Money = None
    abandoned_checkout_url: str | None = None
    buyer_accepts_marketing: bool | None = False
    buyer_accepts_sms_marketing: bool | None = False
    completed_at: Time = None
    created_at: Time = None
    updated_at: Time = None


class SCart(_Shape):
    id: Id = None
    token: str | None = None
    line_items: list[SLineItem] = []
    created_at: Time = None
    updated_at: Time = None


class SPrivacyCustomer(_Shape):
    id: Id = None
    email: str | None = None


class SDataRequest(_Shape):
    id: Id = None


class SPrivacyRequest(_Shape):
    shop_id: Id = None
    shop_domain: str | None = None
    customer: SPrivacyCustomer | None = None
    orders_to_redact: list[Id] = []
    orders_requested: list[Id] = []
    data_request: SDataRequest | None = None


class SFulfillmentEvent(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    fulfillment_id: Id = None
    order_id: Id = None
    status: str | None = None
    message: str | None = None
    happened_at: Time = None
    estimated_delivery_at: Time = None
    updated_at: Time = None


class SDispute(_Shape):
    id: Id = None
    order_id: Id = None
    type: str | None = None
    amount: Money = None
    currency: str | None = None
    reason: str | None = None
    status: str | None = None
    evidence_due_by: Time = None
    initiated_at: Time = None


class SRisk(_Shape):
    order_id: Id = None
    provider_title: str | None = None
    risk_level: str | None = None
    created_at: Time = None


class SInventoryItem(_Shape):
    id: Id = None
    admin_graphql_api_id: str | None = None
    sku: str | None = None
    cost: Money = None
    tracked: bool | None = None
    updated_at: Time = None


class SShop(_Shape):
    id: Id = None
    domain: str | None = None
    myshopify_domain: str | None = None
    name: str | None = None
    currency: str | None = None
    iana_timezone: str | None = None


def _required(value: str | None, what: str) -> str:
    if not value:
        raise MalformedPayload(f"{what} has no id")
    return value


def _own_id(what: str) -> Callable[[Any], tuple[str, datetime | None]]:
    """Key of a shape whose entity is itself (id from admin_graphql_api_id's tail, else id)."""

    def key(shape: Any) -> tuple[str, datetime | None]:
        entity_id = _required(_true_id(shape.id, shape.admin_graphql_api_id), what)
        return entity_id, getattr(shape, "updated_at", None)

    return key


def _unordered(key: Callable[[Any], tuple[str, datetime | None]]) -> Callable[[Any], tuple[str, None]]:
    """The same key without updated_at: the event happened once, it is never stale."""
    return lambda shape: (key(shape)[0], None)


def _variant_product(v: SVariant) -> m.Product:
    return m.Product(id=_variant_key(v)[0], variants=[v.canonical()], updated_at=v.updated_at)


def _variant_key(v: SVariant) -> tuple[str, None]:
    return _required(v.product_id, "variant's product"), None


def _inventory_key(level: SInventoryLevel) -> tuple[str, datetime | None]:
    item_id = _required(level.inventory_item_id, "inventory level")
    return (f"{item_id}@{level.location_id}" if level.location_id else item_id), level.updated_at


def _inventory_level(level: SInventoryLevel) -> m.InventoryLevel:
    return m.InventoryLevel(
        inventory_item_id=_required(level.inventory_item_id, "inventory level"),
        location_id=level.location_id,
        available=level.available,
        updated_at=level.updated_at,
    )


def _inventory_item(item: SInventoryItem) -> m.InventoryItem:
    return m.InventoryItem(
        id=_own_id("inventory item")(item)[0],
        sku=item.sku or None,
        cost=item.cost,
        tracked=item.tracked,
        updated_at=item.updated_at,
    )


def _fulfillment_event(e: SFulfillmentEvent) -> m.FulfillmentEvent:
    event_id = _own_id("fulfillment event")(e)[0]
    return m.FulfillmentEvent(id=event_id, **e.model_dump(exclude={"id", "admin_graphql_api_id"}))


def _transaction(t: STransaction) -> m.Transaction:
    return m.Transaction(
        id=_own_id("transaction")(t)[0],
        order_id=t.order_id,
        transaction_kind=t.kind,
        status=t.status,
        gateway=t.gateway,
        amount=t.amount,
        currency=t.currency,
        payment=t.payment_details.canonical(t.gateway) if t.payment_details else None,
        created_at=t.created_at,
    )


def _dispute_key(d: SDispute) -> tuple[str, None]:
    return _required(d.id, "dispute"), None


#: Shopify's own orders/risk_assessment_changed sample body names no order
UNKNOWN_ORDER = "unknown"


def _checkout_key(c: SCheckout) -> tuple[str, datetime | None]:
    token = c.token or c.id
    if not token:
        raise MalformedPayload("checkout has no token")
    return token, c.updated_at


def _checkout(c: SCheckout) -> m.Checkout:
    return m.Checkout(
        id=c.id,
        token=_checkout_key(c)[0],
        cart_token=c.cart_token or None,
        email=c.email,
        phone=c.phone,
        customer=c.customer.canonical() if c.customer and c.customer.id else None,
        line_items=[li.canonical() for li in c.line_items],
        currency=c.currency,
        subtotal=c.subtotal_price,
        total=c.total_price,
        total_tax=c.total_tax,
        total_discounts=c.total_discounts,
        abandoned_checkout_url=c.abandoned_checkout_url,
        accepts_marketing=bool(c.buyer_accepts_marketing),
        accepts_sms_marketing=bool(c.buyer_accepts_sms_marketing),
        completed_at=c.completed_at,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _cart_key(c: SCart) -> tuple[str, datetime | None]:
    return _required(c.id or c.token, "cart"), c.updated_at


def _cart(c: SCart) -> m.Cart:
    return m.Cart(
        id=_cart_key(c)[0],
        token=c.token,
        line_items=[li.canonical() for li in c.line_items],
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _privacy_key(r: SPrivacyRequest) -> tuple[str, None]:
    return (r.customer.id if r.customer else None) or r.shop_id or "shop", None


def _privacy(r: SPrivacyRequest) -> m.PrivacyRequest:
    return m.PrivacyRequest(
        shop_id=r.shop_id,
        shop_domain=r.shop_domain,
        customer_id=r.customer.id if r.customer else None,
        customer_email=r.customer.email if r.customer else None,
        orders_to_redact=[o for o in r.orders_to_redact if o],
        orders_requested=[o for o in r.orders_requested if o],
        data_request_id=r.data_request.id if r.data_request else None,
    )


_ORDER = Family(SOrder, EntityKind.ORDER, _own_id("order"), SOrder.canonical)
_FULFILLMENT = Family(SFulfillment, EntityKind.FULFILLMENT, _own_id("fulfillment"), SFulfillment.canonical)
_CHECKOUT = Family(SCheckout, EntityKind.CHECKOUT, _checkout_key, _checkout)
_PRODUCT = Family(SProduct, EntityKind.PRODUCT, _own_id("product"), SProduct.canonical)
_CUSTOMER = Family(SCustomer, EntityKind.CUSTOMER, _own_id("customer"), SCustomer.canonical)
_PRIVACY = Family(SPrivacyRequest, EntityKind.PRIVACY, _privacy_key, _privacy)

#: each topic's family: its raw shape, its event key and its canonical resource
FAMILIES: dict[Topic, Family] = {
    Topic.ORDER_CREATED: _ORDER,
    Topic.ORDER_UPDATED: _ORDER,
    Topic.ORDER_PAID: _ORDER,
    Topic.ORDER_CANCELLED: _ORDER,
    Topic.ORDER_FULFILLED: _ORDER,
    Topic.ORDER_DELETED: _ORDER,
    Topic.ORDER_RISK_CHANGED: Family(
        SRisk,
        EntityKind.ORDER,
        lambda r: (r.order_id or UNKNOWN_ORDER, None),
        lambda r: m.RiskAssessment(**r.model_dump()),
    ),
    Topic.FULFILLMENT_CREATED: _FULFILLMENT,
    Topic.FULFILLMENT_UPDATED: _FULFILLMENT,
    Topic.FULFILLMENT_EVENT_CREATED: Family(
        SFulfillmentEvent,
        EntityKind.FULFILLMENT_EVENT,
        _unordered(_own_id("fulfillment event")),
        _fulfillment_event,
    ),
    Topic.REFUND_CREATED: Family(
        SRefund, EntityKind.REFUND, _unordered(_own_id("refund")), SRefund.canonical
    ),
    Topic.TRANSACTION_CREATED: Family(
        STransaction, EntityKind.TRANSACTION, _unordered(_own_id("transaction")), _transaction
    ),
    Topic.DISPUTE_CREATED: Family(
        SDispute,
        EntityKind.DISPUTE,
        _dispute_key,
        lambda d: m.Dispute(**{**d.model_dump(), "id": _dispute_key(d)[0]}),
    ),
    Topic.CHECKOUT_CREATED: _CHECKOUT,
    Topic.CHECKOUT_UPDATED: _CHECKOUT,
    Topic.CART_UPDATED: Family(SCart, EntityKind.CART, _cart_key, _cart),
    Topic.PRODUCT_CREATED: _PRODUCT,
    Topic.PRODUCT_UPDATED: _PRODUCT,
    Topic.PRODUCT_DELETED: _PRODUCT,
    Topic.VARIANT_OUT_OF_STOCK: Family(SVariant, EntityKind.PRODUCT, _variant_key, _variant_product),
    Topic.INVENTORY_UPDATED: Family(SInventoryLevel, EntityKind.INVENTORY, _inventory_key, _inventory_level),
    Topic.INVENTORY_ITEM_UPDATED: Family(
        SInventoryItem, EntityKind.INVENTORY_ITEM, _own_id("inventory item"), _inventory_item
    ),
    Topic.CUSTOMER_CREATED: _CUSTOMER,
    Topic.CUSTOMER_UPDATED: _CUSTOMER,
    Topic.CUSTOMER_DELETED: _CUSTOMER,
    Topic.APP_UNINSTALLED: Family(
        SShop,
        EntityKind.SHOP,
        lambda s: (s.id or s.myshopify_domain or "shop", None),
        lambda s: m.Shop(**s.model_dump()),
    ),
    Topic.CUSTOMER_REDACT: _PRIVACY,
    Topic.CUSTOMER_DATA_REQUEST: _PRIVACY,
    Topic.SHOP_REDACT: _PRIVACY,
}
