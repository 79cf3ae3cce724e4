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
from storekit.payload_store import compress, decompress
from storekit.records import ActionRecord, RunRecord, RunSource
from storekit.repository.base import TableRepository, is_conditional_failure
from storekit.repository.items import action_from_item, attributes_of

#: what each run keeps of its own in a runs item (the rest is the item's: store, event, topic, time)
_RUN_FIELDS = ("automation", "mode", "outcome", "reason", "action_ids")


def runs_in(item: dict[str, Any]) -> list[RunRecord]:
    """The runs one stored item holds: every automation's run on one event or due job (a RUNS
    item), or one run (a RUN item, as tables written before keep them)."""
    data = attributes_of(item)
    if item.get("type") == keys.RUN:
        return [RunRecord.model_validate(data)]
    common = {name: str(data[name]) for name in ("store_id", "event_id", "topic", "created_at")}
    return [
        RunRecord.model_validate({"run_id": run_id_of(common, run["automation"]), **common, **run})
        for run in stored_runs(item)
    ]


def run_id_of(common: dict[str, str], automation: str) -> str:
    """A run's id is its idempotency key (functions/engine/dispatch): derived, not stored."""
    return keys.idempotency_key(common["store_id"], common["event_id"], automation)


def stored_runs(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs a RUNS item holds, as stored (compressed JSON)."""
    runs: list[dict[str, Any]] = json.loads(decompress(bytes(item["runs"])))
    return runs


def packed_runs(runs: list[dict[str, Any]]) -> bytes:
    return compress(json.dumps(runs, separators=(",", ":")).encode())


def run_set_item(
    source: RunSource,
    runs: list[RunRecord],
    *,
    event_status: str | None = None,
    event_reason: str | None = None,
) -> dict[str, Any]:
    """The one item that keeps every run of one event (or due job), and the event's outcome. An
    event no automation ran on is kept out of the runs listing (it lists runs, and there are none)
    and made a store member instead, so shop/redact still finds it."""
    item: dict[str, Any] = {
        **keys.run_set(source.store_id, source.event_id),
        "type": keys.RUNS,
        "store_id": source.store_id,
        "event_id": source.event_id,
        "topic": source.topic,
        "created_at": source.created_at,
        # compressed (reasons are sentences), without the derived run ids: most events' runs fit
        # one write unit however many automations ran
        "runs": packed_runs(
            [
                {k: v for k, v in run.model_dump(include=set(_RUN_FIELDS)).items() if v not in (None, [])}
                for run in runs
            ]
        ),
    }
    if runs:
        item.update(keys.run_set_listing(source.store_id, source.created_at, source.event_id))
    else:  # not listed: shop/redact finds it through the store-member index
        item.update(keys.store_member(source.store_id, keys.run_set(source.store_id, source.event_id)))
    if event_status:
        item["event_status"] = event_status
        item["event_reason"] = event_reason
    return item


class OutboxRepository(TableRepository):
    def put_runs(
        self,
        source: RunSource,
        runs: list[RunRecord],
        *,
        event_status: str | None = None,
        event_reason: str | None = None,
    ) -> bool:
        """Write every automation's run on one event (or due job) as one item, once, with the
        event's outcome when it is a webhook event (its processing status, shown by the events
        listing). False if the runs of this event were already written (another worker did)."""
        item = run_set_item(source, runs, event_status=event_status, event_reason=event_reason)
        return self._put_once(item)

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

    def get_run(self, store_id: str, run_id: str, event_id: str | None = None) -> RunRecord | None:
        """One run, found in the runs of its event (or due job), else as a run item of its own."""
        if event_id:
            item = self._get(keys.run_set(store_id, event_id), consistent=True)
            found = [run for run in runs_in(item) if run.run_id == run_id] if item else []
            if found:
                return found[0]
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
        note_attempt: bool = False,
    ) -> ActionRecord | None:
        """Conditionally move an action between statuses; None if it was not in `from_statuses`.
        `note_attempt`: the move ends an attempt, added to the action's history (time, outcome,
        reason, mode, result) by the same write."""
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
        if note_attempt:
            entry = {"at": values[":u"], "outcome": to_status, "reason": reason, "mode": mode}
            if result is not None:
                entry["result"] = result
            update += ", history = list_append(if_not_exists(history, :none), :entry)"
            values[":none"] = []
            values[":entry"] = [entry]
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
