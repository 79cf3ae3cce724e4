"""Settings of the fulfillment and customer-service automations (per store, validated)."""

from __future__ import annotations

from datetime import time
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.fulfillment.messaging import check_text_template
from storekit.email_address import EmailAddress
from storekit.messages import SMS_MAX_BYTES, MessageTemplate

ShipmentStatus = Literal["in_transit", "out_for_delivery", "delivered", "failure", "attempted_delivery"]


class QuietHours(BaseModel):
    """No SMS between `start` and `end` in the store's time zone (the window may cross midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    start: time = time(21, 0)
    end: time = time(8, 0)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours start and end must differ")
        return self


class CustomerMessageSettings(BaseModel):
    """How a store talks to its customers: channels, sender, templates, quiet hours.

    A store's `email_template` is checked when the settings are saved: each part renders with
    the automation's EMAIL_VARIABLES (sample values) in the limited sandbox, else a 400 naming
    `email_template` and the part."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: the variables the automation's emails have, with sample values for the template check
    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = {"store_name": "Demo Shop"}

    email: bool = True
    sms: bool = True
    #: a verified SES identity of the store (else the deployment's STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)
    email_template: MessageTemplate | None = None
    #: None = no quiet hours
    quiet_hours: QuietHours | None = QuietHours()

    @field_validator("email_template")
    @classmethod
    def _email_template_renders(cls, value: MessageTemplate | None) -> MessageTemplate | None:
        if value is not None:
            from storekit.clients.templates import check_message_template  # jinja2 only when used

            check_message_template(value, {"store_name": "Demo Shop", **cls.EMAIL_VARIABLES})
        return value


class SmsTemplateSettings(CustomerMessageSettings):
    """A store's own SMS text: a Jinja2 string over the automation's message variables, checked when
    the settings are saved (a syntax error or an unknown variable is a 400 naming `sms_template`)."""

    #: the variables an SMS template may use, with sample values for the check
    SMS_VARIABLES: ClassVar[dict[str, Any]] = {}

    sms_template: str | None = Field(default=None, min_length=1, max_length=SMS_MAX_BYTES)

    @field_validator("sms_template")
    @classmethod
    def _sms_template_renders(cls, value: str | None) -> str | None:
        if value is not None:
            check_text_template(value, cls.SMS_VARIABLES)
        return value


#: the variables every shipment message has, with sample values for the template check
_SHIPMENT_SMS_VARIABLES: dict[str, Any] = {
    "store_name": "Demo Shop",
    "order_name": "#1001",
    "first_name": "Ada",
    "carrier": "UPS",
    "tracking_number": "1Z2345",
    "tracking_url": "https://www.ups.com/track?tracknum=1Z2345",
}


class ShippingNoticeSettings(SmsTemplateSettings):
    SMS_VARIABLES: ClassVar[dict[str, Any]] = {
        **_SHIPMENT_SMS_VARIABLES,
        "items": [{"title": "Mug", "quantity": 2}],
    }
    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = SMS_VARIABLES

    #: WooCommerce order statuses that mean "shipped" (a custom status plugin may add its own)
    shipped_statuses: list[str] = Field(default=["completed", "shipped"], min_length=1)
    #: a WooCommerce order seen in a shipped status is announced only when its shipment left this
    #: recently (the tracking entry's date_shipped): an old order updated later (a partial refund
    #: on an order shipped last year) is not "on its way" again
    announce_within_days: int = Field(default=3, ge=1, le=60)

    @field_validator("shipped_statuses")
    @classmethod
    def _lower_case(cls, value: list[str]) -> list[str]:
        statuses = [status.strip().lower().removeprefix("wc-") for status in value if status.strip()]
        if not statuses:
            raise ValueError("name at least one order status")
        return statuses


class DeliveryUpdateSettings(SmsTemplateSettings):
    SMS_VARIABLES: ClassVar[dict[str, Any]] = {
        **_SHIPMENT_SMS_VARIABLES,
        "status": "delivered",
        "headline": "Delivered",
        "detail": "Your parcel has been delivered.",
    }
    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = {
        "headline": "Delivered: #1001",
        "detail": "Your parcel has been delivered.",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z2345",
    }

    notify: list[ShipmentStatus] = ["out_for_delivery", "delivered", "failure"]
    #: a failed delivery also tells the staff (Slack, and this address when set)
    staff_slack: bool = True
    staff_email: EmailAddress | None = Field(default=None, max_length=320)


class AssistantSettings(BaseModel):
    """The order assistant has no settings yet; `enabled: false` turns the route off for a store."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
