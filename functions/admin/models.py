"""Admin API inputs, validated at the edge."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from storekit.ratelimit import RateLimits
from storekit.store import AutomationConfig, Mode, Platform
from storekit.urls import slack_url_problem


def _usable_secret(value: SecretStr) -> SecretStr:
    """A secret that is not blank and has no spaces or control characters (a paste gone wrong)."""
    text = value.get_secret_value()
    if not text.strip():
        raise ValueError("must not be blank")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError("must not contain spaces or control characters")
    return value


Secret = Annotated[SecretStr, AfterValidator(_usable_secret)]


class ShopifyCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    access_token: Secret = Field(min_length=1)


class WooCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    consumer_key: Secret = Field(min_length=1)
    consumer_secret: Secret = Field(min_length=1)


class StoreInput(BaseModel):
    """Body of PUT /stores/{store_id}. Secrets may be left out on update (the saved ones stay)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    platform: Platform
    shop_domain: str
    name: str | None = None
    mode: Mode | None = None
    timezone: str | None = None
    currency: str | None = None
    automations: dict[str, AutomationConfig] | None = None
    rate_limits: RateLimits | None = None
    webhook_secret: Secret | None = Field(default=None, min_length=8)
    #: during a rotation: [new, old]
    webhook_secrets: list[Secret] | None = Field(default=None, min_length=1, max_length=2)
    api_credentials: ShopifyCredentials | WooCredentials | None = None
    slack_webhook_url: SecretStr | None = None
    outbound_webhook_secret: Secret | None = None
    hubspot_access_token: Secret | None = None

    @field_validator("slack_webhook_url")
    @classmethod
    def _slack_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (problem := slack_url_problem(value.get_secret_value())):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_way_to_give_secrets(self) -> StoreInput:
        if self.webhook_secret is not None and self.webhook_secrets is not None:
            raise ValueError("give webhook_secret or webhook_secrets, not both")
        for secret in self.webhook_secrets or []:
            if len(secret.get_secret_value()) < 8:
                raise ValueError("each webhook secret needs at least 8 characters")
        if self.platform == "shopify" and isinstance(self.api_credentials, WooCredentials):
            raise ValueError("a Shopify store takes api_credentials {access_token}")
        if self.platform == "woocommerce" and isinstance(self.api_credentials, ShopifyCredentials):
            raise ValueError("a WooCommerce store takes api_credentials {consumer_key, consumer_secret}")
        return self

    def given_webhook_secrets(self) -> list[SecretStr] | None:
        if self.webhook_secret is not None:
            return [self.webhook_secret]
        return self.webhook_secrets


class ScheduleInput(BaseModel):
    """Body of POST /stores/{store_id}/schedules."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: str = Field(min_length=1, max_length=64)
    due_at: str
    params: dict[str, Any] = Field(default_factory=dict)
