"""The automation registry: each automation declares its name, topics and settings model.

Automations are pure: `run(event, ctx) -> list[Action]`. The engine looks them up by topic,
validates each store's settings against the automation's model, and writes what they return
to the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from storekit.actions import Action
from storekit.adapters import Parsed, Topic
from storekit.records import JobRecord
from storekit.store import StoreConfig

S = TypeVar("S", bound=BaseModel)


class EventMeta(BaseModel):
    """Where an event came from (no payload)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    event_id: str
    platform: str
    topic: str
    delivery_id: str
    received_at: str


@dataclass(frozen=True)
class Context(Generic[S]):
    """What an automation may read: the store, its own settings, the event's origin, the time."""

    store: StoreConfig
    settings: S
    event: EventMeta
    now: datetime
    #: the newest known snapshots of what the event points at, for the kinds the automation needs
    #: (e.g. a fulfillment's "order"); a kind is missing when storeflow has not seen it yet
    related: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Automation(Generic[S]):
    name: str
    description: str
    topics: frozenset[Topic]
    settings_model: type[S]
    run: Callable[[Parsed, Context[S]], list[Action]]
    #: built-ins run for every store and cannot be disabled (privacy, uninstall)
    builtin: bool = False
    #: entity kinds ("order", "customer") whose latest snapshot the automation reads from ctx.related;
    #: their topics are then kept (not ignored) so the snapshots exist
    needs: frozenset[str] = frozenset()
    #: decides when a due job of this automation's own comes up (ScheduleJob(job_kind=<name>))
    on_due: Callable[[JobRecord, Context[S]], list[Action]] | None = None

    def settings_for(self, store: StoreConfig) -> S:
        return self.settings_model.model_validate(store.automation(self.name).settings)


class Registry:
    def __init__(self, automations: Iterable[Automation[Any]] = ()) -> None:
        self._by_name: dict[str, Automation[Any]] = {}
        for automation in automations:
            self.add(automation)

    def add(self, automation: Automation[Any]) -> None:
        if automation.name in self._by_name:
            raise ValueError(f"automation {automation.name!r} registered twice")
        self._by_name[automation.name] = automation

    def remove(self, name: str) -> None:
        self._by_name.pop(name, None)

    def get(self, name: str) -> Automation[Any] | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def all(self) -> list[Automation[Any]]:
        return [self._by_name[name] for name in self.names()]

    def for_topic(self, topic: str) -> list[Automation[Any]]:
        return [a for a in self.all() if topic in a.topics]

    def enabled_for(self, store: StoreConfig, topic: str) -> list[Automation[Any]]:
        return [a for a in self.for_topic(topic) if a.builtin or store.automation(a.name).enabled]

    def uses_topic(self, store: StoreConfig, topic: str) -> bool:
        """A topic is used when an enabled automation runs on it or needs the entity it updates."""
        if self.enabled_for(store, topic):
            return True
        kind = topic.split(".", 1)[0]
        return any(kind in a.needs for a in self.all() if a.builtin or store.automation(a.name).enabled)
