"""The fulfillment domain as the registry sees it: its automations, the snapshots it reads and what
it keeps after each event (functions/fulfillment/facts.py)."""

from __future__ import annotations

from functions.fulfillment.automations import ORDER_ASSISTANT
from functions.fulfillment.facts import keep_order_proof, keep_order_shipment, note_refund
from functions.fulfillment.follow_up import POST_DELIVERY_FOLLOW_UP
from functions.fulfillment.returns import RETURNS_FOLLOW_UP
from functions.fulfillment.shipping import DELIVERY_UPDATES, SHIPPING_NOTICE
from storekit.automation import Domain

DOMAIN = Domain(
    name="fulfillment",
    automations=(
        SHIPPING_NOTICE,
        DELIVERY_UPDATES,
        POST_DELIVERY_FOLLOW_UP,
        RETURNS_FOLLOW_UP,
        ORDER_ASSISTANT,
    ),
    #: orders (shipments' customers, refunds, the assistant's lookup) and products (order again)
    snapshots=frozenset({"order", "product"}),
    keeps=(note_refund, keep_order_shipment, keep_order_proof),
)
