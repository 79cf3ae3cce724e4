"""The one place that reads and writes the storeflow table, one module per aggregate over one base
(storekit.repository.base: conditional writes and the one paging helper every Query goes through).
Keys come from storekit.keys. Methods say what they decide."""

from __future__ import annotations

from storekit.repository.base import Page, TableRepository, is_conditional_failure
from storekit.repository.customers import CustomerRepository
from storekit.repository.entities import EntityRepository
from storekit.repository.events import EventRepository
from storekit.repository.exports import ExportRepository
from storekit.repository.fraud import FraudRepository
from storekit.repository.inventory import InventoryRepository
from storekit.repository.items import (
    action_from_item,
    attributes_of,
    job_from_item,
    purchase_order_view,
    view_of,
)
from storekit.repository.jobs import JobRepository
from storekit.repository.listings import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CounterRepository,
    ListingRepository,
    decode_cursor,
    encode_cursor,
)
from storekit.repository.outbox import OutboxRepository
from storekit.repository.parking import ParkingRepository
from storekit.repository.rates import RateRepository
from storekit.repository.redaction import REDACTED, RedactionRepository
from storekit.repository.reports import ReportRepository
from storekit.repository.sales import SaleRepository
from storekit.repository.stores import StoreRepository
from storekit.repository.waitlist import WaitlistRepository

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "REDACTED",
    "Page",
    "Repository",
    "TableRepository",
    "action_from_item",
    "attributes_of",
    "decode_cursor",
    "encode_cursor",
    "is_conditional_failure",
    "job_from_item",
    "purchase_order_view",
    "view_of",
]


class Repository(
    StoreRepository,
    EventRepository,
    EntityRepository,
    OutboxRepository,
    JobRepository,
    InventoryRepository,
    FraudRepository,
    CustomerRepository,
    ParkingRepository,
    CounterRepository,
    RateRepository,
    ListingRepository,
    RedactionRepository,
    SaleRepository,
    ReportRepository,
    WaitlistRepository,
    ExportRepository,
):
    """Every aggregate's methods on one object (`runtime.repo`), over one table and one clock."""
