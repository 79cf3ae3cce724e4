"""The signed outbound webhook: storeflow POSTs JSON events to a URL the store names (a CRM, a push
or social tool). The receiver checks X-Storeflow-Signature: base64 HMAC-SHA256 of the raw body with
the store's outbound webhook secret. 429 (Retry-After) and 5xx are retried by the executor; other
4xx fail with their status. The URL is checked again when sending: https to a public host only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from typing import Any

import requests

from storekit.clients.http import send
from storekit.outbound import WebhookPost
from storekit.urls import check_public_url


def resolve_host(host: str, port: int, **kwargs: Any) -> Any:
    """DNS lookup of the receiver (a module function, so local tests can stand in for DNS)."""
    return socket.getaddrinfo(host, port, **kwargs)


def body_bytes(request: WebhookPost) -> bytes:
    return json.dumps(request.body, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookChannel:
    def __init__(self, session: requests.Session) -> None:
        self._session = session

    def post(self, request: WebhookPost, secret: str) -> str:
        check_public_url(request.url, "outbound webhook", resolve=lambda *a, **k: resolve_host(*a, **k))
        body = body_bytes(request)
        headers = {
            "Content-Type": "application/json",
            "X-Storeflow-Event": request.event,
            "X-Storeflow-Signature": signature(body, secret),
        }
        resp = send(
            self._session, "POST", request.url.strip(), "outbound webhook", data=body, headers=headers
        )
        return f"HTTP {resp.status_code}"
