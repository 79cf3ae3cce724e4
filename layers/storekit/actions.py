"""Actions: what automations decide and the executor carries out (or, in dry-run, records).

An automation returns a list of these; it never calls anything itself. `once_per` names what makes
an action unique across deliveries (e.g. "order:123"): the outbox key is built from it, so the same
decision reached again by a repeated or later webhook is written, and carried out, once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

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


class AddOrderNote(_Action):
    kind: Literal["add_order_note"] = "add_order_note"
    order_id: str
    note: str = Field(min_length=1, max_length=5000)

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"add a note to order {self.order_id}"


class HoldFulfillment(_Action):
    kind: Literal["hold_fulfillment"] = "hold_fulfillment"
    order_id: str
    reason: str

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"hold fulfillment of order {self.order_id}: {self.reason}"


class ReleaseFulfillment(_Action):
    kind: Literal["release_fulfillment"] = "release_fulfillment"
    order_id: str

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        return f"release the fulfillment hold on order {self.order_id}"


class CancelOrder(_Action):
    kind: Literal["cancel_order"] = "cancel_order"
    order_id: str
    reason: Literal["customer", "fraud", "inventory", "declined", "other"] = "other"
    refund: bool = False
    restock: bool = True
    notify_customer: bool = False

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        refund = " and refund" if self.refund else ""
        return f"cancel{refund} order {self.order_id} ({self.reason})"


class RefundOrder(_Action):
    kind: Literal["refund_order"] = "refund_order"
    order_id: str
    amount: Decimal | None = Field(default=None, gt=0)
    note: str | None = None
    notify_customer: bool = False

    def target(self) -> str:
        return f"order:{self.order_id}"

    def summary(self) -> str:
        amount = f" {self.amount}" if self.amount is not None else " in full"
        return f"refund order {self.order_id}{amount}"


class SetProductStatus(_Action):
    kind: Literal["set_product_status"] = "set_product_status"
    product_id: str
    status: Literal["active", "draft", "archived"]

    def target(self) -> str:
        return f"product:{self.product_id}"

    def summary(self) -> str:
        return f"set product {self.product_id} to {self.status}"


class SetVariantPrice(_Action):
    kind: Literal["set_variant_price"] = "set_variant_price"
    product_id: str
    variant_id: str
    price: Decimal = Field(ge=0)
    compare_at_price: Decimal | None = Field(default=None, ge=0)

    def target(self) -> str:
        return f"variant:{self.variant_id}"

    def summary(self) -> str:
        return f"set variant {self.variant_id} price to {self.price}"


class SetStock(_Action):
    kind: Literal["set_stock"] = "set_stock"
    product_id: str
    variant_id: str | None = None
    quantity: int

    def target(self) -> str:
        return f"variant:{self.variant_id}" if self.variant_id else f"product:{self.product_id}"

    def summary(self) -> str:
        return f"set stock of {self.target()} to {self.quantity}"


class CreateDiscountCode(_Action):
    kind: Literal["create_discount_code"] = "create_discount_code"
    code: str = Field(min_length=1, max_length=255)
    title: str
    percentage: Decimal | None = Field(default=None, gt=0, le=100)
    amount: Decimal | None = Field(default=None, gt=0)
    starts_at: datetime
    ends_at: datetime | None = None
    usage_limit: int | None = Field(default=None, ge=1)
    once_per_customer: bool = True

    def target(self) -> str:
        return f"discount:{self.code}"

    def summary(self) -> str:
        value = f"{self.percentage}%" if self.percentage is not None else f"{self.amount} off"
        return f"create discount code {self.code} ({value})"


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


class SendWebhook(_Action):
    kind: Literal["send_webhook"] = "send_webhook"
    url: str
    payload: dict[str, Any]

    def target(self) -> str:
        return f"webhook:{self.url.split('?')[0]}"

    def summary(self) -> str:
        return f"POST a signed webhook to {self.target()[8:]}"


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


#: actions that only change storeflow's own state: carried out in dry-run as well
INTERNAL_KINDS = frozenset({"schedule_job"})

Action = Annotated[
    AddTags
    | RemoveTags
    | AddOrderNote
    | HoldFulfillment
    | ReleaseFulfillment
    | CancelOrder
    | RefundOrder
    | SetProductStatus
    | SetVariantPrice
    | SetStock
    | CreateDiscountCode
    | SendEmail
    | SendSms
    | PostSlack
    | SendWebhook
    | ScheduleJob,
    Field(discriminator="kind"),
]


@lru_cache(maxsize=1)
def _action_adapter() -> TypeAdapter[Action]:
    return TypeAdapter(Action)


def action_from_json(data: dict[str, Any]) -> Action:
    return _action_adapter().validate_python(data)
