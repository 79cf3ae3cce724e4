"""The inventory domain as the registry sees it: its automations, the snapshots it reads and what it
keeps after each event (functions/inventory/facts.py)."""

from __future__ import annotations

from functions.inventory.catalog_rules import CATALOG_RULES
from functions.inventory.facts import keep_item_tracking, keep_product_stock, keep_stock_level
from functions.inventory.low_stock import LOW_STOCK
from functions.inventory.marketing import MARKETING
from functions.inventory.reorder import REORDER
from functions.inventory.sales import keep_sales
from functions.inventory.sold_out import SOLD_OUT
from functions.inventory.waitlist import (
    LINK_KIND,
    WAITLIST,
    forget_signups,
    keep_variants,
    leave_waitlist,
    list_signups,
)
from storekit.automation import Domain

DOMAIN = Domain(
    name="inventory",
    automations=(LOW_STOCK, SOLD_OUT, CATALOG_RULES, REORDER, WAITLIST, MARKETING),
    #: products: titles for messages, the previous version for catalog rules
    snapshots=frozenset({"product"}),
    keeps=(keep_product_stock, keep_stock_level, keep_item_tracking, keep_sales, keep_variants),
    #: a waitlist email's one-click unsubscribe takes the shopper off that variant's waitlist
    unsubscribes={LINK_KIND: leave_waitlist},
    #: customers/redact deletes the address's waitlist signups
    forgets=(forget_signups,),
    #: customers/data_request lists them
    lists=(list_signups,),
)
