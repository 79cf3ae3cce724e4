"""The automation contract: what a domain declares and what the engine runs.

A domain (functions/<domain>/domain.py) exports one `Domain`: its automations, the entity kinds
whose newest version it wants kept as snapshots, and its "kept after" hooks (refund markers,
shipments, counters). One composition point at the top (functions/composition.py) puts the
domains in a `Registry`, which checks the declarations when it is built; the runtime hands it to
the engine, the webhook ingest and the admin API. The engine itself names no domain.

An automation is pure: `run(resource, ctx) -> Decision`. It declares the resource type it takes
(`Order`, `Fulfillment`, ...), and a loader that reads its related data (a typed model) before it
decides. A decision that does nothing says why, in a merchant's words (`nothing(reason)`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from storekit import snapshots
from storekit.actions import Action
from storekit.adapters import TOPIC_RESOURCES, Parsed, Topic, resource_from_json
from storekit.models import Order, Resource
from storekit.payload_store import S3Archive, decompress
from storekit.records import JobRecord
from storekit.store import StoreConfig

if TYPE_CHECKING:  # types only: the runtime holds the registry, handlers receive the runtime
    from storekit.links import LinkClaims
    from storekit.reporting import ReportRequest, ReportTable
    from storekit.repository import Repository
    from storekit.runtime import Runtime

R = TypeVar("R")
S = TypeVar("S", bound=BaseModel)
D = TypeVar("D")

#: what the engine records for a run that decided nothing and gave no reason: a defect of the
#: automation (tests fail on it), never a merchant's answer
UNEXPLAINED = "decided nothing and did not say why (a storeflow defect: please report it)"


class ContractError(ValueError):
    """A domain's declarations do not fit together (found when the registry is built)."""


class EventMeta(BaseModel):
    """Where an event came from (no payload)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    event_id: str
    platform: str
    topic: str
    delivery_id: str
    received_at: str


@dataclass(frozen=True)
class Context(Generic[S, D]):
    """What an automation may read: the store, its own settings, the event's origin, the time, and
    the related data its loader read before it decides."""

    store: StoreConfig
    settings: S
    event: EventMeta
    now: datetime
    related: D


class Decision(list[Action]):
    """The actions an automation decided (a list) and, when it decided nothing or left something
    out, why: "customer has no SMS consent: email only". A decision without actions needs a reason."""

    def __init__(self, actions: Iterable[Action] = (), reason: str | None = None) -> None:
        super().__init__(actions)
        self.reason = reason

    def __repr__(self) -> str:
        return f"Decision({list(self)!r}, reason={self.reason!r})"


def nothing(reason: str) -> Decision:
    """Nothing to do, and why (with what the merchant can do about it, where there is something)."""
    return Decision((), reason)


class Reader:
    """What loaders read before an automation decides: snapshots of the entities storeflow keeps
    (read once per event however many automations ask) and the repository's own lookups."""

    def __init__(
        self,
        store_id: str,
        repo: Repository,
        archive: S3Archive | None = None,
        store: StoreConfig | None = None,
        now: datetime | None = None,
    ) -> None:
        self.store_id = store_id
        self.repo = repo
        #: where snapshots too big for a table item are kept (storekit.snapshots)
        self.archive = archive
        #: the store and the time the event is decided at (loaders that read by date need both)
        self.store = store
        self.now = now
        self._snapshots: dict[tuple[str, str], Resource | None] = {}

    def snapshot(self, kind: str, entity_id: str) -> Resource | None:
        """The newest kept version of an entity; None when storeflow has not received it."""
        key = (kind, entity_id)
        if key not in self._snapshots:
            blob = self.repo.entity_snapshot(self.store_id, kind, entity_id)
            if blob is None:
                self._snapshots[key] = None
            elif self.archive is not None:
                self._snapshots[key] = resource_from_json(snapshots.opened(blob, self.archive))
            else:
                self._snapshots[key] = resource_from_json(decompress(blob))
        return self._snapshots[key]

    def order(self, order_id: str | None) -> Order | None:
        found = self.snapshot("order", order_id) if order_id else None
        return found if isinstance(found, Order) else None


