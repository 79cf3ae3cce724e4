"""What the table holds about events, runs, actions, jobs and parked stream records."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

EventStatus = Literal["received", "processed", "stale", "failed"]
ActionStatus = Literal["pending", "running", "planned", "done", "retrying", "scheduled", "failed"]
JobStatus = Literal["pending", "claimed", "done", "failed", "cancelled"]

ACTION_STATUSES: tuple[str, ...] = (
    "pending",
    "running",
    "planned",
    "done",
    "retrying",
    "scheduled",
    "failed",
)


class EventRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    store_id: str
    platform: str
    topic: str
    platform_topic: str
    delivery_id: str
    entity_kind: str
    entity_id: str
    updated_at: str | None = None
    received_at: str
    status: EventStatus = "received"
    reason: str | None = None
    raw_s3_key: str | None = None
    api_version: str | None = None
    test: bool = False

    @property
    def event_id(self) -> str:
        return f"{self.platform}:{self.delivery_id}"

    def view(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "platform": self.platform,
            "topic": self.topic,
            "platform_topic": self.platform_topic,
            "delivery_id": self.delivery_id,
            "entity": f"{self.entity_kind}:{self.entity_id}",
            "received_at": self.received_at,
            "updated_at": self.updated_at,
            "status": self.status,
            "reason": self.reason,
            "test": self.test,
        }


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    run_id: str
    store_id: str
    event_id: str
    topic: str
    automation: str
    mode: str
    outcome: Literal["actions", "nothing-to-do", "error", "disabled"]
    reason: str | None = None
    action_ids: list[str] = []
    created_at: str

    def view(self) -> dict[str, Any]:
        return self.model_dump()


class RunSource(NamedTuple):
    """What the runs of one event (or due job) share."""

    store_id: str
    event_id: str
    topic: str
    created_at: str


class ActionRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    action_id: str
    store_id: str
    automation: str
    run_id: str
    event_id: str
    kind: str
    target: str
    summary: str
    action: dict[str, Any]
    status: ActionStatus = "pending"
    attempts: int = 0
    reason: str | None = None
    mode: str | None = None
    result: str | None = None
    created_at: str
    updated_at: str
    next_attempt_at: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "automation": self.automation,
            "kind": self.kind,
            "target": self.target,
            "summary": self.summary,
            "status": self.status,
            "attempts": self.attempts,
            "reason": self.reason,
            "mode": self.mode,
            "result": self.result,
            "run_id": self.run_id,
            "event_id": self.event_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "next_attempt_at": self.next_attempt_at,
        }


class JobRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    job_id: str
    store_id: str
    kind: str
    due_at: str
    params: dict[str, Any] = {}
    status: JobStatus = "pending"
    reason: str | None = None
    created_at: str
    #: the hour partition the job is filed under, e.g. 2026-11-24T12 (set when it is written)
    bucket: str | None = None
    #: when a sweeper claimed it (a claim left this long ago by a sweeper that died is taken over)
    claimed_at: str | None = None

    def view(self) -> dict[str, Any]:
        return self.model_dump()


class ParkedRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    store_id: str
    record_id: str
    handler: str
    item_type: str | None = None
    item_key: str | None = None
    reason: str
    tries: int
    parked_at: str

    def view(self) -> dict[str, Any]:
        return self.model_dump()
