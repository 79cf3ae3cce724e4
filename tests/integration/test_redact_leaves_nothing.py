"""Issue 17 item 5: after customers/redact nothing identifying of the customer is left anywhere.

Every automation of every domain in the registry is on, the customer goes through everything that
keeps data (signup, updates, a checkout and its cart, an order, its shipment and refund, a waitlist
signup, a click and an unsubscribe, due jobs, a data export); then the customer is redacted and
EVERY item of the table (a Scan: a test, not a hot path, so no item type can hide) and every object
of the archive bucket is searched for the customer's email, phone, names, street address and id.
The second test takes one domain's `forgets` away and proves the search would catch it."""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

import pytest
from boto3.dynamodb.types import Binary

from functions.composition import build_registry
from functions.customers.crm import NAME as CRM
from functions.engine.sweep import sweep
from storekit.keys import _fraud_digest
from tests.integration.test_customer_flows import (
    BASE,
    CART,
    CHECKOUT,
    CUSTOMER,
    EMAIL,
    SENDER,
    _email_of,
    abandoned,
    deliver,
    order_now,
    welcome_customer,
)
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of

pytestmark = pytest.mark.integration

#: what identifies the fixtures' shopper (customer 207119551, Bob Norman, Chestnut Street 92)
IDENTIFIERS = {
    "email": re.compile(r"bob\.norman@hostmail\.com", re.IGNORECASE),
    "phone": re.compile(r"555-?625-?1199|15556251199"),
    "last name": re.compile(r"\bNorman\b"),
    "first name": re.compile(r"\bBob\b"),
    "street address": re.compile(r"Chestnut Street", re.IGNORECASE),
    "customer id": re.compile(r"\b207119551\b"),
    # the fraud domain keys its velocity counters and flags by a hash of the identity: pseudonymous,
    # still the customer's, so redaction deletes them and the search looks for the hash too
    "email (fraud identity hash)": re.compile(_fraud_digest("demo", "email", "bob.norman@hostmail.com")),
}
FULFILLMENT = load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0]
REFUND = load_fixture("shopify/refunds_create__python-api-refund.json")[0]
TRACKED_IPOD = load_fixture("shopify/products_update__python-api-product.json")[0]


def every_automation_on(runtime: Any) -> dict[str, Any]:
    automations: dict[str, Any] = {}
    for automation in runtime.registry.all():
        settings: dict[str, Any] = {}
        if "sender" in automation.settings_model.model_fields:
            settings["sender"] = SENDER
        automations[automation.name] = {"enabled": True, "settings": settings}
    automations[CRM]["settings"] = {"webhook_url": "https://crm.example.com/hooks", "hubspot": {}}
    automations["welcome-flow"]["settings"]["shop_url"] = "https://demo-shop.example/"
    return automations


def text_of(value: Any) -> str:
    """An item attribute as searchable text: compressed blobs opened, nested values dumped."""
    if isinstance(value, Binary):
        value = bytes(value.value)
    if isinstance(value, bytes | bytearray):
        try:
            return zlib.decompress(value).decode("utf-8", "replace")
        except zlib.error:
            return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        return " ".join(f"{k}={text_of(v)}" for k, v in value.items())
    if isinstance(value, list | set | tuple):
        return " ".join(text_of(v) for v in value)
    return str(value)


def leftovers(runtime: Any) -> list[str]:
    """Each (item, what identifies the customer in it) left in the table or the archive bucket."""
    found: list[str] = []
    scan: dict[str, Any] = {}
    while True:
        page = runtime.table.scan(**scan)
        for item in page["Items"]:
            text = " ".join(f"{name}={text_of(value)}" for name, value in item.items())
            for what, pattern in IDENTIFIERS.items():
                if pattern.search(text):
                    found.append(f"{item.get('type', '?')} {item['PK']}|{item['SK']}: {what}")
        if "LastEvaluatedKey" not in page:
            break
        scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    s3 = runtime.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for obj in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            body = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
            text = text_of(body)
            found += [f"s3 {obj['Key']}: {what}" for what, p in IDENTIFIERS.items() if p.search(text)]
    return found


