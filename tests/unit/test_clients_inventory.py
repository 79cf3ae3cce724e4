"""The store calls of the inventory actions: Shopify publish/unpublish on the Online Store
publication (its id read first unless the store set it), tagsRemove, collectionAddProducts;
WooCommerce catalog visibility, categories and tag removal (read, remove, write)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from storekit.clients import ShopifyClient, WooClient
from storekit.clients.shopify import (
    ONLINE_STORE_LOOKUP,
    collection_add_call,
    publish_call,
    tags_remove_call,
)
from storekit.clients.woocommerce import catalog_visibility_call, categories_call
from storekit.clients.woocommerce import tags_remove_call as woo_tags_remove_call
from storekit.errors import PermanentError

pytestmark = pytest.mark.unit

SHOP = "demo-shop.myshopify.com"
GRAPHQL = f"https://{SHOP}/admin/api/2025-01/graphql.json"
API = "https://woo.example/wp-json/wc/v3"
ONLINE = "gid://shopify/Publication/79253979347"


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def body(http: responses.RequestsMock, index: int) -> dict[str, Any]:
    raw = http.calls[index].request.body
    assert raw is not None
    return dict(json.loads(raw))


def test_unpublish_reads_the_online_store_publication_first(http: responses.RequestsMock) -> None:
    call = publish_call(SHOP, "632910392", False, None)
    assert call.operation == "publishableUnpublish" and call.reads_first == ONLINE_STORE_LOOKUP
    assert call.body is not None
    assert call.body["variables"] == {
        "id": "gid://shopify/Product/632910392",
        "input": [{"publicationId": "Online Store"}],
    }
    publications = {
        "nodes": [
            {"id": "gid://shopify/Publication/1", "name": "Point of Sale"},
            {"id": ONLINE, "name": "Online Store"},
        ]
    }
    http.post(GRAPHQL, json={"data": {"publications": publications}})
    http.post(GRAPHQL, json={"data": {"publishableUnpublish": {"userErrors": []}}})
    ShopifyClient(SHOP, "shpat_x", requests.Session()).send(call)
    assert "publications" in body(http, 0)["query"]
    sent = body(http, 1)
    assert sent["query"].startswith("mutation publishableUnpublish")
    assert sent["variables"]["input"] == [{"publicationId": ONLINE}]


def test_publish_with_the_store_s_publication_id_is_one_call(http: responses.RequestsMock) -> None:
    call = publish_call(SHOP, "632910392", True, "79253979347")
    assert call.reads_first is None
    http.post(GRAPHQL, json={"data": {"publishablePublish": {"userErrors": []}}})
    ShopifyClient(SHOP, "shpat_x", requests.Session()).send(call)
    assert body(http, 0)["variables"]["input"] == [{"publicationId": ONLINE}]


def test_a_store_without_an_online_store_is_a_permanent_error(http: responses.RequestsMock) -> None:
    http.post(
        GRAPHQL,
        json={
            "data": {
                "publications": {"nodes": [{"id": "gid://shopify/Publication/1", "name": "Point of Sale"}]}
            }
        },
    )
    with pytest.raises(PermanentError, match="no Online Store publication"):
        ShopifyClient(SHOP, "shpat_x", requests.Session()).send(publish_call(SHOP, "1", False, None))


def test_tags_remove_and_collection_add_are_the_documented_mutations() -> None:
    remove = tags_remove_call(SHOP, "Product", "632910392", [" sold-out ", ""])
    assert remove.body is not None and remove.body["variables"] == {
        "id": "gid://shopify/Product/632910392",
        "tags": ["sold-out"],
    }
    add = collection_add_call(SHOP, "841564295", "632910392")
    assert add.body is not None and add.body["variables"] == {
        "id": "gid://shopify/Collection/841564295",
        "productIds": ["gid://shopify/Product/632910392"],
    }


def test_woocommerce_visibility_and_categories() -> None:
    hide = catalog_visibility_call("https://woo.example", "794", "hidden")
    assert (hide.method, hide.url, hide.body) == (
        "PUT",
        f"{API}/products/794",
        {"catalog_visibility": "hidden"},
    )
    with pytest.raises(PermanentError):
        catalog_visibility_call("https://woo.example", "794", "gone")
    put = categories_call("https://woo.example", "794", ["9", "14"], "20")
    assert put.body == {"categories": [{"id": 9}, {"id": 14}, {"id": 20}]}


def test_woocommerce_tag_removal_keeps_the_other_tags(http: responses.RequestsMock) -> None:
    http.get(
        f"{API}/orders/727",
        json={"id": 727, "meta_data": [{"key": "_storeflow_tags", "value": "vip,Sold-Out,x"}]},
    )
    http.put(f"{API}/orders/727", json={"id": 727})
    woo = WooClient("https://woo.example", "ck_x", "cs_x", requests.Session())
    assert woo.send(woo_tags_remove_call("https://woo.example", "order", "727", ["sold-out"])) == "vip,x"
    assert body(http, 1) == {"meta_data": [{"key": "_storeflow_tags", "value": "vip,x"}]}
