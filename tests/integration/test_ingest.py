"""Webhook ingest per the DESIGN.md contract, on real payloads, against moto."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

from storekit import keys
from tests.payloads import load_fixture
from tests.support import AUTH, SECRET, body_json, put_store, shopify_headers, woo_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"


def post(
    api: Any, body: bytes, headers: dict[str, str], platform: str = "shopify", store: str = "demo"
) -> Any:
    return api.http.post(f"/webhooks/{platform}/{store}", headers=headers, body=body)


def events(api: Any, store: str = "demo") -> list[dict[str, Any]]:
    answer = api.http.get(f"/stores/{store}/events?limit=500", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return body_json(answer)["items"]


def test_signed_real_order_is_accepted_and_listed(api: Any, clock: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-1"))
    assert answer.status_code == 200
    assert body_json(answer) == {"ok": True}
    [event] = events(api)
    assert event["platform"] == "shopify"
    assert event["topic"] == "order.created"
    assert event["delivery_id"] == "d-1"
    assert event["status"] == "received"
    assert event["received_at"].startswith("2026-11-24T12:00:00")


def test_duplicate_delivery_answers_200_and_writes_nothing(api: Any, runtime: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    headers = shopify_headers(body, "orders/create", "d-dup")
    assert post(api, body, headers).status_code == 200
    before = runtime.repo.get_event_item("demo", "shopify", "d-dup")
    again = post(api, body, headers)
    assert again.status_code == 200
    assert body_json(again) == {"ok": True, "duplicate": True}
    assert len(events(api)) == 1
    assert runtime.repo.get_event_item("demo", "shopify", "d-dup") == before


def test_header_names_in_any_case_are_accepted(api: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    headers = {k.upper(): v for k, v in shopify_headers(body, "orders/create", "d-case").items()}
    assert post(api, body, headers).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h.pop("X-Shopify-Hmac-Sha256"),
        lambda h: h.update({"X-Shopify-Hmac-Sha256": "AAAA"}),
        lambda h: h.update({"X-Shopify-Hmac-Sha256": "not base64 at all"}),
    ],
    ids=["missing", "wrong", "garbage"],
)
def test_bad_or_missing_signature_is_401_and_stores_nothing(api: Any, mangle: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    headers = shopify_headers(body, "orders/create", "d-bad")
    mangle(headers)
    answer = post(api, body, headers)
    assert answer.status_code == 401
    assert "signature" in body_json(answer)["error"]
    assert events(api) == []


def test_signature_of_another_body_is_refused(api: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    headers = shopify_headers(body, "orders/create", "d-x")
    answer = post(api, body.replace(b'"currency"', b'"Currency"', 1), headers)
    assert answer.status_code == 401


def test_unknown_store_is_404(api: Any) -> None:
    body, _ = load_fixture(ORDER)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-2"), store="nobody")
    assert answer.status_code == 404
    assert "nobody" in body_json(answer)["error"]


def test_store_on_the_other_platform_is_404(api: Any) -> None:
    put_store(api)
    body, _ = load_fixture("woocommerce/order_created__rest-api-docs.json")
    answer = post(api, body, woo_headers(body, "order.created", "w-1"), platform="woocommerce")
    assert answer.status_code == 404


def test_body_over_5_mib_is_413(api: Any) -> None:
    put_store(api)
    body = b'{"id": 1, "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    answer = post(api, body, shopify_headers(body, "orders/create", "d-big"))
    assert answer.status_code == 413
    assert events(api) == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"id": "x", "line_items": "nope", "created_at": 7}',
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser's recursion limit
        b'{"id": 1, "note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["not-json", "array", "wrong-shape", "not-utf8", "nested-array", "nested-in-field"],
)
def test_malformed_body_with_valid_signature_is_400_and_stores_nothing(api: Any, body: bytes) -> None:
    put_store(api)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-bad-body"))
    assert answer.status_code == 400
    assert body_json(answer)["error"]
    assert events(api) == []
    if body.startswith(b"[" * 1000):
        assert body_json(answer)["error"] == "body is nested too deeply"


@pytest.mark.parametrize(
    "variant",
    [
        lambda body: b"\xef\xbb\xbf" + body,  # a UTF-8 byte-order mark
        lambda body: body.rstrip()[:-1] + b', "x": ' + b"[" * 300 + b"]" * 300 + b"}",  # nested 300 deep
    ],
    ids=["utf8-bom", "nested-300"],
)
def test_json_that_json_loads_reads_is_accepted_as_before(api: Any, variant: Any) -> None:
    """Ingest reads the body with pydantic's JSON reader; what that reader refuses but json.loads
    (which the dispatcher uses) reads is still accepted, exactly as json.loads would."""
    put_store(api)
    body = variant(load_fixture(ORDER)[0])
    answer = post(api, body, shopify_headers(body, "orders/create", "d-lenient"))
    assert answer.status_code == 200, answer.body
    assert body_json(answer) == {"ok": True}
    assert [e["delivery_id"] for e in events(api)] == ["d-lenient"]


def test_missing_delivery_id_or_topic_is_400(api: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    headers = shopify_headers(body, "orders/create", "d-3")
    del headers["X-Shopify-Webhook-Id"]
    assert post(api, body, headers).status_code == 400
    headers = shopify_headers(body, "orders/create", "d-3")
    del headers["X-Shopify-Topic"]
    assert post(api, body, headers).status_code == 400


def test_topic_no_automation_uses_is_ignored_and_not_stored(api: Any) -> None:
    put_store(api)
    # carts/update: no automation uses carts (customers/create now feeds the customers domain)
    body, _ = load_fixture("shopify/carts_update__hookdeck-2024-10.json")
    answer = post(api, body, shopify_headers(body, "carts/update", "c-1"))
    assert answer.status_code == 200
    assert body_json(answer) == {"ignored": "carts/update"}
    assert events(api) == []


def test_disabled_automation_makes_its_topic_ignored(api: Any, runtime: Any) -> None:
    off = {"enabled": False}
    put_store(api, automations=dict.fromkeys(runtime.registry.names(), off))
    body, _ = load_fixture(ORDER)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-off"))
    assert body_json(answer) == {"ignored": "orders/create"}


def test_woocommerce_ping_answers_200_and_stores_nothing(api: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    answer = api.http.post(
        "/webhooks/woocommerce/woo",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"webhook_id=12",
    )
    assert answer.status_code == 200
    assert events(api, "woo") == []


def test_woocommerce_real_order_is_accepted(api: Any) -> None:
    put_store(api, "woo", platform="woocommerce")
    body, _ = load_fixture("woocommerce/order_created__rest-api-docs.json")
    answer = post(api, body, woo_headers(body, "order.created", "w-2"), platform="woocommerce", store="woo")
    assert answer.status_code == 200, answer.body
    [event] = events(api, "woo")
    assert event["topic"] == "order.created"
    assert event["platform"] == "woocommerce"


def test_both_secrets_work_during_rotation(api: Any) -> None:
    put_store(api, webhook_secret=None, webhook_secrets=["new-secret-123", SECRET])
    body, _ = load_fixture(ORDER)
    assert post(api, body, shopify_headers(body, "orders/create", "r-1", "new-secret-123")).status_code == 200
    assert post(api, body, shopify_headers(body, "orders/create", "r-2", SECRET)).status_code == 200
    assert post(api, body, shopify_headers(body, "orders/create", "r-3", "retired-one")).status_code == 401


def test_raw_payload_is_kept_compressed_with_ttl(api: Any, runtime: Any, clock: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    post(api, body, shopify_headers(body, "orders/create", "d-raw"))
    item = runtime.repo.get_event_item("demo", "shopify", "d-raw")
    import zlib

    assert zlib.decompress(bytes(item["raw"])) == body
    assert len(bytes(item["raw"])) < len(body)
    days = (int(item["expires_at"]) - clock.now().timestamp()) / 86400
    assert days == pytest.approx(runtime.settings.raw_payload_ttl_days, abs=0.01)


def test_large_order_goes_to_the_s3_archive_not_refused(api: Any, runtime: Any) -> None:
    put_store(api)
    order = json.loads(load_fixture(ORDER)[0])
    order["note"] = os.urandom(700 * 1024).hex()  # incompressible: ~1.4 MB of text
    body = json.dumps(order).encode()
    answer = post(api, body, shopify_headers(body, "orders/create", "d-huge"))
    assert answer.status_code == 200
    item = runtime.repo.get_event_item("demo", "shopify", "d-huge")
    assert "raw" not in item
    import zlib

    assert zlib.decompress(runtime.archive.get(item["raw_s3_key"])) == body


def fallback_drainer(app: Any, session: Any, resources: Any) -> Any:
    """The fallback queue's event source, handing messages to the real drain_fallback handler."""
    from infra.pollers import QueuePoller

    arn = session.client("sqs").get_queue_attributes(
        QueueUrl=resources.fallback_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    return QueuePoller(
        session, resources.fallback_queue_url, arn, "drain_fallback", app.handler_map["drain_fallback"]
    )


def test_table_failure_goes_to_fallback_queue_then_drainer_ingests(
    api: Any, runtime: Any, app: Any, session: Any, resources: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    real_put = runtime.table.put_item

    def failing_put(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "PutItem")

    monkeypatch.setattr(runtime.table, "put_item", failing_put)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-fallback"))
    assert answer.status_code == 200
    assert body_json(answer) == {"ok": True, "queued": True}
    assert runtime.repo.get_event_item("demo", "shopify", "d-fallback") is None

    monkeypatch.setattr(runtime.table, "put_item", real_put)
    drainer = fallback_drainer(app, session, resources)
    assert drainer.poll_once() == 1
    assert runtime.repo.get_event_item("demo", "shopify", "d-fallback") is not None
    assert drainer.poll_once() == 0  # deleted from the queue once ingested


def test_fallback_unavailable_too_answers_503_not_500(
    api: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)

    def failing_put(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "PutItem")

    monkeypatch.setattr(runtime.table, "put_item", failing_put)
    sqs = runtime.client("sqs")

    def failing_send(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(sqs, "send_message", failing_send)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-down"))
    assert answer.status_code == 503
    assert "retry" in body_json(answer)["error"]


def test_event_key_is_the_platform_delivery_id() -> None:
    assert keys.event("demo", "shopify", "abc")["PK"] == "STORE#demo#EVENT#shopify#abc"


def test_unknown_platform_is_404(api: Any) -> None:
    put_store(api)
    body, _ = load_fixture(ORDER)
    answer = post(api, body, shopify_headers(body, "orders/create", "m-1"), platform="magento")
    assert answer.status_code == 404
    assert "platform" in body_json(answer)["error"]


def test_other_content_types_get_a_clear_415(api: Any) -> None:
    put_store(api)
    answer = api.http.post("/webhooks/shopify/demo", headers={"Content-Type": "text/xml"}, body=b"<order/>")
    assert answer.status_code == 415
    assert events(api) == []


def test_deliveries_are_counted_in_emf_metrics(
    api: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    put_store(api)
    body, _ = load_fixture(ORDER)
    post(api, body, shopify_headers(body, "orders/create", "m-1"))
    post(api, body, shopify_headers(body, "orders/create", "m-1"))
    post(api, body, shopify_headers(body, "orders/create", "m-2", "wrong-secret"))
    out = capsys.readouterr().out
    emitted = [json.loads(line) for line in out.splitlines() if line.startswith("{") and "_aws" in line]
    names = [m["Name"] for doc in emitted for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    assert names.count("WebhooksAccepted") == 1
    assert names.count("WebhooksDuplicate") == 1
    assert names.count("WebhooksRejected") == 1


def test_a_store_created_elsewhere_is_seen_at_once_by_a_warm_ingest(
    api: Any, runtime: Any, clock: Any
) -> None:
    from functions.webhooks.ingest import Delivery, ingest
    from storekit.errors import UnknownStore
    from storekit.runtime import Runtime

    warm = Runtime(
        runtime.settings.model_copy(update={"store_cache_seconds": 60}), clock
    )  # another container
    body, _ = load_fixture(ORDER)
    headers = {k.lower(): v for k, v in shopify_headers(body, "orders/create", "w-1").items()}
    delivery = Delivery(platform="shopify", store_id="demo", headers=headers, body=body, received_at="t")
    with pytest.raises(UnknownStore):
        ingest(delivery, warm)
    put_store(api)  # through the admin API, i.e. in another container
    assert ingest(delivery, warm).body == {"ok": True}


def test_store_lookup_failure_still_keeps_verified_deliveries(
    api: Any, runtime: Any, app: Any, session: Any, resources: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table cannot even be read: a verified delivery is queued (never refused, or the store
    disables the endpoint), a forged one is still 401, and a WooCommerce ping still gets its 200."""
    put_store(api)
    put_store(api, "woo", platform="woocommerce")
    body, _ = load_fixture(ORDER)
    real_get = runtime.table.get_item

    def failing_get(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "GetItem")

    monkeypatch.setattr(runtime.table, "get_item", failing_get)
    answer = post(api, body, shopify_headers(body, "orders/create", "d-lookup"))
    assert (answer.status_code, body_json(answer)) == (200, {"ok": True, "queued": True})
    forged = post(api, body, shopify_headers(body, "orders/create", "d-forged", secret="not-the-secret"))
    assert forged.status_code == 401
    ping = api.http.post(
        "/webhooks/woocommerce/woo",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"webhook_id=12",
    )
    assert ping.status_code == 200

    monkeypatch.setattr(runtime.table, "get_item", real_get)
    drainer = fallback_drainer(app, session, resources)
    assert drainer.poll_once() == 1  # only the genuine delivery was queued
    assert runtime.repo.get_event_item("demo", "shopify", "d-lookup") is not None
    assert runtime.repo.get_event_item("demo", "shopify", "d-forged") is None
