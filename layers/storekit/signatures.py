"""Webhook signature checks on the raw bytes, constant-time, for both platforms.

Shopify (X-Shopify-Hmac-Sha256) and WooCommerce (X-WC-Webhook-Signature) both send the base64
HMAC-SHA256 of the exact request body keyed with the webhook secret. A store may hold two valid
secrets while one is rotated, so any of them may match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

from storekit.errors import BadSignature

_WOO_PING = re.compile(rb"^webhook_id=\d{1,20}$")


def sign(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 both platforms send (used by tests, the demo and replay tools)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, signature: str | None, secrets: Iterable[str]) -> None:
    """Raise BadSignature unless `signature` is the HMAC of `body` under one of `secrets`."""
    if not signature:
        raise BadSignature("missing webhook signature header")
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, TypeError) as exc:
        raise BadSignature("webhook signature is not base64") from exc
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        # evaluate every secret so timing does not reveal which one matched
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise BadSignature("webhook signature does not match")


def is_woocommerce_ping(body: bytes, headers: dict[str, str]) -> bool:
    """WooCommerce's creation ping: form body `webhook_id=N`, no signature, no X-WC headers."""
    if any(name.startswith("x-wc-webhook-") for name in headers):
        return False
    return bool(_WOO_PING.match(body.strip()))
