"""Powertools Logger, Metrics and Tracer: one of each for the whole app (set up in app.py).

Log keyword fields, never payloads, emails, phones, addresses or secrets. The Tracer (and the
X-Ray SDK it loads, ~0.3 s) is created on first use, not at import, to keep cold starts short.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE = "storeflow"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=SERVICE, service=SERVICE)

F = TypeVar("F", bound=Callable[..., Any])


@lru_cache(maxsize=1)
def tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE, auto_patch=False)


def traced(fn: F) -> F:
    """Trace calls of `fn` as a subsegment (a no-op outside Lambda or with tracing disabled)."""
    wrapped: list[Callable[..., Any]] = []

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not wrapped:
            wrapped.append(tracer().capture_method(fn, capture_response=False))
        return wrapped[0](*args, **kwargs)

    return call  # type: ignore[return-value]
