"""Admin API routes (bearer-token auth). Thin: authorize, parse, call logic, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.admin.actions import action_detail
from functions.admin.auth import bearer_token, is_admin, new_store_token, require_admin, require_store_access
from functions.admin.models import ScheduleInput, StoreInput
from functions.admin.stores import save_store, store_view, validation_message
from functions.answers import answer_errors, json_of, json_response
from functions.engine.execute import release_for_retry
from storekit.clock import iso, parse_iso
from storekit.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, UnknownStore, shown
from storekit.records import ACTION_STATUSES, JobRecord
from storekit.repository import DEFAULT_LIMIT, MAX_LIMIT
from storekit.runtime import Runtime, get_runtime
from storekit.store import StoreConfig, is_store_id, shop_identity

bp = Blueprint(__name__)


def authorized(store_id: str, *, admin_only: bool = False) -> Runtime:
    runtime = get_runtime()
    authorization = bp.current_request.headers.get("authorization")
    if admin_only:
        require_admin(authorization, runtime)
    else:
        require_store_access(authorization, store_id, runtime)
    if not is_store_id(store_id):
        raise BadRequest("store id must be 1-63 characters of a-z, 0-9 and '-'")
    return runtime


def existing_store(store_id: str, runtime: Runtime) -> StoreConfig:
    store = runtime.store(store_id, fresh=True)
    if store is None:
        raise UnknownStore(f"no store {shown(store_id)}")
    return store


#: ids in paths (actions, schedules) are ours: 32-64 characters; anything longer names nothing
MAX_ID_LENGTH = 200


def path_id(value: str, what: str, store_id: str) -> str:
    """An id from the path, or NotFound (with the id cut short) if it cannot be one of ours."""
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise NotFound(f"no {what} {shown(value)} in store {store_id!r}")
    return value


#: JSON bodies of the admin and public routes (a store's settings, a 2,000-price sale: well under);
#: webhooks have their own 5 MiB (settings.max_body_bytes)
MAX_JSON_BODY_BYTES = 256 * 1024


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object: 413 over MAX_JSON_BODY_BYTES (before it is parsed), 400
    if it is not a JSON object."""
    raw = bp.current_request.raw_body or b""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise PayloadTooLarge(f"body is over {MAX_JSON_BODY_BYTES // 1024} KiB")
    data = json_of(raw, invalid="body must be a JSON object")
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def json_body(model: type[BaseModel], data: dict[str, Any] | None = None) -> Any:
    if data is None:
        data = json_object()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    except RecursionError as exc:
        raise BadRequest("body is nested too deeply") from exc


def query_params() -> dict[str, str]:
    params = bp.current_request.query_params
    return {name: params[name] for name in params} if params else {}


class ListingQuery(BaseModel):
    """`?limit=&cursor=` of every listing (a cursor we give out is well under 1 KB)."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, min_length=1, max_length=1024)


class ActionsQuery(ListingQuery):
    status: str | None = None

    def model_post_init(self, context: Any) -> None:
        if self.status is not None and self.status not in ACTION_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ACTION_STATUSES)}")


Q = TypeVar("Q", bound=BaseModel)


def query_model(model: type[Q]) -> Q:
    """The request's query parameters as `model`: the one place they are parsed (400 on bad ones)."""
    try:
        return model.model_validate(query_params())
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def _listing(store_id: str, what: str, query: ListingQuery | None = None) -> Response:
    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    query = query or query_model(ListingQuery)
    status = query.status if isinstance(query, ActionsQuery) else None
    items, cursor = runtime.repo.listing(
        store_id, what, status=status, limit=query.limit, cursor=query.cursor
    )
    return json_response({"items": items, "next": cursor})


@bp.route("/health", methods=["GET"])
@answer_errors
def health() -> Response:
    """Liveness (no token). `?deep=1` (admin token): the engine's heartbeats too, and 503 when the
    sweeper has not swept for 3 minutes or a stream handler was over 5 minutes behind its stream."""
    deep = query_params().get("deep")
    if deep is None or deep in ("0", "false"):
        return json_response({"ok": True, "service": "storeflow"})
    if deep not in ("1", "true"):
        raise BadRequest("deep must be 1 or 0")
    runtime = get_runtime()
    require_admin(bp.current_request.headers.get("authorization"), runtime)
    from functions.admin.health import engine_health

    report = engine_health(runtime.repo.engine_heartbeats(), runtime.clock.now())
    return json_response({"service": "storeflow", **report}, 200 if report["ok"] else 503)


#: what a store's own token may change with PUT /stores/{id} (the dashboard's settings editor);
#: creating a store, its shop, secrets, credentials and rate limits stay with the admin token
STORE_TOKEN_FIELDS = frozenset(
    {"platform", "shop_domain", "name", "mode", "timezone", "currency", "automations"}
)


