"""`make replay FILE=<payload.json|folder> TOPIC=orders/create [STORE=demo]`: sign payload files as
the store's platform would, post them to the local stack (`make run`), and print what each
automation decided on each (outcome, reason, actions). A folder is sent file by file, with a
progress bar. For engineers: the merchant's way to try settings on a past event is
`POST /stores/{id}/events/{event_id}/replay`.

The admin token comes from STOREFLOW_ADMIN_TOKEN (or TOKEN=); the webhook secret from
STOREFLOW_REPLAY_SECRET (or SECRET=), the demo store's by default.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from infra.local_stack import DEMO_SECRET

WOO_TOPICS = {"orders/create": "order.created", "orders/updated": "order.updated"}


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:  # noqa: S310 (the local stack)
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
    except urllib.error.URLError as err:
        raise SystemExit(f"cannot reach {url}: {err.reason} (is `make run` running?)") from None


def headers_for(
    platform: str, shop: str, topic: str, body: bytes, secret: str, delivery: str
) -> dict[str, str]:
    from storekit.signatures import sign

    if platform == "shopify":
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-Shop-Domain": shop,
        }
    woo_topic = WOO_TOPICS.get(topic, topic)
    resource, _, event = woo_topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": woo_topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-Delivery-ID": delivery,
        "X-WC-Webhook-Source": shop.rstrip("/") + "/",
    }


def decisions(base: str, store: str, event_id: str, auth: dict[str, str], wait_s: float = 15) -> Any:
    """The runs of one event once it is processed (the stream poller takes a moment)."""
    deadline = time.monotonic() + wait_s
    event: dict[str, Any] = {}
    while time.monotonic() < deadline:
        _, events = call("GET", f"{base}/stores/{store}/events?limit=100", headers=auth)
        event = next((e for e in events.get("items", []) if e["event_id"] == event_id), {})
        if event.get("status") not in (None, "received"):
            break
        time.sleep(0.3)
    _, runs = call("GET", f"{base}/stores/{store}/runs?limit=500", headers=auth)
    _, actions = call("GET", f"{base}/stores/{store}/actions?limit=500", headers=auth)
    by_id = {a["action_id"]: a for a in actions.get("items", [])}
    mine = [r for r in runs.get("items", []) if r["event_id"] == event_id]
    return event, mine, by_id


def report(
    name: str, event: dict[str, Any], runs: list[dict[str, Any]], actions: dict[str, Any]
) -> list[str]:
    lines = [
        f"{name}: {event.get('status', 'not stored')}"
        + (f" ({event['reason']})" if event.get("reason") else "")
    ]
    for run in runs:
        why = f": {run['reason']}" if run.get("reason") else ""
        lines.append(f"  {run['automation']}: {run['outcome']}{why}")
        for action_id in run.get("action_ids", []):
            action = actions.get(action_id, {})
            lines.append(f"    - {action.get('summary', action_id)} [{action.get('status', '?')}]")
    return lines


def progress(done: int, total: int, width: int = 30) -> None:
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
    if done == total:
        sys.stderr.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a payload .json file, or a folder of them")
    parser.add_argument("--topic", required=True, help="the platform topic, e.g. orders/create")
    parser.add_argument("--store", default="demo")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("STOREFLOW_ADMIN_TOKEN"))
    parser.add_argument("--secret", default=os.environ.get("STOREFLOW_REPLAY_SECRET") or DEMO_SECRET)
    args = parser.parse_args(argv)
    if not args.token:
        raise SystemExit("give the admin token `make run` printed: TOKEN=... (or STOREFLOW_ADMIN_TOKEN)")
    files = sorted(args.file.glob("*.json")) if args.file.is_dir() else [args.file]
    files = [f for f in files if not f.name.endswith(".headers.json")]
    if not files:
        raise SystemExit(f"no .json payloads in {args.file}")
    auth = {"Authorization": f"Bearer {args.token}"}
    status, store = call("GET", f"{args.base}/stores/{args.store}", headers=auth)
    if status != 200:
        raise SystemExit(f"store {args.store!r}: {status} {store.get('error') if store else ''}")
    out: list[str] = []
    for done, path in enumerate(files, start=1):
        body = path.read_bytes()
        delivery = f"replay-{uuid.uuid4().hex[:12]}"
        headers = headers_for(
            store["platform"], store["shop_domain"], args.topic, body, args.secret, delivery
        )
        status, answer = call("POST", f"{args.base}/webhooks/{store['platform']}/{args.store}", body, headers)
        if status != 200 or (isinstance(answer, dict) and "ignored" in answer):
            out.append(f"{path.name}: {status} {answer}")
        else:
            event, runs, actions = decisions(args.base, args.store, f"{store['platform']}:{delivery}", auth)
            out.extend(report(path.name, event, runs, actions))
        if len(files) > 1:
            progress(done, len(files))
        else:
            print("\n".join(out))
            out.clear()
    if out:
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
