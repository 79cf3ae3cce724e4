"""The fulfillment domain's entries in the automation registry that are not event-driven."""

from __future__ import annotations

from functions.fulfillment.models import AssistantSettings
from storekit.automation import Automation

#: answers shoppers' requests (functions/fulfillment/handlers.py), not events: no topics, no run;
#: enabled, it keeps the deliveries of what it reads
ORDER_ASSISTANT: Automation[None, AssistantSettings, None] = Automation(
    name="order-assistant",
    description="Answers shoppers' 'where is my order' and 'order again' (POST /stores/{id}/assistant); "
    "keeps the order, shipment and product snapshots it reads",
    topics=frozenset(),
    settings_model=AssistantSettings,
    reads=frozenset({"order", "fulfillment", "product"}),
)
