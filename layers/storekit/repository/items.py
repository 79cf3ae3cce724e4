"""Stored items back into records, and what the admin API shows of them."""

from __future__ import annotations

import json
from typing import Any

from storekit import keys
from storekit.records import ActionRecord, EventRecord, JobRecord, ParkedRecord, RunRecord

#: attributes that only serve the table (keys, index keys, routing type, TTL), never a record
_TABLE_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "type", "expires_at"})


def attributes_of(item: dict[str, Any]) -> dict[str, Any]:
    """An item's own attributes, without the ones that only serve the table (keys, index keys,
    the routing `type`, the TTL). Values are left as DynamoDB gave them (numbers are Decimals):
    the record models validate them."""
    return {name: value for name, value in item.items() if name not in _TABLE_ATTRIBUTES}


def action_from_item(item: dict[str, Any]) -> ActionRecord:
    data = attributes_of(item)
    if isinstance(data.get("action"), str):
        data["action"] = json.loads(data["action"])
    return ActionRecord.model_validate(data)


def job_from_item(item: dict[str, Any]) -> JobRecord:
    data = attributes_of(item)
    if isinstance(data.get("params"), str):
        data["params"] = json.loads(data["params"])
    return JobRecord.model_validate(data)


def view_of(item: dict[str, Any]) -> dict[str, Any]:
    """What the admin API shows of a stored item (never raw payloads or key attributes)."""
    kind = item.get("type")
    if kind == keys.EVENT:
        return EventRecord.model_validate(attributes_of(item)).view()
    if kind == keys.ACTION:
        return action_from_item(item).view()
    if kind == keys.RUN:
        return RunRecord.model_validate(attributes_of(item)).view()
    if kind == keys.JOB:
        return job_from_item(item).view()
    if kind == keys.PARKED:
        return ParkedRecord.model_validate(attributes_of(item)).view()
    if kind == keys.PURCHASE_ORDER:
        return purchase_order_view(item)
    if kind == keys.SALE:  # a sale keeps the view of its current state (functions/sales)
        return dict(json.loads(str(item["view"])))
    return attributes_of(item)


def purchase_order_view(item: dict[str, Any]) -> dict[str, Any]:
    """A purchase order as the admin API shows it: its document with its current status."""
    data = attributes_of(item)
    document = json.loads(str(data.pop("document", "{}")))
    return {**document, **{k: v for k, v in data.items() if k not in ("store_id", "variants")}}
