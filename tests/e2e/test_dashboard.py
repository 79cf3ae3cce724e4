"""The dashboard in Debian's Chromium (Playwright): what a merchant sees after `make run`."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import pytest

from storekit.signatures import sign
from tests.e2e.conftest import DEMO_SECRET, TOKEN, call
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not shutil.which("chromium"):
    pytest.skip(
        "Debian chromium is not installed (make test installs it with apt-get)", allow_module_level=True
    )

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page(stack: Any) -> Any:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


def test_dashboard_shows_the_demo_store_planned_actions(stack: Any, page: Any) -> None:
    base, _, _ = stack
    page.goto(f"{base}/dashboard")
    page.fill("#store", "demo")
    page.fill("#token", TOKEN)
    page.select_option("#status", "planned")
    page.click("button[type=submit]")
    page.wait_for_selector("#actions tbody tr")
    rows = page.inner_text("#actions tbody")
    assert "channel-tags" in rows
    assert "source:instagram" in rows
    assert "planned" in rows
    assert "failed" not in rows
    assert "order.created" in page.inner_text("#activity tbody")
    assert page.locator("#events tbody tr").count() >= 4
    assert page.inner_text("#error") == ""


def test_dashboard_explains_a_wrong_token(stack: Any, page: Any) -> None:
    base, _, _ = stack
    page.goto(f"{base}/dashboard")
    page.fill("#store", "demo")
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    page.wait_for_selector("#error:has-text('token')")  # a locator wait: the page's CSP forbids eval
    assert "token" in page.inner_text("#error")
    assert page.locator("#actions tbody tr").count() == 0


def open_dashboard(page: Any, base: str, store: str = "demo") -> None:
    page.goto(f"{base}/dashboard")
    page.fill("#store", store)
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#actions tbody tr")


def test_a_click_on_an_email_action_shows_the_email_in_a_sandboxed_frame(stack: Any, page: Any) -> None:
    base, _, _ = stack
    open_dashboard(page, base)
    page.locator("#actions tbody tr", has_text="email 'shipping_notice' to b***@hostmail.com").click()
    frame = page.wait_for_selector("#preview iframe")
    assert frame.get_attribute("sandbox") == ""  # no scripts, forms or navigation in the email
    assert "<html" in (frame.get_attribute("srcdoc") or "").lower()
    assert "#1001" in page.frame_locator("#preview iframe").locator("body").inner_text()
    facts = page.inner_text("#detail-facts") + page.inner_text("#preview")
    assert "bob.norman@hostmail.com" in facts  # the store's own view: the recipient in full
    assert "Your order #1001 is on its way" in facts
    assert "notifications@demo-shop.example" in facts
    assert "planned" in page.inner_text("#history tbody")
    assert "dry-run: nothing was called" in page.inner_text("#history tbody")
    assert "shopify/orders" not in page.inner_text("#detail-error")


def test_a_click_on_an_sms_or_a_tag_action_shows_the_text_or_the_call(stack: Any, page: Any) -> None:
    base, _, _ = stack
    open_dashboard(page, base)
    page.locator("#actions tbody tr", has_text="send SMS to").first.click()
    page.wait_for_selector("#preview pre.sms-text")
    assert page.inner_text("#preview pre.sms-text").startswith("Demo Shop")
    assert "Transactional" in page.inner_text("#preview")
    page.locator("#actions tbody tr", has_text="source:instagram").first.click()
    page.wait_for_selector("#preview pre.api-query")
    assert "mutation tagsAdd" in page.inner_text("#preview pre.api-query")
    assert "source:instagram" in page.inner_text("#preview pre.api-variables")
    call = "POST https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
    assert call in page.inner_text("#preview")


def test_times_are_in_the_store_time_zone_and_runs_show_why(stack: Any, page: Any) -> None:
    base, _, _ = stack
    open_dashboard(page, base)
    assert "America/New_York" in page.inner_text("#zone")
    created = page.locator("#actions tbody tr td").first.inner_text()
    assert created.endswith(("EST", "EDT")), created  # the demo store is in New York
    page.wait_for_selector("#runs tbody tr")
    runs = page.inner_text("#runs tbody")
    assert "channel-tags" in runs and "shipping-notice" in runs
    assert "action(s)" in runs
    for row in page.locator("#runs tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        assert cells[4].strip(), cells  # every run says why: its actions or its reason
        assert cells[0].endswith(("EST", "EDT")), cells


def test_a_script_in_a_store_email_template_never_runs(stack: Any, page: Any) -> None:
    base, _, _ = stack
    template = {
        "subject": "Shipped {{ order_name }}",
        "html": "<p id='x'>quiet</p><script>document.getElementById('x').textContent = 'ran'</script>",
        "text": "Shipped {{ order_name }}",
    }
    body = {
        "platform": "shopify",
        "shop_domain": "tmpl-shop.myshopify.com",
        "name": "Template Shop",
        "timezone": "Asia/Tokyo",
        "webhook_secret": DEMO_SECRET,
        "automations": {"shipping-notice": {"settings": {"email_template": template}}},
    }
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    assert call("PUT", f"{base}/stores/tmpl", json.dumps(body).encode(), auth)[0] in (200, 201)
    for name, topic in (
        ("shopify/orders_create__python-api-order.json", "orders/create"),
        ("shopify/fulfillments_create__python-api-fulfillment.json", "fulfillments/create"),
    ):
        raw, _ = load_fixture(name)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(raw, DEMO_SECRET),
            "X-Shopify-Webhook-Id": f"tmpl-{topic}",
            "X-Shopify-Shop-Domain": "tmpl-shop.myshopify.com",
        }
        assert call("POST", f"{base}/webhooks/shopify/tmpl", raw, headers)[0] == 200
        time.sleep(2)  # the stream poller runs every half second
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, answer = call("GET", f"{base}/stores/tmpl/actions?status=planned", headers=auth)
        if any(a["kind"] == "send_email" for a in answer["items"]):
            break
        time.sleep(0.5)
    open_dashboard(page, base, "tmpl")
    assert "Asia/Tokyo" in page.inner_text("#zone")
    page.locator("#actions tbody tr", has_text="send transactional email").click()
    page.wait_for_selector("#preview iframe")
    assert "<script>" in (page.get_attribute("#preview iframe", "srcdoc") or "")
    time.sleep(0.5)
    assert page.frame_locator("#preview iframe").locator("#x").inner_text() == "quiet"
