"""Marketing flows end to end (signed webhooks -> stream -> automations -> executor, dry-run):
abandoned-checkout reminders never reach a buyer and never repeat for a cart; consent, one-click
opt-out, frequency cap and holdout; open/click tracking and attribution into the flow counters."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from functions.customers.flows import ABANDONED_CHECKOUT, WELCOME
from functions.customers.marketing import in_holdout
from functions.engine.perform import render
from functions.engine.sweep import sweep
from functions.links.handlers import PIXEL
from storekit import keys
from storekit.actions import action_from_json
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers

pytestmark = pytest.mark.integration

BASE = "http://127.0.0.1:8000"
CHECKOUT = json.loads(load_fixture("shopify/checkouts_create__python-api-checkout.json")[0])
ORDER = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
CUSTOMER = json.loads(load_fixture("shopify/customers_create__python-api-customer.json")[0])
SENDER = "hello@demo-shop.example"
EMAIL = "bob.norman@hostmail.com"  # the fixtures' shopper (checkout, order and customer)


def flows(**settings: dict[str, Any]) -> dict[str, Any]:
    """Automation settings: every flow sends from the store's sender, plus `settings` per flow."""
    names = (WELCOME, ABANDONED_CHECKOUT)
    return {name: {"settings": {"sender": SENDER, **settings.get(name, {})}} for name in names}


def deliver(api: Any, data: dict[str, Any], topic: str, delivery_id: str) -> None:
    body = json.dumps(data).encode()
    answer = api.http.post(
        "/webhooks/shopify/demo",
        headers=shopify_headers(body, topic, delivery_id, shop=shop_of("demo")),
        body=body,
    )
    assert answer.status_code == 200, answer.body


