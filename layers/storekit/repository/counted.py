"""Counted writes: a per-order marker (what the counters hold of the order) put together with the
ADD counter changes it explains, in one transaction conditional on the marker being as read, so an
order, refund or cancellation counts exactly once (the reports' sales and cohort counters, the
inventory's variant sales).

Within a stream batch (`counting_held`, the dispatcher's) the writes are held and written when the
batch's events have been handled (`flush_counted`): each marker once, however many events of its
order the batch held, and each counter item once per transaction with the changes of all the
batch's orders summed (a batch of 25 new orders of the same variants writes each variant's counter
once instead of 25 times, each x2 for the transaction). Markers and counters held are read back
(`_held_marker`, `_held_adds`): a second event of the same order in the batch sees the first. A
marker and its own changes always go in the same transaction, so a flush that fails part-way leaves
every order counted fully or not at all; the caller then counts the batch's events again without a
hold (the markers make that exact).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from storekit import keys
from storekit.repository.base import TableRepository, is_conditional_failure

#: DynamoDB takes at most 100 items in one transaction
MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class CounterWrite:
    """ADD `adds` to a counter item's attributes and SET `sets` (its type and store-member index are
    set too). Summed with other writes to the same item: adds add up; a set keeps the larger number
    (an expiry), else the later value (a title)."""

    store_id: str
    key: keys.Key
    item_type: str
    adds: dict[str, int | Decimal]
    sets: dict[str, Any] = field(default_factory=dict)


@dataclass
class _HeldMarker:
    item: dict[str, Any]  # the marker as it will be put (keys, version and all)
    condition: dict[str, Any]  # as read from the table before the batch changed it
    changes: list[CounterWrite]


@dataclass
class _Held:
    markers: dict[tuple[str, str], _HeldMarker] = field(default_factory=dict)


def _slot(key: keys.Key) -> tuple[str, str]:
    return str(key["PK"]), str(key["SK"])


def _summed(changes: list[CounterWrite]) -> list[CounterWrite]:
    out: dict[tuple[str, str], CounterWrite] = {}
    for change in changes:
        slot = _slot(change.key)
        known = out.get(slot)
        if known is None:
            out[slot] = CounterWrite(
                change.store_id, change.key, change.item_type, dict(change.adds), dict(change.sets)
            )
            continue
        for attr, amount in change.adds.items():
            known.adds[attr] = known.adds.get(attr, 0) + amount
        for attr, value in change.sets.items():
            old = known.sets.get(attr)
            numbers = isinstance(old, int | Decimal) and isinstance(value, int | Decimal)
            known.sets[attr] = max(old, value) if numbers else value
    return [c for c in out.values() if any(c.adds.values()) or c.sets]


class CountedRepository(TableRepository):
    @contextmanager
    def counting_held(self) -> Iterator[None]:
        """Hold counted writes until `flush_counted` (a stream batch). Whatever is still held when
        the block ends unflushed is dropped: its events were not finished and are handled again."""
        self._counted_hold.held = _Held()
        try:
            yield
        finally:
            self._counted_hold.held = None

    @contextmanager
    def counting_paused(self) -> Iterator[None]:
        """Write counted writes at once within the block (counting a batch's event again after its
        held writes were dropped), and hold again after it when they were held before."""
        held = self._held()
        self._counted_hold.held = None
        try:
            yield
        finally:
            self._counted_hold.held = held

    @property
    def _counted_hold(self) -> threading.local:
        hold: threading.local | None = self.__dict__.get("_counted_held")
        if hold is None:
            hold = self.__dict__["_counted_held"] = threading.local()
        return hold

    def _held(self) -> _Held | None:
        held: _Held | None = getattr(self._counted_hold, "held", None)
        return held

    def _held_marker(self, key: keys.Key) -> dict[str, Any] | None:
        """The marker at `key` as the held writes leave it (None: not held: read the table)."""
        held = self._held()
        found = held.markers.get(_slot(key)) if held is not None else None
        return dict(found.item) if found is not None else None

    def _held_adds(self, key: keys.Key) -> dict[str, int | Decimal]:
        """What the held writes add to a counter item (read-your-writes for counters)."""
        held = self._held()
        out: dict[str, int | Decimal] = {}
        if held is None:
            return out
        for marker in held.markers.values():
            for change in marker.changes:
                if _slot(change.key) == _slot(key):
                    for attr, amount in change.adds.items():
                        out[attr] = out.get(attr, 0) + amount
        return out

    def _apply_counted(
        self, marker: dict[str, Any], version_before: int | None, changes: list[CounterWrite]
    ) -> bool:
        """Put `marker` (its keys included; its `version` becomes version_before + 1) and apply
        `changes`, only if the marker is still at `version_before` (None: none yet). Held within a
        batch (True); else written now: False when another worker changed the marker first."""
        item = {**marker, "version": (version_before or 0) + 1}
        slot = _slot(item)
        held = self._held()
        if held is not None:
            known = held.markers.get(slot)
            if known is not None:
                if int(known.item["version"]) != (version_before or 0):
                    return False  # read before the held version: the caller reads again
                held.markers[slot] = _HeldMarker(item, known.condition, [*known.changes, *changes])
            else:
                held.markers[slot] = _HeldMarker(item, _condition(version_before), list(changes))
            return True
        return self._write_counted([_HeldMarker(item, _condition(version_before), list(changes))])

    def flush_counted(self, *, hold_on: bool = False) -> bool:
        """Write what the batch holds, in as few transactions as fit (markers with their summed
        changes), and stop holding (`hold_on`: hold what comes next, empty). False when a marker's
        condition failed (another worker counted that order meanwhile): what that transaction held
        was not written, the caller counts its events again. Raises on other errors (what was
        written stays written: each order whole)."""
        held = self._held()
        if held is None:
            return True
        self._counted_hold.held = _Held() if hold_on else None
        ok = True
        group: list[_HeldMarker] = []
        counters: set[tuple[str, str]] = set()
        for marker in held.markers.values():
            own = {_slot(c.key) for c in marker.changes}
            if group and len(group) + 1 + len(counters | own) > MAX_TRANSACTION_ITEMS:
                ok = self._write_counted(group) and ok
                group, counters = [], set()
            group.append(marker)
            counters |= own
        if group:
            ok = self._write_counted(group) and ok
        return ok

    def _write_counted(self, markers: list[_HeldMarker]) -> bool:
        table = self._table.name
        changes = _summed([c for m in markers for c in m.changes])
        if len(markers) == 1 and not changes:  # the marker alone: no transaction
            try:
                self._table.put_item(Item=markers[0].item, **markers[0].condition)
            except ClientError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
            return True
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": table, "Item": m.item, **m.condition}} for m in markers
        ]
        items += [{"Update": _counter_update(table, c)} for c in changes]
        try:  # a single order of more than 99 counters: the marker goes in the first
            for start in range(0, len(items), MAX_TRANSACTION_ITEMS):
                self._table.meta.client.transact_write_items(
                    TransactItems=items[start : start + MAX_TRANSACTION_ITEMS]
                )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True


def _condition(version_before: int | None) -> dict[str, Any]:
    if version_before is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": version_before}}


def _counter_update(table: str, change: CounterWrite) -> dict[str, Any]:
    member = keys.store_member(change.store_id, change.key)
    names: dict[str, str] = {"#t": "type", "#gp": "GSI2PK", "#gs": "GSI2SK"}
    values: dict[str, Any] = {":t": change.item_type, ":gp": member["GSI2PK"], ":gs": member["GSI2SK"]}
    sets = ["#t = :t", "#gp = :gp", "#gs = :gs"]
    adds = []
    for i, (attr, amount) in enumerate(sorted(change.adds.items())):
        if amount:
            names[f"#a{i}"] = attr
            values[f":a{i}"] = amount
            adds.append(f"#a{i} :a{i}")
    for i, (attr, value) in enumerate(sorted(change.sets.items())):
        names[f"#s{i}"] = attr
        values[f":s{i}"] = value
        sets.append(f"#s{i} = :s{i}")
    expression = "SET " + ", ".join(sets)
    if adds:
        expression += " ADD " + ", ".join(adds)
    return {
        "TableName": table,
        "Key": change.key,
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
