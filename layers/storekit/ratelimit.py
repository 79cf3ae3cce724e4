"""The one rate limiter of the public routes (no token: the shopper assistant, and every later one).

Three kinds of counters, each a fixed window kept as one DynamoDB item (ADD, TTL):
- per client: requests from one address (API Gateway's `requestContext.identity.sourceIp`, never a
  header the client writes) to one store;
- per store: requests from all clients together (a bot spread over many addresses);
- per proof: failed proofs (an order number, an email address) whatever the address, so guessing
  order numbers for one email, or emails for one order, stops after a few tries.

The defaults are far above what a shopper does (a few questions a minute) and far below what a
bot does (hundreds a second): a bot meets them within a second, a shopper never. A store may set
its own (`rate_limits` of PUT /stores/{store_id}).

Counter keys hold a hash of the address or proof, never the value itself (no personal data in
keys); the items expire with TTL after their window and carry the store-member index, so
shop/redact deletes them with the rest of the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storekit import keys
from storekit.clock import Clock
from storekit.errors import RateLimited


class RateLimits(BaseModel):
    """A store's limits for its public routes (validated when the store is saved)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: requests one client address may make to one public route of the store per window
    per_client: int = Field(default=30, ge=1, le=100_000)
    #: requests all clients together may make to one public route of the store per window
    per_store: int = Field(default=1200, ge=1, le=10_000_000)
    window_seconds: int = Field(default=60, ge=1, le=3600)
    #: failed proofs (wrong order number / email pairs) per order number and per email per proof window
    proof_failures: int = Field(default=10, ge=1, le=10_000)
    proof_window_seconds: int = Field(default=3600, ge=60, le=86_400)


class RateLimiter:
    """Counts requests and failed proofs; raises RateLimited (429 + Retry-After) over a limit."""

    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def _window(self, seconds: int) -> tuple[int, int]:
        """(start of the current window, seconds until it ends), epoch seconds."""
        now = self._clock.now().timestamp()
        start = int(now // seconds) * seconds
        return start, max(1, math.ceil(start + seconds - now))

    def _add(self, store_id: str, scope: str, subject: str, window_seconds: int) -> tuple[int, int]:
        start, left = self._window(window_seconds)
        key = keys.rate_counter(store_id, scope, subject, start)
        member = keys.store_member(store_id, key)
        answer = self._table.update_item(
            Key=key,
            UpdateExpression=(
                "ADD hits :one SET expires_at = :e, #t = :t, store_id = :s, GSI2PK = :mp, GSI2SK = :ms"
            ),
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":one": 1,
                ":e": start + window_seconds + 60,
                ":t": keys.RATE,
                ":s": store_id,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["hits"]), left

    def admit(self, store_id: str, route: str, client: str, limits: RateLimits) -> None:
        """Count one request of `client` to `route`; RateLimited if the client or the store is over
        its limit. A client over its own limit is not counted against the store (one bot does not
        lock the shoppers out)."""
        hits, left = self._add(store_id, f"{route}#client", client, limits.window_seconds)
        if hits > limits.per_client:
            raise RateLimited("too many requests from this address; please wait and try again", left)
        hits, left = self._add(store_id, f"{route}#store", "*", limits.window_seconds)
        if hits > limits.per_store:
            raise RateLimited("this store is receiving too many requests; please try again shortly", left)

    def check_proofs(self, store_id: str, route: str, proofs: Iterable[str], limits: RateLimits) -> None:
        """RateLimited if any of these proofs failed too often in the current proof window (read
        before the proof is checked, so a locked proof reveals nothing even when it is right)."""
        start, left = self._window(limits.proof_window_seconds)
        wanted = [keys.rate_counter(store_id, f"{route}#proof", p, start) for p in proofs]
        for key in wanted:
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            if item and int(item.get("hits", 0)) >= limits.proof_failures:
                raise RateLimited("too many failed attempts; please wait and try again", left)

    def note_failed_proofs(
        self, store_id: str, route: str, proofs: Iterable[str], limits: RateLimits
    ) -> None:
        for proof in proofs:
            self._add(store_id, f"{route}#proof", proof, limits.proof_window_seconds)
