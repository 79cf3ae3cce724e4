"""The dashboard's reports in Debian's Chromium (Playwright): a live WooCommerce store (its REST API
played by a small local server) receives real order webhooks; the merchant reads the sales figures,
chart and top sellers, retries the action that failed while the shop's API refused it, and changes a
setting, with the validation error shown inline. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from storekit.signatures import sign
from tests.e2e.conftest import ROOT, TOKEN, call
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not shutil.which("chromium"):
    pytest.skip(
        "Debian chromium is not installed (make test installs it with apt-get)", allow_module_level=True
    )

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ARTEFACTS = ROOT / "test-artifacts" / "dashboard"
SECRET = "dash-webhook-secret-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


class Shop(BaseHTTPRequestHandler):
    """The WooCommerce REST API of the test shop: refuses (401) until `healthy` is set."""

    healthy = threading.Event()
    calls: list[str] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        Shop.calls.append(f"{self.command} {self.path}")
        if not Shop.healthy.is_set():
            body, status = (
                b'{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources."}',
                401,
            )
        else:
            body, status = json.dumps({"id": 727, "meta_data": []}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def shop_url() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def dash(stack: Any, shop_url: str) -> str:
    base, _, _ = stack
    store = {
        "platform": "woocommerce",
        "shop_domain": shop_url,
        "name": "Dash Shop",
        "mode": "live",
        "timezone": "America/New_York",
        "currency": "USD",
        "webhook_secret": SECRET,
        "api_credentials": {"consumer_key": "ck_dash", "consumer_secret": "cs_dash"},
    }
    assert call("PUT", f"{base}/stores/dash", json.dumps(store).encode(), AUTH)[0] in (200, 201)
    for name, topic, delivery in (
        ("woocommerce/order_created__rest-api-docs.json", "order.created", "dash-1"),
        ("woocommerce/order_updated__rest-api-docs.json", "order.updated", "dash-2"),
    ):
        raw, _ = load_fixture(name)
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(raw, SECRET),
            "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Source": shop_url + "/",
        }
        assert call("POST", f"{base}/webhooks/woocommerce/dash", raw, headers)[0] == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, failed = call("GET", f"{base}/stores/dash/actions?status=failed", headers=AUTH)
        if failed["items"]:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no failed action; shop calls: {Shop.calls}")
    return base


@pytest.fixture(scope="module")
def page(stack: Any) -> Any:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


def open_week(page: Any, base: str, week: bool = True) -> None:
    """The dashboard for the week of the replayed order (else the last 30 days)."""
    page.goto(f"{base}/dashboard")
    page.fill("#store", "dash")
    page.fill("#token", TOKEN)
    if week:
        page.fill("#from", "2017-03-16")
        page.fill("#to", "2017-03-22")
    page.click("#connect button[type=submit]")
    page.wait_for_selector("#headline .card")


def test_headline_chart_and_top_sellers_show_the_real_order(dash: str, page: Any) -> None:
    open_week(page, dash)
    net = page.inner_text("#headline .card[data-figure=net]")
    assert "18.00 USD" in net  # 2 x Woo Single #1 at 3.00 + 1 x Ship Your Idea at 12.00
    assert "no earlier figure" in net  # nothing sold the week before
    assert page.inner_text("#headline .card[data-figure=orders] .value") == "1"
    assert "2017-03-16 to 2017-03-22 (USD)" in page.inner_text("#period")
    assert page.locator("#chart rect.bar").count() == 7
    assert page.locator("#chart polyline.donations").count() == 1
    top = page.locator("#top tbody tr").all_inner_texts()
    assert "Woo Single #1" in top[0] or "Woo Single #1" in top[1]
    assert any("12.00 USD" in row for row in top)
    page.screenshot(path=str(ARTEFACTS / "overview.png"), full_page=True)


def test_a_failed_action_is_retried_from_the_dashboard(dash: str, page: Any) -> None:
    open_week(page, dash)
    page.wait_for_selector("#failed tbody tr")
    row = page.locator("#failed tbody tr").first
    assert "401" in row.inner_text()
    page.screenshot(path=str(ARTEFACTS / "failed-action.png"), full_page=True)
    Shop.healthy.set()  # the merchant fixed the API key's permissions
    row.locator("button.retry").click()
    page.wait_for_selector("#failed-note:has-text('Retrying')")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, done = call("GET", f"{dash}/stores/dash/actions?status=done", headers=AUTH)
        if done["items"]:
            break
        time.sleep(0.5)
    assert done["items"], Shop.calls
    assert any(c.startswith("PUT /wp-json/wc/v3/orders/727") for c in Shop.calls)
    open_week(page, dash, week=False)  # actions are counted on the day they settle: today
    assert page.locator("#failed tbody tr").count() == 0
    assert "done" in page.inner_text("#actions tbody")
    tags = page.locator("#per-automation tbody tr", has_text="channel-tags").all_inner_texts()
    assert tags and tags[0].split("\t")[2:] == ["1", "1"], tags  # done once, after failing once


def test_a_setting_is_changed_with_its_error_shown_inline(dash: str, page: Any) -> None:
    open_week(page, dash)
    page.select_option("#settings-name", "digest")
    assert '"cadence": "off"' in page.input_value("#settings-json")
    bad = {"cadence": "daily", "at": "25:00", "slack": False, "email": "staff@dash.example"}
    page.fill("#settings-json", json.dumps(bad))
    page.click("#settings-save")
    page.wait_for_selector("#settings-error:has-text('24-hour')")
    assert "automations.digest.settings: at: must be a 24-hour local time HH:MM" in page.inner_text(
        "#settings-error"
    )
    page.screenshot(path=str(ARTEFACTS / "settings-error.png"), full_page=True)
    page.fill("#settings-json", json.dumps({**bad, "at": "07:30"}))
    page.click("#settings-save")
    page.wait_for_selector("#settings-note:has-text('Saved')")
    _, store = call("GET", f"{dash}/stores/dash", headers=AUTH)
    assert store["automations"]["digest"]["settings"]["at"] == "07:30"
    assert store["automations"]["digest"]["settings"]["email"] == "staff@dash.example"
    assert store["mode"] == "live"  # the rest of the store is as it was


def test_the_dashboard_reads_on_a_phone(dash: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_week(page, dash)
    card = page.locator("#headline .card[data-figure=net]").bounding_box()
    assert card is not None and card["width"] <= 390
    page.screenshot(path=str(ARTEFACTS / "phone.png"), full_page=True)
    assert Path(ARTEFACTS / "phone.png").stat().st_size > 0
