"""Saving and showing stores: config to the table, secrets to Secrets Manager (never echoed)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from functions.admin.models import StoreInput, WooCredentials
from storekit.errors import BadRequest, ConfigurationError, Conflict, shown
from storekit.runtime import Runtime
from storekit.store import AutomationConfig, StoreConfig, StoreSecrets

#: problems a 400 names; a body with thousands of wrong fields gets the first ones and a count
MAX_PROBLEMS = 20


def validation_message(exc: ValidationError) -> str:
    """Each problem as `field: what it needs`, in words a merchant understands ("webhook_secret: at
    least 8 characters"), never the submitted values (they may be secrets). At most MAX_PROBLEMS
    are named, so the answer stays short (and quick) however many fields a body gets wrong."""
    parts: dict[str, None] = {}  # insertion-ordered and O(1) to de-duplicate
    for err in exc.errors(include_input=False, include_url=False):
        # union members ("ShopifyCredentials") and validator wrappers are not fields the merchant sent
        loc = [str(p) for p in err["loc"] if not re.match(r"^[A-Z][A-Za-z]*$|.*[\[\]]", str(p))]
        needs = _plain_words(err["type"], err["msg"], err.get("ctx") or {})
        parts[f"{'.'.join(loc) or 'body'}: {needs}"] = None
    named = list(parts)[:MAX_PROBLEMS]
    more = len(parts) - len(named)
    return "; ".join(named) + (f"; and {more} more problems" if more else "")


_NEEDS: dict[str, str] = {
    "missing": "required",
    "extra_forbidden": "not a field this takes (check the spelling)",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be an object {...}",
    "model_type": "must be an object {...}",
    "model_attributes_type": "must be an object {...}",
    "list_type": "must be a list [...]",
    "set_type": "must be a list [...]",
    "json_invalid": "is not valid JSON",
    "json_type": "is not valid JSON",
    "date_type": "must be a date like 2026-11-24",
    "date_parsing": "must be a date like 2026-11-24",
    "date_from_datetime_parsing": "must be a date like 2026-11-24",
    "datetime_type": "must be a date and time like 2026-11-24T09:00:00+01:00",
    "datetime_parsing": "must be a date and time like 2026-11-24T09:00:00+01:00",
    "datetime_from_date_parsing": "must be a date and time like 2026-11-24T09:00:00+01:00",
    "timezone_aware": "must give a UTC offset, like 2026-11-24T09:00:00+01:00",
    "time_type": "must be a time like 21:00",
    "time_parsing": "must be a time like 21:00",
    "url_type": "must be a URL like https://example.com/path",
    "url_parsing": "must be a URL like https://example.com/path",
    "url_scheme": "must be an https:// URL",
    "uuid_parsing": "must be a UUID",
    "string_unicode": "must be text",
    "bytes_type": "must be text",
}


def _plain_words(kind: str, message: str, ctx: dict[str, Any]) -> str:
    """What a field needs, from pydantic's error type and context (its own message as the fallback)."""
    if kind in _NEEDS:
        return _NEEDS[kind]
    if kind in ("string_too_short", "too_short", "string_too_long", "too_long"):
        bound = ctx.get("min_length", ctx.get("max_length"))
        unit = {"List": "item", "Dictionary": "entry", "Set": "item", "Tuple": "item"}.get(
            str(ctx.get("field_type", "Value")), "character"
        )
        if kind.endswith("too_short") and bound == 1:
            return "must not be empty"
        most = "at least" if kind.endswith("too_short") else "at most"
        return f"{most} {bound} {unit}{'' if bound == 1 else 's'}"
    if kind in ("literal_error", "enum"):
        return f"must be {ctx.get('expected')}"
    comparisons = {
        "greater_than": ("more than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
        "multiple_of": ("a multiple of", "multiple_of"),
    }
    if kind in comparisons:
        words, key = comparisons[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "string_pattern_mismatch":
        return f"is not in the form this takes (pattern {ctx.get('pattern')})"
    if kind == "union_tag_invalid":
        return f"{ctx.get('discriminator')} must be one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"needs a {ctx.get('discriminator')} field"
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message.replace("Input should be", "must be")


def checked_automations(
    automations: dict[str, AutomationConfig], runtime: Runtime
) -> dict[str, AutomationConfig]:
    """Only known automations, each with settings its model accepts."""
    known = runtime.registry
    for name, config in automations.items():
        automation = known.get(name)
        if automation is None:
            raise BadRequest(f"unknown automation {shown(name)}; known: {', '.join(known.names())}")
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
    for field in ("platform", "shop_domain", "name", "mode", "timezone", "currency", "rate_limits"):
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

    holder = runtime.repo.store_of_shop(config.platform, config.shop)
    if holder is not None and holder != store_id:  # checked again, atomically, when saving
        raise Conflict(
            f"shop_domain {config.shop_domain[:100]} already belongs to store {holder!r}: "
            "one shop, one store (delete or change that store first)"
        )
    secrets = _merged_secrets(store_id, body, existing is not None, runtime)
    runtime.save_store_secrets(store_id, secrets)
    runtime.ensure_link_key()  # every store that sends messages signs their unsubscribe links
    runtime.repo.save_store_claiming_shop(config, existing)
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
    for name in ("slack_webhook_url", "outbound_webhook_secret", "hubspot_access_token"):
        if getattr(body, name) is not None:
            current[name] = getattr(body, name)
    return StoreSecrets.model_validate(current)


def store_view(config: StoreConfig, runtime: Runtime) -> dict[str, Any]:
    """A store as the API shows it: settings with defaults filled in, secrets only as presence."""
    automations: dict[str, Any] = {}
    for automation in runtime.registry.all():
        automations[automation.name] = {
            "enabled": runtime.registry.is_enabled(config, automation),
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
            "hubspot_access_token": secrets.hubspot_access_token is not None,
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
        "rate_limits": config.rate_limits.model_dump(),
        "secrets_saved": saved,
        "store_token_issued": config.token_sha256 is not None,
        "created_at": config.created_at.isoformat(),
        "updated_at": config.updated_at.isoformat(),
    }
