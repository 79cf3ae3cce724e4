"""Reports routes: the activity report (and any in REPORTS) and the read-only dashboard page.
Thin: authorize (the admin API's bearer tokens), parse, read the counters, shape the answer."""

from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.admin.handlers import authorized, existing_store, query_model
from functions.answers import answer_errors, json_response
from functions.reports.activity import MAX_DAYS, REPORTS
from storekit.errors import NotFound, shown

bp = Blueprint(__name__)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    days: int = Field(default=7, ge=1, le=MAX_DAYS)


DASHBOARD = Path(__file__).resolve().parent / "dashboard.html"
DASHBOARD_CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"


@bp.route("/dashboard", methods=["GET"])
@answer_errors
def dashboard() -> Response:
    """A read-only page over the admin API; the token is typed in and kept in the tab's sessionStorage."""
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
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(f"no report {shown(name)}; available: {', '.join(sorted(REPORTS))}")
    return json_response(report(store, query_model(ReportQuery).days, runtime))
