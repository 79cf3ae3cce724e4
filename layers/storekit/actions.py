"""Actions: what automations decide and the executor carries out (or, in dry-run, records).

An automation returns a list of these; it never calls anything itself. `once_per` names what makes
an action unique across deliveries (e.g. "order:123"): the outbox key is built from it, so the same
decision reached again by a repeated or later webhook is written, and carried out, once.

A kind exists only while an automation produces one (add it back with the automation that needs it),
and every kind renders into what it sends or changes (functions/engine/perform.py `render`): that
render is both what the executor sends and the action's preview.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from storekit.messages import MessageTemplate

Resource = Literal["order", "customer", "product"]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    once_per: str | None = Field(default=None, max_length=300)
    #: not carried out before this time (e.g. an SMS held until quiet hours end)
    not_before: datetime | None = None

    def target(self) -> str:
        """What the action touches, without personal data (shown in the admin API)."""
        raise NotImplementedError

    def summary(self) -> str:
        """One line a merchant understands: what will be (or was) done."""
        raise NotImplementedError


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


class AddTags(_Action):
    kind: Literal["add_tags"] = "add_tags"
    resource: Resource
    resource_id: str
    tags: list[str] = Field(min_length=1)

    def target(self) -> str:
        return f"{self.resource}:{self.resource_id}"

    def summary(self) -> str:
        return f"add tags {', '.join(self.tags)} to {self.resource} {self.resource_id}"


class RemoveTags(_Action):
    kind: Literal["remove_tags"] = "remove_tags"
    resource: Resource
    resource_id: str
    tags: list[str] = Field(min_length=1)

    def target(self) -> str:
        return f"{self.resource}:{self.resource_id}"

    def summary(self) -> str:
        return f"remove tags {', '.join(self.tags)} from {self.resource} {self.resource_id}"


class SetProductVisibility(_Action):
    """Hide a product from the online store, or show it again: Shopify unpublishes it from (or
    publishes it to) the Online Store publication; WooCommerce sets its catalog visibility."""

    kind: Literal["set_product_visibility"] = "set_product_visibility"
    product_id: str
    visible: bool
    #: WooCommerce: the catalog visibility it is shown with (what it had before storeflow hid it)
    woo_visibility: Literal["visible", "catalog", "search"] = "visible"
    #: Shopify: the Online Store publication's id (else looked up when the call is sent)
    publication_id: str | None = Field(default=None, max_length=100)

    def target(self) -> str:
        return f"product:{self.product_id}"

    def summary(self) -> str:
        return f"{'show' if self.visible else 'hide'} product {self.product_id} in the online store"


class AddToCollection(_Action):
    """Put a product into a Shopify collection or a WooCommerce category."""

    kind: Literal["add_to_collection"] = "add_to_collection"
    product_id: str
    collection_id: str
    #: WooCommerce: the product's categories now (kept: the new one is added to them)
    categories: list[str] = Field(default_factory=list)

    def target(self) -> str:
        return f"product:{self.product_id}"

    def summary(self) -> str:
        return f"add product {self.product_id} to collection {self.collection_id}"


class Attachment(BaseModel):
    """A file sent with an email (a purchase order's CSV): text content, sent as a MIME part."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    filename: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    content_type: Literal["text/csv", "text/plain"] = "text/csv"
    content: str = Field(max_length=200_000)


class UnsubscribeLink(BaseModel):
    """What a message's signed one-click unsubscribe link (`GET /u/{token}`) undoes: `kind` names the
    domain's handler (Domain.unsubscribes), `data` its subject (ids or hashes, never an address)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: str = Field(min_length=1, max_length=40)
    data: dict[str, str] = Field(default_factory=dict, max_length=12)


class TrackedLinks(BaseModel):
    """Tracking of a marketing email: an open pixel (`GET /t/o/{token}`) added to its HTML, and the
    http(s) URLs under `links` in its context turned into signed click redirects (`GET /t/c/{token}`,
    the target inside the signed claims). `kind` names the domain's handler (Domain.tracks), `data`
    what is counted (ids or hashes, never an address)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: str = Field(min_length=1, max_length=40)
    data: dict[str, str] = Field(default_factory=dict, max_length=8)
    links: list[str] = Field(default_factory=list, max_length=8)


class SendEmail(_Action):
    kind: Literal["send_email"] = "send_email"
    to: str = Field(min_length=3, max_length=320)
    template: str
    context: dict[str, Any] = Field(default_factory=dict)
    marketing: bool = False
    #: the store's own template for this message (else the default named `template`)
    template_override: MessageTemplate | None = None
    #: the store's sender address (else STOREFLOW_EMAIL_SENDER); must be a verified SES identity
    sender: str | None = Field(default=None, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)
    attachments: list[Attachment] = Field(default_factory=list, max_length=5)
    #: a signed unsubscribe link, given to the template as `unsubscribe_url` (and added at the
    #: end of the message when the template does not show it)
    unsubscribe: UnsubscribeLink | None = None
    #: an open pixel and click redirects (marketing flows' counters)
    tracking: TrackedLinks | None = None

    def target(self) -> str:
        return f"email:{_mask_email(self.to)}"

    def summary(self) -> str:
        kind = "marketing" if self.marketing else "transactional"
        return f"send {kind} email '{self.template}' to {_mask_email(self.to)}"


class SendSms(_Action):
    kind: Literal["send_sms"] = "send_sms"
    to: str
    text: str = Field(min_length=1, max_length=1600)
    marketing: bool = False

    def target(self) -> str:
        return f"sms:***{self.to[-2:]}"

    def summary(self) -> str:
        return f"send SMS to ***{self.to[-2:]}"


class PostSlack(_Action):
    kind: Literal["post_slack"] = "post_slack"
    text: str = Field(min_length=1, max_length=4000)

    def target(self) -> str:
        return "slack"

    def summary(self) -> str:
        return f"post to Slack: {self.text[:80]}"


class DraftPurchaseOrder(_Action):
    """File a purchase order for a supplier (and mark each of its variants' one open PO); with
    `email`, send it to the supplier right after it is filed (else it waits for approval)."""

    kind: Literal["draft_purchase_order"] = "draft_purchase_order"
    number: str = Field(min_length=1, max_length=64)
    supplier: str = Field(min_length=1, max_length=255)
    #: the purchase order as filed (functions/inventory/purchase_orders.py PurchaseOrder)
    document: dict[str, Any]
    #: product id -> {variant id: units ordered}
    variants: dict[str, dict[str, int]]
    email: SendEmail | None = None

    def target(self) -> str:
        return f"purchase-order:{self.number}"

    def summary(self) -> str:
        how = "email it to" if self.email else "hold it for approval for"
        return f"draft purchase order {self.number} and {how} {self.supplier}"


class ScheduleJob(_Action):
    """Internal: file a due job for an automation's `on_due` (e.g. a follow-up N days later).
    It touches nothing outside storeflow, so it is carried out in dry-run too."""

    kind: Literal["schedule_job"] = "schedule_job"
    job_kind: str = Field(min_length=1, max_length=64)
    due_at: datetime
    params: dict[str, Any] = Field(default_factory=dict)

    def target(self) -> str:
        return f"job:{self.job_kind}"

    def summary(self) -> str:
        return f"schedule {self.job_kind} for {self.due_at.isoformat()}"


class AddOrderNote(_Action):
    """Add a staff note to an order (Shopify: below the order's note, which is read first and kept;
    WooCommerce: a private order note)."""

    kind: Literal["add_order_note"] = "add_order_note"
    order_id: str
    note: str = Field(min_length=1, max_length=4000)

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"add a note to order {self.order_id}: {self.note[:60]}"


class HoldFulfillment(_Action):
    """Stop an order from being shipped until staff release it (Shopify: a hold on each open
    fulfillment order, reason HIGH_RISK_OF_FRAUD or OTHER; WooCommerce: order status on-hold)."""

    kind: Literal["hold_fulfillment"] = "hold_fulfillment"
    order_id: str
    reason: Literal["fraud", "other"] = "fraud"
    notes: str = Field(default="", max_length=256)

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"hold fulfillment of order {self.order_id} ({self.reason})"


class CancelOrder(_Action):
    """Cancel an order and refund it (Shopify orderCancel with refund and restock; WooCommerce: a
    refund of `amount` through the payment gateway, after which WooCommerce marks it refunded)."""

    kind: Literal["cancel_order"] = "cancel_order"
    order_id: str
    reason: Literal["fraud", "other"] = "fraud"
    refund: bool = True
    restock: bool = True
    #: what is refunded (WooCommerce needs it; Shopify refunds what was paid)
    amount: Decimal | None = None
    currency: str | None = None
    staff_note: str = Field(default="", max_length=255)

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        money = f" {self.amount} {self.currency or ''}".rstrip() if self.amount is not None else ""
        return f"cancel order {self.order_id}" + (f" and refund{money}" if self.refund else "")


class PublishProduct(_Action):
    """Publish a product prepared unpublished (a scheduled release): Shopify publishes it to the
    given publications (sales channels; none given: the Online Store); WooCommerce sets its status
    to publish."""

    kind: Literal["publish_product"] = "publish_product"
    product_id: str = Field(min_length=1, max_length=100)
    publication_ids: list[str] = Field(default_factory=list, max_length=20)

    def target(self) -> str:
        return f"product:{self.product_id}"

    def summary(self) -> str:
        where = ", ".join(self.publication_ids) if self.publication_ids else "the online store"
        return f"publish product {self.product_id} to {where}"


class CreateDiscountCode(_Action):
    """A unique discount code (Shopify basic code discount / WooCommerce coupon): single use,
    for one customer where known, until `ends_at`."""

    kind: Literal["create_discount_code"] = "create_discount_code"
    code: str = Field(min_length=4, max_length=64, pattern=r"^[A-Z0-9-]+$")
    title: str = Field(min_length=1, max_length=120)
    value_type: Literal["percentage", "fixed_amount"] = "percentage"
    #: percent off (1-100) or an amount off in the store's currency
    value: Decimal = Field(gt=0, le=100_000)
    starts_at: datetime
    ends_at: datetime | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    #: WooCommerce: the address allowed to use the coupon
    email: str | None = Field(default=None, max_length=320)

    def target(self) -> str:
        return f"discount:{self.code}"

    def summary(self) -> str:
        off = f"{self.value}%" if self.value_type == "percentage" else f"{self.value} off"
        return f"create single-use discount code {self.code} ({off})"


class PostWebhook(_Action):
    """POST a JSON event to the store's outbound webhook (a CRM, a push or social tool), signed with
    the store's outbound webhook secret: header X-Storeflow-Signature = base64 HMAC-SHA256 of the body."""

    kind: Literal["post_webhook"] = "post_webhook"
    url: str = Field(min_length=8, max_length=500)
    event: str = Field(min_length=1, max_length=64, pattern=r"^[a-z_.]+$")
    payload: dict[str, Any]

    def target(self) -> str:
        from urllib.parse import urlsplit

        return f"webhook:{urlsplit(self.url).hostname or '?'}"

    def summary(self) -> str:
        return f"post {self.event} to the outbound webhook {self.target().removeprefix('webhook:')}"


class RefundOrder(_Action):
    """Give money back for an order (Shopify refundCreate of the order's captured transactions, sent
    with an `@idempotent` key; WooCommerce POST orders/{id}/refunds through the gateway). A money
    movement: once per order and reason (`once_per`), never repeated blindly."""

    kind: Literal["refund_order"] = "refund_order"
    order_id: str
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    currency: str | None = Field(default=None, max_length=3)
    #: why the money moves (e.g. "cancelled-before-fulfillment"): recorded with the movement
    reason: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=255)
    #: deterministic: the same order and reason always carry the same key
    idempotency_key: str = Field(min_length=8, max_length=64)
    notify: bool = False

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return (
            f"refund {self.amount} {self.currency or ''}".rstrip()
            + f" on order {self.order_id} ({self.reason})"
        )


