"""Signed outbound webhooks: receivers check X-Storeflow-Signature with `verify_signature`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from storekit.clients.http import TIMEOUT, call
from storekit.clock import Clock
from storekit.errors import ConfigurationError

_LOCAL_HOSTS = {"localhost", "127.0.0.1"}


def signature(body: bytes, timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def verify_signature(
    body: bytes, timestamp: str, given: str, secret: str, now: datetime, tolerance_s: int = 300
) -> bool:
    """True if `given` signs (timestamp, body) with `secret` and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance_s:
        return False
    return hmac.compare_digest(signature(body, timestamp, secret), given)


class WebhookChannel:
    def __init__(self, session: requests.Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def post(self, url: str, payload: dict[str, Any], secret: str, event_id: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in _LOCAL_HOSTS:
            raise ConfigurationError("outbound webhooks go to https URLs only")
        body = json.dumps(payload, default=str, separators=(",", ":")).encode()
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Storeflow-Timestamp": timestamp,
            "X-Storeflow-Signature": signature(body, timestamp, secret),
            "X-Storeflow-Event-Id": event_id,
        }
        call("outbound webhook", lambda: self._session.post(url, data=body, headers=headers, timeout=TIMEOUT))