@bp.route("/stores/{store_id}", methods=["PUT"])
@answer_errors
def put_store(store_id: str) -> Response:
    runtime = authorized(store_id)
    body = json_body(StoreInput)
    if not is_admin(bearer_token(bp.current_request.headers.get("authorization")), runtime):
        _store_token_may_save(body, existing_store(store_id, runtime))
    config, created = save_store(store_id, body, runtime)
    return json_response(store_view(config, runtime), 201 if created else 200)


def _store_token_may_save(body: StoreInput, store: StoreConfig) -> None:
    """A store token changes its own store's settings and mode, nothing that names or reaches it."""
    refused = sorted(body.model_fields_set - STORE_TOKEN_FIELDS)
    if shop_identity(body.platform, body.shop_domain) != store.shop:
        refused.insert(0, "shop_domain")
    if refused:
        raise Forbidden(
            f"{', '.join(refused)} can only be changed with the admin token; a store token may change "
            f"{', '.join(sorted(STORE_TOKEN_FIELDS - {'platform', 'shop_domain'}))}"
        )


@bp.route("/stores/{store_id}", methods=["GET"])
@answer_errors
def get_store(store_id: str) -> Response:
    runtime = authorized(store_id)
    return json_response(store_view(existing_store(store_id, runtime), runtime))


@bp.route("/stores/{store_id}/token", methods=["POST"])
@answer_errors
def issue_store_token(store_id: str) -> Response:
    """A new store-scoped token (replaces the previous one). Shown once, stored only as a hash."""
    runtime = authorized(store_id, admin_only=True)
    store = existing_store(store_id, runtime)
    token, digest = new_store_token(store_id)
    runtime.repo.put_store(
        store.model_copy(update={"token_sha256": digest, "updated_at": runtime.clock.now()})
    )
    runtime.forget_store(store_id)
    return json_response({"store_id": store_id, "token": token}, 201)


@bp.route("/stores/{store_id}/events", methods=["GET"])
@answer_errors
def list_events(store_id: str) -> Response:
    return _listing(store_id, "events")


@bp.route("/stores/{store_id}/runs", methods=["GET"])
@answer_errors
def list_runs(store_id: str) -> Response:
    return _listing(store_id, "runs")


@bp.route("/stores/{store_id}/actions", methods=["GET"])
@answer_errors
def list_actions(store_id: str) -> Response:
    return _listing(store_id, "actions", query_model(ActionsQuery))


@bp.route("/stores/{store_id}/actions/{action_id}", methods=["GET"])
@answer_errors
def get_action(store_id: str, action_id: str) -> Response:
    """The action with its attempts, event, run and preview (what it sends or changes)."""
    runtime = authorized(store_id)
    return json_response(action_detail(existing_store(store_id, runtime), action_id, runtime))


@bp.route("/stores/{store_id}/events/{event_id}/replay", methods=["POST"])
@answer_errors
def replay(store_id: str, event_id: str) -> Response:
    """The store's current settings on a stored event, in dry-run: what each automation would plan,
    with previews. Nothing is executed, written or counted."""
    runtime = authorized(store_id)
    from functions.engine.replay import replay_event  # the admin's rehearsal: loaded when used

    return json_response(replay_event(existing_store(store_id, runtime), unquote(event_id), runtime))


@bp.route("/stores/{store_id}/parked", methods=["GET"])
@answer_errors
def list_parked(store_id: str) -> Response:
    """Stream records that kept failing, with their reason."""
    return _listing(store_id, "parked")


@bp.route("/stores/{store_id}/actions/{action_id}/retry", methods=["POST"])
@answer_errors
def retry_action(store_id: str, action_id: str) -> Response:
    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    path_id(action_id, "action", store_id)
    record = runtime.repo.get_action(store_id, action_id)
    if record is None:
        raise NotFound(f"no action {shown(action_id)} in store {store_id!r}")
    if not release_for_retry(store_id, action_id, runtime, from_statuses=("failed", "retrying")):
        # the conditional update failed: say the state it is in now (another retry may have won)
        now = runtime.repo.get_action(store_id, action_id)
        status = now.status if now is not None else "gone"
        raise Conflict(f"action is {status}; only failed or retrying actions can be retried")
    return json_response({"action_id": action_id, "status": "pending"}, 202)


@bp.route("/stores/{store_id}/schedules", methods=["GET"])
@answer_errors
def list_schedules(store_id: str) -> Response:
    return _listing(store_id, "schedules")


