"""Replay: the store's current settings on a stored event, in dry-run whatever the store's mode.

Every automation enabled for the event's topic decides again, as at the time the event arrived
(`now` = its received time), with the related data storeflow keeps now (the newest snapshots).
Nothing is executed, written or counted: the answer lists, per automation, what it would plan and
each action's preview (functions/engine/perform.py `preview`, the executor's own rendering), and
whether the outbox already holds that action (going live would not do it a second time).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from functions.engine.dispatch import action_key
from functions.engine.payloads import load_parsed
from functions.engine.perform import preview
from functions.engine.privacy import PRIVACY_TOPICS
from storekit.automation import UNEXPLAINED, Context, EventMeta, Reader
from storekit.clock import parse_iso
from storekit.errors import BadRequest, Conflict, MalformedPayload, NotFound
from storekit.observability import logger
from storekit.records import EventRecord
from storekit.repository import view_of
from storekit.runtime import Runtime
from storekit.store import StoreConfig


def replay_event(store: StoreConfig, event_id: str, runtime: Runtime) -> dict[str, Any]:
    platform, _, delivery_id = event_id.partition(":")
    item = runtime.repo.get_event_item(store.store_id, platform, delivery_id) if delivery_id else None
    if item is None:
        raise NotFound(f"no event {event_id!r} in store {store.store_id!r}")
    record = EventRecord.model_validate(item)
    if record.topic in PRIVACY_TOPICS:
        raise BadRequest(
            f"{record.platform_topic} is a privacy or app topic: it runs no automations to replay"
        )
    try:
        parsed = load_parsed(record, item, runtime)
    except (MalformedPayload, ValueError) as exc:
        raise Conflict(f"the stored payload does not parse: {exc}") from exc
    except KeyError as exc:
        raise Conflict("the stored payload is gone (expired or redacted)") from exc
    dry_run = store.model_copy(update={"mode": "dry-run"})
    meta = EventMeta(
        event_id=record.event_id,
        platform=record.platform,
        topic=record.topic,
        delivery_id=record.delivery_id,
        received_at=record.received_at,
    )
    now = parse_iso(record.received_at)
    reader = Reader(store.store_id, runtime.repo, runtime.archive, store=store, now=now)
    runs = []
    for automation in runtime.registry.enabled_for(store, record.topic):
        runs.append(_decide(automation, parsed, meta, dry_run, now, reader, runtime))
    return {
        "event": view_of(item),
        "mode": "dry-run",
        "decided_as_of": record.received_at,
        "runs": runs,
        "note": "nothing was executed, written or counted",
    }


def _decide(
    automation: Any,
    parsed: Any,
    meta: EventMeta,
    store: StoreConfig,
    now: Any,
    reader: Reader,
    runtime: Runtime,
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "automation": automation.name,
        "outcome": "nothing-to-do",
        "reason": None,
        "actions": [],
    }
    try:
        settings = automation.settings_for(store)
        related = automation.load(parsed.resource, reader)
        decision = automation.run(
            parsed.resource, Context(store=store, settings=settings, event=meta, now=now, related=related)
        )
    except ValidationError as exc:
        return {**run, "outcome": "error", "reason": f"invalid settings: {exc.error_count()} problem(s)"}
    except Exception as exc:
        logger.exception("automation failed on replay", extra={"automation": automation.name})
        return {**run, "outcome": "error", "reason": f"{type(exc).__name__}: {exc}"[:500]}
    actions = list(decision)
    run["reason"] = getattr(decision, "reason", None) or (None if actions else UNEXPLAINED)
    if actions:
        run["outcome"] = "actions"
    for index, action in enumerate(actions):
        action_id = action_key(store.store_id, meta.event_id, automation.name, index, action)
        existing = runtime.repo.get_action(store.store_id, action_id)
        run["actions"].append(
            {
                "action_id": action_id,
                "kind": action.kind,
                "target": action.target(),
                "summary": action.summary(),
                "already_in_outbox": existing.status if existing is not None else None,
                "preview": preview(action.model_dump(mode="json"), store, runtime),
            }
        )
    return run
