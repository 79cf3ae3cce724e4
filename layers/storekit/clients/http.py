"""HTTP answer classification shared by every outbound client: one place decides retry vs fail."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from storekit.errors import PermanentError, Throttled, TransientError

TIMEOUT = (3.05, 10)
T = TypeVar("T")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)


def raise_for_response(resp: requests.Response, what: str) -> None:
    """429 -> Throttled; 408/5xx -> TransientError; other 4xx -> PermanentError; 2xx/3xx pass."""
    status = resp.status_code
    if status == 429:
        raise Throttled(f"{what}: HTTP 429", retry_after_seconds(resp.headers.get("Retry-After")))
    if status == 408 or status >= 500:
        raise TransientError(f"{what}: HTTP {status}")
    if status >= 400:
        raise PermanentError(f"{what}: HTTP {status} {resp.reason or ''}".strip())


def call(what: str, send: Callable[[], requests.Response]) -> requests.Response:
    """Send a request; network faults become TransientError, answers are classified."""
    try:
        resp = send()
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from None
    raise_for_response(resp, what)
    return resp


def json_of(resp: requests.Response, what: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise TransientError(f"{what}: answer was not JSON") from None