@bp.route("/stores/{store_id}/schedules", methods=["POST"])
@answer_errors
def add_schedule(store_id: str) -> Response:
    runtime = authorized(store_id)
    store = existing_store(store_id, runtime)
    data = json_object()
    schedule_type = (
        runtime.registry.schedule_type(data["kind"]) if isinstance(data.get("kind"), str) else None
    )
    if schedule_type is not None:  # a kind with its own body (a sale, a release)
        status, view = schedule_type.create(store, data, runtime)
        return json_response(view, status)
    body: ScheduleInput = json_body(ScheduleInput, data)
    kinds = runtime.registry.schedule_kinds()
    if body.kind not in kinds:
        raise BadRequest(f"unknown schedule kind {body.kind!r}; known: {', '.join(kinds) or 'none yet'}")
    try:
        due = parse_iso(body.due_at)
    except ValueError as exc:
        raise BadRequest("due_at must be an ISO-8601 time with a UTC offset") from exc
    job = runtime.repo.put_job(
        JobRecord(
            job_id=uuid.uuid4().hex,
            store_id=store_id,
            kind=body.kind,
            due_at=iso(due),
            params=body.params,
            created_at=iso(runtime.clock.now()),
        )
    )
    assert job is not None
    return json_response(job.view(), 201)


@bp.route("/stores/{store_id}/schedules/{job_id}", methods=["GET"])
@answer_errors
def get_schedule(store_id: str, job_id: str) -> Response:
    """One schedule; a sale or release with its state, progress and what it changed."""
    runtime = authorized(store_id)
    store = existing_store(store_id, runtime)
    path_id(job_id, "schedule", store_id)
    job = runtime.repo.find_job(store_id, job_id)
    if job is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store_id!r}")
    schedule_type = runtime.registry.schedule_type(job.kind)
    if schedule_type is None:
        return json_response(job.view())
    found = schedule_type.show(store, job_id, query_params(), runtime)
    if found is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store_id!r}")
    return json_response(found)


@bp.route("/stores/{store_id}/schedules/{job_id}", methods=["PATCH"])
@answer_errors
def edit_schedule(store_id: str, job_id: str) -> Response:
    """Change a sale or release (its kind says what may change, and until when)."""
    runtime = authorized(store_id)
    store = existing_store(store_id, runtime)
    path_id(job_id, "schedule", store_id)
    job = runtime.repo.find_job(store_id, job_id)
    if job is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store_id!r}")
    schedule_type = runtime.registry.schedule_type(job.kind)
    if schedule_type is None or schedule_type.edit is None:
        raise Conflict(f"a {job.kind} schedule cannot be changed: cancel it and file a new one")
    status, view = schedule_type.edit(store, job_id, json_object(), runtime)
    return json_response(view, status)


@bp.route("/stores/{store_id}/schedules/{job_id}", methods=["DELETE"])
@answer_errors
def cancel_schedule(store_id: str, job_id: str) -> Response:
    runtime = authorized(store_id)
    path_id(job_id, "schedule", store_id)
    job = runtime.repo.find_job(store_id, job_id)
    if job is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store_id!r}")
    schedule_type = runtime.registry.schedule_type(job.kind)
    if schedule_type is not None:
        status, view = schedule_type.cancel(existing_store(store_id, runtime), job_id, runtime)
        return json_response(view, status)
    if not runtime.repo.move_job(job, "cancelled", "pending", "cancelled through the admin API"):
        raise Conflict("this schedule already ran or was cancelled")
    return json_response({"job_id": job_id, "status": "cancelled"})


class DataRequestInput(BaseModel):
    """Body of POST /stores/{id}/data-requests: who the customer is (at least one)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    customer_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    email: str | None = Field(default=None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, min_length=7, max_length=32, pattern=r"^[0-9+().\- ]+$")

    def model_post_init(self, context: Any) -> None:
        if not (self.customer_id or self.email or self.phone):
            raise ValueError("give the customer's customer_id, email or phone")


@bp.route("/stores/{store_id}/data-requests", methods=["POST"])
@answer_errors
def request_customer_data(store_id: str) -> Response:
    from functions.engine.data_export import export_on_request

    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    try:
        body = DataRequestInput.model_validate(json_object())
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    addresses = [a for a in (body.email, body.phone) if a]
    return json_response(export_on_request(store_id, body.customer_id, addresses, runtime), 201)


@bp.route("/stores/{store_id}/data-requests", methods=["GET"])
@answer_errors
def list_data_requests(store_id: str) -> Response:
    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    items = [
        {"request_id": e.get("request_id"), "created_at": e.get("created_at")}
        for e in runtime.repo.data_exports(store_id)
    ]
    return json_response(
        {"items": sorted(items, key=lambda e: str(e["created_at"]), reverse=True), "next": None}
    )


@bp.route("/stores/{store_id}/data-requests/{request_id}", methods=["GET"])
@answer_errors
def show_data_request(store_id: str, request_id: str) -> Response:
    from functions.engine.data_export import kept_export

    runtime = authorized(store_id)
    path_id(request_id, "data export", store_id)
    return json_response(kept_export(store_id, request_id, runtime))
