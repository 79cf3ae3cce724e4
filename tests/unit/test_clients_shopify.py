"""ShopifyClient against recorded Admin GraphQL answers (`responses`): exact requests, typed outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from storekit.clients import ShopifyClient
from storekit.clients.http import TIMEOUT
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

TOKEN = "shpat_0123456789abcdef"
URL = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
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


def test_remove_tags_accepts_a_gid_unchanged(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"tagsRemove": {"node": {"id": "gid://shopify/Customer/7"}, "userErrors": []}})
    shopify.remove_tags("Customer", "gid://shopify/Customer/7", ["lapsed"])
    body = request_json(http)
    assert "tagsRemove(id: $id, tags: $tags)" in body["query"]
    assert body["variables"] == {"id": "gid://shopify/Customer/7", "tags": ["lapsed"]}


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


def test_no_tags_means_no_call(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    shopify.add_tags("Product", "1", [" ", ""])
    assert len(http.calls) == 0


def test_order_note_uses_order_update(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"orderUpdate": {"order": {"id": ORDER}, "userErrors": []}})
    shopify.set_order_note("450789469", "Held for fraud review")
    body = request_json(http)
    assert body["query"].startswith("mutation orderUpdate(")
    assert body["variables"] == {"input": {"id": ORDER, "note": "Held for fraud review"}}


def fulfillment_orders() -> dict[str, Any]:
    return {
        "order": {
            "id": ORDER,
            "fulfillmentOrders": {
                "nodes": [
                    {
                        "id": "gid://shopify/FulfillmentOrder/1",
                        "status": "OPEN",
                        "supportedActions": [{"action": "CREATE_FULFILLMENT"}, {"action": "HOLD"}],
                        "fulfillmentHolds": [],
                    },
                    {
                        "id": "gid://shopify/FulfillmentOrder/2",
                        "status": "ON_HOLD",
                        "supportedActions": [{"action": "HOLD"}, {"action": "RELEASE_HOLD"}],
                        "fulfillmentHolds": [
                            {"id": "gid://shopify/FulfillmentHold/21", "heldByRequestingApp": True},
                            {"id": "gid://shopify/FulfillmentHold/22", "heldByRequestingApp": False},
                        ],
                    },
                    {
                        "id": "gid://shopify/FulfillmentOrder/3",
                        "status": "CLOSED",
                        "supportedActions": [],
                        "fulfillmentHolds": [],
                    },
                ]
            },
        }
    }


def test_hold_fulfillment_holds_each_holdable_order_not_already_held_by_us(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, fulfillment_orders())
    answer(http, {"fulfillmentOrderHold": {"fulfillmentHold": {"id": "h"}, "userErrors": []}})
    assert shopify.hold_fulfillment("450789469", "fraud risk", "AVS mismatch, score 87") == 1
    assert request_json(http, 0)["variables"] == {"id": ORDER}
    hold = request_json(http, 1)
    assert hold["query"].startswith("mutation fulfillmentOrderHold(")
    assert hold["variables"] == {
        "id": "gid://shopify/FulfillmentOrder/1",
        "fulfillmentHold": {
            "reason": "HIGH_RISK_OF_FRAUD",
            "reasonNotes": "AVS mismatch, score 87",
            "notifyMerchant": False,
        },
    }
    assert len(http.calls) == 2


@pytest.mark.parametrize(
    ("reason", "enum"),
    [
        ("INCORRECT_ADDRESS", "INCORRECT_ADDRESS"),
        ("awaiting payment", "AWAITING_PAYMENT"),
        ("restricted zone", "OTHER"),
    ],
)
def test_hold_reason_maps_to_the_enum(
    http: responses.RequestsMock, shopify: ShopifyClient, reason: str, enum: str
) -> None:
    answer(http, fulfillment_orders())
    answer(http, {"fulfillmentOrderHold": {"fulfillmentHold": {"id": "h"}, "userErrors": []}})
    shopify.hold_fulfillment("1", reason, "")
    hold = request_json(http, 1)["variables"]["fulfillmentHold"]
    assert hold["reason"] == enum
    assert hold["reasonNotes"] == reason


def test_release_fulfillment_releases_only_our_holds(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, fulfillment_orders())
    answer(http, {"fulfillmentOrderReleaseHold": {"fulfillmentOrder": {"id": "x"}, "userErrors": []}})
    assert shopify.release_fulfillment("450789469") == 1
    release = request_json(http, 1)
    assert release["query"].startswith("mutation fulfillmentOrderReleaseHold(")
    assert release["variables"] == {
        "id": "gid://shopify/FulfillmentOrder/2",
        "holdIds": ["gid://shopify/FulfillmentHold/21"],
    }


def test_hold_on_a_missing_order_is_permanent(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"order": None})
    with pytest.raises(PermanentError, match="no such order"):
        shopify.hold_fulfillment("9", "fraud", "")


def test_cancel_order_sends_the_documented_arguments(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, {"orderCancel": {"job": {"id": "gid://shopify/Job/abc"}, "orderCancelUserErrors": []}})
    job = shopify.cancel_order("5", "fraud", refund=True, restock=True, notify_customer=False)
    assert job == "gid://shopify/Job/abc"
    body = request_json(http)
    assert body["query"].startswith("mutation orderCancel(")
    assert body["variables"] == {
        "orderId": "gid://shopify/Order/5",
        "reason": "FRAUD",
        "refund": True,
        "restock": True,
        "notifyCustomer": False,
        "staffNote": None,
    }


def test_cancel_user_errors_are_permanent_and_named(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(
        http,
        {
            "orderCancel": {
                "job": None,
                "orderCancelUserErrors": [
                    {"field": ["orderId"], "message": "Order has already been cancelled"}
                ],
            }
        },
    )
    with pytest.raises(PermanentError, match=r"orderCancel: orderId: Order has already been cancelled"):
        shopify.cancel_order("5", "customer", refund=False, restock=False, notify_customer=False)


def test_cancel_with_an_unknown_reason_sends_nothing(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    with pytest.raises(PermanentError, match="reason"):
        shopify.cancel_order("5", "bored", refund=False, restock=False, notify_customer=False)
    assert len(http.calls) == 0


# --- refunds ---------------------------------------------------------------------------------
def refund_plan(*amounts: str) -> dict[str, Any]:
    return {
        "order": {
            "id": ORDER,
            "presentmentCurrencyCode": "EUR",
            "suggestedRefund": {
                "refundLineItems": [
                    {"lineItem": {"id": "gid://shopify/LineItem/11"}, "quantity": 2},
                    {"lineItem": {"id": "gid://shopify/LineItem/12"}, "quantity": 1},
                ],
                "suggestedTransactions": [
                    {
                        "gateway": gateway,
                        "parentTransaction": {"id": f"gid://shopify/OrderTransaction/{n}"},
                        "maximumRefundableSet": {"presentmentMoney": {"amount": amount}},
                    }
                    for n, (gateway, amount) in enumerate(
                        zip(["shopify_payments", "gift_card"], amounts, strict=False), start=1
                    )
                ],
            },
        }
    }


REFUND_DONE = {"refundCreate": {"refund": {"id": "gid://shopify/Refund/77"}, "userErrors": []}}


def test_full_refund_refunds_what_is_left(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, refund_plan("54.08", "10.00"))
    answer(http, REFUND_DONE)
    assert shopify.refund_order("450789469", None, "fraud", notify=True) == "gid://shopify/Refund/77"
    plan = request_json(http, 0)
    assert "suggestedRefund(suggestFullRefund: true, refundShipping: true)" in plan["query"]
    refund = request_json(http, 1)
    assert refund["query"].startswith("mutation refundCreate(")
    assert refund["variables"]["input"] == {
        "orderId": ORDER,
        "note": "fraud",
        "notify": True,
        "currency": "EUR",
        "refundLineItems": [
            {"lineItemId": "gid://shopify/LineItem/11", "quantity": 2, "restockType": "NO_RESTOCK"},
            {"lineItemId": "gid://shopify/LineItem/12", "quantity": 1, "restockType": "NO_RESTOCK"},
        ],
        "shipping": {"fullRefund": True},
        "transactions": [
            {
                "orderId": ORDER,
                "parentId": "gid://shopify/OrderTransaction/1",
                "gateway": "shopify_payments",
                "kind": "REFUND",
                "amount": "54.08",
            },
            {
                "orderId": ORDER,
                "parentId": "gid://shopify/OrderTransaction/2",
                "gateway": "gift_card",
                "kind": "REFUND",
                "amount": "10.00",
            },
        ],
    }


def test_partial_refund_spreads_the_amount_over_transactions_in_order(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, refund_plan("20.00", "50.00"))
    answer(http, REFUND_DONE)
    shopify.refund_order("1", Decimal("30"), None, notify=False)
    refund = request_json(http, 1)["variables"]["input"]
    assert "refundLineItems" not in refund
    assert "shipping" not in refund
    assert [(tx["gateway"], tx["amount"]) for tx in refund["transactions"]] == [
        ("shopify_payments", "20.00"),
        ("gift_card", "10.00"),
    ]


def test_refund_above_what_is_left_sends_no_refund(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, refund_plan("20.00"))
    with pytest.raises(PermanentError, match=r"more than the 20.00 left"):
        shopify.refund_order("1", Decimal("20.01"), None, notify=False)
    assert len(http.calls) == 1


def test_nothing_left_to_refund_is_permanent(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, refund_plan("0.00"))
    with pytest.raises(PermanentError, match="nothing left to refund"):
        shopify.refund_order("1", None, None, notify=False)


def test_partial_refund_with_unknown_outcome_is_never_retried(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, refund_plan("20.00"))
    http.post(URL, status=503)
    with pytest.raises(PermanentError, match="outcome unknown"):
        shopify.refund_order("1", Decimal("5.00"), None, notify=False)


def test_full_refund_with_a_5xx_is_retried(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, refund_plan("20.00"))
    http.post(URL, status=503)
    with pytest.raises(TransientError):
        shopify.refund_order("1", None, None, notify=False)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("NaN")])
def test_refund_amount_must_be_positive(
    http: responses.RequestsMock, shopify: ShopifyClient, amount: Decimal
) -> None:
    with pytest.raises(PermanentError):
        shopify.refund_order("1", amount, None, notify=False)
    assert len(http.calls) == 0


# --- products --------------------------------------------------------------------------------
def test_product_status(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"productUpdate": {"product": {"id": "p", "status": "DRAFT"}, "userErrors": []}})
    shopify.set_product_status("632910392", "draft")
    body = request_json(http)
    assert body["query"].startswith("mutation productUpdate($product: ProductUpdateInput!)")
    assert body["variables"] == {"product": {"id": "gid://shopify/Product/632910392", "status": "DRAFT"}}
    with pytest.raises(PermanentError):
        shopify.set_product_status("632910392", "HIDDEN")
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    ("method", "root"),
    [("publish_product", "publishablePublish"), ("unpublish_product", "publishableUnpublish")],
)
def test_publication(http: responses.RequestsMock, shopify: ShopifyClient, method: str, root: str) -> None:
    answer(http, {root: {"userErrors": []}})
    getattr(shopify, method)("632910392", "98765")
    body = request_json(http)
    assert body["query"].startswith(f"mutation {root}(")
    assert body["variables"] == {
        "id": "gid://shopify/Product/632910392",
        "input": [{"publicationId": "gid://shopify/Publication/98765"}],
    }


@pytest.mark.parametrize(
    ("compare_at", "sent"), [(Decimal("24.90"), "24.90"), (None, None)], ids=["compare-at", "cleared"]
)
def test_variant_price_goes_out_as_exact_strings(
    http: responses.RequestsMock, shopify: ShopifyClient, compare_at: Decimal | None, sent: str | None
) -> None:
    answer(http, {"productVariantsBulkUpdate": {"productVariants": [], "userErrors": []}})
    shopify.set_variant_price("10", "20", Decimal("19.99"), compare_at)
    body = request_json(http)
    assert body["query"].startswith("mutation productVariantsBulkUpdate(")
    assert body["variables"] == {
        "productId": "gid://shopify/Product/10",
        "variants": [{"id": "gid://shopify/ProductVariant/20", "price": "19.99", "compareAtPrice": sent}],
    }
    assert '"price": "19.99"' in http.calls[0].request.body.decode()  # type: ignore[union-attr]


def test_negative_price_is_refused(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    with pytest.raises(PermanentError):
        shopify.set_variant_price("10", "20", Decimal("-1"), None)
    assert len(http.calls) == 0


# --- discounts -------------------------------------------------------------------------------
DISCOUNT_DONE = {
    "discountCodeBasicCreate": {
        "codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/9"},
        "userErrors": [],
    }
}


def test_percentage_discount_code(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, DISCOUNT_DONE)
    made = shopify.create_discount_code(
        title="VIP 15%",
        code="VIP15",
        percentage=Decimal("15"),
        amount=None,
        currency_code=None,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=7),
        usage_limit=100,
        once_per_customer=True,
    )
    assert made == "gid://shopify/DiscountCodeNode/9"
    body = request_json(http)
    assert body["query"].startswith("mutation discountCodeBasicCreate(")
    assert body["variables"]["basicCodeDiscount"] == {
        "title": "VIP 15%",
        "code": "VIP15",
        "startsAt": "2026-11-24T12:00:00+00:00",
        "endsAt": "2026-12-01T12:00:00+00:00",
        "customerSelection": {"all": True},
        "customerGets": {"value": {"percentage": 0.15}, "items": {"all": True}},
        "usageLimit": 100,
        "appliesOncePerCustomer": True,
    }


def test_amount_discount_checks_the_shop_currency(
    http: responses.RequestsMock, shopify: ShopifyClient
) -> None:
    answer(http, {"shop": {"currencyCode": "EUR"}})
    answer(http, DISCOUNT_DONE)
    shopify.create_discount_code(
        title="5 off",
        code="FIVE",
        percentage=None,
        amount=Decimal("5.00"),
        currency_code="eur",
        starts_at=NOW.astimezone(timezone(timedelta(hours=1))),
        ends_at=None,
        usage_limit=None,
        once_per_customer=False,
    )
    discount = request_json(http, 1)["variables"]["basicCodeDiscount"]
    assert discount["customerGets"]["value"] == {
        "discountAmount": {"amount": "5.00", "appliesOnEachItem": False}
    }
    assert discount["startsAt"] == "2026-11-24T13:00:00+01:00"
    assert discount["endsAt"] is None


def test_amount_in_another_currency_is_refused(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(http, {"shop": {"currencyCode": "USD"}})
    with pytest.raises(PermanentError, match="EUR but the shop's currency is USD"):
        shopify.create_discount_code(
            title="t",
            code="C",
            percentage=None,
            amount=Decimal("5"),
            currency_code="EUR",
            starts_at=NOW,
            ends_at=None,
            usage_limit=None,
            once_per_customer=False,
        )
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"percentage": None, "amount": None},
        {"percentage": Decimal("10"), "amount": Decimal("5")},
        {"percentage": Decimal("120")},
        {"starts_at": datetime(2026, 11, 24, 12)},  # naive
        {"ends_at": NOW - timedelta(days=1)},
        {"usage_limit": 0},
    ],
)
def test_invalid_discount_sends_nothing(
    http: responses.RequestsMock, shopify: ShopifyClient, changes: dict[str, Any]
) -> None:
    args: dict[str, Any] = {
        "title": "t",
        "code": "C",
        "percentage": Decimal("10"),
        "amount": None,
        "currency_code": None,
        "starts_at": NOW,
        "ends_at": None,
        "usage_limit": None,
        "once_per_customer": False,
    }
    with pytest.raises(PermanentError):
        shopify.create_discount_code(**(args | changes))
    assert len(http.calls) == 0


def test_duplicate_discount_code_user_error(http: responses.RequestsMock, shopify: ShopifyClient) -> None:
    answer(
        http,
        {
            "discountCodeBasicCreate": {
                "codeDiscountNode": None,
                "userErrors": [{"field": ["basicCodeDiscount", "code"], "message": "Code must be unique."}],
            }
        },
    )
    with pytest.raises(PermanentError, match=r"basicCodeDiscount\.code: Code must be unique\."):
        shopify.create_discount_code(
            title="t",
            code="C",
            percentage=Decimal("10"),
            amount=None,
            currency_code=None,
            starts_at=NOW,
            ends_at=None,
            usage_limit=None,
            once_per_customer=False,
        )


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
        shopify.set_order_note("1", "x")
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
