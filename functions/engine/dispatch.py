"""Event items from the stream -> the automations for their topic -> the action outbox + runs.

The automations come from the registry the runtime holds (assembled at the top, in
functions/composition.py); what they read before deciding and what their domains keep after an
event is declared by the domains (storekit.automation). Nothing here names a domain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.engine.data_export import export_requested
from functions.engine.payloads import load_parsed
from functions.engine.privacy import PRIVACY_TOPICS, handle_privacy_topic
from functions.engine.stream import record_failed
from storekit import keys, snapshots
from storekit.actions import Action
from storekit.adapters import Parsed
from storekit.automation import (
    UNEXPLAINED,
    AppliedEvent,
    Automation,
    Context,
    Decision,
    EventMeta,
    Reader,
)
from storekit.clock import iso
from storekit.errors import MalformedPayload
from storekit.models import Order
from storekit.observability import logger
from storekit.records import ActionRecord, EventRecord, RunRecord, RunSource
from storekit.runtime import Runtime
from storekit.store import StoreConfig


@dataclass
class _Deferred:
    record: Any  # the stream record (what a failure of its finish is reported against)
    item: dict[str, Any]
    applied: AppliedEvent
    finish: Callable[[], None]
    #: its counted writes were dropped (the batch's write failed): its keepers run again
    recount: bool = False


class DispatchBatch:
    """One stream batch being dispatched (`dispatch_batch`). Its events are handled one by one up to
    their domains' "kept after" hooks; what those count (storekit.repository.counted) is held, and
    each event is finished (its runs and outcome written, its counts hooks run) only once the
    batch's counted writes are written (`finish`): an event marked processed always has its counts
    in the table, and a batch of N new orders writes each counter once, not N times."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        #: the stream record being handled
        self.record: Any = None
        self._deferred: list[_Deferred] = []
        self._seen: set[str] = set()

    def seen(self, event_id: str) -> bool:
        return event_id in self._seen

    def defer(
        self, event_id: str, item: dict[str, Any], applied: AppliedEvent, finish: Callable[[], None]
    ) -> None:
        self._seen.add(event_id)
        self._deferred.append(_Deferred(self.record, item, applied, finish))

    def _write_held(self, hold_on: bool) -> None:
        """Write what is held; what cannot be written together is marked to be counted again
        event by event, without a hold (the markers keep that exact)."""
        try:
            together = self.runtime.repo.flush_counted(hold_on=hold_on)
        except Exception:
            logger.warning("the batch's counted writes failed: counted again event by event", exc_info=True)
            together = False
        if not together:
            for deferred in self._deferred:
                deferred.recount = True

    def _recount(self, deferred: _Deferred) -> None:
        if deferred.recount:
            with self.runtime.repo.counting_paused():
                for keep in self.runtime.registry.keeps:
                    keep(deferred.applied)
            deferred.recount = False

    def write_held(self) -> None:
        """Write what the batch holds now and hold on (before a privacy topic deletes what it names:
        nothing held may be written after it); the events are still finished with the batch."""
        self._write_held(hold_on=True)
        for deferred in self._deferred:
            self._recount(deferred)

    def finish(self, failures: list[dict[str, str]]) -> list[dict[str, str]]:
        """Write the batch's counted writes, then finish each event; returns the batch item failures
        (`failures` and the records whose finish failed and are to be tried again)."""
        runtime = self.runtime
        self._write_held(hold_on=False)
        failed = list(failures)
        for deferred in self._deferred:
            try:
                self._recount(deferred)
                deferred.finish()
            except Exception as exc:
                record = deferred.record
                if record is None:
                    raise
                if record_failed(
                    record, deferred.item, exc, runtime, item_type=keys.EVENT, handler_name="dispatch"
                ):
                    failed.append({"itemIdentifier": str(record.dynamodb.SequenceNumber)})
        return failed


_current = threading.local()


def current_batch() -> DispatchBatch | None:
    batch: DispatchBatch | None = getattr(_current, "batch", None)
    return batch


@contextmanager
def dispatch_batch(runtime: Runtime) -> Iterator[DispatchBatch]:
    """Dispatch a stream batch's events with their counting held (DispatchBatch): call `finish`
    before the block ends; what is still held then is dropped (those events are not finished and
    are handled again)."""
    batch = DispatchBatch(runtime)
    _current.batch = batch
    try:
        with runtime.repo.counting_held():
            yield batch
    finally:
        _current.batch = None


