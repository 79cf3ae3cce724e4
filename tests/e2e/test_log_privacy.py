"""No personal data or secret in the logs (issue 17, item 5): the local stack with full logging
(`make run ARGS=--verbose`: every Powertools JSON line, moto's and the API server's) takes the demo
traffic, an admin save with credentials and a shopper's assistant question; then no line may hold an
email address, a phone number, a street address, the admin token, a webhook secret or an API token
from what went in."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_SECRET, ROOT, TOKEN, call, local_stack

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
#: an address in clear (a masked one, `b***@host`, has no letter or digit right before the @)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
SAMPLES = ROOT / "tests" / "events" / "shopify"
NEW_SECRETS = ("shpat_e2e_privacy_token_77", "e2e-privacy-webhook-secret-88")


def personal_values(data: Any) -> Iterator[str]:
    """Every email, phone and street line of a payload."""
    if isinstance(data, dict):
        for key, value in data.items():
            if (
                key in ("email", "phone", "address1", "address2")
                and isinstance(value, str)
                and len(value) > 5
            ):
                yield value
            else:
                yield from personal_values(value)
    elif isinstance(data, list):
        for value in data:
            yield from personal_values(value)


@pytest.fixture(scope="module")
def logs() -> Iterator[tuple[str, list[str]]]:
    with local_stack("--verbose") as (base, _, lines):
        yield base, lines


def settle(base: str) -> None:
    """Until the demo traffic's actions stop changing (the pollers run in the background)."""
    last: Any = None
    for _ in range(60):
        status, answer = call("GET", f"{base}/stores/demo/actions?limit=500", headers=AUTH)
        assert status == 200
        now = [(a["action_id"], a["status"]) for a in answer["items"]]
        if now and now == last:
            return
        last = now
        time.sleep(1)


def test_no_log_line_holds_personal_data_or_a_secret(logs: tuple[str, list[str]]) -> None:
    base, lines = logs
    store = {
        "platform": "shopify",
        "shop_domain": "privacy-shop.myshopify.com",
        "webhook_secret": NEW_SECRETS[1],
        "api_credentials": {"access_token": NEW_SECRETS[0]},
        "slack_webhook_url": "https://hooks.slack.com/services/T000/B000/privacysecret",
    }
    status, _ = call("PUT", f"{base}/stores/privacy", json.dumps(store).encode(), AUTH)
    assert status == 201
    question = {"message": "where is my order?", "order_number": "#1001", "email": "bob.norman@hostmail.com"}
    status, _ = call(
        "POST",
        f"{base}/stores/demo/assistant",
        json.dumps(question).encode(),
        {"Content-Type": "application/json"},
    )
    assert status in (200, 404)
    settle(base)

    # the banner shows the operator their own admin token, and curl lines with it, on purpose
    banner = [n for n, line in enumerate(lines) if line.startswith("admin token:") or "curl -s -H" in line]
    assert banner, "the banner was printed"
    text = "".join(line for n, line in enumerate(lines) if n not in banner)
    assert '"automation ran"' in text, "full logging was on and the automations ran"
    secrets = [TOKEN, DEMO_SECRET, "shpat_demo_not_a_real_token", "privacysecret", *NEW_SECRETS]
    personal = {
        v for path in SAMPLES.glob("*.json") for v in personal_values(json.loads(Path(path).read_text()))
    }
    personal.add("bob.norman@hostmail.com")
    assert len(personal) >= 5, "the demo payloads carry emails, phones and addresses"
    leaks = [value for value in (*secrets, *personal) if value in text]
    assert leaks == [], f"found in the logs: {sorted(leaks)}"
    clear_emails = sorted({m for m in EMAIL.findall(text) if not m.endswith(("demo-shop.example",))})
    assert clear_emails == [], clear_emails
