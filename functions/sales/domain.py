"""The sales domain as the registry sees it: scheduled sales and product releases as schedule kinds;
`sales` is the name a store sets sales' mode under ("automations": {"sales": {"mode": "dry-run"}}),
`product-release` the automation that publishes a release when its job comes up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.sales.gifts import GIFT_STOCK_AUTOMATION, record_toggle
from functions.sales.releases import PRODUCT_RELEASE, RELEASE_SCHEDULE
from functions.sales.runner import SALES
from functions.sales.schedule import OFFER_SCHEDULE, SALE_SCHEDULE
from storekit.automation import Automation, Domain


class SalesSettings(BaseModel):
    """Sales have no settings yet: each sale carries its own window, selection and price."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


SALES_MODE: Automation[object, SalesSettings, None] = Automation(
    name=SALES,
    description="scheduled sales (POST /stores/{id}/schedules): dry-run shows the price changes, "
    "live makes them",
    topics=frozenset(),
    settings_model=SalesSettings,
)

DOMAIN = Domain(
    name="sales",
    automations=(SALES_MODE, PRODUCT_RELEASE, GIFT_STOCK_AUTOMATION),
    #: a gift's pause or resume, once carried out, is recorded on its offer
    settles=(record_toggle,),
    #: product titles for release announcements
    snapshots=frozenset({"product"}),
    schedule_types={
        "sale": SALE_SCHEDULE,
        "release": RELEASE_SCHEDULE,
        "bundle": OFFER_SCHEDULE,
        "gift": OFFER_SCHEDULE,
    },
)
