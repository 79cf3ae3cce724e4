"""Reports routes: any report a domain offers (the registry's reports), as JSON or CSV, and the
dashboard page. Thin: authorize (the admin API's bearer tokens), parse, run the report, shape it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.admin.handlers import authorized, existing_store, query_model
from functions.answers import answer_errors, json_response
from storekit.errors import BadRequest, shown
from storekit.reporting import MAX_REPORT_DAYS, Grouping, ReportRequest
from storekit.runtime import Runtime
from storekit.store import StoreConfig

bp = Blueprint(__name__)

#: days a report covers when neither `from` nor `days` says (activity: the last week)
DEFAULT_DAYS = {"activity": 7}
DEFAULT_DAYS_OTHER = 30


class ReportQuery(BaseModel):
    """`?from=&to=` (store-local dates, inclusive), or `?days=` up to `to` (default today);
    `?by=day|week|month`, `?limit=` (top lists), `?format=json|csv`."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True, populate_by_name=True)

    first: date | None = Field(default=None, alias="from")
    last: date | None = Field(default=None, alias="to")
    days: int | None = Field(default=None, ge=1, le=MAX_REPORT_DAYS)
    by: Grouping = "day"
    limit: int = Field(default=10, ge=1, le=100)
    format: Literal["json", "csv"] | None = None

    @field_validator("first", "last", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError("must be a date YYYY-MM-DD in the store's time zone") from exc
        return value


def report_request(name: str, query: ReportQuery, store: StoreConfig, runtime: Runtime) -> ReportRequest:
    today = runtime.clock.now().astimezone(ZoneInfo(store.timezone)).date()
    last = query.last or today
    span = query.days or DEFAULT_DAYS.get(name, DEFAULT_DAYS_OTHER)
    first = query.first or last - timedelta(days=span - 1)
    if first > last:
        raise BadRequest("from: must be on or before to")
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise BadRequest(f"to: a report covers at most {MAX_REPORT_DAYS} days from `from`")
    return ReportRequest(store, first, last, query.by, query.limit)


DASHBOARD = Path(__file__).resolve().parent / "dashboard.html"
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:"
)


@bp.route("/dashboard", methods=["GET"])
@answer_errors
def dashboard() -> Response:
    """A page over the admin API; the token is typed in and kept in the tab's sessionStorage."""
    return Response(
        body=DASHBOARD.read_text(),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": DASHBOARD_CSP,
            "Cache-Control": "no-store",
        },
    )


@bp.route("/stores/{store_id}/reports/{name}", methods=["GET"])
@answer_errors
def get_report(store_id: str, name: str) -> Response:
    runtime = authorized(store_id)
    store = existing_store(store_id, runtime)
    maker = runtime.registry.report(name)
    if maker is None:
        available = ", ".join(runtime.registry.report_names())
        raise BadRequest(f"report: no report {shown(name)}; available: {available}")
    query = query_model(ReportQuery)
    request = report_request(name, query, store, runtime)
    table = maker(request, runtime)
    accept = (bp.current_request.headers.get("accept") or "").lower()
    if query.format == "csv" or (query.format is None and "text/csv" in accept):
        filename = f"{store_id}-{name}-{request.first}-{request.last}.csv"
        return Response(
            body=table.as_csv(),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
    return json_response(table.as_json(request))
