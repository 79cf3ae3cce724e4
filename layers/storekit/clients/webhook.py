"""Signed outbound webhooks, and `verify_signature` for receivers.

Each POST carries:
- X-Storeflow-Timestamp: Unix seconds when it was signed;
- X-Storeflow-Signature: base64(HMAC-SHA256(secret, f"{timestamp}.{body}")) over the exact body bytes;
- X-Storeflow-Event-Id: the action id, stable across retries, so receivers can drop duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from storekit.clients.http import send
from storekit.clock import Clock
from storekit.errors import ConfigurationError
from storekit.urls import Resolver, check_public_url


def sign(body: bytes, timestamp: str, secret: str) -> str:
    """base64 HMAC-SHA256 of `timestamp` + "." + `body` with `secret`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def verify_signature(
    body: bytes, timestamp: str, signature: str, secret: str, now: datetime, tolerance_s: int = 300
) -> bool:
    """True if `signature` signs (timestamp, body) with `secret` and the timestamp is within
    `tolerance_s` of `now` (either side). Constant-time comparison; never raises on bad input."""
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance_s:
        return False
    expected = sign(body, timestamp, secret).encode()
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # money stays exact
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, Decimals as strings, datetimes ISO-8601."""
    return json.dumps(payload, default=_json_default, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookChannel:
    """POSTs signed JSON to a merchant's endpoint: https to a public host only (its addresses are
    checked right before sending; redirects are not followed)."""

    def __init__(
        self, session: requests.Session, clock: Clock, resolve: Resolver = socket.getaddrinfo
    ) -> None:
        self._session = session
        self._clock = clock
        self._resolve = resolve

    def post(self, url: str, payload: dict[str, Any], secret: str, event_id: str) -> None:
        """Sign and send `payload`; answers classified by storekit.clients.http (3xx are not followed)."""
        check_public_url(url, "outbound webhook", self._resolve)
        if not secret.strip():
            raise ConfigurationError("outbound webhook secret is empty")
        body = encode_payload(payload)
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Storeflow-Timestamp": timestamp,
            "X-Storeflow-Signature": sign(body, timestamp, secret),
            "X-Storeflow-Event-Id": event_id,
        }
        send(self._session, "POST", url.strip(), "outbound webhook", data=body, headers=headers)