def dispatch_event(item: dict[str, Any], runtime: Runtime) -> str:
    """Handle one event item (idempotent: stream records repeat). Returns what happened. Within a
    stream batch (`dispatch_batch`) the event is finished when the batch is."""
    record = EventRecord.model_validate(item)
    if record.status != "received":
        return "already handled"
    batch = current_batch()
    if batch is not None and batch.seen(record.event_id):
        return "already handled"
    full = runtime.repo.get_event_item(record.store_id, record.platform, record.delivery_id)
    if full is None or full.get("status") != "received":
        return "already handled"
    store = runtime.store(record.store_id, fresh=True)
    if store is None:
        runtime.repo.mark_event(record, "failed", "store no longer exists")
        return "store gone"
    if record.topic in PRIVACY_TOPICS:
        if batch is not None:  # what the batch holds is written first: the redaction deletes it
            batch.write_held()
        reason = handle_privacy_topic(record, full, runtime, export=export_requested)
        runtime.repo.mark_event(record, "processed", reason)
        return reason
    try:
        parsed = load_parsed(record, full, runtime)
    except (MalformedPayload, ValueError) as exc:
        # ingest checked the platform's shape only: a body whose canonical resource cannot be built
        # (e.g. amounts that add up out of range) is kept, and fails here with the reason
        runtime.repo.mark_event(record, "failed", f"payload does not parse: {exc}")
        return "unparseable"
    registry = runtime.registry
    automations = registry.enabled_for(store, record.topic)
    # what each automation reads, before this event's state is applied (e.g. the order as it was)
    reader = Reader(record.store_id, runtime.repo, runtime.archive, store=store, now=runtime.clock.now())
    related = {a.name: a.load(parsed.resource, reader) for a in automations}
    # a newer version of this entity was already applied (deliveries come in any order)
    advance = None
    if record.updated_at is not None:
        advance = runtime.repo.advance_entity(
            record.store_id,
            record.entity_kind,
            record.entity_id,
            record.updated_at,
            record.event_id,
            snapshots.kept(
                snapshot_of(parsed, registry.snapshot_kinds),
                runtime.archive,
                record.store_id,
                record.entity_kind,
                record.entity_id,
                record.event_id,
            ),
            order_number_of(parsed),
        )
    behind = advance is not None and not advance.advanced
    if behind and not announces_occurrence(record.topic):
        runtime.repo.mark_event(record, "stale", "a newer update of this entity was already processed")
        return "stale"
    applied = AppliedEvent(
        store=store,
        parsed=parsed,
        topic=record.topic,
        repo=runtime.repo,
        now=runtime.clock.now(),
        behind=behind,
        event_id=record.event_id,
        replaced_event=advance.replaced_event if advance else None,
        replaced_snapshot=advance.replaced_snapshot if advance else None,
    )
    for keep in registry.keeps:
        keep(applied)

    meta = EventMeta(
        event_id=record.event_id,
        platform=record.platform,
        topic=record.topic,
        delivery_id=record.delivery_id,
        received_at=record.received_at,
    )
    runs = [
        run_automation(automation, parsed, meta, store, runtime, related[automation.name])
        for automation in automations
    ]
    outcome = f"{len(automations)} automation(s) ran"
    if behind:
        outcome += " (arrived after a newer update of this entity: its state was not applied)"
    # every run and the event's outcome in one item (not a write per automation, nor one on the
    # event item, which holds the payload): written once, so the counters count the event once
    source = RunSource(record.store_id, record.event_id, record.topic, iso(runtime.clock.now()))

    def finish() -> None:
        if runtime.repo.put_runs(source, runs, event_status="processed", event_reason=outcome):
            for count in registry.counts:
                count(applied)

    if batch is not None:
        batch.defer(record.event_id, item, applied, finish)
    else:
        finish()
    return outcome


def announces_occurrence(topic: str) -> bool:
    """Whether a topic tells that something happened (an order was created, paid, cancelled; a
    shipment left) rather than only syncing state. Such an event still runs its automations when it
    arrives after a newer update of the same entity (deliveries come in any order; the outbox keys
    keep the effects once); only its older state is not applied. A late `*.updated` is just stale."""
    return not topic.endswith(".updated")