@dataclass(frozen=True)
class AppliedEvent:
    """An event whose state storeflow just applied: what a domain's "kept after" hooks see."""

    store: StoreConfig
    parsed: Parsed
    topic: str
    repo: Repository
    now: datetime
    #: a newer version of the entity was applied already (an occurrence topic that came late: its
    #: automations ran, its state was not applied); what a hook keeps of the newest version is kept
    behind: bool = False
    #: this event's id (None: not known, e.g. a hook run outside the dispatcher)
    event_id: str | None = None
    #: the event whose kept snapshot this event's state replaced, and that snapshot (compressed;
    #: None when none was kept): `previous()` reads it
    replaced_event: str | None = None
    replaced_snapshot: bytes | None = field(default=None, repr=False)

    def previous(self) -> Resource | None:
        """The version of the entity this event's state replaced, when another event brought it:
        a hook may skip rewriting what did not change (the write units of every order event). None
        when nothing was kept, it is kept in S3, the event was behind, or this event replaced its
        own version (a retry of an event stopped half-way: what it keeps may not be written yet)."""
        if "_previous" not in self.__dict__:  # read once however many hooks ask
            blob = self.replaced_snapshot
            own = self.replaced_event is None or self.replaced_event == self.event_id
            if self.behind or own or blob is None or blob.startswith(snapshots.POINTER):
                self.__dict__["_previous"] = None
            else:
                self.__dict__["_previous"] = resource_from_json(decompress(blob))
        found: Resource | None = self.__dict__["_previous"]
        return found


@dataclass(frozen=True)
class SettledAction:
    """An action that reached a final status (done, failed, planned): what "settled" hooks see."""

    store: StoreConfig
    status: str
    repo: Repository
    now: datetime
    #: the action that settled (None: not known) and the automation that decided it
    action: Action | None = None
    automation: str = ""
    action_id: str = ""


@dataclass(frozen=True)
class OutgoingAction:
    """An action the executor is about to carry out (live) or plan (dry-run): what admit hooks see."""

    store: StoreConfig
    repo: Repository
    now: datetime
    action: Action
    action_id: str
    automation: str


#: a "kept after" hook: keeps what a domain reads later (refund markers, shipments, counters)
Keeper = Callable[[AppliedEvent], None]
#: a hook on each action that settles (the activity report's counters)
Settled = Callable[[SettledAction], None]
#: asked right before the executor carries out (or, in dry-run, plans) an action: a reason not to
#: (the action fails with it), or None. It may claim what the action uses with a conditional write
#: (the customers domain's frequency cap), so two decisions made at the same moment cannot both pass
Admitter = Callable[[OutgoingAction], str | None]
#: a job kind merchants schedule through the admin API (POST /stores/{id}/schedules)
JobHandler = Callable[[JobRecord, "Runtime"], str]
#: a report a domain offers at GET /stores/{id}/reports/{name} (storekit.reporting)
ReportMaker = Callable[["ReportRequest", "Runtime"], "ReportTable"]


@dataclass(frozen=True)
class ForgottenCustomer:
    """A customers/redact: the addresses (emails lower-cased, phone digits) the customer was known by."""

    store_id: str
    addresses: frozenset[str]
    repo: Repository
    #: the orders the request names (Shopify orders_to_redact): still readable while forgetters run
    order_ids: frozenset[str] = frozenset()


#: deletes what a domain keeps about a customer beyond the entities, deliveries and actions the
#: engine deletes (e.g. waitlist signups, keyed by an address's hash); returns the items deleted
Forgetter = Callable[[ForgottenCustomer], int]


@dataclass(frozen=True)
class RequestedCustomer:
    """A customer whose data is asked for (customers/data_request, or the admin's export request):
    their id where known and the addresses (emails lower-cased, phone digits) they were known by."""

    store_id: str
    customer_id: str | None
    addresses: frozenset[str]
    repo: Repository


#: lists what a domain keeps about a customer beyond the entities, deliveries and actions the engine
#: lists itself (the data export of customers/data_request): one JSON-ready dict per item, each
#: with an "item" naming what it is ("marketing contact", "waitlist signup", ...)
Lister = Callable[[RequestedCustomer], list[dict[str, Any]]]
#: a signed one-click unsubscribe (`GET /u/{token}`) of the kind a domain's links name: records the
#: opt-out (idempotently: mail scanners open links too) and returns the sentence the shopper reads
UnsubscribeHandler = Callable[["LinkClaims", "Runtime"], str]
#: an open pixel or click (`GET /t/o|c/{token}`) of the kind a domain's links name: records it and
#: returns, for a click, the URL to send the shopper on to (taken from the signed claims), else None
TrackHandler = Callable[["LinkClaims", "Runtime"], str | None]


