"""Every run that decides nothing says why, in a merchant's words, with what to do where there is
something: each automation's no-action branches, on real payloads (tests/events/real)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.composition import build_registry
from functions.customers.channel_tags import ChannelTagSettings, tag_sales_channel
from functions.fulfillment.facts import OrderFacts
from functions.fulfillment.follow_up import FollowUpSettings, schedule_follow_up, send_follow_up
from functions.fulfillment.models import DeliveryUpdateSettings, ShippingNoticeSettings
from functions.fulfillment.returns import (
    ReturnsFollowUpSettings,
    schedule_returns_follow_up,
    send_returns_follow_up,
)
from functions.fulfillment.shipping import delivery_update, shipping_notice, shipping_notice_after_wait
from storekit.actions import ScheduleJob
from storekit.adapters import canonical_topic, parse_delivery
from storekit.automation import UNEXPLAINED, Context, Decision, EventMeta, Reader
from storekit.models import Canonical, Order, Refund
from storekit.records import JobRecord
from storekit.store import StoreConfig
from tests.payloads import FIXTURES, fixture_files, topic_for

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)  # 13:00 in Berlin: no quiet hours
ORDER_1001 = "shopify/orders_create__python-api-order.json"  # order 450789469, no SMS consent
SHIPMENT_OF_1001 = "shopify/fulfillments_create__python-api-fulfillment.json"  # 255858046, no email
GUEST_ORDER = "shopify/orders_create__2025-store-guest.json"
REFUNDED_ORDER = "shopify/orders_cancelled__2025-store-refunded.json"
SHOPIFY_REFUND = "shopify/refunds_create__python-api-refund.json"  # 509562969 of order 450789469
WOO_ORDER = "woocommerce/order_updated__rest-api-docs.json"  # #727, completed, no tracking meta


def payload(relpath: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / relpath).read_bytes())
    assert isinstance(data, dict)
    return data


def resource(relpath: str, changes: dict[str, Any] | None = None) -> Any:
    platform, platform_topic = topic_for(FIXTURES / relpath)
    topic = canonical_topic(platform, platform_topic)
    assert topic is not None
    return parse_delivery(platform, topic, {**payload(relpath), **(changes or {})}).resource


def ctx(
    settings: Any, related: Any = None, platform: str = "shopify", now: datetime = NOW
) -> Context[Any, Any]:
    store = StoreConfig(
        store_id="demo",
        platform=platform,  # type: ignore[arg-type]
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        name="Demo Shop",
        timezone="Europe/Berlin",
        created_at=NOW,
        updated_at=NOW,
    )
    meta = EventMeta(
        event_id="e", platform=platform, topic="t", delivery_id="d", received_at="2026-11-24T12:00:00Z"
    )
    return Context(store=store, settings=settings, event=meta, now=now, related=related)


def reason_of(decision: Decision) -> str:
    """The reason of a decision that did nothing (failing if it did something or gave none)."""
    assert list(decision) == [], decision
    assert decision.reason and decision.reason != UNEXPLAINED, decision
    return decision.reason


def job(kind: str, **params: Any) -> JobRecord:
    return JobRecord(
        job_id="j",
        store_id="demo",
        kind=kind,
        due_at="2026-11-24T12:00:00Z",
        params=params,
        created_at="2026-11-24T12:00:00Z",
    )


# --- shipping notice -----------------------------------------------------------------------------
def test_fulfillment_of_an_order_not_received_waits_for_it_then_names_the_subscription() -> None:
    shipment = resource(SHIPMENT_OF_1001)
    waiting = shipping_notice(shipment, ctx(ShippingNoticeSettings(), OrderFacts()))
    [wait] = waiting
    assert isinstance(wait, ScheduleJob) and wait.job_kind == "shipping-notice"
    assert waiting.reason == (
        "fulfillment 255858046 names order 450789469, which storeflow has not received yet: "
        "decided again in 10 minutes, with the order if it has arrived"
    )
    # ten minutes later the order has still not come: the run says what to subscribe
    due = job("shipping-notice", **wait.params)
    after = shipping_notice_after_wait(due, ctx(ShippingNoticeSettings(), OrderFacts()))
    assert reason_of(after).startswith(
        "fulfillment 255858046 names order 450789469, which storeflow has not received: "
        "subscribe orders/create; no message: no email address is known for the order"
    )
    # ... and when it has come, the customer hears of the shipment
    arrived = shipping_notice_after_wait(
        due, ctx(ShippingNoticeSettings(), OrderFacts(order=resource(ORDER_1001)))
    )
    assert [a.kind for a in arrived] == ["send_email"]


def test_customer_without_sms_consent_gets_email_only_and_the_run_says_so() -> None:
    order = resource(ORDER_1001)
    decision = shipping_notice(
        resource(SHIPMENT_OF_1001), ctx(ShippingNoticeSettings(), OrderFacts(order=order))
    )
    assert [a.kind for a in decision] == ["send_email"]
    assert decision.reason == "the customer has no SMS consent: email only"


def test_both_channels_off_says_so() -> None:
    order = resource(ORDER_1001)
    settings = ShippingNoticeSettings(email=False, sms=False)
    why = reason_of(shipping_notice(resource(SHIPMENT_OF_1001), ctx(settings, OrderFacts(order=order))))
    assert why == "#1001: no message: email is off in the settings, and SMS is off in the settings"


def test_shopify_order_update_points_to_fulfillments_create() -> None:
    why = reason_of(shipping_notice(resource(ORDER_1001), ctx(ShippingNoticeSettings(), OrderFacts())))
    assert "fulfillments/create" in why


def test_woo_order_in_a_status_that_is_not_shipped_names_the_statuses() -> None:
    order = resource(WOO_ORDER, {"status": "processing"})
    why = reason_of(shipping_notice(order, ctx(ShippingNoticeSettings(), OrderFacts(), "woocommerce")))
    assert why == "order #727 is processing, not shipped (completed, shipped)"


def test_woo_completed_order_without_tracking_says_how_to_add_it() -> None:
    why = reason_of(
        shipping_notice(resource(WOO_ORDER), ctx(ShippingNoticeSettings(), OrderFacts(), "woocommerce"))
    )
    assert "no tracking number" in why and "Shipment Tracking" in why


def test_woo_shipment_that_left_long_ago_is_not_announced_again_and_says_so() -> None:
    shipped = int((NOW - timedelta(days=30)).timestamp())
    meta = payload(WOO_ORDER)["meta_data"] + [
        {
            "id": 99,
            "key": "_wc_shipment_tracking_items",
            "value": [{"tracking_provider": "USPS", "tracking_number": "9400", "date_shipped": str(shipped)}],
        }
    ]
    order = resource(WOO_ORDER, {"meta_data": meta})
    why = reason_of(shipping_notice(order, ctx(ShippingNoticeSettings(), OrderFacts(), "woocommerce")))
    assert "more than 3 day(s) ago" in why and "announce_within_days" in why


# --- delivery updates ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "said"),
    [("in_transit", "shipment status is in_transit"), (None, "not reported by the carrier")],
)
def test_delivery_status_the_store_does_not_notify_on_says_which_it_does(
    status: str | None, said: str
) -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": status})
    why = reason_of(delivery_update(shipment, ctx(DeliveryUpdateSettings(), OrderFacts())))
    assert said in why and "out_for_delivery, delivered, failure (setting notify)" in why


def test_delivery_update_by_email_says_why_not_sms() -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": "delivered"})
    decision = delivery_update(
        shipment, ctx(DeliveryUpdateSettings(), OrderFacts(order=resource(ORDER_1001)))
    )
    assert [a.kind for a in decision] == ["send_email"]
    assert decision.reason == "the customer has no SMS consent: email only"


def test_delivery_update_of_an_unknown_order_without_address_names_the_order() -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": "delivered"})
    why = reason_of(delivery_update(shipment, ctx(DeliveryUpdateSettings(), OrderFacts())))
    assert why.startswith("fulfillment 255858046 names order 450789469, which storeflow has not received")


# --- post-delivery follow-up ---------------------------------------------------------------------
def test_follow_up_waits_for_the_delivery() -> None:
    why = reason_of(schedule_follow_up(resource(SHIPMENT_OF_1001), ctx(FollowUpSettings(), OrderFacts())))
    assert why == "shipment status is not reported: a follow-up is filed when it is delivered"


def test_follow_up_for_a_refunded_order_says_no_thank_you() -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": "delivered"})
    refunded = resource(REFUNDED_ORDER)
    why = reason_of(schedule_follow_up(shipment, ctx(FollowUpSettings(), OrderFacts(order=refunded))))
    assert why == "order #1065 was refunded, voided or cancelled: no thank-you"


def test_follow_up_without_marketing_consent_names_the_setting() -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": "delivered"})
    order = resource(
        ORDER_1001, {"customer": {**payload(ORDER_1001)["customer"], "accepts_marketing": False}}
    )
    assert isinstance(order, Order) and order.customer and not order.customer.accepts_email_marketing
    why = reason_of(schedule_follow_up(shipment, ctx(FollowUpSettings(), OrderFacts(order=order))))
    assert "does not accept email marketing" in why and "needs_marketing_consent" in why


def test_follow_up_for_an_order_not_received_names_it() -> None:
    shipment = resource(SHIPMENT_OF_1001, {"shipment_status": "delivered"})
    why = reason_of(schedule_follow_up(shipment, ctx(FollowUpSettings(), OrderFacts())))
    assert "names order 450789469, which storeflow has not received: subscribe orders/create" in why


def test_due_follow_up_after_a_refund_names_the_refund() -> None:
    due = job("post-delivery-follow-up", order_id="450789469", order_name="#1001", email="a@example.com")
    facts = OrderFacts(order=resource(ORDER_1001), refund_ids=frozenset({"509562969"}))
    why = reason_of(send_follow_up(due, ctx(FollowUpSettings(), facts)))
    assert why == "order #1001 was refunded meanwhile (refund 509562969): no thank-you"


def test_due_follow_up_with_email_off_says_so() -> None:
    due = job("post-delivery-follow-up", order_id="450789469", order_name="#1001", email="a@example.com")
    facts = OrderFacts(order=resource(ORDER_1001))
    assert (
        reason_of(send_follow_up(due, ctx(FollowUpSettings(email=False), facts)))
        == "email is off in the settings"
    )


# --- returns follow-up ---------------------------------------------------------------------------
def test_shopify_order_update_points_to_refunds_create() -> None:
    why = reason_of(
        schedule_returns_follow_up(resource(REFUNDED_ORDER), ctx(ReturnsFollowUpSettings(), OrderFacts()))
    )
    assert why == "a Shopify order update is not read for refunds: refunds/create is"


def test_refund_of_no_money_gets_no_message() -> None:
    refund = resource(SHOPIFY_REFUND)
    assert isinstance(refund, Refund)
    restock = refund.model_copy(update={"total": 0})
    why = reason_of(schedule_returns_follow_up(restock, ctx(ReturnsFollowUpSettings(), OrderFacts())))
    assert why == "refund 509562969 returned no money (a restock only): no message"


def test_woo_order_never_seen_before_says_subscribe_order_created() -> None:
    refunds = [{"id": 730, "reason": "damaged", "total": "-10.00"}]
    order = resource(WOO_ORDER, {"refunds": refunds})
    why = reason_of(
        schedule_returns_follow_up(order, ctx(ReturnsFollowUpSettings(), OrderFacts(), "woocommerce"))
    )
    assert "never seen before" in why and "subscribe order.created" in why


def test_woo_refund_seen_before_is_not_followed_up_twice_and_says_so() -> None:
    refunds = [{"id": 730, "reason": "damaged", "total": "-10.00"}]
    before = resource(WOO_ORDER, {"refunds": refunds})
    later = resource(WOO_ORDER, {"refunds": refunds, "date_modified_gmt": "2030-01-01T00:00:00"})
    settings = ReturnsFollowUpSettings()
    why = reason_of(
        schedule_returns_follow_up(later, ctx(settings, OrderFacts(previous_order=before), "woocommerce"))
    )
    assert why == "order #727 carries no refund storeflow had not seen: each is followed up once"


def test_due_returns_follow_up_without_a_channel_says_what_is_missing() -> None:
    due = job("returns-follow-up", order_id="450789469", refund_id="509562969", amount="209.00")
    settings = ReturnsFollowUpSettings(email=False)
    why = reason_of(send_returns_follow_up(due, ctx(settings, OrderFacts(order=resource(ORDER_1001)))))
    assert why == (
        "no way to reach the customer of #1001: email is off in the settings, "
        "and the customer has no SMS consent"
    )


def test_due_returns_follow_up_for_an_order_not_received_names_it() -> None:
    due = job("returns-follow-up", order_id="450789469", refund_id="509562969", amount="209.00")
    why = reason_of(send_returns_follow_up(due, ctx(ReturnsFollowUpSettings(), OrderFacts())))
    assert why.startswith("refund 509562969 names order 450789469, which storeflow has not received")


def test_due_returns_follow_up_of_no_money_says_so() -> None:
    due = job("returns-follow-up", order_id="450789469", refund_id="509562969", amount="0")
    why = reason_of(send_returns_follow_up(due, ctx(ReturnsFollowUpSettings(), OrderFacts())))
    assert why == "refund 509562969 returned no money: no message"


# --- channel tags --------------------------------------------------------------------------------
def test_guest_order_is_tagged_and_the_run_says_why_the_customer_is_not() -> None:
    decision = tag_sales_channel(resource(GUEST_ORDER), ctx(ChannelTagSettings()))
    assert [a.target() for a in decision] == ["order:6198424240428"]
    assert decision.reason == "the order has no customer account (a guest checkout): order tags only"


# --- every automation, every real payload of its topics --------------------------------------------
class _NothingStored:
    """A repository in which storeflow has received nothing yet."""

    def entity_snapshot(self, store_id: str, kind: str, entity_id: str) -> None:
        return None

    def order_refund_ids(self, store_id: str, order_id: str) -> set[str]:
        return set()

    def last_contact(self, store_id: str, addresses: list[str]) -> None:
        return None

    def inventory_item(self, store_id: str, inventory_item_id: str) -> None:
        return None

    def product_stock(self, store_id: str, product_id: str) -> dict[str, Any]:
        return {}

    def jobs_due_at(self, store_id: str, kind: str, due_iso: str) -> list[JobRecord]:
        return []

    def fraud_items(self, item_keys: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {}

    def money_movements(self, store_id: str, order_id: str) -> list[dict[str, Any]]:
        return []

    def marketing_contact(self, store_id: str, digest: str) -> dict[str, Any]:
        return {}

    def customer_profile(self, store_id: str, customer_id: str) -> dict[str, Any]:
        return {}

    def checkout_state(self, store_id: str, *_: Any) -> tuple[dict[str, Any], None]:
        return {}, None

    def reminder_state(self, store_id: str, *_: Any) -> tuple[dict[str, Any], None, dict[str, Any]]:
        return {}, None, {}

    def cart_state(self, store_id: str, cart_token: str) -> tuple[dict[str, Any], dict[str, Any], None]:
        return {}, {}, None


def _real_events() -> list[tuple[str, str, Any]]:
    found = []
    for path in fixture_files():
        platform, platform_topic = topic_for(path)
        topic = canonical_topic(platform, platform_topic)
        if topic is not None:
            found.append(
                (platform, str(topic), parse_delivery(platform, topic, json.loads(path.read_bytes())))
            )
    return found


def test_no_automation_ever_decides_nothing_without_a_reason() -> None:
    """Every automation on every real payload of its topics (nothing else known yet) and on its own
    due jobs either acts or says why; none reaches the engine's last-resort reason."""
    registry = build_registry()
    ran = 0
    for platform, topic, parsed in _real_events():
        for automation in registry.for_topic(topic):
            assert automation.run is not None
            related = automation.load(parsed.resource, Reader("demo", _NothingStored()))  # type: ignore[arg-type]
            decision = automation.run(parsed.resource, ctx(automation.settings_model(), related, platform))
            assert list(decision) or (decision.reason and decision.reason != UNEXPLAINED), (
                automation.name,
                topic,
            )
            ran += 1
    for automation in registry.all():
        if automation.on_due is None:
            continue
        for params in ({}, {"order_id": "450789469", "refund_id": "509562969", "amount": "209.00"}):
            due = job(automation.name, **params)
            related = automation.load_due(due, Reader("demo", _NothingStored()))  # type: ignore[arg-type]
            decision = automation.on_due(due, ctx(automation.settings_model(), related))
            assert list(decision) or (decision.reason and decision.reason != UNEXPLAINED), automation.name
            ran += 1
    assert ran >= 20  # the walk really ran (real payloads of order, fulfillment and refund topics)


def test_typed_inputs_are_canonical_models() -> None:
    """Each automation takes canonical resources (storekit.models), never the raw `Parsed` event."""
    for automation in build_registry().all():
        assert all(issubclass(t, Canonical) for t in automation.takes), automation.name
        assert bool(automation.takes) == bool(automation.topics), automation.name


def test_a_consented_phone_no_carrier_reaches_is_not_planned_and_the_run_says_so() -> None:
    """A bad number must not plan fine in dry-run and fail live: it is checked when decided."""
    data = payload("shopify/orders_create__2025-store-fixed-discount.json")  # phones: +852 5550 0043
    data["customer"]["sms_marketing_consent"]["state"] = "subscribed"
    order = parse_delivery("shopify", canonical_topic("shopify", "orders/create"), data).resource  # type: ignore[arg-type]
    shipment = resource(SHIPMENT_OF_1001, {"order_id": order.id, "shipment_status": "out_for_delivery"})
    decision = delivery_update(shipment, ctx(DeliveryUpdateSettings(), OrderFacts(order=order)))
    assert [a.kind for a in decision] == ["send_email"]
    assert (
        decision.reason
        == "the customer's phone number is not one SMS can reach (not a valid number): email only"
    )
