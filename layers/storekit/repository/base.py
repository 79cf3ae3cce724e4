"""What every part of the repository stands on: the table, the clock, conditional writes and the
one way storeflow reads a Query (page after page)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import Clock

#: the condition of a put that must happen once: no item with this key yet
NOT_EXISTS = "attribute_not_exists(PK)"


def is_conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


class Page(NamedTuple):
    """One answer of a Query: its items, and the key to resume after it (None: nothing more)."""

    items: list[dict[str, Any]]
    next_key: dict[str, Any] | None


class TableRepository:
    """The table and the clock, shared by every aggregate's repository (composed in Repository)."""

    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    # --- reading: every Query goes through _pages ---------------------------------------------
    def _pages(self, query: dict[str, Any], *, limit: int | None = None) -> Iterator[Page]:
        """Run a Query page after page. DynamoDB stops a page at 1 MB (or at `Limit` items read,
        before any FilterExpression), so a single call can answer with fewer items than exist:
        follow LastEvaluatedKey until there is none, or until `limit` items were returned."""
        request = dict(query)
        returned = 0
        while True:
            if limit is not None:
                request["Limit"] = limit - returned
            answer = self._table.query(**request)
            items: list[dict[str, Any]] = answer.get("Items", [])
            returned += len(items)
            next_key: dict[str, Any] | None = answer.get("LastEvaluatedKey")
            yield Page(items, next_key)
            if next_key is None or (limit is not None and returned >= limit):
                return
            request["ExclusiveStartKey"] = next_key

    def _query(self, query: dict[str, Any], *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every item a Query finds (at most `limit`), across its pages."""
        for page in self._pages(query, limit=limit):
            yield from page.items

    def _get(self, key: dict[str, str], *, consistent: bool = False) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._table.get_item(Key=key, ConsistentRead=consistent).get("Item")
        return item

    # --- writing: conditional, so what must happen once happens once -----------------------
    def _put_once(self, item: dict[str, Any], condition: Any = NOT_EXISTS) -> bool:
        """One conditional put; False when the condition (by default: no such item yet) fails."""
        try:
            self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def _update_if(self, **update: Any) -> bool:
        """One conditional update_item; False when its ConditionExpression fails."""
        try:
            self._table.update_item(**update)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def _delete_if(self, **delete: Any) -> bool:
        """One conditional delete_item; False when its ConditionExpression fails."""
        try:
            self._table.delete_item(**delete)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # --- named per-day counters (reports read them by day range, never by scan) ------------------
    @property
    def _counter_hold(self) -> threading.local:
        """Where a stream batch holds its counter adds (CounterRepository.counters_held)."""
        hold: threading.local | None = self.__dict__.get("_counters_held")
        if hold is None:
            hold = self.__dict__["_counters_held"] = threading.local()
        return hold

    def _add_day_count_held(
        self, store_id: str, kind: str, day: str, name: str | None, amount: int | Decimal
    ) -> None:
        """`_add_day_count`, summed with the other adds to the same counter of the stream batch
        being handled (written once when it ends), or at once outside a batch."""
        held: dict[tuple[str, str, str, str | None], Any] | None = getattr(self._counter_hold, "held", None)
        if held is not None:
            slot = (store_id, kind, day, name)
            held[slot] = held.get(slot, 0) + amount
            return
        self._add_day_count(store_id, kind, day, name, amount)

    def _add_day_count(
        self, store_id: str, kind: str, day: str, name: str | None, amount: int | Decimal
    ) -> None:
        """ADD `amount` to the counter `name` of store-local `day` in the counter partition `kind`
        (kept a store member, so shop/redact finds it)."""
        key = keys.counter(store_id, kind, day, name)
        member = keys.store_member(store_id, key)
        self._table.update_item(
            Key=key,
            UpdateExpression="ADD #v :a SET #t = :t, GSI2PK = :mp, GSI2SK = :ms",
            ExpressionAttributeNames={"#v": "value", "#t": "type"},
            ExpressionAttributeValues={
                ":a": amount,
                ":t": keys.COUNTER,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
        )

    def _day_rows(
        self, store_id: str, kind: str, first_day: str, last_day: str
    ) -> Iterator[tuple[str, str | None, Decimal]]:
        """(day, name, value) of every counter of partition `kind`, first_day..last_day inclusive:
        one Query of one partition."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.counter_partition(store_id, kind))
            & Key("SK").between(*keys.counter_days(first_day, last_day)),
        }
        for item in self._query(query):
            day, name = keys.counter_day_and_dimension(str(item["SK"]))
            yield day, name, Decimal(item["value"])

    def _day_counts(
        self, store_id: str, kind: str, first_day: str, last_day: str
    ) -> list[tuple[str, str, str, Decimal]]:
        """(day, subject, metric, value) of every `subject#metric` counter of partition `kind`."""
        out: list[tuple[str, str, str, Decimal]] = []
        for day, name, value in self._day_rows(store_id, kind, first_day, last_day):
            subject, _, metric = (name or "").rpartition("#")
            out.append((day, subject, metric, value))
        return out