def actions(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/actions?limit=500", headers=AUTH))["items"]
    return [a for a in items if a["automation"] == automation]


def runs(api: Any, automation: str) -> list[dict[str, Any]]:
    items = body_json(api.http.get("/stores/demo/runs?limit=500", headers=AUTH))["items"]
    return [r for r in items if r["automation"] == automation]


def emails(api: Any, automation: str) -> list[dict[str, Any]]:
    return [a for a in actions(api, automation) if a["kind"] == "send_email"]


def abandoned(runtime: Any, **changes: Any) -> dict[str, Any]:
    """The real checkout, started now, by a shopper who accepted marketing."""
    now = runtime.clock.now().isoformat()
    return {**CHECKOUT, "buyer_accepts_marketing": True, "created_at": now, "updated_at": now, **changes}


def order_now(runtime: Any, **changes: Any) -> dict[str, Any]:
    now = runtime.clock.now().isoformat()
    return {**ORDER, "created_at": now, "updated_at": now, **changes}


def later(clock: Any, runtime: Any, pump: Any, **delta: float) -> None:
    pump.drain()
    clock.advance(**delta)
    for _ in range(2):
        sweep(runtime)
    pump.drain()


def test_a_cart_gets_each_reminder_once_however_often_it_is_updated(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    deliver(api, abandoned(runtime), "checkouts/update", "c-2")
    # a new checkout of the same cart (the shopper came back): still the same reminders
    deliver(api, abandoned(runtime, token="3b7c0f2d9e1a4c5b6d7e8f9a0b1c2d3e"), "checkouts/update", "c-3")
    pump.drain()
    jobs = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert sorted(j["due_at"] for j in jobs if j["kind"] == ABANDONED_CHECKOUT) == [
        "2026-11-24T13:00:00.000000Z",
        "2026-11-25T12:00:00.000000Z",
    ]
    later(clock, runtime, pump, hours=1, minutes=1)
    [first] = emails(api, ABANDONED_CHECKOUT)
    assert first["status"] == "planned"
    assert first["target"] == "email:b***@hostmail.com"
    later(clock, runtime, pump, hours=23)
    later(clock, runtime, pump, hours=1)
    assert len(emails(api, ABANDONED_CHECKOUT)) == 1  # the 24 h one is capped (1 a day) ...
    assert any("frequency cap" in (r.get("reason") or "") for r in runs(api, ABANDONED_CHECKOUT))


def test_an_order_cancels_the_reminders_whatever_the_webhook_order(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    pump.drain()
    clock.advance(minutes=20)
    deliver(api, order_now(runtime), "orders/create", "o-1")  # same cart token
    later(clock, runtime, pump, hours=2)
    later(clock, runtime, pump, hours=23)
    assert emails(api, ABANDONED_CHECKOUT) == []
    reasons = [r.get("reason") or "" for r in runs(api, ABANDONED_CHECKOUT)]
    assert sum("reminder cancelled" in r for r in reasons) == 2
    # and a late checkouts/update of the bought cart files nothing new
    deliver(api, abandoned(runtime), "checkouts/update", "c-late")
    pump.drain()
    assert any(
        "already came from this checkout" in (r.get("reason") or "") for r in runs(api, ABANDONED_CHECKOUT)
    )


def test_an_order_that_arrived_first_means_no_reminder_at_all(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, order_now(runtime, checkout_token=CHECKOUT["token"]), "orders/create", "o-1")
    pump.drain()
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    later(clock, runtime, pump, hours=25)
    assert actions(api, ABANDONED_CHECKOUT) == []
    [run] = runs(api, ABANDONED_CHECKOUT)
    assert run["reason"] == "order 450789469 already came from this checkout: no reminder"


def test_an_order_by_the_same_email_ends_the_flow(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    pump.drain()
    clock.advance(minutes=5)
    # another device: no checkout or cart token in common, the same email
    deliver(api, order_now(runtime, cart_token=None, id=450789470, name="#1002"), "orders/create", "o-2")
    later(clock, runtime, pump, hours=2)
    assert emails(api, ABANDONED_CHECKOUT) == []
    reasons = [r.get("reason") or "" for r in runs(api, ABANDONED_CHECKOUT)]
    assert "the shopper ordered (same email) since the checkout: reminder cancelled" in reasons


def test_no_reminder_without_marketing_consent(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime, buyer_accepts_marketing=False), "checkouts/create", "c-1")
    later(clock, runtime, pump, hours=2)
    assert actions(api, ABANDONED_CHECKOUT) == []
    assert "did not accept marketing" in runs(api, ABANDONED_CHECKOUT)[0]["reason"]


def welcome_customer(**changes: Any) -> dict[str, Any]:
    return {**CUSTOMER, "orders_count": 0, "accepts_marketing": True, **changes}


def test_welcome_sends_a_unique_code_with_unsubscribe_and_tracking(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api, automations=flows(**{WELCOME: {"shop_url": "https://demo-shop.example/"}}))
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    pump.drain()
    planned = actions(api, WELCOME)
    assert sorted(a["kind"] for a in planned) == ["create_discount_code", "send_email"]
    code = next(a for a in planned if a["kind"] == "create_discount_code")
    assert code["target"].startswith("discount:WELCOME-")
    store = runtime.store("demo")
    email = next(a for a in planned if a["kind"] == "send_email")
    detail = body_json(api.http.get(f"/stores/demo/actions/{email['action_id']}", headers=AUTH))
    preview = detail["preview"]
    assert "error" not in preview, preview
    assert code["target"].removeprefix("discount:") in preview["text"]
    assert f"{BASE}/u/" in preview["text"]  # one-click unsubscribe
    assert f"{BASE}/t/c/" in preview["text"]  # the shop link is a signed click redirect
    assert f'src="{BASE}/t/o/' in preview["html"]  # open pixel
    assert store is not None


def test_no_welcome_without_consent(api: Any, pump: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, welcome_customer(accepts_marketing=False), "customers/create", "cu-1")
    pump.drain()
    assert actions(api, WELCOME) == []
    assert "does not accept email marketing" in runs(api, WELCOME)[0]["reason"]


def _email_of(api: Any, runtime: Any, automation: str) -> Any:
    [planned] = emails(api, automation)
    item = runtime.repo.get_action("demo", planned["action_id"])
    action = action_from_json(item.action)
    return render(action, runtime.store("demo"), runtime)


def test_one_click_unsubscribe_wins_over_platform_consent_until_resubscribed(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    pump.drain()
    message = _email_of(api, runtime, WELCOME)
    link = message.text.split(f"Unsubscribe: {BASE}")[1].split()[0]
    answer = api.http.get(link)
    assert answer.status_code == 200 and b"no more marketing" in answer.body
    assert api.http.get(link).status_code == 200  # a mail scanner opening it again: same answer
    # the platform still says "subscribed": the opt-out wins
    deliver(api, welcome_customer(updated_at="2026-11-24T13:00:00Z"), "customers/update", "cu-2")
    clock.advance(days=3)
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    later(clock, runtime, pump, hours=2)
    assert emails(api, ABANDONED_CHECKOUT) == []
    assert any("unsubscribed" in (r.get("reason") or "") for r in runs(api, ABANDONED_CHECKOUT))
    # consent withdrawn, then given again at the store: subscribed again
    deliver(
        api,
        welcome_customer(accepts_marketing=False, updated_at="2026-11-27T10:00:00Z"),
        "customers/update",
        "cu-3",
    )
    deliver(api, welcome_customer(updated_at="2026-11-27T11:00:00Z"), "customers/update", "cu-4")
    pump.drain()
    digest = keys.contact_digest("demo", EMAIL)
    assert "opted_out_at" not in runtime.repo.marketing_contact("demo", digest)


def test_holdout_customers_get_nothing_and_are_counted(api: Any, pump: Any, runtime: Any) -> None:
    held = next(str(n) for n in range(207119551, 207119651) if in_holdout("demo", WELCOME, str(n), 50))
    put_store(api, automations=flows(**{WELCOME: {"holdout_percent": 50}}))
    deliver(api, welcome_customer(id=int(held)), "customers/create", "cu-1")
    deliver(api, welcome_customer(id=int(held)), "customers/create", "cu-1-again")  # repeated
    pump.drain()
    assert actions(api, WELCOME) == []
    assert "holdout group (50%)" in runs(api, WELCOME)[0]["reason"]
    counts = runtime.repo.flow_counts("demo", "2026-11-24", "2026-11-24")
    assert [(flow, metric, int(v)) for _, flow, metric, v in counts] == [(WELCOME, "holdouts", 1)]


def test_opens_clicks_and_a_click_attributed_order_reach_the_flow_counters(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    later(clock, runtime, pump, hours=1, minutes=1)
    message = _email_of(api, runtime, ABANDONED_CHECKOUT)
    pixel = message.html.split(f'src="{BASE}')[1].split('"')[0]
    answer = api.http.get(pixel, headers={"Accept": "image/avif,image/webp,*/*;q=0.8"})
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/gif"
    click = message.text.split(f"Finish your order: {BASE}")[1].split()[0]
    answer = api.http.get(click)
    assert answer.status_code == 302
    assert answer.headers["Location"] == CHECKOUT["abandoned_checkout_url"]  # the target inside the token
    tampered = click[:-3] + ("AAA" if not click.endswith("AAA") else "BBB")
    assert api.http.get(tampered).status_code == 404
    clock.advance(days=2)
    deliver(api, order_now(runtime), "orders/create", "o-1")
    deliver(api, order_now(runtime), "orders/create", "o-1-again")
    pump.drain()
    counts = {
        (flow, metric): v
        for _, flow, metric, v in runtime.repo.flow_counts("demo", "2026-11-24", "2026-11-26")
    }
    assert counts == {
        (ABANDONED_CHECKOUT, "sends"): 1,
        (ABANDONED_CHECKOUT, "opens"): 1,
        (ABANDONED_CHECKOUT, "clicks"): 1,
        (ABANDONED_CHECKOUT, "conversions"): 1,
        (ABANDONED_CHECKOUT, "revenue"): Decimal("409.94"),
    }


def test_customers_redact_keeps_only_the_opt_out(api: Any, pump: Any, runtime: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    pump.drain()
    message = _email_of(api, runtime, WELCOME)
    assert api.http.get(message.text.split(f"Unsubscribe: {BASE}")[1].split()[0]).status_code == 200
    digest = keys.contact_digest("demo", EMAIL)
    assert runtime.repo.marketing_contact("demo", digest).get("sends")
    redact = {
        "shop_id": 1,
        "shop_domain": shop_of("demo"),
        "customer": {"id": CUSTOMER["id"], "email": EMAIL},
        "orders_to_redact": [],
    }
    deliver(api, redact, "customers/redact", "r-1")
    pump.drain()
    kept = runtime.repo.marketing_contact("demo", digest)
    assert set(kept) == {"PK", "SK", "type", "GSI2PK", "GSI2SK", "opted_out_at"}
    assert runtime.repo.customer_profile("demo", str(CUSTOMER["id"])) == {}


def test_a_click_link_never_redirects_outside_http_and_a_bad_pixel_counts_nothing(
    api: Any, runtime: Any
) -> None:
    from storekit.links import LinkClaims

    put_store(api, automations=flows())
    sneaky = runtime.link_url(
        LinkClaims(purpose="c", store_id="demo", kind="flow", data={"f": WELCOME, "u": "javascript:alert(1)"})
    )
    assert api.http.get(sneaky.removeprefix(BASE)).status_code == 404
    opened = api.http.get("/t/o/not-a-token", headers={"Accept": "image/webp,*/*"})
    assert opened.status_code == 200 and opened.headers["Content-Type"] == "image/gif"
    assert opened.body == PIXEL
    assert api.http.get("/t/o/not-a-token").status_code == 204  # no Accept: no binary body
    # an open link is not a click link (purpose is signed)
    pixel = runtime.link_url(LinkClaims(purpose="o", store_id="demo", kind="flow", data={"f": WELCOME}))
    assert api.http.get(pixel.removeprefix(BASE).replace("/t/o/", "/t/c/")).status_code == 404
    assert [(f, m) for _, f, m, _ in runtime.repo.flow_counts("demo", "2026-11-24", "2026-11-24")] == [
        (WELCOME, "clicks")
    ]


def test_loyalty_tier_goes_up_with_spend_and_down_with_a_refund(api: Any, pump: Any, runtime: Any) -> None:
    put_store(
        api, automations={"loyalty-tiers": {"settings": {"tiers": [{"name": "vip", "min_spend": "500"}]}}}
    )
    deliver(api, order_now(runtime), "orders/create", "o-1")  # 409.94
    pump.drain()
    deliver(api, order_now(runtime, id=450789470, name="#1002"), "orders/create", "o-2")  # 819.88
    deliver(api, order_now(runtime, id=450789470, name="#1002"), "orders/create", "o-2-again")
    pump.drain()
    profile = runtime.repo.customer_profile("demo", str(ORDER["customer"]["id"]))
    assert profile["spend"] == Decimal("819.88") and profile["orders"] == 2
    tagged = [a for a in actions(api, "loyalty-tiers") if a["kind"] == "add_tags"]
    assert [a["summary"] for a in tagged] == ["add tags tier:vip to customer 207119551"]
    refund = json.loads(load_fixture("shopify/refunds_create__python-api-refund.json")[0])
    refund = {
        **refund,
        "order_id": 450789470,
        "transactions": [{**t, "amount": "400.00"} for t in refund.get("transactions", [])],
    }
    deliver(api, refund, "refunds/create", "r-1")
    pump.drain()
    profile = runtime.repo.customer_profile("demo", str(ORDER["customer"]["id"]))
    assert profile["spend"] < 500
    removed = [a for a in actions(api, "loyalty-tiers") if a["kind"] == "remove_tags"]
    assert [a["summary"] for a in removed] == ["remove tags tier:vip from customer 207119551"]


def test_a_woocommerce_birthday_offer_goes_at_ten_local_time_with_consent_from_the_meta_key(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    from tests.support import woo_headers

    put_store(
        api,
        platform="woocommerce",
        automations={
            "marketing-rules": {"settings": {"woo_consent_meta_key": "newsletter"}},
            "birthday-offers": {"settings": {"birthday_key": "birthday", "sender": SENDER}},
        },
    )
    raw = json.loads(load_fixture("woocommerce/customer_created__rest-api-docs.json")[0])
    raw["meta_data"] = [
        {"id": 1, "key": "birthday", "value": "1990-11-26"},
        {"id": 2, "key": "newsletter", "value": "yes"},
    ]
    body = json.dumps(raw).encode()
    answer = api.http.post(
        "/webhooks/woocommerce/demo", headers=woo_headers(body, "customer.created", "w-1"), body=body
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    [job] = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert job["due_at"] == "2026-11-26T09:00:00.000000Z"  # 10:00 in Berlin, on the day
    later(clock, runtime, pump, days=2)
    sent = [a for a in actions(api, "birthday-offers") if a["kind"] != "schedule_job"]
    assert sorted(a["kind"] for a in sent) == ["create_discount_code", "send_email"]
    assert next(a for a in sent if a["kind"] == "create_discount_code")["target"].startswith("discount:GIFT-")
    jobs = body_json(api.http.get("/stores/demo/schedules", headers=AUTH))["items"]
    assert "2027-11-26T09:00:00.000000Z" in {j["due_at"] for j in jobs}  # next year's


class ReadLog:
    """Items each DynamoDB read asks for (GetItem: 1, BatchGetItem: its keys, Query: counted apart)."""

    def __init__(self, table: Any) -> None:
        self._events = table.meta.client.meta.events
        self.items = 0
        self.queries = 0

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        request = json.loads(params["body"])
        if model.name == "GetItem":
            self.items += 1
        elif model.name == "BatchGetItem":
            self.items += sum(len(table["Keys"]) for table in request["RequestItems"].values())
        elif model.name == "Query":
            self.queries += 1

    def __enter__(self) -> ReadLog:
        self._events.register("before-call.dynamodb", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        self._events.unregister("before-call.dynamodb", self._record)


@pytest.mark.parametrize(
    "automation", [ABANDONED_CHECKOUT, "win-back", "post-purchase-thank-you", "birthday-offers"]
)
def test_deciding_a_flow_step_reads_at_most_three_items(api: Any, runtime: Any, automation: str) -> None:
    from storekit.automation import Reader
    from tests.unit.test_run_reasons import job

    put_store(api, automations=flows())
    registry = runtime.registry
    flow = registry.get(automation)
    due = job(
        automation,
        checkout_token=CHECKOUT["token"],
        cart_token=CHECKOUT["cart_token"],
        email=EMAIL,
        order_id="450789469",
        customer_id="207119551",
        ordered_at="2026-08-01T00:00:00Z",
    )
    with ReadLog(runtime.table) as log:
        flow.load_due(due, Reader("demo", runtime.repo, runtime.archive))
    assert 1 <= log.items <= 3 and log.queries == 0, (log.items, log.queries)


def test_crm_sync_pushes_each_customer_change_once_signed_and_retries_a_429(
    api: Any, pump: Any, runtime: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import hashlib
    import hmac

    import responses

    from storekit.clients import webhook

    hook = "https://crm.example.com/hooks/storeflow"
    monkeypatch.setattr(webhook, "resolve_host", lambda *_, **__: [(2, 1, 6, "", ("93.184.215.14", 443))])
    put_store(
        api,
        mode="live",
        outbound_webhook_secret="whsec_crm_test_secret",
        automations={"crm-sync": {"settings": {"webhook_url": hook}}},
    )
    changed = welcome_customer(tags="tier:vip, history:repeat", updated_at="2026-11-24T11:00:00Z")
    with responses.RequestsMock() as mock:
        mock.post(hook, status=429, headers={"Retry-After": "60"})
        mock.post(hook, status=200, body="{}")
        deliver(api, changed, "customers/update", "cu-1")
        deliver(api, changed, "customers/update", "cu-1-again")  # the same change delivered twice
        pump.drain()
        [pushed] = actions(api, "crm-sync")
        assert pushed["status"] == "retrying"
        later(clock, runtime, pump, minutes=2)
        assert [c.response.status_code for c in mock.calls] == [429, 200]
        sent = mock.calls[1].request
    [pushed] = actions(api, "crm-sync")
    assert pushed["status"] == "done"
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    expected = base64.b64encode(hmac.new(b"whsec_crm_test_secret", body, hashlib.sha256).digest()).decode()
    assert sent.headers["X-Storeflow-Signature"] == expected
    assert sent.headers["X-Storeflow-Event"] == "customer.updated"
    event = json.loads(body)
    assert event["customer"]["tags"] == ["tier:vip", "history:repeat"] and event["store_id"] == "demo"
    detail = body_json(api.http.get(f"/stores/demo/actions/{pushed['action_id']}", headers=AUTH))
    assert "whsec" not in json.dumps(detail)  # the secret is never shown


CART = json.loads(load_fixture("shopify/carts_update__hookdeck-2024-10.json")[0])


def cart_update(runtime: Any, token: str, **changes: Any) -> dict[str, Any]:
    """The real carts/update (no customer in it), as the cart of the fixtures' checkout, changed now."""
    now = runtime.clock.now().isoformat()
    return {**CART, "id": token, "token": token, "updated_at": now, **changes}


def test_a_cart_update_is_matched_to_its_checkout_shopper_and_moves_the_reminder(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    pump.drain()
    clock.advance(minutes=50)  # the shopper is back, adding T-shirts to the same cart
    deliver(api, cart_update(runtime, CHECKOUT["cart_token"]), "carts/update", "cart-1")
    later(clock, runtime, pump, minutes=15)  # 1 h 05 after the checkout: the shopper was active at 0:50
    assert emails(api, ABANDONED_CHECKOUT) == []
    assert any("changed the cart" in (r.get("reason") or "") for r in runs(api, ABANDONED_CHECKOUT))
    later(clock, runtime, pump, hours=1)  # 1 h after the cart change
    email = _email_of(api, runtime, ABANDONED_CHECKOUT)
    assert "Example T-Shirt - Small" in email.text  # the cart's newest items, not the checkout's
    later(clock, runtime, pump, hours=1)
    assert len(emails(api, ABANDONED_CHECKOUT)) == 1  # the first reminder went once


def test_a_cart_update_of_an_unknown_shopper_decides_nothing_and_says_why(api: Any, pump: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, CART, "carts/update", "cart-unknown")
    pump.drain()
    [run] = runs(api, ABANDONED_CHECKOUT)
    assert "shopper is unknown" in run["reason"]
    assert actions(api, ABANDONED_CHECKOUT) == []


def test_a_cart_update_after_its_order_sends_nothing(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    put_store(api, automations=flows())
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    deliver(api, order_now(runtime, email=EMAIL), "orders/create", "o-1")
    deliver(api, cart_update(runtime, CHECKOUT["cart_token"]), "carts/update", "cart-1")
    later(clock, runtime, pump, hours=30)
    assert emails(api, ABANDONED_CHECKOUT) == []


def test_a_flow_can_send_through_the_signed_webhook_alone_and_it_counts_toward_the_cap(
    api: Any, pump: Any, runtime: Any
) -> None:
    hook = "https://push.example.com/storeflow"
    put_store(api, automations=flows(**{WELCOME: {"email": False, "webhook_url": hook}}))
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    pump.drain()
    planned = actions(api, WELCOME)
    assert sorted(a["kind"] for a in planned) == ["create_discount_code", "post_webhook"]
    [push] = [a for a in planned if a["kind"] == "post_webhook"]
    detail = body_json(api.http.get(f"/stores/demo/actions/{push['action_id']}", headers=AUTH))
    body = detail["preview"]["body"]
    assert (detail["preview"]["url"], body["event"], body["flow"]) == (hook, "flow.message", WELCOME)
    assert body["customer"]["email"] == EMAIL and body["message"]["code"].startswith("WELCOME-")
    assert body["also_sent"] == []
    contact = runtime.repo.marketing_contact("demo", keys.contact_digest("demo", EMAIL))
    assert len(contact["sends"]) == 1  # the push was the message: it counts toward the cap


def test_the_webhook_channel_needs_marketing_consent(api: Any, pump: Any) -> None:
    hook = "https://push.example.com/storeflow"
    put_store(api, automations=flows(**{WELCOME: {"email": False, "webhook_url": hook}}))
    deliver(api, welcome_customer(accepts_marketing=False), "customers/create", "cu-1")
    pump.drain()
    assert actions(api, WELCOME) == []
    [run] = runs(api, WELCOME)
    assert "no marketing consent for the webhook channel" in run["reason"]


def test_two_flows_deciding_in_the_same_moment_send_one_message_under_the_daily_cap(
    api: Any, pump: Any, runtime: Any
) -> None:
    from functions.customers.loyalty import NAME as LOYALTY

    automations = flows()
    automations[LOYALTY] = {
        "enabled": True,
        "settings": {"sender": SENDER, "tiers": [{"name": "vip", "min_spend": "100"}]},
    }
    put_store(api, automations=automations)
    # both decided before either message goes: each sees an empty cap when it decides
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    deliver(api, order_now(runtime, buyer_accepts_marketing=True), "orders/create", "o-1")
    pump.drain()
    sent = [a for name in (WELCOME, LOYALTY) for a in emails(api, name)]
    assert len(sent) == 2, sent  # two flows decided a message ...
    assert sorted(a["status"] for a in sent) == ["failed", "planned"]  # ... one went: 1 a day
    [refused] = [a for a in sent if a["status"] == "failed"]
    assert "frequency cap" in refused["reason"] and "when it was to go" in refused["reason"]
    contact = runtime.repo.marketing_contact("demo", keys.contact_digest("demo", EMAIL))
    assert len(contact["sends"]) == 1