class IssueStoreCredit(_Action):
    """Give store credit instead of a refund (Shopify storeCreditAccountCredit on the customer;
    WooCommerce has no core store credit: a single-use coupon for the amount, restricted to the
    customer's email, its code derived from the order and reason). A money movement, once per order
    and reason."""

    kind: Literal["issue_store_credit"] = "issue_store_credit"
    order_id: str
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    currency: str = Field(min_length=3, max_length=3)
    reason: str = Field(min_length=1, max_length=64)
    #: Shopify: the customer credited
    customer_id: str | None = Field(default=None, max_length=64)
    #: WooCommerce: the address the coupon is restricted to
    email: str | None = Field(default=None, max_length=320)
    #: WooCommerce: the coupon's code (deterministic: the same order and reason, the same code)
    code: str = Field(min_length=8, max_length=64, pattern=r"^[A-Z0-9-]+$")
    expires_at: datetime | None = None
    note: str = Field(default="", max_length=255)

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"issue {self.amount} {self.currency} store credit for order {self.order_id} ({self.reason})"


class SyncToHubSpot(_Action):
    """Upsert a customer's HubSpot contact (by email) and, for an order, its deal (by the unique deal
    property the store names), then associate the two: through HubSpot's official Python client,
    with the store's HubSpot private-app access token (a store secret). Every call is an upsert or a
    PUT, so a retried push changes nothing twice."""

    kind: Literal["hubspot_sync"] = "hubspot_sync"
    #: the contact's email (HubSpot's id property for contacts); None: an order with no email
    email: str | None = Field(default=None, max_length=320)
    #: contact properties (HubSpot internal names -> text values)
    contact: dict[str, str] = Field(default_factory=dict)
    customer_id: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, max_length=64)
    #: the deal's unique property (created by the merchant in HubSpot) and this order's value of it
    deal_id_property: str | None = Field(default=None, max_length=100)
    deal_key: str | None = Field(default=None, max_length=200)
    deal: dict[str, str] = Field(default_factory=dict)

    def target(self) -> str:
        if self.order_id is not None:
            return f"hubspot:deal:{self.order_id}"
        return f"hubspot:contact:{self.customer_id or '?'}"

    def summary(self) -> str:
        if self.order_id is not None:
            return f"upsert the HubSpot deal of order {self.order_id}" + (
                " and its contact" if self.email else ""
            )
        return f"upsert HubSpot contact of customer {self.customer_id or '?'}"


