"""Reports routes: the activity report (and any in REPORTS) and the read-only dashboard page.
Thin: authorize (the admin API's bearer tokens), parse, read the counters, shape the answer."""

from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response

from functions.admin.handlers import authorized, existing_store, query_params
from functions.answers import answer_errors, json_response
from functions.reports.activity import MAX_DAYS, REPORTS
from storekit.errors import BadRequest, NotFound

bp = Blueprint(__name__)

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
        raise NotFound(f"no report {name!r}; available: {', '.join(sorted(REPORTS))}")
    try:
        query = query_params()
        days = int(query.get("days", "7"))
    except ValueError as exc:
        raise BadRequest("days must be a whole number") from exc
    if not 1 <= days <= MAX_DAYS:
        raise BadRequest(f"days must be between 1 and {MAX_DAYS}")
    return json_response(report(store, days, runtime))
