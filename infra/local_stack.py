"""`make run`: the whole stack on this machine, no Docker.

Starts embedded moto on 127.0.0.1, creates the infra/ resources in it, serves the Chalice API on
http://127.0.0.1:8000, runs the stream dispatcher/executor, the fallback drainer and the minute
sweeper as local pollers through the same handlers, seeds a `demo` store in dry-run and replays
sample webhooks so `GET /stores/demo/actions` shows planned actions at once. Ctrl-C stops it all.

The console is quiet: the banner, the demo summary, then one line per webhook received and per
action decided (infra/pollers.py `console_line`). `--verbose` (`make run ARGS=--verbose`) shows
every log line instead: botocore, Powertools, moto and the HTTP access log.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "events" / "shopify"
DEMO_SECRET = "demo-webhook-secret-not-for-production"
DEMO_SENDER = "notifications@demo-shop.example"

log = logging.getLogger("storeflow.local")


def start_moto(verbose: bool = False) -> Any:
    from moto.server import ThreadedMotoServer

    from infra import moto_fidelity

    moto_fidelity.install()  # transactions at the cost of their items, as DynamoDB (see the module)

    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=verbose)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    return server


def request(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (local URL)
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def seed_demo(base: str, token: str) -> int:
    """Create the demo store (dry-run) and replay the sample orders, then their shipments, through
    signed webhooks (so both the channel tags and the shipping notices show up as planned)."""
    from storekit.signatures import sign

    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    store = {
        "platform": "shopify",
        "shop_domain": "demo-shop.myshopify.com",
        "name": "Demo Shop",
        "mode": "dry-run",
        "timezone": "America/New_York",
        "currency": "USD",
        "webhook_secret": DEMO_SECRET,
        "api_credentials": {"access_token": "shpat_demo_not_a_real_token"},
    }
    status, answer = request("PUT", f"{base}/stores/demo", json.dumps(store).encode(), auth)
    if status not in (200, 201):
        raise SystemExit(f"could not create the demo store: {status} {answer}")
    sent = 0
    orders = sorted(SAMPLES.glob("orders_create__*.json"))
    samples = orders + sorted(SAMPLES.glob("fulfillments_create__*.json"))
    for path in samples:
        body = path.read_bytes()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": path.name.split("__", 1)[0].replace("_", "/", 1),
            "X-Shopify-Hmac-Sha256": sign(body, DEMO_SECRET),
            "X-Shopify-Webhook-Id": f"demo-{path.stem}",
            "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
            "X-Shopify-API-Version": "2025-01",
        }
        status, answer = request("POST", f"{base}/webhooks/shopify/demo", body, headers)
        log.info("replayed %s -> %s %s", path.name, status, answer)
        sent += 1
    return sent


def api_server(app: Any, config: Any, port: int, verbose: bool) -> Any:
    """Chalice's local server; quiet, its access log shows only refused webhook deliveries. Its own
    refusals (414 URI too long, 400 bad request line) answer in the API's error shape
    `{"error": ...}` instead of an HTML page."""
    from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

    class QuietRequestHandler(ChaliceRequestHandler):
        error_message_format = '{"error": "%(message)s"}'
        error_content_type = "application/json"

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if verbose:
                super().log_request(code, size)
            # a refused request line (414, 400) is logged before `path` is known
            elif getattr(self, "path", "").startswith("/webhooks/") and str(code) != "200":
                print(
                    f"{time.strftime('%H:%M:%S')} webhook  {self.command} {self.path}  -> {code}", flush=True
                )

    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)  # what chalice's create_local_server does
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, "127.0.0.1", port, handler_cls=QuietRequestHandler)


class Console:
    """Prints `console_line` for each stream record once the demo summary is out (`live`)."""

    def __init__(self) -> None:
        self.live = False

    def __call__(self, record: dict[str, Any]) -> None:
        from infra.pollers import console_line

        line = console_line(record) if self.live else None
        if line:
            print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


class StopFlag:
    """Set from a signal handler without taking any lock; a second Ctrl-C interrupts as usual."""

    def __init__(self) -> None:
        self.requested = False

    def request(self, signum: int, frame: Any) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="storeflow local stack")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo store")
    parser.add_argument("--sweep-seconds", type=float, default=60.0)
    parser.add_argument("--verbose", action="store_true", help="show every log line (botocore, access log)")
    args = parser.parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO" if args.verbose else "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

    # from the start, Ctrl-C (even during startup or the demo seed) stops everything through the
    # same path below. The handler only flips a flag: taking a lock there (Event.set) could deadlock
    # against the main thread, which the handler interrupts, if that thread held the same lock.
    stop = StopFlag()
    signal.signal(signal.SIGINT, stop.request)
    signal.signal(signal.SIGTERM, stop.request)
    print("storeflow: starting the local stack (moto, API, pollers)...", flush=True)

    moto_server = start_moto(args.verbose)
    import boto3

    from infra.bootstrap import create_local_resources, env_for
    from infra.pollers import QueuePoller, StreamPoller, Ticker, invoke, scheduled_event

    session = boto3.session.Session(region_name="us-east-1")
    resources = create_local_resources(session)
    token = os.environ.get("STOREFLOW_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    os.environ.update(env_for(resources))
    os.environ.update(
        {"STOREFLOW_LOCAL": "true", "STOREFLOW_ADMIN_TOKEN": token, "STOREFLOW_EMAIL_SENDER": DEMO_SENDER}
    )
    session.client("ses").verify_email_identity(EmailAddress=DEMO_SENDER)

    from chalice.config import Config

    sys.path.insert(0, str(ROOT))
    from app import app

    config = Config.create(chalice_app=app, app_name="storeflow", project_dir=str(ROOT), chalice_stage="dev")
    try:
        server = api_server(app, config, args.port, args.verbose)
    except OSError as exc:
        moto_server.stop()
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}. Is another `make run` running?")
        return 1
    http = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
    http.start()

    console = Console()
    streams = StreamPoller(
        session,
        resources.stream_arn,
        {"dispatch": app.handler_map["dispatch"], "execute": app.handler_map["execute"]},
        observer=console,
    )
    sqs = session.client("sqs")
    fallback_arn = sqs.get_queue_attributes(
        QueueUrl=resources.fallback_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    drainer = QueuePoller(
        session,
        resources.fallback_queue_url,
        fallback_arn,
        "drain_fallback",
        app.handler_map["drain_fallback"],
    )
    tickers = [
        Ticker("streams", 0.5, streams.poll_once),
        Ticker("fallback", 2.0, drainer.poll_once),
        Ticker(
            "sweeper",
            args.sweep_seconds,
            lambda: invoke("sweep", app.handler_map["sweep"], scheduled_event("arn:local:sweep")),
        ),
    ]
    for ticker in tickers:
        ticker.start()

    base = f"http://127.0.0.1:{args.port}"
    print(f"\nstoreflow is running on {base}  (moto at {os.environ['AWS_ENDPOINT_URL']})")
    print(f"admin token: {token}")
    if not args.no_demo and not stop.requested:
        sent = seed_demo(base, token)
        # the stream poller plans them within a few seconds: wait until the count settles
        deadline = time.monotonic() + 20
        planned: list[Any] = []
        settled_at = time.monotonic()
        while time.monotonic() < deadline and not stop.requested:
            _, answer = request(
                "GET",
                f"{base}/stores/demo/actions?status=planned&limit=100",
                None,
                {"Authorization": f"Bearer {token}"},
            )
            items = answer.get("items", []) if isinstance(answer, dict) else []
            if len(items) != len(planned):
                planned, settled_at = items, time.monotonic()
            elif planned and time.monotonic() - settled_at > 2.0:
                break
            time.sleep(0.3)
        print(
            f"demo store 'demo' (dry-run): replayed {sent} sample webhooks; {len(planned)} planned actions:"
        )
        for item in planned[:10]:
            print(f"  - [{item['automation']}] {item['summary']}")
    print("\ntry:")
    print(f'  curl -s -H "Authorization: Bearer {token}" {base}/stores/demo/actions')
    print(
        f'  curl -s -H "Authorization: Bearer {token}" {base}/stores/demo/actions/<action_id>   # its preview'
    )
    print(f"  {base}/dashboard   (paste the admin token)")
    print("Ctrl-C stops everything. From now on: one line per webhook received and action decided", end="")
    print(" (make run ARGS=--verbose shows every log line).\n" if not args.verbose else ".\n", flush=True)
    console.live = True

    while not stop.requested:
        time.sleep(0.2)
    print("\nstopping...", flush=True)
    for ticker in tickers:
        ticker.stop()
    server.shutdown()
    moto_server.stop()
    print("stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
