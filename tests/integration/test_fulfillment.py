"""Shipping notices and delivery updates through signed webhooks, the stream and the executor."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers, store_body, woo_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
SENDER = "orders@demo-shop.example"


def deliver(api: Any, body: bytes, topic: str, delivery_id: str, store: str = "demo") -> None:
    answer = api.http.post(
        f"/webhooks/shopify/{store}",
        headers=shopify_headers(body, topic, delivery_id, shop=shop_of(store)),
        body=body,
    )
    assert answer.status_code == 200, answer.body
    assert "ignored" not in body_json(answer), answer.body


def actions(api: Any, automation: str | None = None) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if automation is None or a["automation"] == automation]


def ship(api: Any, pump: Any, order: bytes, fulfillment: bytes, tag: str = "1") -> None:
    deliver(api, order, "orders/create", f"o-{tag}")
    pump.drain()
    deliver(api, fulfillment, "fulfillments/create", f"f-{tag}")
    pump.drain()


PY_ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]  # order 450789469
PY_SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]


def test_shipping_notice_is_planned_once_per_shipment(api: Any, pump: Any) -> None:
    put_store(api)
    ship(api, pump, PY_ORDER, PY_SHIPMENT)
    [notice] = actions(api, "shipping-notice")
    assert notice["kind"] == "send_email"
    assert notice["status"] == "planned"
    assert notice["target"] == "email:b***@hostmail.com"  # no customer address in the admin API
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-repeat")  # Shopify delivers again
    pump.drain()
    assert len(actions(api, "shipping-notice")) == 1
    second = (EVENTS / "shopify" / "fulfillments_create__second-shipment.json").read_bytes()
    deliver(api, second, "fulfillments/create", "f-split")  # the rest of a split order
    pump.drain()
    assert len(actions(api, "shipping-notice")) == 2


def test_no_sms_without_consent_and_sms_with_it(api: Any, pump: Any) -> None:
    put_store(api)
    ship(api, pump, PY_ORDER, PY_SHIPMENT)
    assert {a["kind"] for a in actions(api, "shipping-notice")} == {"send_email"}
    order = (EVENTS / "shopify" / "orders_create__sms-consent.json").read_bytes()
    shipment = (EVENTS / "shopify" / "fulfillments_create__for-sms-consent-order.json").read_bytes()
    ship(api, pump, order, shipment, "2")
    sms = [a for a in actions(api, "shipping-notice") if a["kind"] == "send_sms"]
    assert [a["target"] for a in sms] == ["sms:***67"]


def test_live_email_carries_tracking_and_items(api: Any, pump: Any, session: Any) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    put_store(
        api,
        mode="live",
        automations={"shipping-notice": {"settings": {"sender": SENDER}}, "channel-tags": {"enabled": False}},
    )
    ship(api, pump, PY_ORDER, PY_SHIPMENT)
    [notice] = actions(api, "shipping-notice")
    assert notice["status"] == "done", notice
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.destinations["ToAddresses"] == ["bob.norman@hostmail.com"]
    assert mail.subject == "Your order #1001 is on its way - Demo Shop"
    for text in ("1Z2345", "http://www.google.com/search?q=1Z2345", "IPod Nano - 8gb", "null-company"):
        assert text in mail.body


def test_store_template_overrides_the_default(api: Any, pump: Any, session: Any) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    template = {
        "subject": "{{ store_name }} shipped {{ order_name }}",
        "html": "<p>{{ tracking_number }}</p>",
        "text": "{{ tracking_number }}",
    }
    put_store(
        api,
        mode="live",
        automations={
            "shipping-notice": {"settings": {"sender": SENDER, "email_template": template}},
            "channel-tags": {"enabled": False},
        },
    )
    ship(api, pump, PY_ORDER, PY_SHIPMENT)
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.subject == "Demo Shop shipped #1001"
    assert mail.body == "<p>1Z2345</p>"


def test_sms_waits_for_quiet_hours_to_end_in_the_store_timezone(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    clock.advance(hours=10)  # 22:00 UTC = 23:00 in Berlin: quiet
    put_store(
        api,
        mode="live",
        automations={"shipping-notice": {"settings": {"email": False}}, "channel-tags": {"enabled": False}},
    )
    order = (EVENTS / "shopify" / "orders_create__sms-consent.json").read_bytes()
    shipment = (EVENTS / "shopify" / "fulfillments_create__for-sms-consent-order.json").read_bytes()
    ship(api, pump, order, shipment)
    [sms] = actions(api, "shipping-notice")
    assert sms["status"] == "scheduled"
    assert sms["next_attempt_at"] == "2026-11-25T07:00:00.000000Z"  # 08:00 in Berlin
    assert not sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    clock.advance(hours=9, minutes=1)
    sweep(runtime)
    pump.drain()
    [sms] = actions(api, "shipping-notice")
    assert sms["status"] == "done", sms
    [(number, text, *_)] = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    assert number == "+85291234567"
    assert (
        text == "Demo Shop: your order #1054 has shipped with DHL Express. "
        "Track it: https://www.dhl.com/track?id=JD014600006281234567"
    )


def test_shipment_of_an_order_not_seen_yet_still_emails_the_shipment_address(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api)
    body, _ = load_fixture("shopify/fulfillments_create__hookdeck-2024-10.json")
    deliver(api, body, "fulfillments/create", "f-only")
    pump.drain()
    [wait] = actions(api, "shipping-notice")
    assert wait["kind"] == "schedule_job"  # the order may still come: wait ten minutes for it
    sweep(runtime)
    clock.advance(minutes=11)
    sweep(runtime)
    pump.drain()
    [notice] = [a for a in actions(api, "shipping-notice") if a["kind"] == "send_email"]
    assert notice["target"] == "email:j***@example.com"


def woo_shipped(shipped_at: datetime) -> bytes:
    """The completed WooCommerce order with Shipment Tracking meta, its package shipped at `shipped_at`."""
    order = json.loads((EVENTS / "woocommerce" / "order_updated__with-shipment-tracking.json").read_bytes())
    [meta] = [m for m in order["meta_data"] if m["key"] == "_wc_shipment_tracking_items"]
    meta["value"][0]["date_shipped"] = str(int(shipped_at.timestamp()))
    return json.dumps(order).encode()


def test_woocommerce_completed_order_with_tracking_is_announced(api: Any, pump: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    raw = woo_shipped(datetime(2026, 11, 24, 9, tzinfo=UTC))  # this morning (the clock: 24 Nov 12:00)
    answer = api.http.post(
        "/webhooks/woocommerce/woo", headers=woo_headers(raw, "order.updated", "w-1"), body=raw
    )
    assert answer.status_code == 200
    pump.drain()
    items = body_json(api.http.get("/stores/woo/actions", headers=AUTH))["items"]
    [notice] = [a for a in items if a["automation"] == "shipping-notice"]
    assert notice["target"] == "email:j***@example.com"


def delivery_event(status: str, fulfillment_id: int = 255858046) -> bytes:
    shipment = json.loads(PY_SHIPMENT)
    shipment["shipment_status"] = status
    shipment["id"] = fulfillment_id
    shipment["updated_at"] = datetime(2026, 11, 24, 11, tzinfo=UTC).isoformat()
    return json.dumps(shipment).encode()


def test_delivery_updates_and_staff_alert_on_failure(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, PY_ORDER, "orders/create", "o-1")
    deliver(api, delivery_event("in_transit"), "fulfillments/update", "u-0")  # not in the default list
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1")
    deliver(api, delivery_event("failure", 255858099), "fulfillments/update", "u-2")
    pump.drain()
    updates = actions(api, "delivery-updates")
    summaries = sorted(a["summary"] for a in updates)
    assert sorted(a["kind"] for a in updates) == ["post_slack", "send_email", "send_email"]
    assert any("Delivery failed for order #1001 (null-company 1Z2345)" in s for s in summaries)


def test_live_slack_alert_on_failed_delivery(api: Any, pump: Any) -> None:
    hook = "https://hooks.slack.com/services/T000/B000/XXXX"
    put_store(
        api,
        mode="live",
        slack_webhook_url=hook,
        automations={
            "delivery-updates": {"settings": {"email": False, "sms": False}},
            "channel-tags": {"enabled": False},
            "shipping-notice": {"enabled": False},
        },
    )
    with responses.RequestsMock() as mock:
        mock.post(hook, body="ok")
        deliver(api, delivery_event("failure"), "fulfillments/update", "u-1")
        pump.drain()
        [call] = mock.calls
    assert "Delivery failed" in json.loads(call.request.body)["text"]  # type: ignore[arg-type]
    assert [a["status"] for a in actions(api, "delivery-updates")] == ["done"]


def schedules(api: Any) -> list[dict[str, Any]]:
    return body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]


def first_sweep_after(clock: Any, runtime: Any, pump: Any, **delta: int) -> None:
    """Time passes, then the sweeper's first runs: they look back a day, so the jobs due within
    the last day come up (a sweep takes a day of minute buckets: the second reaches now)."""
    pump.drain()
    clock.advance(**delta)
    for _ in range(2):
        sweep(runtime)
    pump.drain()


def consenting_order() -> bytes:
    """PY_ORDER whose customer accepts email marketing (a review request / offer is marketing)."""
    order = json.loads(PY_ORDER)
    order["customer"]["accepts_marketing"] = True
    return json.dumps(order).encode()


def test_follow_up_is_sent_days_after_delivery(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    put_store(
        api,
        automations={
            "post-delivery-follow-up": {
                "settings": {"days_after_delivery": 5, "review_url": "https://demo.example/r"}
            }
        },
    )
    deliver(api, consenting_order(), "orders/create", "o-1")
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1")
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1b")  # repeated
    pump.drain()
    [job] = schedules(api)
    assert job["kind"] == "post-delivery-follow-up"
    assert job["due_at"] == "2026-11-29T11:00:00.000000Z"  # 5 days after the delivery (11:00)
    clock.advance(days=4)
    sweep(runtime)
    pump.drain()
    assert actions(api, "post-delivery-follow-up")[0]["kind"] == "schedule_job"
    clock.advance(days=1, minutes=1)
    for _ in range(2):  # a day of minute buckets is one sweep's share: the next one resumes there
        sweep(runtime)
    pump.drain()
    emails = [a for a in actions(api, "post-delivery-follow-up") if a["kind"] == "send_email"]
    assert [a["target"] for a in emails] == ["email:b***@hostmail.com"]
    assert emails[0]["status"] == "planned"
    runs = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    job_run = next(r for r in runs if r["topic"] == "job:post-delivery-follow-up")
    assert job_run["outcome"] == "actions"


def test_follow_up_is_cancelled_when_the_order_was_refunded_meanwhile(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api)
    deliver(api, consenting_order(), "orders/create", "o-1")
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1")
    pump.drain()
    refunded = json.loads(consenting_order())
    refunded["financial_status"] = "refunded"
    refunded["updated_at"] = "2026-11-25T10:00:00-05:00"
    deliver(api, json.dumps(refunded).encode(), "orders/updated", "o-2")
    first_sweep_after(clock, runtime, pump, days=7, minutes=1)  # due 7 days after delivery (11:00)
    assert [a["kind"] for a in actions(api, "post-delivery-follow-up")] == ["schedule_job"]
    runs = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    assert next(r for r in runs if r["topic"] == "job:post-delivery-follow-up")["outcome"] == "nothing-to-do"


REFUND = load_fixture("shopify/refunds_create__python-api-refund.json")[0]  # 209.00 on order 450789469


def settle(runtime: Any, pump: Any) -> None:
    """Let the minute sweeper run the due follow-up jobs and the executor carry out what they decide
    (a first sweep looks back a day of minute buckets, its share: the next one reaches this minute)."""
    pump.drain()
    for _ in range(2):
        sweep(runtime)
    pump.drain()


def test_refund_is_followed_up_with_credit_and_exchange_options(
    api: Any, pump: Any, session: Any, runtime: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    put_store(
        api,
        mode="live",
        currency="USD",
        automations={
            "returns-follow-up": {
                "settings": {
                    "sender": SENDER,
                    "exchange_url": "https://demo.example/exchange",
                    "credit_url": "https://demo.example/credit",
                }
            },
            "channel-tags": {"enabled": False},
        },
    )
    deliver(api, consenting_order(), "orders/create", "o-1")
    deliver(api, REFUND, "refunds/create", "r-1")
    deliver(api, REFUND, "refunds/create", "r-1-again")
    settle(runtime, pump)
    [follow_up] = [a for a in actions(api, "returns-follow-up") if a["kind"] != "schedule_job"]
    assert follow_up["status"] == "done"
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.subject == "About your refund for #1001 - Demo Shop"
    for text in (
        "209.00 USD",
        "store credit",
        "10%",
        "https://demo.example/exchange",
        "https://demo.example/credit",
    ):
        assert text in mail.body


def test_refund_follow_up_texts_a_customer_who_consented(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api)
    order = (EVENTS / "shopify" / "orders_create__sms-consent.json").read_bytes()
    refund = json.loads(REFUND)
    refund["order_id"] = 6198432301356
    deliver(api, order, "orders/create", "o-1")
    deliver(api, json.dumps(refund).encode(), "refunds/create", "r-1")
    settle(runtime, pump)
    [follow_up] = [a for a in actions(api, "returns-follow-up") if a["kind"] != "schedule_job"]
    assert follow_up["kind"] == "send_sms"  # a draft (staff-made) order, SMS consent
    assert follow_up["target"] == "sms:***67"


def test_woocommerce_order_shipped_long_ago_and_updated_now_is_not_announced(api: Any, pump: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    raw = woo_shipped(datetime(2024, 4, 1, tzinfo=UTC))  # e.g. a partial refund on a 2024 order
    answer = api.http.post(
        "/webhooks/woocommerce/woo", headers=woo_headers(raw, "order.updated", "w-old"), body=raw
    )
    assert answer.status_code == 200
    pump.drain()
    items = body_json(api.http.get("/stores/woo/actions", headers=AUTH))["items"]
    assert [a for a in items if a["automation"] == "shipping-notice"] == []
    runs = body_json(api.http.get("/stores/woo/runs", headers=AUTH))["items"]
    [run] = [r for r in runs if r["automation"] == "shipping-notice"]
    assert run["outcome"] == "nothing-to-do"


def test_live_woocommerce_notice_lists_the_order_items_and_the_carriers_link(
    api: Any, pump: Any, session: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    put_store(
        api,
        "woo",
        platform="woocommerce",
        mode="live",
        automations={"shipping-notice": {"settings": {"sender": SENDER}}},
    )
    raw = woo_shipped(datetime(2026, 11, 24, 9, tzinfo=UTC))
    api.http.post("/webhooks/woocommerce/woo", headers=woo_headers(raw, "order.updated", "w-1"), body=raw)
    pump.drain()
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.destinations["ToAddresses"] == ["john.doe@example.com"]
    for text in (
        "9400111899223817574657",
        "https://tools.usps.com/go/TrackConfirmAction?qtc_tLabels1=9400111899223817574657",
        "2 &times; Woo Single #1",
        "Color: Black, Size: M Test",
    ):
        assert text in mail.body


def test_a_broken_sms_template_is_refused_when_saved(api: Any) -> None:
    for automation, template in (("shipping-notice", "{{ order_name"), ("delivery-updates", "{{ nope }}")):
        answer = api.http.put(
            "/stores/demo",
            headers=AUTH,
            body=json.dumps(store_body(automations={automation: {"settings": {"sms_template": template}}})),
        )
        assert answer.status_code == 400, answer.body
        assert f"automations.{automation}.settings: sms_template" in body_json(answer)["error"]


def test_live_messages_show_the_store_name_even_when_its_templates_omit_it(
    api: Any, pump: Any, session: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    sns = runtime.client("sns")
    published: list[dict[str, Any]] = []
    real_publish = sns.publish

    def publish(**request: Any) -> Any:
        published.append(request)
        return real_publish(**request)

    monkeypatch.setattr(sns, "publish", publish)
    bare = {
        "subject": "Shipped {{ order_name }}",
        "html": "<p>{{ order_name }}</p>",
        "text": "{{ order_name }}",
    }
    settings = {"sender": SENDER, "email_template": bare, "sms_template": "{{ order_name }} shipped"}
    put_store(
        api,
        mode="live",
        automations={"shipping-notice": {"settings": settings}, "channel-tags": {"enabled": False}},
    )
    order = (EVENTS / "shopify" / "orders_create__sms-consent.json").read_bytes()
    shipment = (EVENTS / "shopify" / "fulfillments_create__for-sms-consent-order.json").read_bytes()
    ship(api, pump, order, shipment)
    assert {a["status"] for a in actions(api, "shipping-notice")} == {"done"}
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert mail.source == f"Demo Shop <{SENDER}>"
    assert mail.subject == "Shipped #1054"
    [(_, text, *_)] = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    assert text == "Demo Shop: #1054 shipped"
    [request] = published
    assert request["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"


def test_follow_up_is_cancelled_by_a_refund_create_alone(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    # returns-follow-up off: refunds/create is still kept, the follow-up needs it
    put_store(api, automations={"returns-follow-up": {"enabled": False}})
    deliver(api, consenting_order(), "orders/create", "o-1")
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1")
    deliver(api, REFUND, "refunds/create", "r-1")  # no orders/updated follows
    first_sweep_after(clock, runtime, pump, days=7, minutes=1)
    assert [a["kind"] for a in actions(api, "post-delivery-follow-up")] == ["schedule_job"]
    runs = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    assert next(r for r in runs if r["topic"] == "job:post-delivery-follow-up")["outcome"] == "nothing-to-do"


def test_review_request_needs_marketing_consent(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, PY_ORDER, "orders/create", "o-1")  # the customer does not accept marketing
    deliver(api, delivery_event("delivered"), "fulfillments/update", "u-1")
    pump.drain()
    assert actions(api, "post-delivery-follow-up") == []
    assert schedules(api) == []


def test_refund_follow_up_uses_the_channel_last_used(
    api: Any, pump: Any, session: Any, runtime: Any, clock: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    put_store(
        api,
        mode="live",
        automations={
            "returns-follow-up": {"settings": {"sender": SENDER}},
            "shipping-notice": {"settings": {"email": False}},
            "channel-tags": {"enabled": False},
        },
    )
    order = json.loads(PY_ORDER)  # a web order; the customer consented to SMS
    order["customer"].update(
        phone="+4915112345678", sms_marketing_consent={"state": "subscribed", "opt_in_level": "single_opt_in"}
    )
    deliver(api, json.dumps(order).encode(), "orders/create", "o-1")
    deliver(api, REFUND, "refunds/create", "r-1")
    settle(runtime, pump)
    first = [a for a in actions(api, "returns-follow-up") if a["kind"] != "schedule_job"]
    assert [(a["kind"], a["status"]) for a in first] == [("send_email", "done")]  # web order: email
    clock.advance(minutes=1)
    deliver(api, PY_SHIPMENT, "fulfillments/create", "f-1")  # the shipping notice goes out by SMS
    pump.drain()
    assert [(a["kind"], a["status"]) for a in actions(api, "shipping-notice")] == [("send_sms", "done")]
    clock.advance(minutes=1)
    second = json.loads(REFUND)
    second["id"] = 509562970
    deliver(api, json.dumps(second).encode(), "refunds/create", "r-2")
    settle(runtime, pump)
    sent = [a for a in actions(api, "returns-follow-up") if a["kind"] != "schedule_job"]
    assert sorted((a["kind"], a["status"]) for a in sent) == [("send_email", "done"), ("send_sms", "done")]
    texts = [text for _, text, *_ in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()]
    assert any(t.startswith("Demo Shop: we refunded 209.00") for t in texts)


def test_woocommerce_refund_in_order_updated_is_followed_up_once(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    created = json.loads(load_fixture("woocommerce/order_created__rest-api-docs.json")[0])
    created["date_modified_gmt"] = "2026-11-24T10:00:00"

    def post(payload: dict[str, Any], topic: str, delivery: str) -> None:
        raw = json.dumps(payload).encode()
        answer = api.http.post(
            "/webhooks/woocommerce/woo", headers=woo_headers(raw, topic, delivery), body=raw
        )
        assert answer.status_code == 200, answer.body

    post(created, "order.created", "w-1")
    pump.drain()
    refund = {"id": 730, "reason": "damaged", "total": "-10.00"}
    post(dict(created, refunds=[refund], date_modified_gmt="2026-11-24T11:00:00"), "order.updated", "w-2")
    pump.drain()
    # every later update repeats the refunds list
    later = dict(created, refunds=[refund], status="completed", date_modified_gmt="2026-11-24T11:30:00")
    post(later, "order.updated", "w-3")
    settle(runtime, pump)
    items = body_json(api.http.get("/stores/woo/actions?limit=500", headers=AUTH))["items"]
    mine = [a for a in items if a["automation"] == "returns-follow-up"]
    assert sorted(a["kind"] for a in mine) == ["schedule_job", "send_email"]
    [mail] = [a for a in mine if a["kind"] == "send_email"]
    assert mail["target"] == "email:j***@example.com"
    assert mail["summary"].startswith("send transactional email")  # no marketing consent: no offer
