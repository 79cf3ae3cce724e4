"""ShopifyClient against recorded Admin GraphQL answers (`responses`): exact requests, typed outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from storekit.clients import ShopifyClient
from storekit.clients.http import TIMEOUT
from storekit.clients.shopify import TAGS_ADD, tags_add_call
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

TOKEN = "shpat_0123456789abcdef"
URL = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
ORDER = "gid://shopify/Order/450789469"


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def shopify() -> ShopifyClient:
    return ShopifyClient("demo-shop.myshopify.com", TOKEN, requests.Session())


def request_json(http: responses.RequestsMock, index: int = 0) -> dict[str, Any]:
    body = http.calls[index].request.body
    assert body is not None
    return dict(json.loads(body))


def answer(http: responses.RequestsMock, data: dict[str, Any]) -> None:
    http.post(URL, json={"data": data, "extensions": {"cost": {"requestedQueryCost": 10}}})


def throttled_body(requested: float, available: float) -> dict[str, Any]:
    return {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": available,
                    "restoreRate": 100.0,
                },
            }
        },
    }


# --- requests sent ---------------------------------------------------------------------------
def test_tags_add_sends_the_mutation_with_token_gid_and_timeout(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, {"tagsAdd": {"node": {"id": ORDER}, "userErrors": []}})
    shopify.add_tags("Order", "450789469", ["vip", " channel:pos ", ""])
    request = http.calls[0].request
    assert request.url == URL
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"
    assert request.req_kwargs["timeout"] == TIMEOUT == (3.05, 10.0)  # type: ignore[attr-defined]
    body = request_json(http)
    assert body["query"].startswith("mutation tagsAdd(")
    assert body["variables"] == {"id": ORDER, "tags": ["vip", "channel:pos"]}


@pytest.mark.parametrize(
    ("resource", "ident"),
    [("Order", "12a"), ("Order", "gid://shopify/Product/1"), ("Order", "1/../2"), ("Location", "1")],
)
def test_bad_ids_and_resource_types_fail_before_any_call(
    http: responses.RequestsMock, shopify: ShopifyClient, resource: str, ident: str
) -> None:
    with pytest.raises(PermanentError):
        shopify.add_tags(resource, ident, ["x"])
    assert len(http.calls) == 0


def test_only_blank_tags_is_refused_before_any_call(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    with pytest.raises(PermanentError, match="every tag is blank"):
        shopify.add_tags("Product", "1", [" ", ""])
    assert len(http.calls) == 0


def test_what_is_posted_is_exactly_the_rendered_call(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    """The action preview shows `tags_add_call`; the client posts that very body."""
    call = tags_add_call("demo-shop.myshopify.com", "Customer", "gid://shopify/Customer/7", ["lapsed"])
    assert (call.method, call.url, call.path) == ("POST", URL, "/admin/api/2025-01/graphql.json")
    answer(http, {"tagsAdd": {"node": {"id": "gid://shopify/Customer/7"}, "userErrors": []}})
    shopify.send(call)
    assert request_json(http) == call.body
    assert call.body == {
        "query": TAGS_ADD,
        "variables": {"id": "gid://shopify/Customer/7", "tags": ["lapsed"]},
    }


def test_a_call_rendered_for_another_shop_is_not_sent(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    with pytest.raises(PermanentError, match="not for this shop"):
        shopify.send(tags_add_call("other-shop.myshopify.com", "Order", "1", ["a"]))
    assert len(http.calls) == 0


def test_user_errors_are_permanent_and_named(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"tagsAdd": {"node": None, "userErrors": [{"field": ["id"], "message": "Order not found"}]}})
    with pytest.raises(PermanentError, match="Shopify tagsAdd: id: Order not found"):
        shopify.add_tags("Order", "1", ["a"])


# --- failures --------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "wait"), [("2", 2.0), ("0.5", 0.5), ("soon", None)])
def test_http_429_is_throttled_with_retry_after(
    http: responses.RequestsMock, shopify: ShopifyClient, header: str, wait: float | None
) -> None:
    http.post(URL, status=429, headers={"Retry-After": header})
    with pytest.raises(Throttled) as info:
        shopify.add_tags("Order", "1", ["a"])
    assert info.value.retry_after == wait
    assert info.value.retryable


@pytest.mark.parametrize(
    ("requested", "available", "wait"), [(502.0, 2.0, 5.0), (50.0, 40.0, 1.0), (10.0, 1990.0, 1.0)]
)
def test_graphql_throttled_waits_for_the_query_cost(
    http: responses.RequestsMock, shopify: ShopifyClient, requested: float, available: float, wait: float
) -> None:
    http.post(URL, json=throttled_body(requested, available))
    with pytest.raises(Throttled) as info:
        shopify.add_tags("Order", "1", ["a"])
    assert info.value.retry_after == pytest.approx(wait)


def test_graphql_throttled_without_cost_has_no_wait(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    http.post(URL, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]})
    with pytest.raises(Throttled) as info:
        shopify.add_tags("Order", "1", ["a"])
    assert info.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(
    http: responses.RequestsMock, shopify: ShopifyClient, status: int
) -> None:
    http.post(URL, status=status)
    with pytest.raises(TransientError, match=str(status)):
        shopify.add_tags("Order", "1", ["a"])


@pytest.mark.parametrize("fault", [requests.ConnectionError("reset"), requests.ReadTimeout("slow")])
def test_network_failures_are_transient(
    http: responses.RequestsMock, shopify: ShopifyClient, fault: Exception
) -> None:
    http.post(URL, body=fault)
    with pytest.raises(TransientError):
        shopify.add_tags("Order", "1", ["a"])


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422, 423])
def test_client_errors_are_permanent(
    http: responses.RequestsMock, shopify: ShopifyClient, status: int
) -> None:
    http.post(URL, status=status, json={"errors": "[API] Invalid API key or access token"})
    with pytest.raises(PermanentError, match=f"HTTP {status}"):
        shopify.add_tags("Order", "1", ["a"])


def test_redirects_are_not_followed(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    http.post(URL, status=301, headers={"Location": "https://other.example/graphql.json"})
    with pytest.raises(PermanentError, match="HTTP 301"):
        shopify.add_tags("Order", "1", ["a"])
    assert len(http.calls) == 1


def test_other_graphql_errors_are_permanent_and_name_only_the_code(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    http.post(
        URL,
        json={
            "errors": [
                {
                    "message": "Variable $input was provided invalid value for note (jane@example.com)",
                    "extensions": {"code": "INVALID_VARIABLE"},
                }
            ]
        },
    )
    with pytest.raises(PermanentError, match="INVALID_VARIABLE") as info:
        shopify.add_tags("Order", "1", ["jane@example.com"])
    assert "jane@example.com" not in str(info.value)


def test_graphql_internal_error_is_transient(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    http.post(
        URL,
        json={"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]},
    )
    with pytest.raises(TransientError):
        shopify.add_tags("Order", "1", ["a"])


def test_a_non_json_answer_is_permanent(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    http.post(URL, body="<html>Shop unavailable</html>", content_type="text/html")
    with pytest.raises(PermanentError, match="not JSON"):
        shopify.add_tags("Order", "1", ["a"])


def test_the_token_never_appears_in_errors(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    faults: list[dict[str, Any]] = [
        {"status": 401, "body": f"bad token {TOKEN}"},
        {"status": 500, "body": TOKEN},
        {"body": requests.ConnectionError(f"{URL}?token={TOKEN}")},
    ]
    for fault in faults:
        http.post(URL, **fault)
        with pytest.raises(Exception) as info:  # any typed error: the point is its text
            shopify.add_tags("Order", "1", ["a"])
        assert TOKEN not in str(info.value)
        assert info.value.__cause__ is None
    assert TOKEN not in repr(shopify)


@pytest.mark.parametrize(
    "domain",
    ["https://demo.myshopify.com", "demo.myshopify.com/admin", "demo", "evil.com@demo.myshopify.com"],
)
def test_shop_domain_must_be_a_bare_host(domain: str) -> None:
    with pytest.raises(ConfigurationError):
        ShopifyClient(domain, TOKEN, requests.Session())
