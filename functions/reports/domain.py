"""The reports domain as the registry sees it: it counts every event processed and every
action settled, per store-local day (the activity report)."""

from __future__ import annotations

from functions.reports.activity import count_action, count_event
from storekit.automation import Domain

DOMAIN = Domain(name="reports", counts=(count_event,), settles=(count_action,))
