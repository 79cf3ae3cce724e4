"""The attempts at an action (time, outcome, reason), kept on the action's own item, and the reads
the action detail of the admin API needs (the action with its attempts, the run that decided it).

Kept beside storekit/repository.py (same table, keys from storekit.keys) while that module is split
by aggregate; fold it into the actions aggregate afterwards.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import Clock, iso
from storekit.records import ActionRecord, RunRecord
from storekit.repository import action_from_item, is_conditional_failure


class ActionHistory:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

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
        try:
            self._table.update_item(
                Key=keys.action(store_id, action_id),
                UpdateExpression="SET history = list_append(if_not_exists(history, :none), :entry)",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":none": [], ":entry": [entry]},
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def action_with_history(
        self, store_id: str, action_id: str
    ) -> tuple[ActionRecord, list[dict[str, Any]]] | None:
        item = self._table.get_item(Key=keys.action(store_id, action_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        history = [dict(entry) for entry in item.get("history") or []]
        return action_from_item(item), history

    def get_run(self, store_id: str, run_id: str) -> RunRecord | None:
        item = self._table.get_item(Key=keys.run(store_id, run_id), ConsistentRead=True).get("Item")
        return RunRecord.model_validate(item) if item else None  # key attributes are ignored