def a_customer_with_everything(api: Any, pump: Any, runtime: Any, clock: Any) -> None:
    put_store(api, automations=every_automation_on(runtime), outbound_webhook_secret="whsec_test_secret")
    deliver(api, json.loads(TRACKED_IPOD), "products/update", "p-1")
    pump.drain()
    signup = {"email": EMAIL, "variant_id": "808950810", "consent": True}
    assert api.http.post(
        "/stores/demo/waitlist", headers={"Content-Type": "application/json"}, body=json.dumps(signup)
    ).status_code in (200, 201, 202)
    deliver(api, welcome_customer(), "customers/create", "cu-1")
    deliver(api, welcome_customer(tags="vip-candidate"), "customers/update", "cu-2")
    deliver(api, abandoned(runtime), "checkouts/create", "c-1")
    # another cart of theirs that never became an order: its shopper is kept until the redact
    other = abandoned(
        runtime, token="5f0c9a1b2c3d4e5f60718293a4b5c6d7", cart_token="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    )
    deliver(api, other, "checkouts/create", "c-2")
    pump.drain()
    now = runtime.clock.now().isoformat()
    deliver(
        api,
        {**CART, "id": CHECKOUT["cart_token"], "token": CHECKOUT["cart_token"], "updated_at": now},
        "carts/update",
        "cart-1",
    )
    pump.drain()
    message = _email_of(api, runtime, "welcome-flow")
    click = re.search(rf"{re.escape(BASE)}(/t/c/[^\s\"<>]+)", message.text)
    assert click is not None
    assert api.http.get(click.group(1)).status_code == 302
    unsubscribe = message.text.split(f"Unsubscribe: {BASE}")[1].split()[0]
    assert api.http.get(unsubscribe).status_code == 200
    deliver(api, order_now(runtime), "orders/create", "o-1")
    deliver(api, json.loads(FULFILLMENT), "fulfillments/create", "f-1")
    deliver(api, json.loads(REFUND), "refunds/create", "rf-1")
    pump.drain()
    clock.advance(hours=3)
    for _ in range(2):
        sweep(runtime)
    pump.drain()
    request = {
        "shop_id": 1,
        "shop_domain": shop_of("demo"),
        "orders_requested": [450789469],
        "customer": {"id": CUSTOMER["id"], "email": EMAIL},
        "data_request": {"id": 77},
    }
    deliver(api, request, "customers/data_request", "dr-1")
    pump.drain()
    assert body_json(api.http.get("/stores/demo/data-requests", headers=AUTH))["items"]
    assert leftovers(runtime)  # the customer is really all over the table before the redact


def redact(api: Any, pump: Any) -> None:
    body = {
        "shop_id": 1,
        "shop_domain": shop_of("demo"),
        "customer": {"id": CUSTOMER["id"], "email": EMAIL, "phone": "555-625-1199"},
        "orders_to_redact": [450789469],
    }
    deliver(api, body, "customers/redact", "r-1")
    pump.drain()


def test_customers_redact_leaves_nothing_identifying_in_any_item_of_any_domain(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    a_customer_with_everything(api, pump, runtime, clock)
    redact(api, pump)
    assert leftovers(runtime) == []


@pytest.mark.parametrize("dropped", [f.__name__ for f in build_registry().forgets])
def test_the_search_catches_a_domain_that_forgets_to_redact(
    api: Any, pump: Any, runtime: Any, clock: Any, monkeypatch: pytest.MonkeyPatch, dropped: str
) -> None:
    a_customer_with_everything(api, pump, runtime, clock)
    registry = runtime.registry
    monkeypatch.setattr(registry, "forgets", tuple(f for f in registry.forgets if f.__name__ != dropped))
    redact(api, pump)
    left = leftovers(runtime)
    assert left, f"without {dropped} the customer should be left somewhere"
    assert all(("WAITLIST" in line) == (dropped == "forget_signups") for line in left), left