@dataclass(frozen=True)
class ScheduleType:
    """A schedule kind with its own body, state and cancel (a sale, a product release). POST
    /stores/{id}/schedules with `{"kind": <kind>, ...}` goes to `create` (answers (status, view));
    GET, PATCH and DELETE /stores/{id}/schedules/{job_id} go to `show`, `edit`, `cancel`; the sweeper
    runs its due jobs (job kind = the schedule kind) with `run`."""

    run: JobHandler
    create: Callable[[StoreConfig, Mapping[str, Any], Runtime], tuple[int, dict[str, Any]]]
    show: Callable[[StoreConfig, str, Mapping[str, str], Runtime], dict[str, Any] | None]
    cancel: Callable[[StoreConfig, str, Runtime], tuple[int, dict[str, Any]]]
    #: PATCH /stores/{id}/schedules/{job_id} (None: the kind cannot be changed once filed)
    edit: Callable[[StoreConfig, str, Mapping[str, Any], Runtime], tuple[int, dict[str, Any]]] | None = None


def _no_related(_: object, __: Reader) -> None:
    return None


@dataclass(frozen=True)
class Automation(Generic[R, S, D]):
    name: str
    description: str
    topics: frozenset[Topic]
    settings_model: type[S]
    #: the resource types the automation takes; every topic must yield one of them
    takes: tuple[type[R], ...] = ()
    run: Callable[[R, Context[S, D]], Decision] | None = None
    #: reads the related data (a typed model) for an event's resource, before its update is applied
    load: Callable[[R, Reader], D] = _no_related  # type: ignore[assignment]
    #: decides when a due job of this automation's own comes up (ScheduleJob(job_kind=<name>))
    on_due: Callable[[JobRecord, Context[S, D]], Decision] | None = None
    #: reads the related data for a due job
    load_due: Callable[[JobRecord, Reader], D] = _no_related  # type: ignore[assignment]
    #: entity kinds ("order", "refund") whose deliveries it needs kept, even when it does not run
    #: on their topics (ingest answers {"ignored"} for a topic nothing enabled uses)
    reads: frozenset[str] = frozenset()
    #: built-ins run for every store and cannot be disabled
    builtin: bool = False
    #: False: off in a store until the store's config turns it on (messages to customers that are
    #: the merchant's marketing decision, e.g. the customers domain's flows)
    default_enabled: bool = True

    def settings_for(self, store: StoreConfig) -> S:
        return self.settings_model.model_validate(store.automation(self.name).settings)


@dataclass(frozen=True)
class Domain:
    """One domain package's declarations."""

    name: str
    automations: tuple[Automation[Any, Any, Any], ...] = ()
    #: entity kinds whose newest version is kept (compressed) for loaders and lookups
    snapshots: frozenset[str] = frozenset()
    #: run each time an event's state is applied (idempotent: stream records repeat). What a keeper
    #: counts exactly once goes through the repository's counted writes (a per-order marker, the
    #: domain's part of the order's ledger read with `ledger_part`, written with its counter changes
    #: conditional on the part's version as read: `apply_order_counted`, `apply_sales`): within a
    #: stream batch they are held, read back by the batch's later events (read the marker through the
    #: repository, never around it), summed per counter item and written before the batch's events
    #: are finished; when that write fails the keepers run again for each event of the batch, so a
    #: keeper must count from its marker, never from what it did before
    keeps: tuple[Keeper, ...] = ()
    #: run once, when an event is first marked processed (counters); within a stream batch, after
    #: the batch's counted writes are written
    counts: tuple[Keeper, ...] = ()
    #: run once per action that reaches a final status (counters)
    settles: tuple[Settled, ...] = ()
    #: job kinds merchants schedule
    schedules: Mapping[str, JobHandler] = field(default_factory=dict)
    #: schedule kinds with their own body, state and cancel (sales, releases)
    schedule_types: Mapping[str, ScheduleType] = field(default_factory=dict)
    #: reports the domain offers at GET /stores/{id}/reports/{name}, read from its own counters
    reports: Mapping[str, ReportMaker] = field(default_factory=dict)
    #: the link kinds (storekit.links) whose unsubscribe this domain carries out
    unsubscribes: Mapping[str, UnsubscribeHandler] = field(default_factory=dict)
    #: the link kinds whose opens and clicks this domain records
    tracks: Mapping[str, TrackHandler] = field(default_factory=dict)
    #: run on customers/redact (shop/redact deletes every item of the store anyway)
    forgets: tuple[Forgetter, ...] = ()
    #: run on customers/data_request: what the domain keeps about the customer, for the export
    lists: tuple[Lister, ...] = ()
    #: asked before each action is carried out or planned (Admitter)
    admits: tuple[Admitter, ...] = ()