def snapshot_of(parsed: Parsed, kinds: frozenset[str]) -> bytes | None:
    """The compressed canonical snapshot kept for the kinds the domains read (registry.snapshot_kinds)."""
    if parsed.entity_kind not in kinds:
        return None
    return snapshots.compact(parsed.resource)  # too big for an item: S3 (snapshots.kept)


def order_number_of(parsed: Parsed) -> str | None:
    """What a shopper calls the order ('#1001'), kept with the entity for lookups by number."""
    resource = parsed.resource
    if isinstance(resource, Order):
        return resource.name or resource.number
    return None


def run_automation(
    automation: Automation[Any, Any, Any],
    parsed: Parsed,
    meta: EventMeta,
    store: StoreConfig,
    runtime: Runtime,
    related: Any = None,
) -> RunRecord:
    """Run one automation on one event: its outbox actions are written, its run returned (the
    caller keeps every run of the event in one item)."""
    run = automation.run
    assert run is not None  # the registry refuses an automation with topics and no run
    return decide_and_record(automation, store, meta, related, runtime, lambda ctx: run(parsed.resource, ctx))


def decide_and_record(
    automation: Automation[Any, Any, Any],
    store: StoreConfig,
    meta: EventMeta,
    related: Any,
    runtime: Runtime,
    decide: Callable[[Context[Any, Any]], Decision],
) -> RunRecord:
    """Let an automation decide (on an event, or a due job of its own): the actions are written to
    the outbox, once each, and the run that explains them is returned for the caller to keep
    (repo.put_runs, with the other runs of the same event). A run that decides nothing always says
    why: an automation that gives no reason gets UNEXPLAINED (a defect)."""
    now = runtime.clock.now()
    run_id = keys.idempotency_key(store.store_id, meta.event_id, automation.name)
    mode = store.mode_for(automation.name)
    actions: list[Action] = []
    outcome: str
    reason: str | None = None
    try:
        settings = automation.settings_for(store)
        decision = decide(Context(store=store, settings=settings, event=meta, now=now, related=related))
        actions = list(decision)
        reason = getattr(decision, "reason", None)
        outcome = "actions" if actions else "nothing-to-do"
        if not actions and not reason:
            logger.error("automation decided nothing without a reason", extra={"automation": automation.name})
            reason = UNEXPLAINED
    except ValidationError as exc:
        outcome, reason = "error", f"invalid settings: {exc.error_count()} problem(s)"
    except Exception as exc:
        # an automation bug must not block the others; it is recorded on the run
        logger.exception("automation failed", extra={"automation": automation.name})
        outcome, reason = "error", f"{type(exc).__name__}: {exc}"[:500]

    action_ids: list[str] = []
    for index, action in enumerate(actions):
        action_id = action_key(store.store_id, meta.event_id, automation.name, index, action)
        action_ids.append(action_id)
        runtime.repo.put_action(
            ActionRecord(
                action_id=action_id,
                store_id=store.store_id,
                automation=automation.name,
                run_id=run_id,
                event_id=meta.event_id,
                kind=action.kind,
                target=action.target(),
                summary=action.summary(),
                action=action.model_dump(mode="json"),
                status="pending",
                mode=mode,
                created_at=iso(now),
                updated_at=iso(now),
            )
        )
    run = RunRecord(
        run_id=run_id,
        store_id=store.store_id,
        event_id=meta.event_id,
        topic=meta.topic,
        automation=automation.name,
        mode=mode,
        outcome=outcome,
        reason=reason,
        action_ids=action_ids,
        created_at=iso(now),
    )
    logger.info(
        "automation ran",
        extra={
            "automation": automation.name,
            "store_id": store.store_id,
            "actions": len(action_ids),
            "outcome": outcome,
        },
    )
    return run


def action_key(store_id: str, source_id: str, automation: str, index: int, action: Action) -> str:
    """Deterministic outbox key: by `once_per` when the automation names it, else by the event (or
    job) that led to it and the action's content."""
    if action.once_per:
        return keys.idempotency_key(store_id, automation, action.kind, action.once_per)
    content = action.model_dump_json()
    return keys.idempotency_key(store_id, automation, source_id, str(index), content)
