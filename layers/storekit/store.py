"""A store's configuration (DynamoDB) and its secrets (Secrets Manager), as validated models."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from storekit.ratelimit import RateLimits

Platform = Literal["shopify", "woocommerce"]
Mode = Literal["dry-run", "live"]

STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_STORE_ID = re.compile(STORE_ID_PATTERN)


def is_store_id(value: str) -> bool:
    return bool(_STORE_ID.match(value))


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def shop_identity(platform: str, value: str | None) -> str | None:
    """What two spellings of one shop have in common, or None if `value` names no shop.

    Shopify: the myshopify domain, lower-cased, without a trailing dot (what X-Shopify-Shop-Domain
    and the privacy payloads' `shop_domain` carry). WooCommerce: the site's base URL as
    X-WC-Webhook-Source sends it (`home_url('/')`), compared by host, port and path: case, the
    scheme (a site that moved to https is the same site) and trailing slashes aside."""
    if not value or len(value) > 2048:
        return None
    text = value.strip().lower()
    if platform == "shopify":
        host = text.removeprefix("https://").rstrip("/").rstrip(".")
        return host if _HOST.match(host) else None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    netloc = parts.hostname.rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        netloc += f":{port}"
    return netloc + parts.path.rstrip("/")


class AutomationConfig(BaseModel):
    """One automation's switch, optional mode override and settings for one store."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    enabled: bool = True
    #: None = follow the store's mode; "dry-run" keeps one automation rehearsing in a live store
    mode: Mode | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class StoreConfig(BaseModel):
    """What storeflow knows about a store, without its secrets."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    store_id: str = Field(pattern=STORE_ID_PATTERN)
    platform: Platform
    #: Shopify: the myshopify domain; WooCommerce: the site's base URL
    shop_domain: str = Field(min_length=3, max_length=255)
    name: str | None = Field(default=None, max_length=200)
    mode: Mode = "dry-run"
    timezone: str = "UTC"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    automations: dict[str, AutomationConfig] = Field(default_factory=dict)
    #: limits of the store's public routes (the shopper assistant, ...)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    #: sha256 of the store-scoped admin token (the token itself is shown once, never stored)
    token_sha256: str | None = None
    created_at: datetime
    updated_at: datetime

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("must not contain control characters")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value[:64]!r}") from exc
        return value

    @model_validator(mode="after")
    def _domain_fits_platform(self) -> StoreConfig:
        if self.platform == "woocommerce" and (
            not self.shop_domain.startswith(("https://", "http://"))
            or shop_identity("woocommerce", self.shop_domain) is None
        ):
            raise ValueError("shop_domain of a WooCommerce store is its base URL, e.g. https://shop.example")
        if self.platform == "shopify" and (
            "/" in self.shop_domain or shop_identity("shopify", self.shop_domain) is None
        ):
            raise ValueError("shop_domain of a Shopify store is its domain, e.g. my-shop.myshopify.com")
        return self

    @property
    def shop(self) -> str:
        """The store's shop as deliveries name it (see `shop_identity`)."""
        return shop_identity(self.platform, self.shop_domain) or self.shop_domain

    def is_shop(self, named: str | None) -> bool:
        """True when a delivery's shop (a domain, or a WooCommerce source URL) is this store's."""
        return shop_identity(self.platform, named) == self.shop

    @property
    def display_name(self) -> str:
        return self.name or self.store_id

    def automation(self, name: str) -> AutomationConfig:
        """A store's config for an automation; a new store has every automation on its defaults."""
        return self.automations.get(name, AutomationConfig())

    def mode_for(self, automation: str) -> Mode:
        return self.automation(automation).mode or self.mode


class StoreSecrets(BaseModel):
    """Kept in Secrets Manager as one JSON secret per store. Never logged or returned."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    #: during a rotation a store holds two valid secrets for a while
    webhook_secrets: list[SecretStr] = Field(min_length=1, max_length=2)
    access_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    outbound_webhook_secret: SecretStr | None = None
    #: a HubSpot private app's access token (crm-sync's HubSpot push)
    hubspot_access_token: SecretStr | None = None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"webhook_secrets": [s.get_secret_value() for s in self.webhook_secrets]}
        for name in (
            "access_token",
            "consumer_key",
            "consumer_secret",
            "slack_webhook_url",
            "outbound_webhook_secret",
            "hubspot_access_token",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.get_secret_value()
        return out
