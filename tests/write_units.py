"""DynamoDB write units a piece of code costs, per item class, counted in-process (moto) from the
items' real sizes, the way DynamoDB charges them: 1 WRU per started KB written; an update (or a
delete) is charged on the larger of the item before and after; x2 inside a transaction.

Used by `tests/bench_dispatch_units.py` (what dispatch writes per webhook, by item) and by the
dispatch cost tests (tests/integration/test_dispatch_cost.py). It reads the stored items with a
client of its own, which it does not count.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any


def value_size(value: Any) -> int:
    """A typed value's size ({"S": ...}, {"M": {...}}, ...), bytes and nesting included."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if isinstance(inner, bytes | bytearray):
        return len(inner)
    if isinstance(inner, list):
        return sum(len(x) if isinstance(x, bytes | bytearray) else len(str(x).encode()) for x in inner)
    if kind == "B":  # base64 on the wire: the stored size is the raw bytes
        return len(inner) * 3 // 4
    return len(str(inner).encode())


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus their values."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def item_class(key: dict[str, Any]) -> str:
    """What kind of item a key names: the key's words without ids, hashes, days or the store
    ("RUN", "ORDER/STATE", "COUNTER sales/totals")."""
    pk = str(next(iter(key.get("PK", {}).values()), ""))
    sk = str(next(iter(key.get("SK", {}).values()), ""))
    parts = pk.split("#")
    if parts[0] == "STORE" and len(parts) > 2:
        parts = parts[2:]
    elif parts[0] == "STORE":
        parts = ["STORE"]
    kind = parts[0]
    if kind == "COUNTER":
        dimension = sk.partition("#")[2]
        return f"COUNTER {parts[1] if len(parts) > 1 else ''}/{_word(dimension) or 'day'}"
    if kind in ("FRAUDVEL", "FRAUDFLAG") and len(parts) > 1:
        kind = f"{kind}/{parts[1]}"
    word = _word(sk.partition("#")[0])
    return f"{kind}/{word}" if word and word != kind else kind


def _word(text: str) -> str:
    return text if text.isalpha() else ""


WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


#: writes charged on the larger of the item before and after (an update, a delete)
CHARGED_ON_BEFORE = ("UpdateItem", "DeleteItem", "TransactWriteItems")


def keys_charged_on_before(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys of a CHARGED_ON_BEFORE write whose items as stored before count (not a put's)."""
    if "Key" in request:
        return [request["Key"]]
    items = request.get("TransactItems", [])
    return [spec["Key"] for entry in items for op, spec in entry.items() if op != "Put"]


class WriteUnits:
    """Counts the write units of every DynamoDB write a boto3 session makes, by item class."""

    def __init__(self, table_name: str, reader: Any) -> None:
        self._table = table_name
        self._reader = reader  # a client of another session: its reads are not counted
        self.units: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.largest: Counter[str] = Counter()
        self.recording = True

    def install(self, events: Any) -> None:
        """Count the calls of the clients an event emitter serves (a session's `events`, before
        its clients exist, or one client's `meta.events`)."""
        events.register("before-call.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)

    def uninstall(self, events: Any) -> None:
        events.unregister("before-call.dynamodb", self._before)
        events.unregister("after-call.dynamodb", self._after)

    @property
    def total(self) -> int:
        return sum(self.units.values())

    def _stored(self, key: dict[str, Any]) -> int:
        found = self._reader.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return item_size(found) if found else 0

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not self.recording or model.name not in WRITES:
            return
        request = json.loads(params.get("body") or b"{}")
        context["wu_body"] = request
        if model.name in CHARGED_ON_BEFORE:
            context["wu_before"] = [self._stored(k) for k in keys_charged_on_before(request)]

    def _charge(self, key: dict[str, Any], size: int, factor: int = 1) -> None:
        cls = item_class(key)
        self.units[cls] += factor * max(1, math.ceil(size / 1024))
        self.writes[cls] += 1
        self.largest[cls] = max(self.largest[cls], size)

    def _after(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        # a write refused by its condition is charged too (DynamoDB does), like one that succeeds
        body = context.get("wu_body")
        if self.recording and body is not None:
            self._count(model.name, body, list(context.get("wu_before") or []))

    def _count(self, name: str, body: dict[str, Any], before: list[int]) -> None:
        if name == "PutItem":
            self._charge(body["Item"], item_size(body["Item"]))
        elif name in ("UpdateItem", "DeleteItem"):
            after = self._stored(body["Key"]) if name == "UpdateItem" else 0
            self._charge(body["Key"], max(before[0] if before else 0, after))
        elif name == "TransactWriteItems":
            for entry in body["TransactItems"]:
                ((op, spec),) = entry.items()
                if op == "Put":
                    self._charge(spec["Item"], item_size(spec["Item"]), 2)
                elif op == "ConditionCheck":
                    self._charge(spec["Key"], 0, 2)
                else:
                    old = before.pop(0) if before else 0
                    new = self._stored(spec["Key"]) if op == "Update" else 0
                    self._charge(spec["Key"], max(old, new), 2)
        elif name == "BatchWriteItem":
            for requests in body["RequestItems"].values():
                for request in requests:
                    put = request.get("PutRequest")
                    if put:
                        self._charge(put["Item"], item_size(put["Item"]))
                    else:
                        self._charge(request["DeleteRequest"]["Key"], 0)

    def table(self, per: int) -> str:
        lines = []
        for cls, units in self.units.most_common():
            lines.append(
                f"  {cls:34} {units / per:6.2f} WRU  ({self.writes[cls] / per:.2f} writes, "
                f"largest {self.largest[cls] / 1024:.2f} KB)"
            )
        lines.append(f"  {'total':34} {self.total / per:6.2f} WRU")
        return "\n".join(lines)


def metered_drain(pump: Any, runtime: Any, resources: Any, session: Any) -> WriteUnits:
    """Drain the local stream (dispatch and execute) with the table's writes metered: what the
    drain wrote, by item."""
    meter = WriteUnits(resources.table_name, session.client("dynamodb"))
    events = runtime.table.meta.client.meta.events
    meter.install(events)
    try:
        pump.drain()
    finally:
        meter.uninstall(events)
    return meter
