"""The dashboard in Debian's Chromium (Playwright): what a merchant sees after `make run`."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.e2e.conftest import TOKEN

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
