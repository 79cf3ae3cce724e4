"""Email only From the deployment's sending domains (issue 17, item 6: the SES grant was open on
every identity of the account). The deployed role may send From those domains only (IAM
ses:FromAddress: tests/unit/test_sending_domains.py); the executor refuses a sender outside them
before calling SES, with the fix in the reason, and the preview says so while in dry-run."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.payloads import load_fixture
from tests.support import AUTH, body_json, listed, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__python-api-order.json")[0]
SHIPMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
SENDER = "orders@demo-shop.example"


def ship(api: Any, pump: Any, runtime: Any, mode: str, domains: str) -> dict[str, Any]:
    runtime.settings = runtime.settings.model_copy(update={"sending_domains": domains})
    automations = {name: {"enabled": name == "shipping-notice"} for name in runtime.registry.names()}
    automations["shipping-notice"]["settings"] = {"sender": f"Orders <{SENDER}>", "sms": False}
    put_store(api, mode=mode, automations=automations)
    for body, topic in ((ORDER, "orders/create"), (SHIPMENT, "fulfillments/create")):
        answer = api.http.post(
            "/webhooks/shopify/demo", headers=shopify_headers(body, topic, topic), body=body
        )
        assert answer.status_code == 200, answer.body
    pump.drain()
    [email] = [a for a in listed(api, "demo", "actions") if a["kind"] == "send_email"]
    return email


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_a_sender_outside_the_sending_domains_fails_with_the_fix_and_nothing_is_sent(
    api: Any, pump: Any, runtime: Any, session: Any
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    email = ship(api, pump, runtime, "live", "shop.example.org,other.example")
    assert email["status"] == "failed"
    assert "demo-shop.example is not one this deployment may send from" in email["reason"]
    assert "SendingDomains" in email["reason"] and email["attempts"] == 1
    assert sent() == []


def test_a_sender_of_a_sending_domain_is_sent(api: Any, pump: Any, runtime: Any, session: Any) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    email = ship(api, pump, runtime, "live", "other.example,Demo-Shop.example")
    assert email["status"] == "done", email
    [message] = sent()
    assert message.source.endswith(f"<{SENDER}>")


def test_the_dry_run_preview_says_going_live_would_fail(api: Any, pump: Any, runtime: Any) -> None:
    email = ship(api, pump, runtime, "dry-run", "other.example")
    assert email["status"] == "planned"
    preview = body_json(api.http.get(f"/stores/demo/actions/{email['action_id']}", headers=AUTH))["preview"]
    assert preview["error"].startswith("going live would fail: the email sender's domain demo-shop.example")
