"""Redaction (customers/redact, shop/redact): what to delete is found by narrow Queries, never a
Scan; what the audit trail keeps loses its personal data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Key

from storekit import keys
from storekit.repository.base import TableRepository
from storekit.repository.outbox import packed_runs, stored_runs

#: what replaces personal data kept for the audit trail after a customers/redact
REDACTED = "redacted (customer data request)"


class RedactionRepository(TableRepository):
    def store_member_keys(self, store_id: str) -> Iterator[dict[str, Any]]:
        """PK/SK of every item carrying `keys.store_member` (entity state, counters, ...)."""
        return self._query(
            {
                "IndexName": "GSI2",
                "KeyConditionExpression": Key("GSI2PK").eq(keys.store_members_partition(store_id)),
                "ProjectionExpression": "PK, SK",
            }
        )

    def partition_keys(self, pk: str) -> Iterator[dict[str, Any]]:
        """PK/SK of every item in one partition (all items about one entity, a store's parked records)."""
        return self._query({"KeyConditionExpression": Key("PK").eq(pk), "ProjectionExpression": "PK, SK"})

    def redact_action(self, item: dict[str, Any]) -> None:
        """Keep an action for the audit trail (automation, kind, status, reason, times) without the
        recipient, message or anything else personal it carried."""
        kind = str(item.get("kind", "action"))
        self._update_if(  # gone meanwhile: nothing left to redact
            Key=keys.item_key(item),
            UpdateExpression="SET #a = :a, target = :t, summary = :s, #res = :n",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#a": "action", "#res": "result"},
            ExpressionAttributeValues={
                ":a": json.dumps({"kind": kind, "redacted": True}),
                ":t": REDACTED,
                ":s": f"{kind.replace('_', ' ')} ({REDACTED})",
                ":n": None,
            },
        )

    def redact_run_reasons(self, item: dict[str, Any], quotes: Callable[[str], bool]) -> int:
        """Redact the reasons that quote a customer in a runs item (every run of one event) or a
        run item of its own (tables written before); the number of reasons redacted."""
        values: dict[str, Any]
        if item.get("type") == keys.RUN:
            if not (item.get("reason") and quotes(str(item["reason"]))):
                return 0
            update, values = "SET reason = :r", {":r": REDACTED}
        else:
            runs = stored_runs(item)
            quoted = [run for run in runs if run.get("reason") and quotes(str(run["reason"]))]
            if not quoted:
                return 0
            for run in quoted:
                run["reason"] = REDACTED
            update, values = "SET runs = :r", {":r": packed_runs(runs)}
        self._table.update_item(
            Key=keys.item_key(item),
            UpdateExpression=update,
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=values,
        )
        return 1 if item.get("type") == keys.RUN else len(quoted)

    def replace_event_raw(
        self, store_id: str, platform: str, delivery_id: str, blob: bytes, entity_id: str | None = None
    ) -> None:
        """Swap a stored delivery's raw payload for a scrubbed one (kept inline), and the entity id
        it was filed under when that was personal (a redacted customer's id)."""
        update = "SET #raw = :b" + (", entity_id = :e" if entity_id else "") + " REMOVE raw_s3_key"
        values: dict[str, Any] = {":b": blob}
        if entity_id:
            values[":e"] = entity_id
        self._table.update_item(
            Key=keys.event(store_id, platform, delivery_id),
            UpdateExpression=update,
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#raw": "raw"},
            ExpressionAttributeValues=values,
        )

    def delete_item_keys(self, items: list[dict[str, Any]]) -> None:
        """Delete items by their PK/SK (repeats are fine)."""
        with self._table.batch_writer(overwrite_by_pkeys=["PK", "SK"]) as batch:
            for item in items:
                batch.delete_item(Key=keys.item_key(item))
