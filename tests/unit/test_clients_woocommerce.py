"""WooClient against recorded REST v3 answers (`responses`): the exact request, the typed outcome."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from storekit.clients import WooClient
from storekit.clients.http import TIMEOUT, retry_after_seconds
from storekit.clients.woocommerce import tags_add_call
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

KEY = "ck_4f1d2c3b4a5e6f7081928374655647382910abcd"
SECRET = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
BASE = "https://woo.example/"
API = "https://woo.example/wp-json/wc/v3"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def woo() -> WooClient:
    return WooClient(BASE, KEY, SECRET, requests.Session())


def sent(http: responses.RequestsMock, index: int = 0) -> dict[str, Any]:
    body = http.calls[index].request.body
    assert body is not None
    return dict(json.loads(body))


def tag(woo: WooClient, resource: str, ident: str, tags: list[str] | None = None) -> str | None:
    return woo.send(tags_add_call(BASE, resource, ident, tags or ["a"]))


# --- requests sent ---------------------------------------------------------------------------
def test_the_rendered_call_is_a_put_of_the_tags_meta(http: responses.RequestsMock, woo: WooClient) -> None:
    call = tags_add_call(BASE, "order", "727", ["vip", " channel:pos ", "VIP", ""])
    assert (call.method, call.url, call.path) == ("PUT", f"{API}/orders/727", "/wp-json/wc/v3/orders/727")
    assert call.body == {"meta_data": [{"key": "_storeflow_tags", "value": "vip,channel:pos"}]}
    assert call.reads_first == "GET /wp-json/wc/v3/orders/727"
    http.get(f"{API}/orders/727", json={"id": 727, "meta_data": []})
    http.put(f"{API}/orders/727", json={"id": 727})
    assert woo.send(call) == "vip,channel:pos"
    read, write = (c.request for c in http.calls)
    assert (read.method, read.url, write.method, write.url) == ("GET", call.url, "PUT", call.url)
    assert write.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert write.req_kwargs["timeout"] == TIMEOUT  # type: ignore[attr-defined]
    assert sent(http, 1) == call.body  # nothing saved before: exactly the previewed body


def test_tags_are_added_to_the_ones_already_saved(http: responses.RequestsMock, woo: WooClient) -> None:
    """A returning customer keeps the source tags of earlier orders (WooCommerce keeps storeflow's
    tags in a meta field, so adding means read, merge, write)."""
    http.get(
        f"{API}/customers/25",
        json={"id": 25, "meta_data": [{"id": 9, "key": "_storeflow_tags", "value": "source:google,vip"}]},
    )
    http.put(f"{API}/customers/25", json={"id": 25})
    saved = tag(woo, "customer", "25", ["channel:online-store", "VIP"])
    assert saved == "source:google,vip,channel:online-store"
    assert sent(http, 1) == {"meta_data": [{"key": "_storeflow_tags", "value": saved}]}


def test_tags_already_saved_are_not_written_again(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/orders/727", json={"id": 727, "meta_data": [{"key": "_storeflow_tags", "value": "a,b"}]})
    assert tag(woo, "order", "727", ["b"]) == "a,b"
    assert [c.request.method for c in http.calls] == ["GET"]  # nothing new: no write


def test_tags_on_other_resources_are_refused_before_any_call() -> None:
    with pytest.raises(PermanentError):
        tags_add_call(BASE, "coupon", "1", ["x"])


def test_a_call_rendered_for_another_store_is_not_sent(http: responses.RequestsMock, woo: WooClient) -> None:
    with pytest.raises(PermanentError, match="not for this store"):
        woo.send(tags_add_call("https://other.example", "order", "1", ["a"]))
    assert len(http.calls) == 0


@pytest.mark.parametrize("ident", ["7a", "1/../2", "", "-1"])
def test_ids_are_numbers(ident: str) -> None:
    with pytest.raises(PermanentError):
        tags_add_call(BASE, "order", ident, ["a"])


# --- failures --------------------------------------------------------------------------------
def test_429_with_retry_after_seconds_is_throttled(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/orders/1", status=429, headers={"Retry-After": "7"})
    with pytest.raises(Throttled) as info:
        tag(woo, "order", "1")
    assert info.value.retry_after == 7.0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds("Tue, 24 Nov 2026 12:00:30 GMT", now=NOW.timestamp()) == 30.0
    assert retry_after_seconds("Tue, 24 Nov 2026 11:00:00 GMT", now=NOW.timestamp()) == 0.0
    assert retry_after_seconds("-3") == 0.0
    for unreadable in ("soon", "nan", "", None):
        assert retry_after_seconds(unreadable) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(http: responses.RequestsMock, woo: WooClient, status: int) -> None:
    http.get(f"{API}/orders/1", status=status, body="<html>Bad gateway</html>", content_type="text/html")
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        tag(woo, "order", "1")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "rest_invalid_param"),
        (401, "woocommerce_rest_cannot_edit"),
        (404, "woocommerce_rest_shop_order_invalid_id"),
        (404, "rest_no_route"),
    ],
)
def test_client_errors_are_permanent_with_the_woo_code(
    http: responses.RequestsMock, woo: WooClient, status: int, code: str
) -> None:
    http.get(
        f"{API}/orders/1", status=status, json={"code": code, "message": "...", "data": {"status": status}}
    )
    with pytest.raises(PermanentError, match=f"HTTP {status} {code}"):
        tag(woo, "order", "1")


@pytest.mark.parametrize("fault", [requests.ConnectionError("refused"), requests.ConnectTimeout("slow")])
def test_network_failures_are_transient(
    http: responses.RequestsMock, woo: WooClient, fault: Exception
) -> None:
    http.get(f"{API}/orders/1", body=fault)
    with pytest.raises(TransientError):
        tag(woo, "order", "1")


def test_html_instead_of_json_is_permanent(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/orders/1", body="<!doctype html><title>Shop</title>", content_type="text/html")
    with pytest.raises(PermanentError, match="not JSON"):
        tag(woo, "order", "1")


def test_redirects_are_refused_not_followed(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(
        f"{API}/orders/1", status=301, headers={"Location": "https://www.woo.example/wp-json/wc/v3/orders/1"}
    )
    with pytest.raises(PermanentError, match="HTTP 301"):
        tag(woo, "order", "1")
    assert len(http.calls) == 1


def test_keys_never_appear_in_errors(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/orders/1", status=401, body=f"bad key {KEY}")
    http.get(f"{API}/orders/2", body=requests.ConnectionError(f"https://{KEY}:{SECRET}@woo.example"))
    for order in ("1", "2"):
        with pytest.raises((PermanentError, TransientError)) as info:
            tag(woo, "order", order)
        assert KEY not in str(info.value)
        assert SECRET not in str(info.value)
    assert KEY not in repr(woo)
    assert SECRET not in repr(woo)


# --- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://woo.example",
        "woo.example",
        "ftp://woo.example",
        "https://user:pass@woo.example",
        "https://woo.example/?consumer_key=x",
    ],
)
def test_store_url_must_be_https_and_plain(url: str) -> None:
    with pytest.raises(ConfigurationError):
        WooClient(url, KEY, SECRET, requests.Session())


def test_plain_http_is_allowed_for_a_local_store(http: responses.RequestsMock) -> None:
    http.get("http://localhost:8080/shop/wp-json/wc/v3/orders/1", json={"id": 1})
    http.put("http://localhost:8080/shop/wp-json/wc/v3/orders/1", json={"id": 1})
    local = WooClient("http://localhost:8080/shop/", KEY, SECRET, requests.Session())
    local.send(tags_add_call("http://localhost:8080/shop/", "order", "1", ["a"]))
    assert len(http.calls) == 2


def test_empty_keys_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        WooClient("https://woo.example", "", SECRET, requests.Session())
