"""Signed links that need no login: one-click unsubscribe (`GET /u/{token}`), the open pixel and
click redirects (`GET /t/o/{token}`, `GET /t/c/{token}`).

A token is `<claims>.<mac>`: the claims as compact JSON in base64url, and the first 16 bytes of
their HMAC-SHA256 under the deployment's link key (`Runtime.link_key`, kept in Secrets Manager and
created on first use). Everything a link acts on is inside its signed claims: a click redirect's
target cannot be changed (no open redirect) and an unsubscribe names its subject. The claims hold
no plain email address or phone number (domains put a hash, or an id, in `data`).

The engine never interprets `kind` or `data`: the domain that made the link declares a handler for
its kind (`Domain.unsubscribes`), and the route hands it the verified claims.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storekit.errors import NotFound

#: what a link does: u = unsubscribe, o = open pixel, c = click redirect
Purpose = Literal["u", "o", "c"]

#: the route of each purpose, below the deployment's public URL
ROUTES: dict[str, str] = {"u": "/u/", "o": "/t/o/", "c": "/t/c/"}

MAC_BYTES = 16
#: longest token accepted (a click link's target URL is the largest part)
MAX_TOKEN_CHARS = 2048


class LinkClaims(BaseModel):
    """What a signed link says (short field names keep links short)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    purpose: Purpose = Field(alias="p")
    store_id: str = Field(alias="s", min_length=1, max_length=63)
    #: the domain's name for what the link is about ("waitlist", "marketing", ...)
    kind: str = Field(alias="k", min_length=1, max_length=40)
    data: dict[str, str] = Field(default_factory=dict, alias="d", max_length=12)


class InvalidLink(NotFound):
    """A token that was not made here, was altered, or is malformed: answered like an unknown page
    (the answer never says which part failed)."""

    def __init__(self) -> None:
        super().__init__("this link is not valid (it may have been copied incompletely)")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a link key has at least 32 bytes")
        self._key = key

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:MAC_BYTES])

    def token(self, claims: LinkClaims) -> str:
        payload = json.dumps(claims.model_dump(by_alias=True), separators=(",", ":"), sort_keys=True)
        body = _b64(payload.encode())
        return f"{body}.{self._mac(body)}"

    def read(self, token: str, purpose: Purpose) -> LinkClaims:
        """The claims of a token made here for `purpose`; InvalidLink otherwise."""
        if len(token) > MAX_TOKEN_CHARS or not token.isascii() or token.count(".") != 1:
            raise InvalidLink()
        body, mac = token.split(".")
        if not hmac.compare_digest(self._mac(body), mac):
            raise InvalidLink()
        try:
            claims = LinkClaims.model_validate(json.loads(_unb64(body)))
        except (ValueError, binascii.Error, ValidationError):
            raise InvalidLink() from None
        if claims.purpose != purpose:
            raise InvalidLink()
        return claims

    def url(self, base_url: str, claims: LinkClaims) -> str:
        return base_url.rstrip("/") + ROUTES[claims.purpose] + self.token(claims)
