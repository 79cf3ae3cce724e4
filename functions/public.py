"""Public routes (no token, reached by shoppers and bots alike): every one goes through the one rate
limiter (storekit.ratelimit) with `@rate_limited(bp, "<route>")`, and counts its failed proofs
with `proof_guard(...)`.

    @bp.route("/stores/{store_id}/waitlist", methods=["POST"], cors=True)
    @answer_errors
    @rate_limited(bp, "waitlist")
    def waitlist(store_id: str) -> Response: ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response

from storekit.errors import BadRequest
from storekit.ratelimit import RateLimiter, RateLimits
from storekit.runtime import Runtime, get_runtime
from storekit.store import StoreConfig, is_store_id


def client_address(request: Any) -> str:
    """The caller's address as API Gateway saw it (requestContext.identity.sourceIp). Never
    X-Forwarded-For or another header: the caller writes those."""
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


#: counters of public routes without a store in their path (`GET /u/{token}`) live under this id,
#: which no store can have
NO_STORE = "-"


def rate_limited(bp: Blueprint, route: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorator for a public route (put it under `answer_errors`): counts the request per client
    address and per store (the `store_id` path parameter; routes without one, such as a signed
    token's, are counted together with the deployment's defaults) before the handler runs; over a
    limit the answer is 429 with Retry-After and the handler does not run."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapped(**params: Any) -> Response:
            runtime = get_runtime()
            store_id = params.get("store_id")
            limits = RateLimits()
            if store_id is not None:
                if not is_store_id(store_id):
                    raise BadRequest("store id must be 1-63 characters of a-z, 0-9 and '-'")
                store = runtime.store(store_id)
                limits = store.rate_limits if store is not None else limits
            limiter = RateLimiter(runtime.table, runtime.clock)
            limiter.admit(store_id or NO_STORE, route, client_address(bp.current_request), limits)
            return handler(**params)

        return wrapped

    return decorate


@dataclass(frozen=True)
class ProofGuard:
    """Failed proofs of one route of one store: `check` before checking a proof, `failed` after a
    proof did not hold. A proof is any text the caller claims (an order number, an email)."""

    store: StoreConfig
    route: str
    runtime: Runtime

    def _limiter(self) -> RateLimiter:
        return RateLimiter(self.runtime.table, self.runtime.clock)

    def check(self, proofs: Iterable[str]) -> None:
        self._limiter().check_proofs(self.store.store_id, self.route, proofs, self.store.rate_limits)

    def failed(self, proofs: Iterable[str]) -> None:
        self._limiter().note_failed_proofs(self.store.store_id, self.route, proofs, self.store.rate_limits)


def proof_guard(store: StoreConfig, route: str, runtime: Runtime) -> ProofGuard:
    return ProofGuard(store, route, runtime)
