"""The sales domain as the registry sees it: scheduled sales as a schedule kind, and `sales` as the
name a store sets their mode under ("automations": {"sales": {"mode": "dry-run"}})."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.sales.runner import SALES
from functions.sales.schedule import SALE_SCHEDULE
from storekit.automation import Automation, Domain


class SalesSettings(BaseModel):
    """Sales have no settings yet: each sale carries its own window, selection and price."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SALES_MODE: Automation[object, SalesSettings, None] = Automation(
    name=SALES,
    description="scheduled sales (POST /stores/{id}/schedules): dry-run shows the price changes, "
    "live makes them",
    topics=frozenset(),
    settings_model=SalesSettings,
)

DOMAIN = Domain(name="sales", automations=(SALES_MODE,), schedule_types={"sale": SALE_SCHEDULE})
