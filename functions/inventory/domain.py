"""The inventory domain as the registry sees it: its automations, the snapshots it reads and what it
keeps after each event (functions/inventory/facts.py)."""

from __future__ import annotations

from functions.inventory.catalog_rules import CATALOG_RULES
from functions.inventory.facts import keep_item_tracking, keep_product_stock, keep_stock_level
from functions.inventory.low_stock import LOW_STOCK
from functions.inventory.reorder import REORDER
from functions.inventory.sales import keep_sales
from functions.inventory.sold_out import SOLD_OUT
from storekit.automation import Domain

DOMAIN = Domain(
    name="inventory",
    automations=(LOW_STOCK, SOLD_OUT, CATALOG_RULES, REORDER),
    #: products: titles for messages, the previous version for catalog rules
    snapshots=frozenset({"product"}),
    keeps=(keep_product_stock, keep_stock_level, keep_item_tracking, keep_sales),
)