class SetDiscountActive(_Action):
    """Pause or resume a platform discount storeflow created (a free gift whose gift sold out, or is
    back in stock): Shopify `discountAutomaticDeactivate` / `discountAutomaticActivate`; WooCommerce
    (REST v3 coupons have no active switch) the coupon's expiry moved to `expires_at`: the moment it
    was paused, or back to the offer's end."""

    kind: Literal["set_discount_active"] = "set_discount_active"
    discount_id: str = Field(min_length=1, max_length=100, pattern=r"^[0-9]+$")
    active: bool
    expires_at: datetime
    #: the offer (sale job id) whose discount it is: its state records the pause once carried out
    sale_id: str = Field(min_length=1, max_length=80)

    def target(self) -> str:
        return f"discount:{self.discount_id}"

    def summary(self) -> str:
        return f"{'resume' if self.active else 'pause'} discount {self.discount_id} (offer {self.sale_id})"


class StaffChannelSettings(Protocol):
    """Settings that name how staff hear of something: Slack and/or an email address."""

    @property
    def slack(self) -> bool: ...
    @property
    def email(self) -> str | None: ...
    @property
    def sender(self) -> str | None: ...


def staff_notice(heading: str, body: str, settings: StaffChannelSettings, once: str) -> list[Action]:
    """The staff's Slack post and/or notice email of one thing (`once`: its idempotency base); none
    when both channels are off."""
    out: list[Action] = []
    if settings.slack:
        out.append(PostSlack(text=f"{heading}\n{body}"[:4000], once_per=f"{once}:slack"))
    if settings.email:
        out.append(
            SendEmail(
                to=settings.email,
                template="notice",
                context={"heading": heading, "body": body},
                sender=settings.sender,
                once_per=f"{once}:email",
            )
        )
    return out


