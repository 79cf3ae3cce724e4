"""The fraud automations' settings (validated per store when saved; every field has a default, so a
new store runs them in dry-run as they are)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from storekit.email_address import EmailAddress


def _tag(value: str) -> str:
    text = value.strip()
    if not text or "," in text:
        raise ValueError("a tag is a non-empty text without commas")
    return text


Tag = Annotated[str, Field(max_length=40), AfterValidator(_tag)]
Score = Annotated[int, Field(ge=0, le=100)]
Weight = Annotated[int, Field(ge=0, le=100)]


class RiskWeights(BaseModel):
    """Points each signal adds to the score (0 turns a signal off); the score is capped at 100."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    avs_no_match: Weight = 25
    avs_partial_match: Weight = 10
    cvv_no_match: Weight = 30
    billing_shipping_country: Weight = 15
    ip_country: Weight = 20
    email_velocity: Weight = 20
    ip_velocity: Weight = 20
    card_velocity: Weight = 25
    address_velocity: Weight = 15
    high_value_first_order: Weight = 20
    many_units_of_one_variant: Weight = 15
    disposable_email: Weight = 20
    name_mismatch: Weight = 10
    platform_risk_high: Weight = 40
    platform_risk_medium: Weight = 15
    chargeback_history: Weight = 50


class StaffAlert(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: post to the store's Slack webhook
    slack: bool = True
    #: the fraud team's address (email-validator checks it when saved)
    email: EmailAddress | None = Field(default=None, max_length=320)
    #: a verified SES identity of the store (else the deployment's STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)


class RiskSettings(StaffAlert):
    """`risk-score`: weights, the score bands that act, and what each band does."""

    weights: RiskWeights = RiskWeights()
    #: at this score or above: tag the order and add a note with the reasons
    review_at: Score = 30
    #: at this score or above: hold fulfillment
    hold_at: Score = 50
    #: at this score or above: tell the fraud team (Slack and/or email)
    alert_at: Score = 50
    #: at this score or above, when `cancel_and_refund` is on: cancel the order and refund it
    cancel_at: Score = 85
    cancel_and_refund: bool = False
    review_tag: Tag = "fraud-review"
    add_note: bool = True
    hold_fulfillment: bool = True
    #: velocity: more than this many orders from one email, IP, card or address ...
    velocity_max_orders: int = Field(default=3, ge=1, le=1000)
    #: ... within this many hours
    velocity_window_hours: int = Field(default=24, ge=1, le=720)
    #: a first order worth at least this many times the store's average order ...
    high_value_multiplier: Decimal = Field(default=Decimal("3"), ge=Decimal("1"), le=Decimal("100"))
    #: ... once the average is over this many orders
    high_value_min_orders: int = Field(default=20, ge=1, le=100000)
    #: this many units or more of one variant in one order
    many_units: int = Field(default=10, ge=2, le=100000)
    #: email domains counted as disposable besides the disposable-email-domains list
    extra_disposable_domains: list[Annotated[str, Field(max_length=253)]] = Field(
        default_factory=list, max_length=500
    )

    @model_validator(mode="after")
    def _bands_in_order(self) -> RiskSettings:
        if self.hold_at < self.review_at:
            raise ValueError("hold_at must not be below review_at")
        if self.cancel_at < self.hold_at:
            raise ValueError("cancel_at must not be below hold_at")
        return self


_REGION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSTAL = re.compile(r"^[A-Z0-9 *?-]{1,20}$")


def _country(value: str) -> str:
    text = value.strip().upper()
    if not _COUNTRY.match(text):
        raise ValueError("a country is its ISO 3166-1 alpha-2 code, e.g. US")
    return text


def _region(value: str) -> str:
    text = value.strip().upper()
    if not _REGION.match(text):
        raise ValueError("a region is its ISO 3166-2 code: country-region, e.g. US-HI")
    return text


def _postal(value: str) -> str:
    text = value.strip().upper()
    if not _POSTAL.match(text):
        raise ValueError("a postal pattern is up to 20 letters, digits, spaces, dashes and wildcards * ?")
    return text


class RestrictedSettings(StaffAlert):
    """`restricted-destinations`: where the store cannot ship, and what it does about an order there."""

    blocked_countries: list[Annotated[str, AfterValidator(_country)]] = Field(
        default_factory=list, max_length=250
    )
    blocked_regions: list[Annotated[str, AfterValidator(_region)]] = Field(
        default_factory=list, max_length=500
    )
    #: postal codes, with * (any characters) and ? (one), e.g. "BT*", "GY? *", "96799"
    blocked_postal_patterns: list[Annotated[str, AfterValidator(_postal)]] = Field(
        default_factory=list, max_length=500
    )
    block_po_boxes: bool = False
    tag: Tag = "restricted-destination"
    hold_fulfillment: bool = True
    cancel_and_refund: bool = False
