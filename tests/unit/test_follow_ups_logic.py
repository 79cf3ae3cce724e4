"""Returns follow-up and post-delivery follow-up: their pure decisions, on real payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.fulfillment.facts import OrderFacts
from functions.fulfillment.follow_up import (
    FollowUpSettings,
    schedule_follow_up,
    send_follow_up,
)
from functions.fulfillment.returns import (
    ReturnsFollowUpSettings,
    preferred_channel,
    schedule_returns_follow_up,
    send_returns_follow_up,
)
from storekit.actions import ScheduleJob, SendEmail, SendSms
from storekit.adapters import Parsed, Topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.models import Order
from storekit.records import JobRecord
from storekit.store import StoreConfig
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)  # 13:00 in Berlin: no quiet hours
PY_ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
REFUND = json.loads(load_fixture("shopify/refunds_create__python-api-refund.json")[0])
WOO_ORDER = json.loads(load_fixture("woocommerce/order_updated__rest-api-docs.json")[0])
SHIPMENT = json.loads(load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0])


def context(settings: Any, platform: str = "shopify", **related: Any) -> Context[Any, OrderFacts]:
    store = StoreConfig(
        store_id="demo",
        platform=platform,  # type: ignore[arg-type]
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        name="Demo Shop",
        timezone="Europe/Berlin",
        currency="USD",
        created_at=NOW,
        updated_at=NOW,
    )
    meta = EventMeta(
        event_id="e", platform=platform, topic="x", delivery_id="d", received_at="2026-11-24T12:00:00Z"
    )
    return Context(store=store, settings=settings, event=meta, now=NOW, related=OrderFacts(**related))


def shopify_order(**changes: Any) -> Order:
    payload = json.loads(json.dumps(PY_ORDER))
    customer = changes.pop("customer", {})
    payload["customer"].update(customer)
    payload.update(changes)
    resource = parse_delivery("shopify", Topic.ORDER_UPDATED, payload).resource
    assert isinstance(resource, Order)
    return resource


SUBSCRIBED = {"state": "subscribed", "opt_in_level": "single_opt_in"}
#: accepts email marketing, SMS-consented with a phone
CONSENTING = {
    "accepts_marketing": True,
    "email_marketing_consent": SUBSCRIBED,
    "sms_marketing_consent": SUBSCRIBED,
    "phone": "+14155550123",
}
NO_CONSENT = {"accepts_marketing": False, "email_marketing_consent": {"state": "not_subscribed"}}


def returns_job(amount: str = "209.00") -> JobRecord:
    return JobRecord(
        job_id="j",
        store_id="demo",
        kind="returns-follow-up",
        due_at="2026-11-24T12:00:00Z",
        params={"order_id": "450789469", "refund_id": "509562969", "amount": amount},
        created_at="2026-11-24T12:00:00Z",
    )


SETTINGS = ReturnsFollowUpSettings(
    credit_url="https://demo.example/credit", exchange_url="https://demo.example/exchange"
)


# --- channel --------------------------------------------------------------------------------
def test_last_channel_sms_wins_over_a_web_order() -> None:
    order = shopify_order(customer=CONSENTING)
    [sms] = send_returns_follow_up(returns_job(), context(SETTINGS, order=order, last_contact=("sms", "t")))
    assert isinstance(sms, SendSms)
    assert sms.to == "+14155550123"
    assert sms.text.startswith("Demo Shop: we refunded 209.00 USD for #1001.")
    assert "https://demo.example/credit" in sms.text and "https://demo.example/exchange" in sms.text
    assert "reply" not in sms.text.lower()  # no reply handler is promised


def test_last_channel_email_wins_over_a_pos_order() -> None:
    order = shopify_order(customer=CONSENTING, source_name="pos")
    [mail] = send_returns_follow_up(
        returns_job(), context(SETTINGS, order=order, last_contact=("email", "t"))
    )
    assert isinstance(mail, SendEmail)
    assert mail.to == "bob.norman@hostmail.com"


def test_pos_order_without_earlier_contact_is_texted_web_order_emailed() -> None:
    pos = shopify_order(customer=CONSENTING, source_name="pos")
    web = shopify_order(customer=CONSENTING, source_name="web")
    assert [a.kind for a in send_returns_follow_up(returns_job(), context(SETTINGS, order=pos))] == [
        "send_sms"
    ]
    assert [a.kind for a in send_returns_follow_up(returns_job(), context(SETTINGS, order=web))] == [
        "send_email"
    ]
    assert preferred_channel(shopify_order(source_name="shopify_draft_order"), None) == "sms"
    assert preferred_channel(None, None) == "email"


def test_sms_without_consent_falls_back_to_email() -> None:
    order = shopify_order(customer=NO_CONSENT, source_name="pos")
    actions = send_returns_follow_up(returns_job(), context(SETTINGS, order=order, last_contact=("sms", "t")))
    assert [a.kind for a in actions] == ["send_email"]


def test_zero_refund_gets_no_message() -> None:
    order = shopify_order(customer=CONSENTING)
    assert send_returns_follow_up(returns_job("0.00"), context(SETTINGS, order=order)) == []
    restock_only = dict(REFUND, transactions=[])  # nothing paid back: total 0
    event = parse_delivery("shopify", Topic.REFUND_CREATED, restock_only)
    assert schedule_returns_follow_up(event.resource, context(SETTINGS)) == []


def test_offer_only_with_marketing_consent() -> None:
    without = send_returns_follow_up(
        returns_job(), context(SETTINGS, order=shopify_order(customer=NO_CONSENT))
    )
    [mail] = without
    assert isinstance(mail, SendEmail)
    assert not mail.marketing
    assert mail.context["amount"] == "209.00"  # the refund notice itself still goes out
    assert not mail.context["store_credit"] and mail.context["exchange_url"] is None
    [offer] = send_returns_follow_up(
        returns_job(), context(SETTINGS, order=shopify_order(customer=CONSENTING))
    )
    assert isinstance(offer, SendEmail) and offer.marketing
    assert offer.context["store_credit"] and offer.context["exchange_url"] == "https://demo.example/exchange"
    relaxed = SETTINGS.model_copy(update={"offers_need_marketing_consent": False})
    [mail] = send_returns_follow_up(returns_job(), context(relaxed, order=shopify_order(customer=NO_CONSENT)))
    assert isinstance(mail, SendEmail) and mail.context["store_credit"]


def test_shopify_refund_files_one_job_keyed_by_the_refund() -> None:
    event = parse_delivery("shopify", Topic.REFUND_CREATED, REFUND)
    [job] = schedule_returns_follow_up(event.resource, context(SETTINGS))
    assert isinstance(job, ScheduleJob)
    assert job.once_per == "returns:509562969"
    assert job.params == {"order_id": "450789469", "refund_id": "509562969", "amount": "209.00"}
    assert job.due_at == NOW


# --- WooCommerce refunds arrive in order.updated --------------------------------------------------
def woo_update(refunds: list[dict[str, Any]], modified: str) -> Parsed:
    payload = dict(WOO_ORDER, refunds=refunds, date_modified_gmt=modified)
    return parse_delivery("woocommerce", Topic.ORDER_UPDATED, payload)


def test_woo_refund_in_order_updated_is_followed_up_once() -> None:
    before = woo_update([], "2026-11-24T10:00:00").resource
    first = woo_update([{"id": 730, "reason": "", "total": "-10.00"}], "2026-11-24T11:00:00")
    [job] = schedule_returns_follow_up(
        first.resource, context(SETTINGS, "woocommerce", previous_order=before)
    )
    assert isinstance(job, ScheduleJob)
    assert job.once_per == "returns:730" and job.params["amount"] == "10.00"
    # a later update repeats the refunds list: nothing new
    later = woo_update([{"id": 730, "reason": "", "total": "-10.00"}], "2026-11-24T12:00:00")
    ctx = context(SETTINGS, "woocommerce", previous_order=first.resource)
    assert schedule_returns_follow_up(later.resource, ctx) == []
    # a second refund on the same order: only that one
    second = woo_update(
        [{"id": 731, "reason": "", "total": "-5.00"}, {"id": 730, "reason": "", "total": "-10.00"}],
        "2026-11-24T13:00:00",
    )
    ctx = context(SETTINGS, "woocommerce", previous_order=later.resource)
    assert [j.once_per for j in schedule_returns_follow_up(second.resource, ctx)] == ["returns:731"]
    # the same version again (a retried stream record): the same outbox key, so still once
    ctx = context(SETTINGS, "woocommerce", previous_order=second.resource)
    assert {j.once_per for j in schedule_returns_follow_up(second.resource, ctx)} == {
        "returns:730",
        "returns:731",
    }


def test_woo_order_never_seen_before_and_shopify_order_updates_file_nothing() -> None:
    update = woo_update([{"id": 730, "reason": "", "total": "-10.00"}], "2026-11-24T11:00:00")
    assert schedule_returns_follow_up(update.resource, context(SETTINGS, "woocommerce")) == []
    shopify = parse_delivery("shopify", Topic.ORDER_UPDATED, PY_ORDER)
    assert (
        schedule_returns_follow_up(shopify.resource, context(SETTINGS, previous_order=shopify.resource)) == []
    )


# --- post-delivery follow-up -------------------------------------------------------------------
def delivered(updated_at: str) -> Parsed:
    payload = dict(SHIPMENT, shipment_status="delivered", updated_at=updated_at)
    return parse_delivery("shopify", Topic.FULFILLMENT_UPDATED, payload)


def test_follow_up_is_due_days_after_the_delivery_not_after_processing() -> None:
    order = shopify_order(customer=CONSENTING)
    event = delivered("2026-11-22T09:30:00Z")  # webhook processed two days late
    [job] = schedule_follow_up(event.resource, context(FollowUpSettings(days_after_delivery=5), order=order))
    assert isinstance(job, ScheduleJob)
    assert job.due_at == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    ahead = delivered("2026-11-25T12:00:00Z")  # a clock ahead of ours counts from now
    [job] = schedule_follow_up(ahead.resource, context(FollowUpSettings(days_after_delivery=5), order=order))
    assert isinstance(job, ScheduleJob) and job.due_at == NOW + timedelta(days=5)


def test_review_request_needs_email_marketing_consent() -> None:
    event = delivered("2026-11-24T11:00:00Z")
    no_consent = shopify_order(customer=NO_CONSENT)
    assert schedule_follow_up(event.resource, context(FollowUpSettings(), order=no_consent)) == []
    assert (
        schedule_follow_up(event.resource, context(FollowUpSettings())) == []
    )  # order unknown: consent unknown
    relaxed = FollowUpSettings(needs_marketing_consent=False)
    assert [a.kind for a in schedule_follow_up(event.resource, context(relaxed, order=no_consent))] == [
        "schedule_job"
    ]


def follow_up_job() -> JobRecord:
    return JobRecord(
        job_id="j",
        store_id="demo",
        kind="post-delivery-follow-up",
        due_at="2026-12-01T12:00:00Z",
        params={"order_id": "450789469", "order_name": "#1001", "email": "bob.norman@hostmail.com"},
        created_at="2026-11-24T12:00:00Z",
    )


def test_follow_up_is_cancelled_by_a_refund_seen_only_in_refunds_create() -> None:
    order = shopify_order(customer=CONSENTING)  # the snapshot still shows no refund
    [mail] = send_follow_up(follow_up_job(), context(FollowUpSettings(), order=order, refund_ids=frozenset()))
    assert isinstance(mail, SendEmail) and mail.marketing and mail.to == "bob.norman@hostmail.com"
    ctx = context(FollowUpSettings(), order=order, refund_ids=frozenset({"509562969"}))
    assert send_follow_up(follow_up_job(), ctx) == []


def test_follow_up_rechecks_consent_when_due() -> None:
    withdrawn = shopify_order(customer=NO_CONSENT)
    assert send_follow_up(follow_up_job(), context(FollowUpSettings(), order=withdrawn)) == []
    assert Decimal(PY_ORDER["total_price"]) > 0  # the fixture is a paid order (not taken back)
