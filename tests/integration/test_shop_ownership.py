"""A store accepts only its own shop's deliveries (issue 9, items 1 and 2).

Two stores share one webhook secret, as every shop of a Shopify app does (the app's client
secret signs all of them): a valid signature alone must not make a delivery a store's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.webhooks.ingest import Delivery, event_item
from storekit.adapters import canonical_topic, parse_delivery
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shop_of, shopify_headers, store_body, woo_headers

pytestmark = pytest.mark.integration

ORDER = load_fixture("shopify/orders_create__2025-store-fixed-discount.json")[0]
WOO_ORDER = load_fixture("woocommerce/order_created__rest-api-docs.json")[0]


def post(api: Any, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return api.http.post(path, headers=headers, body=body)


def events(api: Any, store: str) -> list[str]:
    answer = api.http.get(f"/stores/{store}/events?limit=500", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return [e["delivery_id"] for e in body_json(answer)["items"]]


def redact_body(shop: str) -> bytes:
    return json.dumps({"shop_id": 954889, "shop_domain": shop}).encode()


@pytest.fixture
def two_stores(api: Any) -> None:
    put_store(api, "rx")
    put_store(api, "ry")


def test_shop_redact_naming_another_shop_deletes_nothing(api: Any, pump: Any, two_stores: None) -> None:
    body = redact_body(shop_of("rx"))
    answer = post(
        api, "/webhooks/shopify/ry", body, shopify_headers(body, "shop/redact", "s-1", shop=shop_of("rx"))
    )
    assert answer.status_code == 403
    assert "another shop" in body_json(answer)["error"]
    pump.drain()
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 200
    assert api.http.get("/stores/rx", headers=AUTH).status_code == 200
    assert events(api, "ry") == []


def test_shop_redact_naming_another_shop_with_this_stores_header_is_refused(
    api: Any, pump: Any, two_stores: None
) -> None:
    """The signed body names the shop; the header (not signed) cannot talk it into another store."""
    body = redact_body(shop_of("rx"))
    answer = post(
        api, "/webhooks/shopify/ry", body, shopify_headers(body, "shop/redact", "s-2", shop=shop_of("ry"))
    )
    assert answer.status_code == 403
    pump.drain()
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 200


@pytest.mark.parametrize("topic", ["shop/redact", "customers/redact", "customers/data_request"])
def test_a_signed_empty_privacy_request_deletes_nothing(
    api: Any, pump: Any, two_stores: None, topic: str
) -> None:
    answer = post(
        api, "/webhooks/shopify/ry", b"{}", shopify_headers(b"{}", topic, "s-3", shop=shop_of("ry"))
    )
    assert answer.status_code == 400
    assert "shop_domain" in body_json(answer)["error"]
    pump.drain()
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 200
    assert events(api, "ry") == []


def test_the_stores_own_shop_redact_still_deletes_it(api: Any, pump: Any, two_stores: None) -> None:
    body = redact_body(shop_of("ry").upper())  # the domain in any letter case
    answer = post(
        api, "/webhooks/shopify/ry", body, shopify_headers(body, "shop/redact", "s-4", shop=shop_of("ry"))
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 404
    assert api.http.get("/stores/rx", headers=AUTH).status_code == 200


def test_another_stores_order_reposted_is_refused_and_stored_nowhere(api: Any, two_stores: None) -> None:
    headers = shopify_headers(ORDER, "orders/create", "o-1", shop=shop_of("rx"))
    assert post(api, "/webhooks/shopify/rx", ORDER, headers).status_code == 200
    again = post(api, "/webhooks/shopify/ry", ORDER, headers)
    assert again.status_code == 403
    assert events(api, "ry") == []
    assert events(api, "rx") == ["o-1"]


@pytest.mark.parametrize("shop", ["evil.myshopify.com", "", "ry-shop.myshopify.com.evil.example"])
def test_a_foreign_or_missing_shop_header_is_refused(api: Any, two_stores: None, shop: str) -> None:
    headers = shopify_headers(ORDER, "orders/create", "o-2", shop=shop)
    if not shop:
        del headers["X-Shopify-Shop-Domain"]
    answer = post(api, "/webhooks/shopify/ry", ORDER, headers)
    assert answer.status_code == 403
    assert body_json(answer)["error"]
    assert events(api, "ry") == []


def test_a_foreign_shop_is_refused_even_for_a_topic_no_automation_uses(api: Any, two_stores: None) -> None:
    body = load_fixture("shopify/customers_create__python-api-customer.json")[0]
    answer = post(
        api,
        "/webhooks/shopify/ry",
        body,
        shopify_headers(body, "customers/create", "c-1", shop="evil.myshopify.com"),
    )
    assert answer.status_code == 403


def test_a_stored_redact_of_another_shop_is_not_carried_out(
    api: Any, pump: Any, runtime: Any, two_stores: None
) -> None:
    """Defence in depth: a shop/redact that reached the table without the ingest check (stored
    before it existed) names another shop: the engine deletes nothing."""
    body = redact_body(shop_of("rx"))
    topic = canonical_topic("shopify", "shop/redact")
    assert topic is not None
    headers = {k.lower(): v for k, v in shopify_headers(body, "shop/redact", "s-old").items()}
    delivery = Delivery(
        platform="shopify", store_id="ry", headers=headers, body=body, received_at="2026-11-24T12:00:00+00:00"
    )
    parsed = parse_delivery("shopify", topic, json.loads(body))
    assert runtime.repo.record_event(event_item(delivery, "shop/redact", "s-old", parsed, runtime))
    pump.drain()
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 200
    [event] = body_json(api.http.get("/stores/ry/events", headers=AUTH))["items"]
    assert "nothing was deleted" in (event.get("reason") or "")


# --- one shop, one store ---------------------------------------------------------------------
def test_two_stores_cannot_hold_the_same_shop(api: Any) -> None:
    put_store(api, "rx")
    answer = api.http.put(
        "/stores/ry", headers=AUTH, body=json.dumps(store_body(shop_domain=shop_of("rx").upper()))
    )
    assert answer.status_code == 409
    assert "rx" in body_json(answer)["error"]
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 404


def test_a_store_that_moves_to_another_shop_frees_its_old_one(api: Any) -> None:
    put_store(api, "rx")
    put_store(api, "rx", shop_domain="moved-shop.myshopify.com")
    put_store(api, "ry", shop_domain=shop_of("rx"))  # free again
    again = api.http.put(
        "/stores/ry", headers=AUTH, body=json.dumps(store_body(shop_domain="moved-shop.myshopify.com"))
    )
    assert again.status_code == 409


def test_a_store_saved_again_keeps_its_shop(api: Any) -> None:
    put_store(api, "rx")
    put_store(api, "rx", name="Renamed")
    body = redact_body(shop_of("rx"))
    answer = post(
        api, "/webhooks/shopify", body, shopify_headers(body, "shop/redact", "s-5", shop=shop_of("rx"))
    )
    assert answer.status_code == 200, answer.body


# --- the app-wide URL for the privacy topics --------------------------------------------------
def test_app_url_routes_a_redact_to_the_store_of_its_shop(api: Any, pump: Any, two_stores: None) -> None:
    body = redact_body(shop_of("rx"))
    answer = post(
        api, "/webhooks/shopify", body, shopify_headers(body, "shop/redact", "s-6", shop=shop_of("rx"))
    )
    assert answer.status_code == 200, answer.body
    pump.drain()
    assert api.http.get("/stores/rx", headers=AUTH).status_code == 404
    assert api.http.get("/stores/ry", headers=AUTH).status_code == 200
    # the shop is free for a new store once its old one is gone
    put_store(api, "rz", shop_domain=shop_of("rx"))


def test_app_url_routes_by_the_signed_body_not_the_header(api: Any, pump: Any, two_stores: None) -> None:
    redact = {"shop_id": 1, "shop_domain": shop_of("ry"), "customer": {"id": 5}, "orders_to_redact": []}
    body = json.dumps(redact).encode()
    answer = post(
        api, "/webhooks/shopify", body, shopify_headers(body, "customers/redact", "r-1", shop=shop_of("rx"))
    )
    assert answer.status_code == 200, answer.body
    assert events(api, "ry") == ["r-1"]
    assert events(api, "rx") == []


def test_app_url_refuses_what_it_cannot_route_or_verify(api: Any, two_stores: None) -> None:
    unknown = redact_body("nobody.myshopify.com")
    answer = post(
        api,
        "/webhooks/shopify",
        unknown,
        shopify_headers(unknown, "shop/redact", "s-7", shop="nobody.myshopify.com"),
    )
    assert answer.status_code == 404
    body = redact_body(shop_of("rx"))
    forged = post(
        api, "/webhooks/shopify", body, shopify_headers(body, "shop/redact", "s-8", secret="not-the-secret")
    )
    assert forged.status_code == 401
    order = post(
        api, "/webhooks/shopify", ORDER, shopify_headers(ORDER, "orders/create", "o-3", shop=shop_of("rx"))
    )
    assert order.status_code == 400
    assert "/webhooks/shopify/{store_id}" in body_json(order)["error"]
    assert events(api, "rx") == []


# --- WooCommerce: the delivery's source is the store's base URL ----------------------------------
@pytest.mark.parametrize(
    "source", ["https://woo.example/", "https://woo.example", "HTTPS://WOO.EXAMPLE/", "http://woo.example/"]
)
def test_woocommerce_source_of_the_store_is_accepted(api: Any, source: str) -> None:
    put_store(api, "woo", platform="woocommerce")
    headers = {**woo_headers(WOO_ORDER, "order.created", "w-1"), "X-WC-Webhook-Source": source}
    answer = post(api, "/webhooks/woocommerce/woo", WOO_ORDER, headers)
    assert answer.status_code == 200, answer.body


@pytest.mark.parametrize(
    "source",
    ["https://evil.example/", "https://woo.example/shop2/", "https://woo.example.evil.example/", None],
)
def test_woocommerce_delivery_from_another_site_is_refused(api: Any, source: str | None) -> None:
    put_store(api, "woo", platform="woocommerce")
    headers = woo_headers(WOO_ORDER, "order.created", "w-2")
    if source is None:
        del headers["X-WC-Webhook-Source"]
    else:
        headers["X-WC-Webhook-Source"] = source
    answer = post(api, "/webhooks/woocommerce/woo", WOO_ORDER, headers)
    assert answer.status_code == 403
    assert "X-WC-Webhook-Source" in body_json(answer)["error"]
    assert events(api, "woo") == []


def test_woocommerce_ping_still_gets_exactly_200(api: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    answer = api.http.post(
        "/webhooks/woocommerce/woo",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"webhook_id=12",
    )
    assert answer.status_code == 200


def test_a_foreign_delivery_queued_while_the_table_was_down_is_dropped_by_the_drainer(
    api: Any, runtime: Any, app: Any, session: Any, resources: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued before the store's shop could be read (it is checked when drained): refused then,
    stored nowhere, and not retried forever."""
    from botocore.exceptions import ClientError

    from tests.integration.test_ingest import fallback_drainer

    put_store(api, "ry")
    real_get = runtime.table.get_item

    def failing_get(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "GetItem")

    monkeypatch.setattr(runtime.table, "get_item", failing_get)
    headers = shopify_headers(ORDER, "orders/create", "o-q", shop="evil.myshopify.com")
    answer = post(api, "/webhooks/shopify/ry", ORDER, headers)
    assert body_json(answer) == {"ok": True, "queued": True}
    monkeypatch.setattr(runtime.table, "get_item", real_get)
    drainer = fallback_drainer(app, session, resources)
    assert drainer.poll_once() == 1
    counts = session.client("sqs").get_queue_attributes(
        QueueUrl=resources.fallback_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert sum(int(n) for n in counts.values()) == 0  # deleted from the queue, not retried
    assert runtime.repo.get_event_item("ry", "shopify", "o-q") is None
