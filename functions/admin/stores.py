"""Saving and showing stores: config to the table, secrets to Secrets Manager (never echoed)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from functions.admin.models import StoreInput, WooCredentials
from storekit.errors import BadRequest, ConfigurationError
from storekit.runtime import Runtime
from storekit.store import AutomationConfig, StoreConfig, StoreSecrets


def validation_message(exc: ValidationError) -> str:
    """Field paths and messages only: never the submitted values (they may be secrets)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def checked_automations(
    automations: dict[str, AutomationConfig], runtime: Runtime
) -> dict[str, AutomationConfig]:
    """Only known automations, each with settings its model accepts."""
    known = runtime.registry
    for name, config in automations.items():
        automation = known.get(name)
        if automation is None:
            raise BadRequest(f"unknown automation {name!r}; known: {', '.join(known.names())}")
        try:
            automation.settings_model.model_validate(config.settings)
        except ValidationError as exc:
            raise BadRequest(f"automations.{name}.settings: {validation_message(exc)}") from exc
    return automations


def save_store(store_id: str, body: StoreInput, runtime: Runtime) -> tuple[StoreConfig, bool]:
    """Create or update a store. Returns (config, created)."""
    now = runtime.clock.now()
    existing = runtime.store(store_id, fresh=True)
    if existing is not None and existing.platform != body.platform:
        raise BadRequest("a store's platform cannot change; create a new store id instead")
    base: dict[str, Any] = existing.model_dump() if existing else {"store_id": store_id, "created_at": now}
    for field in ("platform", "shop_domain", "name", "mode", "timezone", "currency"):
        value = getattr(body, field)
        if value is not None:
            base[field] = value
    if body.automations is not None:
        base["automations"] = checked_automations(body.automations, runtime)
    base["updated_at"] = now
    try:
        config = StoreConfig.model_validate(base)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc

    secrets = _merged_secrets(store_id, body, existing is not None, runtime)
    runtime.save_store_secrets(store_id, secrets)
    runtime.repo.put_store(config)
    runtime.forget_store(store_id)
    return config, existing is None


def _merged_secrets(store_id: str, body: StoreInput, exists: bool, runtime: Runtime) -> StoreSecrets:
    current: dict[str, Any] = {}
    if exists:
        try:
            current = runtime.store_secrets(store_id, fresh=True).model_dump()
        except ConfigurationError:
            current = {}
    webhook = body.given_webhook_secrets()
    if webhook is not None:
        current["webhook_secrets"] = webhook
    if not current.get("webhook_secrets"):
        raise BadRequest("webhook_secret is required for a new store")
    credentials = body.api_credentials
    if isinstance(credentials, WooCredentials):
        current["consumer_key"] = credentials.consumer_key
        current["consumer_secret"] = credentials.consumer_secret
    elif credentials is not None:
        current["access_token"] = credentials.access_token
    for name in ("slack_webhook_url", "outbound_webhook_secret"):
        if getattr(body, name) is not None:
            current[name] = getattr(body, name)
    return StoreSecrets.model_validate(current)


def store_view(config: StoreConfig, runtime: Runtime) -> dict[str, Any]:
    """A store as the API shows it: settings with defaults filled in, secrets only as presence."""
    automations: dict[str, Any] = {}
    for automation in runtime.registry.all():
        chosen = config.automation(automation.name)
        automations[automation.name] = {
            "enabled": chosen.enabled,
            "mode": config.mode_for(automation.name),
            "description": automation.description,
            "topics": sorted(str(t) for t in automation.topics),
            "settings": automation.settings_for(config).model_dump(mode="json"),
        }
    try:
        secrets = runtime.store_secrets(config.store_id)
        saved = {
            "webhook_secrets": len(secrets.webhook_secrets),
            "api_credentials": bool(secrets.access_token or secrets.consumer_key),
            "slack_webhook_url": secrets.slack_webhook_url is not None,
            "outbound_webhook_secret": secrets.outbound_webhook_secret is not None,
        }
    except ConfigurationError:
        saved = {"webhook_secrets": 0, "api_credentials": False}
    return {
        "store_id": config.store_id,
        "platform": config.platform,
        "shop_domain": config.shop_domain,
        "name": config.name,
        "mode": config.mode,
        "timezone": config.timezone,
        "currency": config.currency,
        "automations": automations,
        "secrets_saved": saved,
        "store_token_issued": config.token_sha256 is not None,
        "created_at": config.created_at.isoformat(),
        "updated_at": config.updated_at.isoformat(),
    }