#: actions that only change storeflow's own state: carried out in dry-run as well
INTERNAL_KINDS = frozenset({"schedule_job"})
#: actions whose second performance changes nothing (a tag already there, a product already hidden):
#: one whose executor died mid-way is simply done again. Any other kind (a message, a purchase
#: order) is never repeated blindly: it is failed with a reason, for the merchant to check and retry.
REPEATABLE_KINDS = frozenset(
    {
        "schedule_job",
        "add_tags",
        "remove_tags",
        "set_product_visibility",
        "add_to_collection",
        "set_discount_active",
    }
)

Action = Annotated[
    AddTags
    | RemoveTags
    | SetProductVisibility
    | AddToCollection
    | DraftPurchaseOrder
    | SendEmail
    | SendSms
    | PostSlack
    | ScheduleJob
    | AddOrderNote
    | HoldFulfillment
    | CancelOrder
    | PublishProduct
    | CreateDiscountCode
    | PostWebhook
    | RefundOrder
    | IssueStoreCredit
    | SyncToHubSpot
    | SetDiscountActive,
    Field(discriminator="kind"),
]


@lru_cache(maxsize=1)
def _action_adapter() -> TypeAdapter[Action]:
    return TypeAdapter(Action)


def action_from_json(data: dict[str, Any]) -> Action:
    return _action_adapter().validate_python(data)
