"""The README's first command, end to end: the local stack over real HTTP, then a clean Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from storekit.signatures import sign
from tests.e2e.conftest import DEMO_SECRET, ROOT, TOKEN, call, free_port
from tests.payloads import load_fixture

pytestmark = pytest.mark.e2e


def test_make_run_shows_planned_demo_actions_at_once(stack: Any) -> None:
    base, _, lines = stack
    output = "".join(lines)
    assert f"admin token: {TOKEN}" in output
    assert "planned actions" in output
    status, answer = call(
        "GET", f"{base}/stores/demo/actions?status=planned", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    assert answer["items"], output
    assert {a["automation"] for a in answer["items"]} == {"channel-tags", "shipping-notice"}
    assert any("source:instagram" in a["summary"] for a in answer["items"])
    # the replayed shipments became notices (email, and SMS for the customer who consented)
    notices = [a["summary"] for a in answer["items"] if a["automation"] == "shipping-notice"]
    assert any("email 'shipping_notice'" in n for n in notices) and any("SMS" in n for n in notices), notices
    assert "replayed 7 sample webhooks" in output


def test_signed_real_webhook_flows_to_a_planned_action_over_http(stack: Any) -> None:
    base, _, _ = stack
    body, _ = load_fixture("shopify/orders_create__hookdeck-2024-10.json")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
        "X-Shopify-Webhook-Id": "e2e-1",
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
        "X-Shopify-API-Version": "2024-10",
    }
    assert call("POST", f"{base}/webhooks/shopify/demo", body, headers) == (200, {"ok": True})
    assert call("POST", f"{base}/webhooks/shopify/demo", body, headers) == (
        200,
        {"ok": True, "duplicate": True},
    )
    bad = dict(headers, **{"X-Shopify-Hmac-Sha256": sign(body, "wrong")})
    assert call("POST", f"{base}/webhooks/shopify/demo", body, bad)[0] == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, answer = call("GET", f"{base}/stores/demo/events?limit=500", headers=auth)
        event = next(e for e in answer["items"] if e["delivery_id"] == "e2e-1")
        if event["status"] == "processed":
            break
        time.sleep(0.3)
    assert event["status"] == "processed"
    _, runs = call("GET", f"{base}/stores/demo/runs?limit=500", headers=auth)
    # the order's channel tags are planned (the fraud automations also run on it and decide nothing)
    run = next(
        r for r in runs["items"] if r["event_id"] == "shopify:e2e-1" and r["automation"] == "channel-tags"
    )
    assert run["outcome"] == "actions"
    assert call("GET", f"{base}/health") == (200, {"ok": True, "service": "storeflow"})


def wait_for_line(lines: list[str], *parts: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(lines):
            if all(part in line for part in parts):
                return line
        time.sleep(0.2)
    raise AssertionError(f"no console line with {parts}:\n" + "".join(lines))


def test_the_console_shows_one_line_per_webhook_and_action_and_nothing_else(stack: Any) -> None:
    base, _, lines = stack
    body, _ = load_fixture("shopify/orders_create__2025-store-guest.json")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
        "X-Shopify-Webhook-Id": "console-1",
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
    }
    assert call("POST", f"{base}/webhooks/shopify/demo", body, headers)[0] == 200
    bad = dict(headers, **{"X-Shopify-Hmac-Sha256": sign(body, "wrong")})
    assert call("POST", f"{base}/webhooks/shopify/demo", body, bad)[0] == 401
    wait_for_line(lines, "webhook  demo  shopify orders/create  received")
    wait_for_line(lines, "action   demo  channel-tags  add tags", "-> planned")
    wait_for_line(lines, "webhook  POST /webhooks/shopify/demo  -> 401")
    call("GET", f"{base}/stores/demo/actions", headers={"Authorization": f"Bearer {TOKEN}"})
    time.sleep(1)
    output = "".join(lines)
    banner, _, after = output.partition("Ctrl-C stops everything")
    assert banner.index("admin token") < banner.index("planned actions")  # the banner, then the summary
    for noise in ("botocore", "Found credentials", "Found endpoint", "GET /stores", "HTTP/1.1", "INFO"):
        assert noise not in output, noise
    assert "bob.norman@hostmail.com" not in output
    # after the banner: only timestamped webhook/run/action lines
    for line in after.splitlines()[1:]:
        if line.strip() and "stopping" not in line and "stopped" not in line:
            assert line.split(" ", 2)[1] in ("webhook", "action", "run"), line


def test_make_replay_posts_payloads_and_prints_each_automations_decision(stack: Any) -> None:
    base, _, _ = stack
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STOREFLOW_"))}
    env.update({"PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}", "STOREFLOW_ADMIN_TOKEN": TOKEN})
    folder = ROOT / "tests" / "events" / "shopify"
    done = subprocess.run(
        [sys.executable, "-m", "infra.replay", str(folder), "--topic", "orders/create", "--base", base],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    files = len(list(folder.glob("*.json")))
    assert f"{files}/{files}" in done.stderr  # the progress bar over the folder
    assert "orders_create__utm-instagram.json: processed" in done.stdout
    assert "  channel-tags: actions" in done.stdout
    assert "source:instagram" in done.stdout


def test_verbose_shows_every_log_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STOREFLOW_"))}
    env.update(
        {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}", "PYTHONUNBUFFERED": "1", "STOREFLOW_ADMIN_TOKEN": TOKEN}
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack", "--port", str(port), "--no-demo", "--verbose"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        call("GET", f"http://127.0.0.1:{port}/health")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines) + out
    assert "Found credentials" in output
    assert '"GET /health HTTP/1.1" 200' in output


def test_ctrl_c_stops_everything_cleanly(stack: Any) -> None:
    base, proc, lines = stack
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    time.sleep(0.5)  # the reader thread takes the last lines
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert "stopped." in out
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/health", timeout=2)  # noqa: S310


def test_ctrl_c_during_startup_still_stops_cleanly() -> None:
    """A Ctrl-C pressed while the stack is still starting (moto up, API not yet) exits cleanly too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STOREFLOW_"))}
    env.update({"PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}", "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first line comes before moto, the API and the demo seed
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, first + out
    assert "stopped." in out
    assert "Traceback" not in out
