"""The outbox: runs (what an automation decided) and actions (what the executor carries out),
each written once per idempotency key and moved between statuses conditionally; each attempt at
an action is kept on the action's own item (the action detail of the admin API shows them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import iso
from storekit.records import ActionRecord, RunRecord
from storekit.repository.base import TableRepository, is_conditional_failure
from storekit.repository.items import action_from_item, attributes_of


class OutboxRepository(TableRepository):
    def put_run(self, run: RunRecord) -> bool:
        return self._put_once(
            {
                **keys.run(run.store_id, run.run_id),
                **keys.run_listing(run.store_id, run.created_at, run.run_id),
                "type": keys.RUN,
                **run.model_dump(),
            }
        )

    def put_action(self, record: ActionRecord) -> bool:
        """Write an action to the outbox once per idempotency key. False if it exists."""
        return self._put_once(
            {
                **keys.action(record.store_id, record.action_id),
                **keys.action_listing(record.store_id, record.created_at, record.action_id),
                **keys.action_status_listing(
                    record.store_id, record.status, record.created_at, record.action_id
                ),
                "type": keys.ACTION,
                **record.model_dump(exclude_none=True),
                "action": json.dumps(record.action, default=str),
            }
        )

    def get_run(self, store_id: str, run_id: str) -> RunRecord | None:
        item = self._get(keys.run(store_id, run_id), consistent=True)
        return RunRecord.model_validate(attributes_of(item)) if item else None

    def actions_in_status(self, store_id: str, status: str) -> Iterator[ActionRecord]:
        partition = keys.action_status_partition(store_id, status)
        for item in self._query({"IndexName": "GSI2", "KeyConditionExpression": Key("GSI2PK").eq(partition)}):
            yield action_from_item(item)

    def get_action(self, store_id: str, action_id: str) -> ActionRecord | None:
        item = self._get(keys.action(store_id, action_id), consistent=True)
        return action_from_item(item) if item else None

    def action_with_history(
        self, store_id: str, action_id: str
    ) -> tuple[ActionRecord, list[dict[str, Any]]] | None:
        """An action and its attempts (time, outcome, reason), oldest first."""
        item = self._get(keys.action(store_id, action_id), consistent=True)
        if not item:
            return None
        history = [dict(entry) for entry in item.get("history") or []]
        return action_from_item(item), history

    def note_attempt(
        self,
        store_id: str,
        action_id: str,
        outcome: str,
        *,
        reason: str | None = None,
        mode: str | None = None,
        result: str | None = None,
    ) -> None:
        """Append one attempt to the action's history (an action deleted meanwhile keeps none)."""
        entry = {"at": iso(self._clock.now()), "outcome": outcome, "reason": reason, "mode": mode}
        if result is not None:
            entry["result"] = result
        self._update_if(
            Key=keys.action(store_id, action_id),
            UpdateExpression="SET history = list_append(if_not_exists(history, :none), :entry)",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues={":none": [], ":entry": [entry]},
        )

    def move_action(
        self,
        record: ActionRecord,
        to_status: str,
        *,
        from_statuses: tuple[str, ...],
        reason: str | None = None,
        result: str | None = None,
        next_attempt_at: str | None = None,
        count_attempt: bool = False,
        mode: str | None = None,
    ) -> ActionRecord | None:
        """Conditionally move an action between statuses; None if it was not in `from_statuses`."""
        names = {"#s": "status", "#res": "result"}
        values: dict[str, Any] = {
            ":s": to_status,
            ":u": iso(self._clock.now()),
            ":r": reason,
            ":res": result,
            ":n": next_attempt_at,
            ":g": keys.action_status_partition(record.store_id, to_status),
        }
        update = "SET #s = :s, updated_at = :u, reason = :r, #res = :res, next_attempt_at = :n, GSI2PK = :g"
        if count_attempt:
            update += ", attempts = if_not_exists(attempts, :zero) + :one"
            values[":zero"] = 0
            values[":one"] = 1
        if mode is not None:
            update += ", #m = :m"
            names["#m"] = "mode"
            values[":m"] = mode
        placeholders = []
        for i, status in enumerate(from_statuses):
            values[f":f{i}"] = status
            placeholders.append(f":f{i}")
        try:
            answer = self._table.update_item(
                Key=keys.action(record.store_id, record.action_id),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(PK) AND #s IN ({', '.join(placeholders)})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return action_from_item(answer["Attributes"])
