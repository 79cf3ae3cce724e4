"""The reports domain's settings, per store (PUT /stores/{id} `automations.reports.settings` and
`automations.digest.settings`), validated like every automation's."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storekit.email_address import EmailAddress


class DonationRules(BaseModel):
    """What the store counts as donations rather than sales (settings of the `reports` automation)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: line items whose SKU is one of these
    skus: list[str] = Field(default=[], max_length=200)
    #: products with one of these tags (read from the product as storeflow last received it)
    tags: list[str] = Field(default=[], max_length=200)
    #: products of one of these types
    product_types: list[str] = Field(default=[], max_length=200)
    #: count tips (Shopify total_tip_received) as donations
    tips: bool = True


class ReportSettings(BaseModel):
    """What the sales counters count as donations (kept apart from sales)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    donations: DonationRules = Field(default_factory=DonationRules)


_LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class DigestSettings(BaseModel):
    """A summary of yesterday (daily) or last week (weekly) to the staff at a set local time."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: daily: yesterday against the day before; weekly: the 7 days before against the 7 before them
    cadence: Literal["off", "daily", "weekly"] = "off"
    #: the store-local time it goes out, HH:MM
    at: str = "08:00"
    #: weekly digests go out on this day
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    #: post to the store's Slack channel
    slack: bool = True
    #: and/or email this address
    email: EmailAddress | None = Field(default=None, max_length=320)
    #: a verified SES identity of the store (else the deployment's STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)
    #: top sellers listed
    top: int = Field(default=5, ge=1, le=20)

    @field_validator("at")
    @classmethod
    def _local_time(cls, value: str) -> str:
        if not _LOCAL_TIME.match(value):
            raise ValueError("must be a 24-hour local time HH:MM, e.g. 08:00")
        return value
