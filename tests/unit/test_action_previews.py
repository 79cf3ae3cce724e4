"""Every action kind has a preview: `render` turns it into what the executor sends or changes.

The test walks the Action union, so a kind added without a rendering (and a sample here) fails."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, get_args

import pytest

from functions.engine.perform import preview, render
from storekit.actions import (
    Action,
    AddOrderNote,
    AddTags,
    AddToCollection,
    CancelOrder,
    CreateDiscountCode,
    HoldFulfillment,
    IssueStoreCredit,
    PostSlack,
    PostWebhook,
    PublishProduct,
    RefundOrder,
    RemoveTags,
    ScheduleJob,
    SendEmail,
    SendSms,
    SetDiscountActive,
    SetProductVisibility,
    SyncToHubSpot,
)
from storekit.outbound import shown
from storekit.settings_model import Settings
from storekit.store import StoreConfig

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
RUNTIME: Any = SimpleNamespace(settings=Settings(email_sender="orders@demo-shop.example"))


def sample_purchase_order() -> Any:
    from tests.unit.test_reorder_logic import drafted_purchase_order

    return drafted_purchase_order(send="email")


SAMPLES: dict[str, Any] = {
    "add_tags": AddTags(resource="order", resource_id="450789469", tags=["channel:pos"]),
    "send_email": SendEmail(
        to="jane@example.com", template="notice", context={"heading": "Shipped", "body": "On its way"}
    ),
    "send_sms": SendSms(to="(415) 555-0132", text="Your parcel is here"),
    "post_slack": PostSlack(text="Order #1001 failed delivery"),
    "remove_tags": RemoveTags(resource="order", resource_id="450789469", tags=["sold-out"]),
    "set_product_visibility": SetProductVisibility(product_id="632910392", visible=False),
    "add_to_collection": AddToCollection(product_id="632910392", collection_id="841564295", categories=["9"]),
    "schedule_job": ScheduleJob(job_kind="follow_up", due_at=NOW, params={"order_id": "1"}),
    "draft_purchase_order": sample_purchase_order(),
    "add_order_note": AddOrderNote(order_id="450789469", note="storeflow risk score 55/100"),
    "hold_fulfillment": HoldFulfillment(order_id="450789469", notes="storeflow risk score 55"),
    "cancel_order": CancelOrder(order_id="450789469", amount=Decimal("409.94"), currency="USD"),
    "refund_order": RefundOrder(
        order_id="450789469",
        amount=Decimal("409.94"),
        currency="USD",
        reason="cancelled-before-fulfillment",
        idempotency_key="storeflow-0123456789abcdef",
        once_per="money:450789469:cancelled-before-fulfillment",
    ),
    "issue_store_credit": IssueStoreCredit(
        order_id="450789469",
        amount=Decimal("409.94"),
        currency="USD",
        reason="cancelled-before-fulfillment",
        customer_id="207119551",
        email="bob.norman@example.com",
        code="CREDIT-450789469-0A1B2C3D",
    ),
    "publish_product": PublishProduct(product_id="632910392", publication_ids=["12345", "67890"]),
    "post_webhook": PostWebhook(
        url="https://crm.example.com/hooks/storeflow",
        event="customer.updated",
        payload={"customer": {"id": "1"}},
    ),
    "create_discount_code": CreateDiscountCode(
        code="WELCOME-1A2B3C4D5E",
        title="storeflow welcome-flow",
        value=Decimal("10"),
        starts_at=NOW,
        ends_at=NOW,
        customer_id="207119551",
        email="bob.norman@hostmail.com",
    ),
    "hubspot_sync": SyncToHubSpot(
        email="bob.norman@hostmail.com",
        contact={"firstname": "Bob"},
        order_id="450789469",
        deal_id_property="storeflow_order_id",
        deal_key="demo:450789469",
        deal={"dealname": "Order #1001"},
    ),
    "set_discount_active": SetDiscountActive(
        discount_id="901", active=False, expires_at=NOW, sale_id="4f1c2a9e"
    ),
}


def action_kinds() -> set[str]:
    union = get_args(Action)[0]
    return {cls.model_fields["kind"].default for cls in get_args(union)}


def store(platform: str) -> StoreConfig:
    return StoreConfig(
        store_id="demo",
        platform=platform,
        shop_domain="demo-shop.myshopify.com" if platform == "shopify" else "https://woo.example",
        name="Demo Shop",
        timezone="Europe/Berlin",
        created_at=NOW,
        updated_at=NOW,
    )


def test_every_action_kind_has_a_sample_to_preview() -> None:
    missing = action_kinds() - set(SAMPLES)
    assert not missing, f"new action kinds need a rendering in perform.render and a sample here: {missing}"
    assert set(SAMPLES) == action_kinds()  # and no sample of a kind that is gone


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
@pytest.mark.parametrize("kind", sorted(action_kinds()))
def test_every_action_kind_renders_what_it_sends(kind: str, platform: str) -> None:
    request = render(SAMPLES[kind], store(platform), RUNTIME)
    out = shown(request)
    assert out["channel"] in {
        "email",
        "sms",
        "slack",
        "api",
        "storeflow",
        "purchase_order",
        "webhook",
        "hubspot",
    }
    shown_preview = preview(SAMPLES[kind].model_dump(mode="json"), store(platform), RUNTIME)
    assert isinstance(shown_preview, dict) and "error" not in shown_preview, shown_preview
    assert shown_preview == {"kind": kind, **out}


def test_the_sms_preview_is_the_text_as_sent() -> None:
    out = preview(SAMPLES["send_sms"].model_dump(mode="json"), store("shopify"), RUNTIME)
    assert out == {
        "kind": "send_sms",
        "channel": "sms",
        "to": "+14155550132",
        "text": "Demo Shop: Your parcel is here",
        "sms_type": "Transactional",
    }


def test_a_held_sms_says_when_it_may_go() -> None:
    held = SendSms(to="+14155550132", text="hi", not_before=NOW).model_dump(mode="json")
    out = preview(held, store("shopify"), RUNTIME)
    assert isinstance(out, dict) and out["not_before"] == NOW.isoformat()


def test_the_slack_preview_is_the_json_payload_without_the_secret_url() -> None:
    out = preview(SAMPLES["post_slack"].model_dump(mode="json"), store("shopify"), RUNTIME)
    assert out == {
        "kind": "post_slack",
        "channel": "slack",
        "payload": {"text": "Order #1001 failed delivery"},
    }


def test_a_redacted_action_previews_as_redacted() -> None:
    assert preview({"kind": "send_email", "redacted": True}, store("shopify"), RUNTIME) == "redacted"


def test_a_message_that_would_fail_says_why_instead() -> None:
    bad = SendSms(to="555", text="hi").model_dump(mode="json")
    out = preview(bad, store("shopify"), RUNTIME)
    assert isinstance(out, dict)
    assert out["error"] == "going live would fail: not a valid phone number for its region"
    assert "555" not in out["error"]


def test_an_action_of_a_kind_no_longer_carried_out_says_so() -> None:
    out = preview({"kind": "refund_order", "order_id": "1"}, store("shopify"), RUNTIME)
    assert out == {
        "kind": "refund_order",
        "error": "refund_order is not an action kind this version of storeflow carries out",
    }


def test_pausing_a_gift_discount_previews_the_exact_call_on_each_platform() -> None:
    action = SAMPLES["set_discount_active"].model_dump(mode="json")
    shopify = preview(action, store("shopify"), RUNTIME)
    assert isinstance(shopify, dict) and shopify["operation"] == "discountAutomaticDeactivate"
    assert shopify["body"]["variables"] == {"id": "gid://shopify/DiscountAutomaticNode/901"}
    resumed = preview({**action, "active": True}, store("shopify"), RUNTIME)
    assert isinstance(resumed, dict) and resumed["operation"] == "discountAutomaticActivate"
    woo = preview(action, store("woocommerce"), RUNTIME)
    assert isinstance(woo, dict) and (woo["method"], woo["path"]) == ("PUT", "/wp-json/wc/v3/coupons/901")
    assert woo["body"] == {"date_expires_gmt": "2026-11-24T12:00:00"}
