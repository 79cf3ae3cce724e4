"""The shipping-notice and delivery-updates automations' pure decisions, on real payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from functions.engine.dispatch import action_key
from functions.fulfillment.facts import OrderFacts
from functions.fulfillment.messaging import is_email_address
from functions.fulfillment.models import DeliveryUpdateSettings, ShippingNoticeSettings
from functions.fulfillment.shipping import (
    ORDER_WAIT,
    carrier_tracking_url,
    delivery_update,
    shipping_notice,
    shipping_notice_after_wait,
)
from storekit.actions import Action, PostSlack, ScheduleJob, SendEmail, SendSms
from storekit.adapters import Parsed, Topic, parse_delivery
from storekit.automation import Context, EventMeta
from storekit.clients.email import sender_named
from storekit.messages import SMS_MAX_BYTES, sms_text
from storekit.models import Order
from storekit.records import JobRecord
from storekit.store import StoreConfig
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)  # 13:00 in Berlin: no quiet hours
#: order #1001 (no SMS consent), its shipment and the second shipment of that split order
PY_ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
PY_SHIPMENT = json.loads(load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0])
SECOND_SHIPMENT = json.loads((EVENTS / "shopify" / "fulfillments_create__second-shipment.json").read_bytes())
SMS_ORDER = json.loads((EVENTS / "shopify" / "orders_create__sms-consent.json").read_bytes())  # #1054
SMS_SHIPMENT = json.loads(
    (EVENTS / "shopify" / "fulfillments_create__for-sms-consent-order.json").read_bytes()
)
WOO_ORDER = json.loads(load_fixture("woocommerce/order_updated__rest-api-docs.json")[0])  # completed, #727


def store(platform: str = "shopify", name: str | None = "Demo Shop") -> StoreConfig:
    return StoreConfig(
        store_id="demo",
        platform=platform,
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        name=name,
        timezone="Europe/Berlin",
        created_at=NOW,
        updated_at=NOW,
    )


def ctx(settings: Any, related: dict[str, Any] | None = None, **kw: Any) -> Context[Any, OrderFacts]:
    platform = kw.pop("platform", "shopify")
    meta = EventMeta(
        event_id=f"{platform}:d",
        platform=platform,
        topic="fulfillment.created",
        delivery_id="d",
        received_at="2026-11-24T12:00:00.000000Z",
    )
    return Context(
        store=store(platform, kw.pop("name", "Demo Shop")),
        settings=settings,
        event=meta,
        now=kw.pop("now", NOW),
        related=OrderFacts(**(related or {})),
    )


def order(payload: dict[str, Any]) -> Order:
    resource = parse_delivery("shopify", Topic.ORDER_CREATED, payload).resource
    assert isinstance(resource, Order)
    return resource


def fulfillment(payload: dict[str, Any], topic: Topic = Topic.FULFILLMENT_CREATED) -> Parsed:
    return parse_delivery("shopify", topic, payload)


def notices(
    shipment: dict[str, Any], order_payload: dict[str, Any] | None = PY_ORDER, **kw: Any
) -> list[Action]:
    settings = kw.pop("settings", ShippingNoticeSettings())
    related = {"order": order(order_payload)} if order_payload else {}
    return shipping_notice(fulfillment(shipment).resource, ctx(settings, related, **kw))


def keys(actions: list[Action]) -> list[str]:
    return [action_key("demo", "ev", "shipping-notice", i, a) for i, a in enumerate(actions)]


def woo_event(status: str = "completed", tracking: list[dict[str, Any]] | None = None) -> Parsed:
    payload = json.loads(json.dumps(WOO_ORDER))
    payload["status"] = status
    if tracking is not None:
        payload["meta_data"].append({"id": 99, "key": "_wc_shipment_tracking_items", "value": tracking})
    return parse_delivery("woocommerce", Topic.ORDER_UPDATED, payload)


def entry(
    provider: str = "USPS", shipped: datetime = NOW, number: str = "9400111899223817574657"
) -> dict[str, Any]:
    return {
        "tracking_provider": provider,
        "custom_tracking_provider": "",
        "custom_tracking_link": "",
        "tracking_number": number,
        "date_shipped": str(int(shipped.timestamp())),
        "tracking_id": f"t-{number}",
    }


def woo_notices(event: Parsed, **settings: Any) -> list[Action]:
    return shipping_notice(event.resource, ctx(ShippingNoticeSettings(**settings), platform="woocommerce"))


# --- shipping notice ---------------------------------------------------------------------------


def test_each_shipment_of_a_split_order_gets_its_own_email_and_repeats_dedupe() -> None:
    first, second = notices(PY_SHIPMENT), notices(SECOND_SHIPMENT)
    assert [type(a) for a in first + second] == [SendEmail, SendEmail]
    assert isinstance(first[0], SendEmail) and isinstance(second[0], SendEmail)
    assert first[0].context["tracking_number"] == "1Z2345"
    assert second[0].context["tracking_number"] == "1Z9999"
    assert keys(first) != keys(second)
    assert keys(notices(PY_SHIPMENT)) == keys(first)  # the webhook repeated: same outbox key


def test_email_carries_carrier_link_and_items_and_is_transactional() -> None:
    [email] = notices(PY_SHIPMENT)
    assert isinstance(email, SendEmail)
    assert email.to == "bob.norman@hostmail.com"
    assert email.marketing is False
    assert email.context["order_name"] == "#1001"
    assert email.context["tracking_url"] == "http://www.google.com/search?q=1Z2345"
    assert email.context["items"] == [{"title": "IPod Nano - 8gb", "quantity": 1}]


def test_sms_only_when_the_customer_consented() -> None:
    assert [a.kind for a in notices(PY_SHIPMENT)] == ["send_email"]  # #1001: no SMS consent
    actions = notices(SMS_SHIPMENT, SMS_ORDER)
    [sms] = [a for a in actions if isinstance(a, SendSms)]
    assert sms.to == "+85291234567"
    assert sms.marketing is False
    assert sms.not_before is None
    assert sms.text == (
        "Demo Shop: your order #1054 has shipped with DHL Express. "
        "Track it: https://www.dhl.com/track?id=JD014600006281234567"
    )
    assert [a.kind for a in notices(SMS_SHIPMENT, SMS_ORDER, settings=ShippingNoticeSettings(sms=False))] == [
        "send_email"
    ]


def test_sms_in_quiet_hours_is_held_until_they_end() -> None:
    late = datetime(2026, 11, 24, 22, tzinfo=UTC)  # 23:00 in Berlin
    [sms] = [a for a in notices(SMS_SHIPMENT, SMS_ORDER, now=late) if isinstance(a, SendSms)]
    assert sms.not_before == datetime(2026, 11, 25, 7, tzinfo=UTC)  # 08:00 in Berlin


def test_a_malformed_email_skips_only_the_email() -> None:
    bad = json.loads(json.dumps(SMS_ORDER))
    bad["email"] = "x"
    bad["customer"]["email"] = "x"
    actions = notices(SMS_SHIPMENT, bad)
    assert [a.kind for a in actions] == ["send_sms"]


def test_an_over_long_sms_template_is_cut_and_the_email_still_goes() -> None:
    template = "{{ order_name }} " + "x" * 1500 + "{% for _ in range(5) %} {{ tracking_url }}{% endfor %}"
    settings = ShippingNoticeSettings(sms_template=template)
    actions = notices(SMS_SHIPMENT, SMS_ORDER, settings=settings)
    assert [a.kind for a in actions] == ["send_email", "send_sms"]
    sms = actions[1]
    assert isinstance(sms, SendSms)
    assert 1500 < len(sms.text.encode()) <= SMS_MAX_BYTES
    assert sms.text.startswith("Demo Shop: #1054 xxx") and sms.text.endswith("\u2026")


def test_store_sms_template_is_used_and_gets_the_store_name() -> None:
    settings = ShippingNoticeSettings(sms_template="Hi {{ first_name }}! {{ order_name }} via {{ carrier }}")
    [sms] = [a for a in notices(SMS_SHIPMENT, SMS_ORDER, settings=settings) if isinstance(a, SendSms)]
    first_name = order(SMS_ORDER).customer.first_name  # type: ignore[union-attr]
    assert sms.text == f"Demo Shop: Hi {first_name}! #1054 via DHL Express"
    named = ShippingNoticeSettings(sms_template="{{ store_name }} shipped {{ order_name }}")
    [sms] = [a for a in notices(SMS_SHIPMENT, SMS_ORDER, settings=named) if isinstance(a, SendSms)]
    assert sms.text == "Demo Shop shipped #1054"  # already named: no prefix


@pytest.mark.parametrize(
    ("template", "problem"),
    [("{{ order_name", "line 1"), ("{{ ordr_name }}", "ordr_name"), ("{% for %}", "line 1")],
)
def test_a_broken_sms_template_is_refused_naming_the_field(template: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ShippingNoticeSettings(sms_template=template)
    [error] = caught.value.errors()
    assert error["loc"] == ("sms_template",)
    assert problem in error["msg"]
    with pytest.raises(ValidationError):
        DeliveryUpdateSettings(sms_template="{{ items }}")  # a shipping-notice variable only


def test_shipment_of_an_order_not_seen_yet_waits_then_emails_the_shipment_address() -> None:
    payload = json.loads(load_fixture("shopify/fulfillments_create__hookdeck-2024-10.json")[0])
    [wait] = notices(payload, None)
    assert isinstance(wait, ScheduleJob)
    assert wait.due_at == ctx(ShippingNoticeSettings(), {}).now + ORDER_WAIT
    due = JobRecord(
        job_id="j",
        store_id="demo",
        kind=wait.job_kind,
        due_at=wait.due_at.isoformat(),
        params=wait.params,
        created_at=wait.due_at.isoformat(),
    )
    [email] = shipping_notice_after_wait(due, ctx(ShippingNoticeSettings(), {}))
    assert isinstance(email, SendEmail)
    assert email.to.endswith("@example.com")


# --- WooCommerce -------------------------------------------------------------------------------


def test_woo_completed_order_with_tracking_meta_emails_items_and_carrier_link() -> None:
    [email] = woo_notices(woo_event(tracking=[entry("USPS", datetime(2026, 11, 23, 9, tzinfo=UTC))]))
    assert isinstance(email, SendEmail)
    assert email.to == "john.doe@example.com"
    assert email.context["order_name"] == "#727"
    assert email.context["carrier"] == "USPS"
    assert email.context["tracking_url"] == (
        "https://tools.usps.com/go/TrackConfirmAction?qtc_tLabels1=9400111899223817574657"
    )
    assert email.context["items"] == [
        {"title": "Woo Single #1", "quantity": 2},
        {"title": "Ship Your Idea \u2013 Color: Black, Size: M Test", "quantity": 1},
    ]
    assert email.once_per == "shipping:727:t-9400111899223817574657:email"


def test_woo_order_completed_long_ago_and_updated_now_is_not_announced_again() -> None:
    shipped_2024 = datetime(2024, 4, 1, tzinfo=UTC)
    assert woo_notices(woo_event(tracking=[entry(shipped=shipped_2024)])) == []
    four_days = datetime(2026, 11, 20, 11, tzinfo=UTC)
    assert woo_notices(woo_event(tracking=[entry(shipped=four_days)])) == []
    assert len(woo_notices(woo_event(tracking=[entry(shipped=four_days)]), announce_within_days=7)) == 1


def test_woo_statuses_that_mean_shipped_are_a_setting() -> None:
    tracking = [entry()]
    assert woo_notices(woo_event("processing", tracking)) == []
    assert len(woo_notices(woo_event("shipped", tracking))) == 1  # default: completed, shipped
    assert woo_notices(woo_event("dispatched", tracking)) == []
    assert len(woo_notices(woo_event("dispatched", tracking), shipped_statuses=["wc-Dispatched"])) == 1
    assert woo_notices(woo_event("completed", tracking), shipped_statuses=["dispatched"]) == []
    assert woo_notices(woo_event("completed")) == []  # no tracking meta: nothing to announce


def test_woo_packages_are_announced_separately_and_items_only_for_a_single_package() -> None:
    actions = woo_notices(
        woo_event(tracking=[entry("UPS", number="1Z1"), entry("Royal Mail", number="RM 2")])
    )
    emails = [a for a in actions if isinstance(a, SendEmail)]
    assert [e.context["tracking_url"] for e in emails] == [
        "https://www.ups.com/track?loc=en_US&tracknum=1Z1",
        "https://www.royalmail.com/track-your-item#/tracking-results/RM%202",
    ]
    assert [e.context["items"] for e in emails] == [[], []]  # which item is in which box is unknown
    assert len(set(keys(actions))) == 2


def test_unknown_carrier_gets_no_link_but_the_notice_still_goes() -> None:
    [email] = woo_notices(woo_event(tracking=[entry("Bob's Couriers")]))
    assert isinstance(email, SendEmail)
    assert email.context["tracking_url"] is None
    assert email.context["carrier"] == "Bob's Couriers"


@pytest.mark.parametrize(
    ("carrier", "host"),
    [
        ("usps", "tools.usps.com"),
        ("UPS", "www.ups.com"),
        ("Fedex", "www.fedex.com"),
        ("DHL Express", "www.dhl.com"),
        ("royal-mail", "www.royalmail.com"),
        ("ROYAL MAIL", "www.royalmail.com"),
        ("Canada Post", "www.canadapost-postescanada.ca"),
        ("australia-post", "auspost.com.au"),
    ],
)
def test_carrier_links_are_found_case_insensitively(carrier: str, host: str) -> None:
    url = carrier_tracking_url(carrier, "AB 1/2")
    assert url is not None and url.startswith(f"https://{host}/")
    assert "AB%201%2F2" in url  # the number is URL-encoded
    assert carrier_tracking_url("Pigeon Post", "1") is None
    assert carrier_tracking_url(carrier, None) is None


def test_shopify_order_updates_never_announce_shipments() -> None:
    payload = json.loads(json.dumps(PY_ORDER))
    event = parse_delivery("shopify", Topic.ORDER_UPDATED, payload)
    assert shipping_notice(event.resource, ctx(ShippingNoticeSettings())) == []


# --- delivery updates ------------------------------------------------------------------------


def update(status: str, order_payload: dict[str, Any] | None = PY_ORDER, **settings: Any) -> list[Action]:
    shipment = json.loads(json.dumps(SMS_SHIPMENT if order_payload is SMS_ORDER else PY_SHIPMENT))
    shipment["shipment_status"] = status
    related = {"order": order(order_payload)} if order_payload else {}
    event = fulfillment(shipment, Topic.FULFILLMENT_UPDATED)
    return delivery_update(event.resource, ctx(DeliveryUpdateSettings(**settings), related))


def test_delivery_update_goes_by_sms_when_consented_else_email() -> None:
    [sms] = update("out_for_delivery", SMS_ORDER)
    assert isinstance(sms, SendSms)
    assert sms.text == (
        "Demo Shop: #1054 - Out for delivery today. https://www.dhl.com/track?id=JD014600006281234567"
    )
    [email] = update("delivered")
    assert isinstance(email, SendEmail)
    assert email.context["headline"] == "Delivered: #1001"
    assert update("in_transit") == []  # not in the default `notify`


def test_delivery_update_honours_the_store_templates() -> None:
    template = {"subject": "{{ headline }}", "html": "<p>{{ detail }}</p>", "text": "{{ detail }}"}
    [email] = update("delivered", email_template=template)
    assert isinstance(email, SendEmail)
    assert email.template_override is not None
    assert email.template_override.subject == "{{ headline }}"
    [sms] = update("delivered", SMS_ORDER, sms_template="{{ order_name }}: {{ status }}")
    assert isinstance(sms, SendSms)
    assert sms.text == "Demo Shop: #1054: delivered"


def test_failed_delivery_alerts_slack_and_the_staff_email() -> None:
    actions = update("failure", staff_email="ops@demo-shop.example")
    assert [a.kind for a in actions] == ["send_email", "post_slack", "send_email"]
    customer, slack, staff = actions
    assert isinstance(customer, SendEmail) and customer.to == "bob.norman@hostmail.com"
    assert isinstance(slack, PostSlack)
    assert slack.text == "Delivery failed for order #1001 (null-company 1Z2345)"
    assert isinstance(staff, SendEmail)
    assert staff.to == "ops@demo-shop.example"
    assert staff.template == "notice"
    assert staff.context["body"] == slack.text
    assert len({a.once_per for a in actions}) == 3
    assert [a.kind for a in update("failure", staff_slack=False)] == ["send_email"]


def test_staff_email_must_be_an_address() -> None:
    with pytest.raises(ValidationError) as caught:
        DeliveryUpdateSettings(staff_email="x")
    assert caught.value.errors()[0]["loc"] == ("staff_email",)


def test_staff_email_is_checked_by_email_validator_when_saved() -> None:
    """An address SES would refuse (two dots in a row) is a 400 on save, not a failed alert later."""
    assert DeliveryUpdateSettings(staff_email="Ops@Demo-Shop.example").staff_email == "Ops@demo-shop.example"
    with pytest.raises(ValidationError) as caught:
        DeliveryUpdateSettings(staff_email="ops..team@demo-shop.example")
    [error] = caught.value.errors()
    assert error["loc"] == ("staff_email",) and "period" in error["msg"]


# --- every message names the store --------------------------------------------------------------


def test_sms_text_names_the_store_and_fits_sns() -> None:
    assert sms_text("Demo Shop", "Your parcel is here") == "Demo Shop: Your parcel is here"
    assert sms_text("Demo Shop", "demo shop: hi") == "demo shop: hi"
    long = sms_text("Demo Shop", "word " * 1000)
    assert 1500 < len(long.encode()) <= SMS_MAX_BYTES and long.endswith("word\u2026")
    wide = sms_text("Demo Shop", "\u5305\u88f9" * 1000)  # three bytes a character, no spaces
    assert len(wide.encode()) <= SMS_MAX_BYTES and wide.endswith("\u88f9\u2026")


def test_email_from_shows_the_store_name_and_resists_injection() -> None:
    assert sender_named("Demo Shop", "orders@demo.example") == "Demo Shop <orders@demo.example>"
    assert sender_named("Demo Shop", "Other <orders@demo.example>") == "Demo Shop <orders@demo.example>"
    assert (
        sender_named("Demo Shop", "Demo Shop Support <orders@demo.example>")
        == "Demo Shop Support <orders@demo.example>"
    )
    evil = sender_named("Evil\r\nBcc: victim@example.com", "orders@demo.example")
    assert "\r" not in evil and "\n" not in evil
    assert evil.endswith(" <orders@demo.example>") and evil.startswith('"')
    assert sender_named("Café", "orders@demo.example") == "=?utf-8?b?Q2Fmw6k=?= <orders@demo.example>"


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("x", False),
        ("a@b", False),
        ("bob@", False),
        ("a b@c.de", False),
        ("a@b.co", True),
        ("j.doe@ex.com", True),
    ],
)
def test_email_addresses_are_checked_before_an_action_is_built(address: str, ok: bool) -> None:
    assert is_email_address(address) is ok


class _RecordingSns:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def publish(self, **request: Any) -> dict[str, str]:
        self.requests.append(request)
        return {"MessageId": f"m-{len(self.requests)}"}


class _Runtime:
    def __init__(self) -> None:
        self.sns = _RecordingSns()

    def client(self, name: str) -> Any:
        assert name == "sns"
        return self.sns


@pytest.mark.parametrize(("marketing", "sms_type"), [(False, "Transactional"), (True, "Promotional")])
def test_sms_goes_out_as_transactional_or_promotional_by_the_actions_flag(
    marketing: bool, sms_type: str
) -> None:
    from functions.engine.perform import perform

    runtime = _Runtime()
    action = SendSms(to="(415) 555-0132", text="20% off this weekend", marketing=marketing)
    perform(action, store(), runtime)  # type: ignore[arg-type]
    [request] = runtime.sns.requests
    assert request["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == sms_type
    assert request["Message"] == "Demo Shop: 20% off this weekend"  # the store is named
    assert request["PhoneNumber"] == "+14155550132"
