"""Settings of the fulfillment and customer-service automations (per store, validated)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from storekit.messages import MessageTemplate

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
    """How a store talks to its customers: channels, sender, templates, quiet hours."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    email: bool = True
    sms: bool = True
    #: a verified SES identity of the store (else the deployment's STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)
    reply_to: str | None = Field(default=None, max_length=320)
    email_template: MessageTemplate | None = None
    #: None = no quiet hours
    quiet_hours: QuietHours | None = QuietHours()


class ShippingNoticeSettings(CustomerMessageSettings):
    pass


class DeliveryUpdateSettings(CustomerMessageSettings):
    notify: list[ShipmentStatus] = ["out_for_delivery", "delivered", "failure"]
    #: a failed delivery also tells the staff (Slack, and this address when set)
    staff_slack: bool = True
    staff_email: str | None = Field(default=None, max_length=320)


class AssistantSettings(BaseModel):
    """The order assistant has no settings yet; `enabled: false` turns the route off for a store."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
