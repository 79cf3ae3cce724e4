"""WooClient against recorded REST v3 answers (`responses`): the exact request, the typed outcome."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from storekit.clients import WooClient
from storekit.clients.http import TIMEOUT, retry_after_seconds
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

KEY = "ck_4f1d2c3b4a5e6f7081928374655647382910abcd"
SECRET = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
API = "https://woo.example/wp-json/wc/v3"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def woo() -> WooClient:
    return WooClient("https://woo.example/", KEY, SECRET, requests.Session())


def sent(http: responses.RequestsMock, index: int = 0) -> dict[str, Any]:
    body = http.calls[index].request.body
    assert body is not None
    return dict(json.loads(body))


# --- requests sent ---------------------------------------------------------------------------
def test_order_status_is_a_put_with_basic_auth_and_timeout(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    http.put(f"{API}/orders/727", json={"id": 727, "status": "cancelled"})
    woo.set_order_status("727", "cancelled")
    request = http.calls[0].request
    assert request.method == "PUT"
    assert request.url == f"{API}/orders/727"
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    )
    assert request.req_kwargs["timeout"] == TIMEOUT  # type: ignore[attr-defined]
    assert sent(http) == {"status": "cancelled"}


def test_order_note_is_posted_and_its_id_returned(http: responses.RequestsMock, woo: WooClient) -> None:
    http.post(f"{API}/orders/727/notes", status=201, json={"id": 281, "note": "Held", "customer_note": False})
    assert woo.add_order_note("727", "Held for review") == "281"
    assert sent(http) == {"note": "Held for review", "customer_note": False}


def test_order_and_customer_meta(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/orders/727", json={"id": 727})
    http.put(f"{API}/customers/25", json={"id": 25})
    woo.set_order_meta("727", "_storeflow_tags", "vip,channel:online")
    woo.set_customer_meta("25", "_storeflow_tags", "vip")
    assert sent(http, 0) == {"meta_data": [{"key": "_storeflow_tags", "value": "vip,channel:online"}]}
    assert sent(http, 1) == {"meta_data": [{"key": "_storeflow_tags", "value": "vip"}]}


def test_product_status(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/products/794", json={"id": 794, "status": "private"})
    woo.set_product_status("794", "private")
    assert sent(http) == {"status": "private"}
    with pytest.raises(PermanentError):
        woo.set_product_status("794", "archived")
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    ("variation", "path"),
    [(None, "products/22"), ("23", "products/22/variations/23")],
    ids=["simple", "variation"],
)
def test_stock(http: responses.RequestsMock, woo: WooClient, variation: str | None, path: str) -> None:
    http.put(f"{API}/{path}", json={"id": 1})
    woo.set_stock("22", 7, variation_id=variation)
    assert sent(http) == {"manage_stock": True, "stock_quantity": 7}


def test_prices_are_exact_strings_and_sale_times_go_out_in_utc(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    http.put(f"{API}/products/22/variations/23", json={"id": 23})
    paris = timezone(timedelta(hours=1))
    woo.set_prices(
        "22",
        Decimal("12.00"),
        Decimal("9.99"),
        variation_id="23",
        sale_from=datetime(2026, 11, 27, 0, 0, tzinfo=paris),
        sale_to=datetime(2026, 11, 30, 23, 59, 59, tzinfo=paris),
    )
    assert sent(http) == {
        "regular_price": "12.00",
        "sale_price": "9.99",
        "date_on_sale_from_gmt": "2026-11-26T23:00:00",
        "date_on_sale_to_gmt": "2026-11-30T22:59:59",
    }
    assert '"sale_price": "9.99"' in http.calls[0].request.body.decode()  # type: ignore[union-attr]


def test_setting_a_price_without_a_sale_clears_the_sale(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/products/22", json={"id": 22})
    woo.set_prices("22", Decimal("15"), None)
    assert sent(http) == {"regular_price": "15", "sale_price": ""}


@pytest.mark.parametrize(
    "args",
    [
        {"regular": Decimal("10"), "sale": Decimal("10")},
        {"regular": Decimal("-1"), "sale": None},
        {"regular": None, "sale": None, "sale_from": NOW},
        {"regular": None, "sale": Decimal("5"), "sale_from": datetime(2026, 11, 27)},  # naive
        {"regular": None, "sale": Decimal("5"), "sale_from": NOW, "sale_to": NOW},
    ],
)
def test_invalid_prices_send_nothing(
    http: responses.RequestsMock, woo: WooClient, args: dict[str, Any]
) -> None:
    with pytest.raises(PermanentError):
        woo.set_prices("22", **args)
    assert len(http.calls) == 0


def test_coupon_is_created_and_its_id_returned(http: responses.RequestsMock, woo: WooClient) -> None:
    http.post(f"{API}/coupons", status=201, json={"id": 719, "code": "vip10", "amount": "10.00"})
    made = woo.create_coupon(
        "VIP10",
        "percent",
        Decimal("10"),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        usage_limit=1,
        individual_use=True,
    )
    assert made == "719"
    assert sent(http) == {
        "code": "VIP10",
        "discount_type": "percent",
        "amount": "10",
        "individual_use": True,
        "date_expires_gmt": "2026-12-31T23:59:00",
        "usage_limit": 1,
    }


@pytest.mark.parametrize(
    ("kind", "amount", "limit"),
    [
        ("percentage", Decimal("10"), None),
        ("percent", Decimal("101"), None),
        ("fixed_cart", Decimal("0"), None),
        ("fixed_cart", Decimal("5"), 0),
    ],
)
def test_invalid_coupons_send_nothing(
    http: responses.RequestsMock, woo: WooClient, kind: str, amount: Decimal, limit: int | None
) -> None:
    with pytest.raises(PermanentError):
        woo.create_coupon("C", kind, amount, None, limit, False)
    assert len(http.calls) == 0


def test_duplicate_coupon_code_is_permanent_and_names_the_code(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    http.post(
        f"{API}/coupons",
        status=400,
        json={
            "code": "woocommerce_rest_coupon_code_already_exists",
            "message": "The coupon code already exists",
            "data": {"status": 400},
        },
    )
    with pytest.raises(PermanentError, match="HTTP 400 woocommerce_rest_coupon_code_already_exists"):
        woo.create_coupon("C", "fixed_cart", Decimal("5"), None, None, False)


@pytest.mark.parametrize("ident", ["7a", "1/../2", "", "-1"])
def test_ids_are_numbers(http: responses.RequestsMock, woo: WooClient, ident: str) -> None:
    with pytest.raises(PermanentError):
        woo.set_order_status(ident, "completed")
    with pytest.raises(PermanentError):
        woo.set_stock("1", 3, variation_id=ident or "x")
    assert len(http.calls) == 0


# --- failures --------------------------------------------------------------------------------
def test_429_with_retry_after_seconds_is_throttled(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/orders/1", status=429, headers={"Retry-After": "7"})
    with pytest.raises(Throttled) as info:
        woo.set_order_status("1", "cancelled")
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
    http.put(f"{API}/orders/1", status=status, body="<html>Bad gateway</html>", content_type="text/html")
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        woo.set_order_status("1", "cancelled")


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
    http.put(
        f"{API}/orders/1", status=status, json={"code": code, "message": "...", "data": {"status": status}}
    )
    with pytest.raises(PermanentError, match=f"HTTP {status} {code}"):
        woo.set_order_status("1", "cancelled")


@pytest.mark.parametrize("fault", [requests.ConnectionError("refused"), requests.ConnectTimeout("slow")])
def test_network_failures_are_transient(
    http: responses.RequestsMock, woo: WooClient, fault: Exception
) -> None:
    http.put(f"{API}/orders/1", body=fault)
    with pytest.raises(TransientError):
        woo.set_order_status("1", "cancelled")


def test_html_instead_of_json_is_permanent(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/orders/1", body="<!doctype html><title>Shop</title>", content_type="text/html")
    with pytest.raises(PermanentError, match="not JSON"):
        woo.set_order_status("1", "cancelled")


def test_redirects_are_refused_not_followed(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(
        f"{API}/orders/1", status=301, headers={"Location": "https://www.woo.example/wp-json/wc/v3/orders/1"}
    )
    with pytest.raises(PermanentError, match="HTTP 301"):
        woo.set_order_status("1", "cancelled")
    assert len(http.calls) == 1


def test_keys_never_appear_in_errors(http: responses.RequestsMock, woo: WooClient) -> None:
    http.put(f"{API}/orders/1", status=401, body=f"bad key {KEY}")
    http.put(f"{API}/orders/2", body=requests.ConnectionError(f"https://{KEY}:{SECRET}@woo.example"))
    for order in ("1", "2"):
        with pytest.raises((PermanentError, TransientError)) as info:
            woo.set_order_status(order, "cancelled")
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
    http.put("http://localhost:8080/shop/wp-json/wc/v3/orders/1", json={"id": 1})
    WooClient("http://localhost:8080/shop/", KEY, SECRET, requests.Session()).set_order_status(
        "1", "completed"
    )
    assert len(http.calls) == 1


def test_empty_keys_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        WooClient("https://woo.example", "", SECRET, requests.Session())


def test_tags_are_added_to_the_ones_already_saved(http: responses.RequestsMock, woo: WooClient) -> None:
    """A returning customer keeps the source tags of earlier orders (WooCommerce keeps storeflow's
    tags in a meta field, so adding means read, merge, write)."""
    http.get(
        f"{API}/customers/25",
        json={"id": 25, "meta_data": [{"id": 9, "key": "_storeflow_tags", "value": "source:google,vip"}]},
    )
    http.put(f"{API}/customers/25", json={"id": 25})
    saved = woo.change_tags_meta("customer", "25", "_storeflow_tags", add=["channel:online-store", "VIP"])
    assert saved == "source:google,vip,channel:online-store"
    assert sent(http, 1) == {"meta_data": [{"key": "_storeflow_tags", "value": saved}]}


def test_tags_removed_and_unchanged_tags_not_written(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/orders/727", json={"id": 727, "meta_data": [{"key": "_storeflow_tags", "value": "a,b"}]})
    http.put(f"{API}/orders/727", json={"id": 727})
    assert woo.change_tags_meta("order", "727", "_storeflow_tags", remove=["A"]) == "b"
    assert sent(http, 1) == {"meta_data": [{"key": "_storeflow_tags", "value": "b"}]}
    assert woo.change_tags_meta("order", "727", "_storeflow_tags", add=["b"]) == "a,b"
    assert [c.request.method for c in http.calls] == ["GET", "PUT", "GET"]  # nothing new: no write


def test_tags_on_products_are_refused_before_any_call(http: responses.RequestsMock, woo: WooClient) -> None:
    with pytest.raises(PermanentError):
        woo.change_tags_meta("product", "1", "_storeflow_tags", add=["x"])
    assert len(http.calls) == 0