class Registry:
    """Every automation of the domains it is built from, checked once when built."""

    def __init__(self, domains: Iterable[Domain]) -> None:
        self.domains = tuple(domains)
        self._by_name: dict[str, Automation[Any, Any, Any]] = {}
        self._schedules: dict[str, JobHandler] = {}
        self._types: dict[str, ScheduleType] = {}
        self._reports: dict[str, ReportMaker] = {}
        self._unsubscribes: dict[str, UnsubscribeHandler] = {}
        self._tracks: dict[str, TrackHandler] = {}
        for domain in self.domains:
            for report_name, maker in domain.reports.items():
                if report_name in self._reports:
                    raise ContractError(f"report {report_name!r} declared twice")
                self._reports[report_name] = maker
            for automation in domain.automations:
                if automation.name in self._by_name:
                    raise ContractError(f"automation {automation.name!r} registered twice")
                check_automation(automation)
                self._by_name[automation.name] = automation
            for kind, handler in domain.schedules.items():
                if kind in self._schedules or kind in self._by_name:
                    raise ContractError(f"job kind {kind!r} declared twice")
                self._schedules[kind] = handler
            for kind, schedule_type in domain.schedule_types.items():
                if kind in self._schedules or kind in self._by_name:
                    raise ContractError(f"job kind {kind!r} declared twice")
                self._schedules[kind] = schedule_type.run
                self._types[kind] = schedule_type
            for kind, unsubscribe in domain.unsubscribes.items():
                if kind in self._unsubscribes:
                    raise ContractError(f"unsubscribe link kind {kind!r} declared twice")
                self._unsubscribes[kind] = unsubscribe
            for kind, track in domain.tracks.items():
                if kind in self._tracks:
                    raise ContractError(f"tracked link kind {kind!r} declared twice")
                self._tracks[kind] = track
        self.snapshot_kinds = frozenset().union(*(d.snapshots for d in self.domains))
        self.keeps = tuple(keep for d in self.domains for keep in d.keeps)
        self.counts = tuple(count for d in self.domains for count in d.counts)
        self.settles = tuple(settle for d in self.domains for settle in d.settles)
        self.forgets = tuple(forget for d in self.domains for forget in d.forgets)
        self.admits = tuple(admit for d in self.domains for admit in d.admits)
        #: (domain name, lister) pairs: the data export groups what it finds by domain
        self.listers = tuple((d.name, lister) for d in self.domains for lister in d.lists)

    def get(self, name: str) -> Automation[Any, Any, Any] | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def all(self) -> list[Automation[Any, Any, Any]]:
        return [self._by_name[name] for name in self.names()]

    def for_topic(self, topic: str) -> list[Automation[Any, Any, Any]]:
        return [a for a in self.all() if topic in a.topics]

    def is_enabled(self, store: StoreConfig, automation: Automation[Any, Any, Any]) -> bool:
        if automation.builtin:
            return True
        if automation.name in store.automations:
            return store.automations[automation.name].enabled
        return automation.default_enabled

    def enabled_for(self, store: StoreConfig, topic: str) -> list[Automation[Any, Any, Any]]:
        return [a for a in self.for_topic(topic) if self.is_enabled(store, a)]

    def uses_topic(self, store: StoreConfig, topic: str) -> bool:
        """A topic is used when an enabled automation runs on it or reads the entity it updates."""
        if self.enabled_for(store, topic):
            return True
        kind = topic.split(".", 1)[0]
        return any(kind in a.reads for a in self.all() if self.is_enabled(store, a))

    def report_names(self) -> list[str]:
        return sorted(self._reports)

    def report(self, name: str) -> ReportMaker | None:
        return self._reports.get(name)

    def schedule_kinds(self) -> list[str]:
        return sorted(self._schedules)

    def schedule_handler(self, kind: str) -> JobHandler | None:
        return self._schedules.get(kind)

    def schedule_type(self, kind: str) -> ScheduleType | None:
        return self._types.get(kind)

    def unsubscribe_handler(self, kind: str) -> UnsubscribeHandler | None:
        return self._unsubscribes.get(kind)

    def track_handler(self, kind: str) -> TrackHandler | None:
        return self._tracks.get(kind)


def check_automation(automation: Automation[Any, Any, Any]) -> None:
    """Raise ContractError unless every topic yields a resource the automation takes."""
    name = automation.name
    if automation.topics and automation.run is None:
        raise ContractError(f"automation {name!r} listens to topics but has no run")
    taken = ", ".join(t.__name__ for t in automation.takes) or "nothing"
    for topic in sorted(automation.topics):
        yields = TOPIC_RESOURCES.get(topic)
        if yields is None:
            raise ContractError(f"automation {name!r} listens to {topic}, which storeflow does not parse")
        if not any(issubclass(yields, taken_type) for taken_type in automation.takes):
            raise ContractError(
                f"automation {name!r} listens to {topic}, whose events carry {yields.__name__} resources, "
                f"but it takes {taken}: add {yields.__name__} to `takes` or drop the topic"
            )
