"""HTTP answer classification shared by every outbound HTTP client: one place decides retry vs fail.

- 2xx: success.
- 3xx: PermanentError. Redirects are never followed (`allow_redirects=False`): requests would turn a
  redirected POST/PUT into a GET and drop the auth header, so the call would "succeed" doing nothing.
- 429: Throttled, `retry_after` from the Retry-After header (seconds or HTTP-date) or None.
- 408 and 5xx: TransientError.  Other 4xx: PermanentError.
- Connection errors and timeouts: TransientError.

Messages carry the status and a short reason (an error code token or the reason phrase), never a
URL, header, body text or the request: URLs can hold secrets (Slack webhooks), bodies hold PII.
"""

from __future__ import annotations

import email.utils
import re
import time
from typing import Any, Final

import requests

from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

#: (connect, read) seconds for every outbound HTTP call
TIMEOUT: Final = (3.05, 10.0)

#: hosts where plain http is accepted (local stack, tests)
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})

#: an error-code token: lower-case words joined by underscores, no digits (so never a key or token)
_TOKEN = re.compile(r"^(?=.{2,64}$)[a-z]+(?:_[a-z]+)*$")
_PRINTABLE = re.compile(r"[^ -~]")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)


def safe_reason(resp: requests.Response) -> str:
    """A short reason that cannot leak data: an error-code token from the body, else the reason phrase.

    Slack answers plain tokens (`invalid_payload`), WooCommerce JSON `{"code": "woocommerce_rest_..."}`.
    """
    token = ""
    text = (resp.text or "").strip() if len(resp.content or b"") <= 4096 else ""
    if _TOKEN.match(text):
        token = text
    elif text.startswith("{"):
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for key in ("code", "error"):
                value = body.get(key)
                if isinstance(value, str) and _TOKEN.match(value):
                    token = value
                    break
    if token:
        return token
    return _PRINTABLE.sub("", resp.reason or "")[:40].strip()


def raise_for_response(resp: requests.Response, what: str) -> None:
    """Raise the typed error for a non-2xx answer; return quietly on 2xx."""
    status = resp.status_code
    if 200 <= status < 300:
        return
    reason = safe_reason(resp)
    detail = f"{what}: HTTP {status}" + (f" {reason}" if reason else "")
    if status == 429:
        raise Throttled(detail, retry_after_seconds(resp.headers.get("Retry-After")))
    if status == 408 or status >= 500:
        raise TransientError(detail)
    if 300 <= status < 400:
        raise PermanentError(f"{detail} (redirects are not followed: check the configured URL)")
    raise PermanentError(detail)


def send(session: requests.Session, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
    """Send one request (timeout set, no redirects) and classify the answer.

    Network faults become TransientError. The original exception is not chained on purpose: its text
    holds the URL, which may be a secret (a Slack webhook URL, a signed endpoint).
    """
    try:
        resp = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from None
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ):
        raise ConfigurationError(f"{what}: the configured URL is not valid") from None  # URL may be secret
    raise_for_response(resp, what)
    return resp


def json_of(resp: requests.Response, what: str) -> Any:
    """The answer's JSON body; a 2xx that is not JSON means the URL does not reach the API."""
    try:
        return resp.json()
    except ValueError:
        # not chained: the decode error carries the whole body (`doc`), which may hold customer data
        raise PermanentError(f"{what}: HTTP {resp.status_code} answer was not JSON") from None
