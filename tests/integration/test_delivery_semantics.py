"""At-least-once delivery, any order (issue 17, item 2): every webhook payload in the repository
delivered three times, each time under a new delivery id (as WooCommerce does with `order.created`,
woocommerce/woocommerce#28329, and as any platform retry can), in a shuffled order, leaves exactly
the actions and due jobs that delivering each once, in order, leaves: nothing twice, nothing lost.

Stores of one moto table take the deliveries (one the single in-order delivery, one per shuffle);
each lists what the automations decided (automation, kind, target, what it does) and the jobs they
filed. Privacy topics are left out:
a redact deletes what the others made, so its result depends on the order by design."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from functions.engine.sweep import sweep
from storekit.signatures import sign
from tests.payloads import fixture_files, topic_for
from tests.support import SECRET, listed, put_store, shopify_headers, woo_headers

pytestmark = pytest.mark.integration

PRIVACY = {"customers/redact", "customers/data_request", "shop/redact", "app/uninstalled"}


def payloads(platform: str) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for path in fixture_files():
        kind, topic = topic_for(path)
        if kind == platform and topic not in PRIVACY:
            found.append((topic, Path(path).read_bytes()))
    return found


def deliver(api: Any, platform: str, store_id: str, topic: str, body: bytes, delivery_id: str) -> None:
    if platform == "shopify":
        headers = shopify_headers(body, topic, delivery_id, shop=f"{store_id}-shop.myshopify.com")
    else:
        headers = woo_headers(body, topic, delivery_id) | {
            "X-WC-Webhook-Source": f"https://{store_id}.woo.example/",
            "X-WC-Webhook-Signature": sign(body, SECRET),
        }
    answer = api.http.post(f"/webhooks/{platform}/{store_id}", headers=headers, body=body)
    assert answer.status_code == 200, (topic, answer.body)


def decided(api: Any, store_id: str) -> Counter[tuple[str, ...]]:
    """What the store's automations did (messages, changes) and still have filed for later. Internal
    waits (a shipment waiting for its order) may or may not be needed, depending on the order of
    arrival, so their jobs count only by what they led to."""

    def own_shop_out(text: str) -> str:
        """A message may link to the store's own admin (summaries are cut at 80 characters): the
        part from that link on differs between the two stores."""
        head, link, _ = text.partition(f"https://{store_id}")
        return head + ("<the store's own link>" if link else "")

    actions = Counter(
        (a["automation"], a["kind"], a["target"], own_shop_out(a.get("summary", "")))
        for a in listed(api, store_id, "actions")
        if a["kind"] != "schedule_job"
    )
    pending = Counter(
        (j["kind"], j["due_at"]) for j in listed(api, store_id, "schedules") if j["status"] == "pending"
    )
    return actions + Counter({("job", *key): n for key, n in pending.items()})


def open_store(api: Any, platform: str, store_id: str) -> None:
    if platform == "shopify":
        put_store(api, store_id)
    else:
        put_store(api, store_id, platform="woocommerce", shop_domain=f"https://{store_id}.woo.example")


#: shuffles of the thrice-delivered payloads, each in its own store next to the one delivered once
SEEDS = (7, 2026)


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_three_shuffled_deliveries_act_exactly_like_one_in_order(
    api: Any, pump: Any, runtime: Any, clock: Any, platform: str
) -> None:
    sent = payloads(platform)
    assert len(sent) >= 6, "the repository's payloads of this platform"
    open_store(api, platform, "once")
    for n, (topic, body) in enumerate(sent):
        deliver(api, platform, "once", topic, body, f"once-{n}")
    for seed in SEEDS:
        store_id = f"thrice{seed}"
        open_store(api, platform, store_id)
        repeated = [(topic, body, n, copy) for n, (topic, body) in enumerate(sent) for copy in range(3)]
        random.Random(seed).shuffle(repeated)
        for topic, body, n, copy in repeated:
            deliver(api, platform, store_id, topic, body, f"{store_id}-{n}-{copy}")
    pump.drain(max_rounds=500)
    sweep(runtime)  # what waited for a later webhook (ten minutes at most) is decided again
    clock.advance(minutes=11)
    sweep(runtime)
    pump.drain(max_rounds=500)

    once = decided(api, "once")
    assert once, "the payloads make the automations act (dry-run: planned actions)"
    for seed in SEEDS:
        thrice = decided(api, f"thrice{seed}")
        assert thrice == once, json.dumps(
            {
                "seed": seed,
                "only_once": sorted(map(list, once - thrice)),
                "only_thrice": sorted(map(list, thrice - once)),
            },
            indent=1,
        )
