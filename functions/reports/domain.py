"""The reports domain as the registry sees it: the sales and cohort counters it keeps as orders and
refunds arrive, the activity counters (every event processed, every action settled), the digest,
and the reports it offers at GET /stores/{id}/reports/{name}.

Other domains offer their own reports the same way (`Domain(reports={"flows": ...})` in
functions/customers, `{"fraud": ...}` in functions/fraud), read from their own counters; the
routes find them in the registry."""

from __future__ import annotations

from typing import Any

from functions.reports.activity import activity_report, count_action, count_event
from functions.reports.counting import keep_report_counts
from functions.reports.digest import DIGEST, keep_digest_job
from functions.reports.retention import keep_cohorts
from functions.reports.sales_reports import donations_report, retention_report, sales_report, top_products
from functions.reports.settings import ReportSettings
from storekit.automation import Automation, Domain

#: the counters' switch and settings (what counts as a donation); a store that turns it off keeps
#: no sales counters (its sales, top-products, donations and retention reports stay empty)
COUNTERS: Automation[Any, ReportSettings, None] = Automation(
    name="reports",
    description="Count sales, refunds, cancellations and donations per store-local day for the reports",
    topics=frozenset(),
    settings_model=ReportSettings,
    reads=frozenset({"order", "refund"}),
)

DOMAIN = Domain(
    name="reports",
    automations=(COUNTERS, DIGEST),
    keeps=(keep_report_counts, keep_cohorts, keep_digest_job),
    counts=(count_event,),
    settles=(count_action,),
    reports={
        "sales": sales_report,
        "top-products": top_products,
        "donations": donations_report,
        "retention": retention_report,
        "activity": activity_report,
    },
)
