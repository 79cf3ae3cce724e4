"""Rate counters: the fixed-window request counters of the public routes (ADD, TTL), which the one
rate limiter (storekit.ratelimit) reads and counts. Each carries the store-member index, so
shop/redact deletes them with the rest of the store."""

from __future__ import annotations

from storekit import keys
from storekit.repository.base import TableRepository


class RateRepository(TableRepository):
    def count_rate_hit(
        self, store_id: str, scope: str, subject: str, window_start: int, expires_at: int
    ) -> int:
        """Add one hit to a window's counter (created on the first, gone by TTL at `expires_at`);
        the hits counted in that window so far, this one included."""
        key = keys.rate_counter(store_id, scope, subject, window_start)
        member = keys.store_member(store_id, key)
        answer = self._table.update_item(
            Key=key,
            UpdateExpression=(
                "ADD hits :one SET expires_at = :e, #t = :t, store_id = :s, GSI2PK = :mp, GSI2SK = :ms"
            ),
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":one": 1,
                ":e": expires_at,
                ":t": keys.RATE,
                ":s": store_id,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["hits"])

    def rate_hits(self, store_id: str, scope: str, subject: str, window_start: int) -> int:
        """The hits counted in a window so far (0 for none), read consistently."""
        item = self._get(keys.rate_counter(store_id, scope, subject, window_start), consistent=True)
        return int(item.get("hits", 0)) if item else 0
