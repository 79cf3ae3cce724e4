"""One action in full: its attempts, the event (or due job) and run that led to it, and its preview."""

from __future__ import annotations

from typing import Any

from functions.engine.perform import preview
from storekit.errors import NotFound
from storekit.repository import view_of
from storekit.runtime import Runtime
from storekit.store import StoreConfig


def action_detail(store: StoreConfig, action_id: str, runtime: Runtime) -> dict[str, Any]:
    """The action as listed (recipient masked), plus `history` (each attempt: at, outcome, reason,
    mode), `event` or `job`, `run`, and `preview`: what the executor sends or changes, in full
    (the recipient too: only the store's own token or the admin token reach this)."""
    found = runtime.repo.action_with_history(store.store_id, action_id)
    if found is None:
        raise NotFound(f"no action {action_id!r} in store {store.store_id!r}")
    record, history = found
    run = runtime.repo.get_run(store.store_id, record.run_id, record.event_id)
    return {
        **record.view(),
        "history": history,
        **_source(store.store_id, record.event_id, runtime),
        "run": run.view() if run is not None else None,
        "preview": preview(record.action, store, runtime),
    }


def _source(store_id: str, event_id: str, runtime: Runtime) -> dict[str, Any]:
    """The webhook event behind the run, or the due job when a scheduled run decided the action."""
    kind, _, ident = event_id.partition(":")
    if kind == "job":
        job = runtime.repo.find_job(store_id, ident)
        return {"event": None, "job": job.view() if job is not None else None}
    item = runtime.repo.get_event_item(store_id, kind, ident)
    return {"event": view_of(item) if item is not None else None}
