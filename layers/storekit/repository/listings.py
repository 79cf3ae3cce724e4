"""Counters (reports read O(days), not O(orders)) and the per-store listings the admin API shows
newest first, one page per request, resumed by an opaque cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.conditions import Key

from storekit import keys
from storekit.errors import BadRequest
from storekit.repository.base import TableRepository
from storekit.repository.events import with_outcomes
from storekit.repository.items import view_of
from storekit.repository.outbox import runs_in

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class CounterRepository(TableRepository):
    @contextmanager
    def counters_held(self) -> Iterator[None]:
        """Within the block (a stream batch), adds to the same counter are summed and written once
        when it ends, even when it ends in an error: a batch of 25 events of one topic adds 25 to
        one counter with one write instead of 25 (`_add_day_count_held`: the activity and fraud
        report counters). Per thread (the local stack shares a runtime)."""
        held: dict[tuple[str, str, str, str | None], Any] = {}
        self._counter_hold.held = held
        try:
            yield
        finally:
            self._counter_hold.held = None
            for (store_id, name, day, dimension), amount in held.items():
                self._add_day_count(store_id, name, day, dimension, amount)

    def add_to_counter(
        self, store_id: str, name: str, day: str, dimension: str | None = None, amount: int | Any = 1
    ) -> None:
        self._add_day_count_held(store_id, name, day, dimension, amount)

    def counters(
        self, store_id: str, name: str, first_day: str, last_day: str
    ) -> list[tuple[str, str | None, int]]:
        """(day, dimension, value) for each counter of `name` from first_day to last_day inclusive."""
        return [
            (day, dimension, int(value))
            for day, dimension, value in self._day_rows(store_id, name, first_day, last_day)
        ]


class ListingRepository(TableRepository):
    def listing(
        self,
        store_id: str,
        what: str,
        *,
        status: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page (up to `limit` items) of a per-store listing, newest first, and the cursor of
        the next page (None at the end)."""
        index, partition = keys.listing_partition(store_id, what, status)
        pk_name = f"{index}PK"
        query: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(pk_name).eq(partition),
            "ScanIndexForward": False,
        }
        skip = 0
        if cursor:
            start = decode_cursor(cursor)
            if what == "runs" and set(start) == {"at", "skip"}:
                # a runs page that ended inside an item: resume at that item, past the runs shown
                skip = _skip_of(start["skip"])
                query["KeyConditionExpression"] &= Key(f"{index}SK").lte(start["at"])
            # exactly the keys DynamoDB gives out for this index (a real table refuses others)
            elif start.get(pk_name) != partition or set(start) != {"PK", "SK", pk_name, f"{index}SK"}:
                raise BadRequest("cursor does not belong to this listing")
            else:
                query["ExclusiveStartKey"] = start
        if what == "runs":
            return self._run_listing(query, index, limit, skip)
        items: list[dict[str, Any]] = []
        next_key: dict[str, Any] | None = None
        for page in self._pages(query, limit=limit):
            found = with_outcomes(self._table, page.items) if what == "events" else page.items
            items += (view_of(item) for item in found)
            next_key = page.next_key
        return items, encode_cursor(next_key) if next_key else None

    def _run_listing(
        self, query: dict[str, Any], index: str, limit: int, skip: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of runs: each item holds the runs of one event (or job), so a page may end inside
        one; its cursor then says how many of that item's runs were shown already."""
        shown: list[dict[str, Any]] = []
        names = ("PK", "SK", f"{index}PK", f"{index}SK")
        # every listed item holds at least one run: limit + 1 items fill a page even after a skip
        for page in self._pages(query, limit=limit + 1):
            for position, item in enumerate(page.items):
                runs = runs_in(item)[skip:]
                room = limit - len(shown)
                if len(runs) > room:
                    shown += (run.view() for run in runs[:room])
                    return shown, encode_cursor({"at": str(item[f"{index}SK"]), "skip": str(skip + room)})
                shown += (run.view() for run in runs)
                skip = 0
                if len(shown) == limit:
                    more = position < len(page.items) - 1 or page.next_key is not None
                    return shown, encode_cursor({n: str(item[n]) for n in names}) if more else None
        return shown, None

    def items_of(self, store_id: str, what: str, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a per-store listing, with keys (shop/redact, the sweeper)."""
        index, partition = keys.listing_partition(store_id, what, status)
        return self._query({"IndexName": index, "KeyConditionExpression": Key(f"{index}PK").eq(partition)})


def _skip_of(skip: str) -> int:
    """The runs of the cursor's item already shown (a runs page may end inside an item)."""
    if not skip.isdigit() or len(skip) > 6:
        raise BadRequest("cursor is not one this API gave out")
    return int(skip)


def encode_cursor(last_key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise BadRequest("cursor is not one this API gave out") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadRequest("cursor is not one this API gave out")
    return data
