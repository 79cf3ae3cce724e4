"""Pure decisions of the customer-message automations: who, which channel, when."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pytest

from functions.fulfillment.messaging import customer_email, in_quiet_hours, sms_not_before, sms_phone
from functions.fulfillment.models import CustomerMessageSettings, QuietHours
from storekit.adapters import Topic, parse_delivery
from storekit.models import Fulfillment, Order
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit


def order(relpath: str, **changes: object) -> Order:
    payload = json.loads(load_fixture(relpath)[0])
    payload.update(changes)
    resource = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(resource, Order)
    return resource


def test_email_prefers_the_order_then_customer_then_shipment() -> None:
    shipment = Fulfillment(id="1", email="ship@example.com")
    assert (
        customer_email(order("shopify/orders_create__python-api-order.json"), shipment)
        == "bob.norman@hostmail.com"
    )
    assert customer_email(None, shipment) == "ship@example.com"
    guest = order("shopify/orders_create__2025-store-guest.json")
    assert customer_email(guest, None) is None


def test_sms_needs_the_customers_consent() -> None:
    not_subscribed = order("shopify/orders_create__2025-store-fixed-discount.json")
    assert sms_phone(not_subscribed) is None
    payload = json.loads(load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0])
    payload["customer"]["sms_marketing_consent"]["state"] = "subscribed"
    subscribed = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(subscribed, Order)
    # the captured numbers are placeholders no carrier reaches (+852 5550 0043): nothing to text
    assert sms_phone(subscribed) is None
    payload["customer"]["phone"] = "+852 9123 4567"
    reachable = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(reachable, Order)
    assert sms_phone(reachable) == "+85291234567"  # E.164, as the executor sends it
    assert sms_phone(None, Fulfillment(id="1", phone="+15555550100")) is None  # consent unknown


@pytest.mark.parametrize(
    ("local", "quiet"),
    [("22:30", True), ("07:59", True), ("08:00", False), ("12:00", False), ("21:00", True), ("20:59", False)],
)
def test_quiet_hours_across_midnight(local: str, quiet: bool) -> None:
    hour, minute = map(int, local.split(":"))
    at = datetime(2026, 11, 24, hour, minute, tzinfo=UTC)
    assert in_quiet_hours(at, QuietHours(start=time(21), end=time(8))) is quiet


def test_quiet_hours_within_a_day() -> None:
    window = QuietHours(start=time(12), end=time(14))
    assert in_quiet_hours(datetime(2026, 1, 1, 13, tzinfo=UTC), window)
    assert not in_quiet_hours(datetime(2026, 1, 1, 15, tzinfo=UTC), window)


def test_sms_held_until_the_quiet_hours_end_in_the_store_timezone() -> None:
    settings = CustomerMessageSettings()
    late = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    assert sms_not_before(late, "Europe/Berlin", settings) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    early = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 06:30 in Berlin, same night
    assert sms_not_before(early, "Europe/Berlin", settings) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert sms_not_before(noon, "Europe/Berlin", settings) is None
    assert sms_not_before(late, "Europe/Berlin", CustomerMessageSettings(quiet_hours=None)) is None


def test_quiet_hours_must_be_a_window() -> None:
    with pytest.raises(ValueError):
        QuietHours(start=time(8), end=time(8))
