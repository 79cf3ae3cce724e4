"""Bearer-token checks: the operator's admin token sees every store, a store token only its own."""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source

from storekit.errors import Forbidden, Unauthorized
from storekit.runtime import Runtime
from storekit.store import is_store_id


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing Authorization: Bearer <token> header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_admin(token: str, runtime: Runtime) -> bool:
    expected = runtime.admin_token_sha256()
    return expected is not None and hmac.compare_digest(_digest(token), expected)


def require_admin(authorization: str | None, runtime: Runtime) -> None:
    token = bearer_token(authorization)
    if not is_admin(token, runtime):
        raise Unauthorized("this needs the admin token")


def require_store_access(authorization: str | None, store_id: str, runtime: Runtime) -> None:
    """Admin token, or the token issued for this very store."""
    token = bearer_token(authorization)
    if is_admin(token, runtime):
        return
    store = runtime.store(store_id, fresh=True) if is_store_id(store_id) else None
    if store is not None and store.token_sha256 and hmac.compare_digest(_digest(token), store.token_sha256):
        return
    # a valid token of another store must not learn whether this store exists
    raise Unauthorized("token not valid for this store")


def new_store_token(store_id: str) -> tuple[str, str]:
    """(token shown once, its sha256 kept in the store config)."""
    token = f"sf_{store_id}_{token_source.token_urlsafe(24)}"
    return token, _digest(token)


__all__ = [
    "Forbidden",
    "bearer_token",
    "is_admin",
    "new_store_token",
    "require_admin",
    "require_store_access",
]
