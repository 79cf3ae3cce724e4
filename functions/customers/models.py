"""Settings of the customers domain's automations (per store, validated when a store is saved)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.fulfillment.models import CustomerMessageSettings, QuietHours
from storekit.urls import PublicHttpsUrl

#: the automation that holds the store-wide marketing rules (consent, frequency cap, attribution)
MARKETING = "marketing-rules"

_SAMPLE: dict[str, Any] = {
    "headline": "Welcome to Demo Shop",
    "intro": "thanks for joining us.",
    "first_name": "Ada",
    "code": "WELCOME-7K2Q9D",
    "code_note": "10% off, valid until 2026-12-31",
    "cta_url": "https://demo-shop.example/",
    "cta_label": "Shop now",
    "items": [{"title": "Mug", "quantity": 2}],
}


class MarketingRules(BaseModel):
    """Store-wide rules every marketing flow follows (automation `marketing-rules`, no messages of
    its own): the per-customer frequency cap across all flows, the attribution window, and where
    WooCommerce keeps marketing consent."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    max_per_day: int = Field(default=1, ge=0, le=20)
    max_per_week: int = Field(default=3, ge=0, le=50)
    attribution_days: int = Field(default=5, ge=1, le=60)
    #: WooCommerce: the customer meta key that records marketing consent (value yes/1/true/on);
    #: None = WooCommerce customers count as consenting only when an order says so
    woo_consent_meta_key: str | None = Field(default=None, min_length=1, max_length=100)


class FlowSettings(CustomerMessageSettings):
    """What every flow has: channels, sender and template (CustomerMessageSettings: a store template
    renders with the variables below), quiet hours in the store's time zone, and a holdout group."""

    EMAIL_VARIABLES: ClassVar[dict[str, Any]] = _SAMPLE

    #: marketing email is the default; SMS only where the customer consented to SMS marketing
    sms: bool = False
    #: share of customers (stable by customer) held out of the flow: recorded, sent nothing
    holdout_percent: int = Field(default=0, ge=0, le=90)
    quiet_hours: QuietHours | None = QuietHours(start=time(21, 0), end=time(8, 0))
    #: also (or, with email and sms off, only) POST each message, signed, to this URL: a push or
    #: social tool (needs the store's outbound_webhook_secret); None = off
    webhook_url: PublicHttpsUrl | None = Field(default=None, max_length=500)


class CodeOffer(BaseModel):
    """A unique single-use discount code sent with a message (0 = no code)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    percent_off: Decimal = Field(default=Decimal("10"), ge=0, le=100)
    valid_days: int = Field(default=30, ge=1, le=365)


class WelcomeSettings(FlowSettings):
    delay_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    offer: CodeOffer = CodeOffer()
    shop_url: PublicHttpsUrl | None = Field(default=None, max_length=500)


class AbandonedCheckoutSettings(FlowSettings):
    #: hours after the checkout's last change each reminder goes (at most 3)
    reminder_hours: list[int] = Field(default=[1, 24], min_length=1, max_length=3)
    #: a code in the last reminder (0 = none)
    last_reminder_offer: CodeOffer = CodeOffer(percent_off=Decimal("0"))

    @model_validator(mode="after")
    def _increasing(self) -> AbandonedCheckoutSettings:
        hours = self.reminder_hours
        if any(h < 1 or h > 24 * 14 for h in hours) or hours != sorted(set(hours)):
            raise ValueError("reminder_hours are increasing hours between 1 and 336")
        return self


class PostPurchaseSettings(FlowSettings):
    delay_hours: int = Field(default=2, ge=0, le=24 * 30)
    feedback_url: PublicHttpsUrl | None = Field(default=None, max_length=500)


class WinBackSettings(FlowSettings):
    days_without_order: int = Field(default=90, ge=7, le=730)
    offer: CodeOffer = CodeOffer(percent_off=Decimal("15"))
    shop_url: PublicHttpsUrl | None = Field(default=None, max_length=500)


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(min_length=1, max_length=30, pattern=r"^[a-z0-9-]+$")
    min_spend: Decimal = Field(default=Decimal("0"), ge=0)
    min_orders: int = Field(default=0, ge=0)


class Reward(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: lifetime spend (net of refunds) that earns the reward, once
    spend: Decimal = Field(gt=0)
    offer: CodeOffer = CodeOffer()


class LoyaltySettings(FlowSettings):
    #: lowest to highest; a customer is in the highest tier whose minimums they meet
    tiers: list[Tier] = Field(default=[Tier(name="vip", min_spend=Decimal("1000"))], max_length=10)
    tag_prefix: str = Field(default="tier:", max_length=20)
    thank_on_higher_tier: bool = True
    rewards: list[Reward] = Field(default=[], max_length=10)


class SegmentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: order totals (store currency) that start each value band above "low"
    value_bands: dict[Literal["mid", "high"], Decimal] = {"mid": Decimal("50"), "high": Decimal("200")}
    location: bool = True
    device: bool = True
    history: bool = True
