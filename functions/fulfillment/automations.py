"""The fulfillment domain's entries in the automation registry that are not event-driven."""

from __future__ import annotations

from typing import Any

from functions.engine.registry import Automation
from functions.fulfillment.models import AssistantSettings


def _answers_on_request(event: Any, ctx: Any) -> list[Any]:
    """The assistant acts on shoppers' requests (functions/fulfillment/handlers.py), not on events."""
    return []


ORDER_ASSISTANT: Automation[AssistantSettings] = Automation(
    name="order-assistant",
    description="Answers shoppers' 'where is my order' and 'order again' (POST /stores/{id}/assistant); "
    "keeps the order, shipment and product snapshots it reads",
    topics=frozenset(),
    settings_model=AssistantSettings,
    run=_answers_on_request,
    needs=frozenset({"order", "fulfillment", "product"}),
)
