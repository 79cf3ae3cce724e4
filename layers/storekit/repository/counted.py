"""Counted writes: a marker (what the counters hold of an order, or of a customer) written together
with the ADD counter changes it explains, in one transaction conditional on the marker being as
read, so an order, refund or cancellation counts exactly once (the reports' sales and cohort
counters, the inventory's variant sales).

An order's markers share one item, its ledger (storekit.keys.order_ledger): each counting domain
owns a part of it (an attribute the domain names, `ledger_part`, and the part's own version) and
writes only that part, conditional on that version. Other markers (a customer's) are items of
their own, put whole, conditional on their `version`.

Within a stream batch (`counting_held`, the dispatcher's) the writes are held and written when the
batch's events have been handled (`flush_counted`): each order's ledger once, with every part the
batch changed (one Update, conditional on each part's version as read before the batch), however
many events and domains counted it, and each counter item once per transaction with the changes of
all the batch's orders summed (a batch of 25 new orders of the same variants writes each variant's
counter once instead of 25 times, each x2 for the transaction). What is held is read back
(`_held_marker`, `_held_adds`, `ledger_part`): a second event of the same order in the batch sees
the first. The ledgers the batch read are kept for the batch (the second domain reading the same
order reads nothing more; the conditions at the flush catch another worker's write meanwhile). A
marker and its own changes always go in the same transaction, so a flush that fails part-way leaves
every order counted fully or not at all; the caller then counts the batch's events again without a
hold (the markers make that exact).

Upgrade from per-domain markers: a store counted before the ledger has a marker item per order and
domain (`legacy`, e.g. keys.report_marker). While an order's ledger has no part of a domain, that
domain's part is read from its old marker, in the same call (one BatchGetItem of both), and given
back without a version: the part's first write is then conditional on the part being absent, so an
order counted before the upgrade is never counted again after it. (The dispatcher of before the
upgrade must not run alongside: Lambda swaps the code between batches.)
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
from storekit.repository.items import attributes_of

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
class _HeldPart:
    attrs: dict[str, Any]  # the part as it will be written
    version: int  # its version then
    version_before: int | None  # as read before the batch changed it (None: absent)


@dataclass
class _HeldMarker:
    #: a marker: the item as it will be put (keys, version and all); a ledger: its keys, type,
    #: store and store-member keys (its parts are `parts`)
    item: dict[str, Any]
    condition: dict[str, Any]  # a marker's, as read from the table before the batch changed it
    changes: list[CounterWrite]
    #: a ledger's parts the batch changed (None: a marker, put whole)
    parts: dict[str, _HeldPart] | None = None


@dataclass
class _Held:
    markers: dict[tuple[str, str], _HeldMarker] = field(default_factory=dict)
    #: items read while the batch was held (None: not there), by (PK, SK)
    reads: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)


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
        return dict(found.item) if found is not None and found.parts is None else None

    def ledger_part(
        self, store_id: str, order_id: str, part: str, legacy: keys.Key | None = None
    ) -> dict[str, Any] | None:
        """One domain's part of an order's ledger: its attributes and `version` (None: the order
        has none). With `legacy`, the key of the domain's marker of before the ledger: while the
        ledger has no such part, the marker's attributes, without a version (the part's first
        write is conditional on the part being absent). Read consistently in one call, or as the
        stream batch holds it."""
        ledger = keys.order_ledger(store_id, order_id)
        held = self._held()
        entry = held.markers.get(_slot(ledger)) if held is not None else None
        if entry is not None and entry.parts is not None and part in entry.parts:
            written = entry.parts[part]
            return {**written.attrs, "version": written.version}
        known = held is not None and _slot(ledger) in held.reads
        found = self._read_items([ledger] if known or legacy is None else [ledger, legacy])
        item = found[_slot(ledger)]
        version = keys.ledger_version_attr(part)
        if item is not None and version in item:
            return {**dict(item.get(keys.ledger_part_attr(part)) or {}), "version": int(item[version])}
        if legacy is None:
            return None
        old = found[_slot(legacy)] if _slot(legacy) in found else self._read_items([legacy])[_slot(legacy)]
        if old is None:
            return None
        return {
            name: value for name, value in attributes_of(old).items() if name not in ("version", "store_id")
        }

    def _read_items(self, wanted: list[keys.Key]) -> dict[tuple[str, str], dict[str, Any] | None]:
        """The items at these keys (None: not there), read consistently in one call (a GetItem, or
        a BatchGetItem); within a stream batch, those the batch read already are not read again."""
        held = self._held()
        known: dict[tuple[str, str], dict[str, Any] | None] = held.reads if held is not None else {}
        missing = [k for k in wanted if _slot(k) not in known]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        if len(missing) == 1:
            item = self._get(missing[0], consistent=True)
            if item is not None:
                found[_slot(missing[0])] = item
        elif missing:
            client = self._table.meta.client  # the resource's: plain values in and out
            request: dict[str, Any] = {self._table.name: {"Keys": missing, "ConsistentRead": True}}
            for _ in range(8):  # keys DynamoDB leaves unprocessed under load are asked again
                answer = client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._table.name, []):
                    found[(str(raw["PK"]), str(raw["SK"]))] = dict(raw)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError("the table left keys unread after 8 tries")
        out = {_slot(k): known[_slot(k)] for k in wanted if _slot(k) in known}
        for k in missing:
            out[_slot(k)] = found.get(_slot(k))
            if held is not None:
                held.reads[_slot(k)] = out[_slot(k)]
        return out

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

    def _apply_ledger(
        self,
        store_id: str,
        order_id: str,
        part: str,
        attrs: dict[str, Any],
        version_before: int | None,
        changes: list[CounterWrite],
    ) -> bool:
        """Write one domain's part of an order's ledger (`attrs`; its version becomes
        version_before + 1) and apply `changes`, only if the part is still at `version_before`
        (None: absent). The ledger's other parts are left as they are. Held within a batch (True);
        else written now: False when another worker changed the part first."""
        ledger = keys.order_ledger(store_id, order_id)
        written = _HeldPart(dict(attrs), (version_before or 0) + 1, version_before)
        held = self._held()
        entry = held.markers.get(_slot(ledger)) if held is not None else None
        if held is not None and entry is not None and entry.parts is not None:
            known = entry.parts.get(part)
            if known is not None:
                if known.version != (version_before or 0):
                    return False  # read before the held version: the caller reads again
                written.version_before = known.version_before
            entry.parts[part] = written
            entry.changes.extend(changes)
            return True
        base = {
            **ledger,
            **keys.store_member(store_id, ledger),
            "type": keys.ORDER_LEDGER,
            "store_id": store_id,
        }
        entry = _HeldMarker(base, {}, list(changes), {part: written})
        if held is not None:
            held.markers[_slot(ledger)] = entry
            return True
        return self._write_counted([entry])

    def flush_counted(self, *, hold_on: bool = False) -> bool:
        """Write what the batch holds, in as few transactions as fit (markers with their summed
        changes), and stop holding (`hold_on`: hold what comes next, empty). False when a marker's
        condition failed (another worker counted that order meanwhile): that order's marker and
        changes are not written (the transaction's other orders are, in a second transaction, when
        the cancellation reasons name the failed markers), the caller counts its events again.
        Raises on other errors (what was written stays written: each order whole)."""
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
                if markers[0].parts is None:
                    self._table.put_item(Item=markers[0].item, **markers[0].condition)
                else:
                    self._table.update_item(**_ledger_update(markers[0]))
            except ClientError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
            return True
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": table, "Item": m.item, **m.condition}}
            if m.parts is None
            else {"Update": {"TableName": table, **_ledger_update(m)}}
            for m in markers
        ]
        items += [{"Update": _counter_update(table, c)} for c in changes]
        try:  # a single order of more than 99 counters: the marker goes in the first
            for start in range(0, len(items), MAX_TRANSACTION_ITEMS):
                self._table.meta.client.transact_write_items(
                    TransactItems=items[start : start + MAX_TRANSACTION_ITEMS]
                )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            if len(items) <= MAX_TRANSACTION_ITEMS:
                passed = _passed(markers, exc)
                if passed:  # the others are written without the orders another worker changed
                    self._write_counted(passed)
            return False
        return True


def _passed(markers: list[_HeldMarker], exc: ClientError) -> list[_HeldMarker]:
    """The markers of a cancelled transaction whose own condition held, when only markers failed
    theirs (another worker changed those orders first: e.g. the executor moved an order's fraud band
    while its batch was open): written again without the others, a batch does not recount every
    order for one. Empty when the reasons do not say, or a counter item failed."""
    reasons = [str(r.get("Code") or "None") for r in exc.response.get("CancellationReasons") or []]
    if len(reasons) < len(markers) or any(code != "None" for code in reasons[len(markers) :]):
        return []
    passed = [m for m, code in zip(markers, reasons, strict=False) if code == "None"]
    return passed if len(passed) < len(markers) else []


def _condition(version_before: int | None) -> dict[str, Any]:
    if version_before is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    return {"ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": version_before}}


def _ledger_update(entry: _HeldMarker) -> dict[str, Any]:
    """One Update of an order's ledger: the parts written, each conditional on its version."""
    assert entry.parts is not None
    base = entry.item
    names: dict[str, str] = {"#t": "type", "#st": "store_id", "#gp": "GSI2PK", "#gs": "GSI2SK"}
    values: dict[str, Any] = {
        ":t": base["type"],
        ":st": base["store_id"],
        ":gp": base["GSI2PK"],
        ":gs": base["GSI2SK"],
    }
    sets = ["#t = :t", "#st = :st", "#gp = :gp", "#gs = :gs"]
    conditions = []
    for i, (part, written) in enumerate(sorted(entry.parts.items())):
        names[f"#p{i}"] = keys.ledger_part_attr(part)
        names[f"#v{i}"] = keys.ledger_version_attr(part)
        values[f":p{i}"] = written.attrs
        values[f":v{i}"] = written.version
        sets += [f"#p{i} = :p{i}", f"#v{i} = :v{i}"]
        if written.version_before is None:
            conditions.append(f"attribute_not_exists(#v{i})")
        else:
            values[f":b{i}"] = written.version_before
            conditions.append(f"#v{i} = :b{i}")
    return {
        "Key": {"PK": base["PK"], "SK": base["SK"]},
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


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
