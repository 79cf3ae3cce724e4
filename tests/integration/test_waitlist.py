"""The back-in-stock waitlist: `POST /stores/{id}/waitlist` signups, the restock emails (signup
order, per-unit share, once per signup), the unsubscribe link, and redaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from storekit import keys
from storekit.clock import iso
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
TRACKED_IPOD = (EVENTS / "shopify" / "products_update__tracked-ipod.json").read_bytes()
LEVEL = json.loads(load_fixture("shopify/inventory_levels_update__python-api.json")[0])  # Pink
PINK_ITEM = 808950810
PINK = "808950810"  # the variant (its inventory item has the same id in this payload)
HEADERS = {"Content-Type": "application/json"}


def deliver(api: Any, body: bytes, topic: str, delivery_id: str) -> None:
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(body, topic, delivery_id), body=body
    )
    assert answer.status_code == 200, answer.body


def level(api: Any, pump: Any, delivery: str, available: int, at: str) -> None:
    body = {**LEVEL, "inventory_item_id": PINK_ITEM, "available": available, "updated_at": at}
    deliver(api, json.dumps(body).encode(), "inventory_levels/update", delivery)
    pump.drain()


def sign_up(api: Any, email: str, variant: Any = PINK, **extra: Any) -> Any:
    body = {"email": email, "variant_id": variant, "consent": True, **extra}
    return api.http.post("/stores/demo/waitlist", headers=HEADERS, body=json.dumps(body))


def emails(api: Any) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    found = [a for a in items if a["automation"] == "back-in-stock-waitlist"]
    return sorted(found, key=lambda a: a["created_at"])


@pytest.fixture
def store(api: Any, pump: Any) -> None:
    put_store(api, automations={"back-in-stock-waitlist": {"settings": {"sender": "shop@example.com"}}})
    deliver(api, TRACKED_IPOD, "products/update", "p-1")  # Pink: 10 in stock
    pump.drain()


def test_a_signup_is_accepted_once_and_the_answer_never_tells(api: Any, store: None, runtime: Any) -> None:
    first = sign_up(api, "Ann@Example.com")
    again = sign_up(api, "ann@example.com")
    assert first.status_code == again.status_code == 202
    assert first.body == again.body
    assert first.headers.get("Access-Control-Allow-Origin") == "*"
    waiting = list(runtime.repo.waiting("demo", PINK, 0))
    assert [w["email"] for w in waiting] == ["Ann@example.com"]
    # keys hold a hash of the address, never the address
    items = runtime.repo._table.scan()["Items"]
    waitlist_keys = [
        f"{i['PK']} {i['SK']} {i.get('GSI1SK', '')}" for i in items if "WAITLIST" in str(i["PK"])
    ]
    assert len(waitlist_keys) == 2 and not any("example" in k.lower() for k in waitlist_keys)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ann@example.com", "variant_id": PINK}, "consent: required"),
        ({"email": "ann@example.com", "variant_id": PINK, "consent": False}, "consent: must be true"),
        ({"email": "ann@example.com", "variant_id": PINK, "consent": "yes"}, "consent"),
        ({"email": "not-an-address", "variant_id": PINK, "consent": True}, "email"),
        ({"variant_id": PINK, "consent": True}, "email: required"),
        ({"email": "ann@example.com", "consent": True}, "variant_id: required"),
        ({"email": "ann@example.com", "variant_id": "../x", "consent": True}, "variant_id"),
        ({"email": "ann@example.com", "variant_id": PINK, "consent": True, "name": "Ann"}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    api: Any, store: None, runtime: Any, body: Any, field: str
) -> None:
    answer = api.http.post("/stores/demo/waitlist", headers=HEADERS, body=json.dumps(body))
    assert answer.status_code == 400, answer.body
    assert field in body_json(answer)["error"]
    assert list(runtime.repo.waiting("demo", PINK, 0)) == []


def test_not_json_and_unknown_variants_and_stores_are_clear(api: Any, store: None) -> None:
    assert api.http.post("/stores/demo/waitlist", headers=HEADERS, body="{nope").status_code == 400
    unknown = sign_up(api, "ann@example.com", variant=123)
    assert unknown.status_code == 404
    assert "variant_id: no variant 123" in body_json(unknown)["error"]
    assert sign_up(api, "ann@example.com", variant=int(PINK)).status_code == 202  # a number is fine
    nobody = api.http.post(
        "/stores/nobody/waitlist", headers=HEADERS, body=json.dumps({"email": "a@b.co", "variant_id": PINK})
    )
    assert nobody.status_code == 404


def test_a_store_that_turned_the_waitlist_off_takes_no_signups(api: Any, pump: Any) -> None:
    put_store(api, automations={"back-in-stock-waitlist": {"enabled": False}})
    assert sign_up(api, "ann@example.com").status_code == 404


def test_a_bot_runs_into_the_rate_limiter(api: Any, store: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.7")
    statuses = [sign_up(api, f"bot{n}@example.com").status_code for n in range(33)]
    assert statuses[:30] == [202] * 30
    assert set(statuses[30:]) == {429}
    answer = sign_up(api, "late@example.com")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1


def test_restock_emails_in_signup_order_three_per_unit_then_the_rest(
    api: Any, pump: Any, store: None, runtime: Any, clock: Any
) -> None:
    shoppers = [f"s{n}@example.com" for n in range(8)]
    for email in shoppers:
        assert sign_up(api, email).status_code == 202
        clock.advance(seconds=5)
    assert sign_up(api, "s0@example.com").status_code == 202  # a repeat keeps its place
    level(api, pump, "l-0", 0, "2026-11-24T11:00:00Z")
    assert emails(api) == []
    level(api, pump, "l-1", 2, "2026-11-24T11:01:00Z")  # back: 2 units -> 6 shoppers
    first = emails(api)
    assert len(first) == 6
    assert [a["target"] for a in first] == ["email:s***@example.com"] * 6
    sent_to = [runtime.repo.waitlist_entry("demo", PINK, keys.email_digest("demo", e)) for e in shoppers]
    assert all(sent_to)
    assert sorted(_recipients(runtime, first)) == shoppers[:6]  # the first six to sign up
    [run] = [
        r
        for r in body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
        if r["automation"] == "back-in-stock-waitlist" and r["action_ids"]
    ]
    assert "the rest at the next restock" in run["reason"]
    level(api, pump, "l-1b", 2, "2026-11-24T11:01:00Z")  # the same update again
    level(api, pump, "l-2", 5, "2026-11-24T11:02:00Z")  # more stock: not a restock
    assert len(emails(api)) == 6
    level(api, pump, "l-3", 0, "2026-11-24T11:03:00Z")
    level(api, pump, "l-4", 1, "2026-11-24T11:04:00Z")  # next restock: the two still waiting
    second = emails(api)[6:]
    assert sorted(_recipients(runtime, second)) == shoppers[6:]
    level(api, pump, "l-5", 0, "2026-11-24T11:05:00Z")
    level(api, pump, "l-6", 9, "2026-11-24T11:06:00Z")  # everyone was told once: nobody again
    assert len(emails(api)) == 8


def _recipients(runtime: Any, actions: list[dict[str, Any]]) -> list[str]:
    out = []
    for action in actions:
        item = runtime.repo._table.get_item(Key=keys.action("demo", action["action_id"]))["Item"]
        data = json.loads(item["action"]) if isinstance(item["action"], str) else item["action"]
        out.append(data["to"])
    return out


def test_the_email_carries_an_unsubscribe_link_that_takes_the_shopper_off(
    api: Any, pump: Any, store: None, runtime: Any, clock: Any
) -> None:
    for email in ("ann@example.com", "bob@example.com"):
        sign_up(api, email)
        clock.advance(seconds=1)
    level(api, pump, "l-0", 0, "2026-11-24T11:00:00Z")
    level(api, pump, "l-1", 1, "2026-11-24T11:01:00Z")
    sent = emails(api)
    [to_ann] = [a for a, to in zip(sent, _recipients(runtime, sent), strict=True) if to == "ann@example.com"]
    preview = body_json(api.http.get(f"/stores/demo/actions/{to_ann['action_id']}", headers=AUTH))["preview"]
    text = json.dumps(preview)
    assert "back in stock" in text and "/products/ipod-nano?variant=808950810" in text
    link = text.split("http://127.0.0.1:8000/u/")[1].split('"')[0].split("\\n")[0].split(" ")[0]
    answer = api.http.get(f"/u/{link}")
    assert answer.status_code == 200 and b"left the waitlist" in answer.body
    assert api.http.get(f"/u/{link}").status_code == 200  # again: fine, nothing changes
    left = [w["email"] for w in runtime.repo.waiting("demo", PINK, 0)]
    assert left == ["bob@example.com"]


def test_customer_redact_and_shop_redact_delete_signups(
    api: Any, pump: Any, store: None, runtime: Any
) -> None:
    sign_up(api, "ann@example.com")
    sign_up(api, "bob@example.com")
    redact = {
        "shop_id": 1,
        "shop_domain": "demo-shop.myshopify.com",
        "customer": {"id": 1, "email": "ANN@example.com", "phone": None},
        "orders_to_redact": [],
    }
    deliver(api, json.dumps(redact).encode(), "customers/redact", "r-1")
    pump.drain()
    assert [w["email"] for w in runtime.repo.waiting("demo", PINK, 0)] == ["bob@example.com"]
    digest = keys.email_digest("demo", "ann@example.com")
    assert runtime.repo._table.get_item(Key=keys.waitlister("demo", digest, PINK)).get("Item") is None
    body = json.dumps({"shop_id": 1, "shop_domain": "demo-shop.myshopify.com"}).encode()
    deliver(api, body, "shop/redact", "s-1")
    pump.drain()
    assert list(runtime.repo.waiting("demo", PINK, 0)) == []


def test_a_repeat_signup_keeps_the_entry_and_its_redaction_index_alike(
    api: Any, pump: Any, store: None, runtime: Any, clock: Any
) -> None:
    """The index customers/redact finds an address's entries by must not expire before the entry: a
    shopper emailed about a restock who signs up again (a new signup) keeps both for keep_days."""
    assert sign_up(api, "ann@example.com").status_code == 202
    level(api, pump, "l-0", 0, "2026-11-24T11:00:00Z")
    level(api, pump, "l-1", 1, "2026-11-24T11:01:00Z")
    assert len(emails(api)) == 1
    clock.advance(days=3)
    assert sign_up(api, "ann@example.com").status_code == 202  # emailed: a new signup
    digest = keys.email_digest("demo", "ann@example.com")
    entry = runtime.table.get_item(Key=keys.waitlist_entry("demo", PINK, digest))["Item"]
    index = runtime.table.get_item(Key=keys.waitlister("demo", digest, PINK))["Item"]
    assert entry["signed_at"] == iso(clock.now())
    assert entry["expires_at"] == index["expires_at"] > int(clock.now().timestamp())
