"""The one settings model (storekit.settings_model.Settings), read from the environment lazily,
once, and validated: `get_settings()`. pydantic-settings is loaded on that first call, not when a
handler module is imported (it costs ~20 ms CPU of cold import)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import ValidationError

from storekit.errors import ConfigurationError

if TYPE_CHECKING:
    from storekit.settings_model import Settings

#: Chalice binds stream event sources when app.py is imported (by `chalice package`/`deploy`).
#: The packaged template replaces this with the real table's StreamArn (infra/merge-template.json);
#: `chalice deploy` users export STOREFLOW_STREAM_ARN (see README). Only `stream_arn_for_binding`
#: reads it.
PLACEHOLDER_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/storeflow/stream/1970-01-01T00:00:00.000"
)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the environment once (first call, never at import)."""
    from storekit.settings_model import Settings, field_named

    try:
        return Settings()
    except ValidationError as exc:
        fields = ", ".join(field_named(err["loc"][0]) for err in exc.errors())
        raise ConfigurationError(f"invalid storeflow settings: {fields}") from exc


def reset_settings() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()


def stream_arn_for_binding() -> str:
    """The table stream ARN Chalice binds the stream handlers to (see PLACEHOLDER_STREAM_ARN)."""
    return os.environ.get("STOREFLOW_STREAM_ARN") or PLACEHOLDER_STREAM_ARN


#: queue ARN Chalice binds the fallback drainer to; the packaged template points it at the real
#: queue (infra/templates.py), `chalice deploy` users export STOREFLOW_FALLBACK_QUEUE_ARN.
PLACEHOLDER_FALLBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:storeflow-webhook-fallback"


def fallback_queue_arn_for_binding() -> str:
    return os.environ.get("STOREFLOW_FALLBACK_QUEUE_ARN") or PLACEHOLDER_FALLBACK_QUEUE_ARN
