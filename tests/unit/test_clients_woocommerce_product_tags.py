"""WooCommerce product tags (terms set by id) against recorded REST v3 answers: each tag's id found by
name or created, the product's own tags read first and kept, nothing written when nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from functions.engine.perform import render
from storekit.actions import AddTags, RemoveTags
from storekit.clients import WooClient
from storekit.clients.woocommerce import tags_add_call, tags_remove_call
from storekit.errors import PermanentError, TransientError
from tests.payloads import FIXTURES

pytestmark = pytest.mark.unit

BASE = "https://woo.example"
API = "https://woo.example/wp-json/wc/v3"
RECORDED = Path(__file__).resolve().parents[1] / "events" / "woocommerce" / "api"
TAG_LIST = json.loads((RECORDED / "products_tags_list__rest-api-docs.json").read_text())  # 34, 35
CREATED = json.loads((RECORDED / "products_tags_create__rest-api-docs.json").read_text())  # 34
TERM_EXISTS = json.loads((RECORDED / "products_tags_create__term-exists.json").read_text())
#: the docs' product 794 (no tags)
PRODUCT = json.loads((FIXTURES / "woocommerce" / "product_created__rest-api-docs.json").read_text())


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def woo() -> WooClient:
    return WooClient(BASE, "ck_" + "1" * 40, "cs_" + "2" * 40, requests.Session())


def product_with(*tags: dict[str, Any]) -> dict[str, Any]:
    return {**PRODUCT, "tags": list(tags)}


def leather() -> dict[str, Any]:
    return {key: TAG_LIST[0][key] for key in ("id", "name", "slug")}


def writes(http: responses.RequestsMock) -> list[tuple[str, str, Any]]:
    return [
        (c.request.method, str(c.request.url), json.loads(c.request.body or b"null"))
        for c in http.calls
        if c.request.method in ("PUT", "POST")
    ]


def test_the_rendered_call_names_the_tags_and_what_is_read_first() -> None:
    call = tags_add_call(BASE, "product", "794", ["Leather Shoes", " leather shoes ", "sold-out"])
    assert (call.operation, call.method, call.path) == (
        "add product tags",
        "PUT",
        "/wp-json/wc/v3/products/794",
    )
    assert call.body == {"tags": [{"name": "Leather Shoes"}, {"name": "sold-out"}]}
    assert call.reads_first is not None and "products/tags?search=" in call.reads_first
    with pytest.raises(PermanentError):
        tags_add_call(BASE, "product", "794", [" ", ""])
    with pytest.raises(PermanentError):
        tags_add_call(BASE, "product", "not-an-id", ["x"])


def test_an_existing_tag_is_found_by_name_and_added_after_the_products_own(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    oxford = {key: TAG_LIST[1][key] for key in ("id", "name", "slug")}
    http.get(f"{API}/products/794", json=product_with(oxford))
    http.get(f"{API}/products/tags", json=TAG_LIST)
    http.put(f"{API}/products/794", json=product_with(oxford, leather()))
    saved = woo.send(tags_add_call(BASE, "product", "794", ["leather shoes"]))
    assert writes(http) == [("PUT", f"{API}/products/794", {"tags": [{"id": 35}, {"id": 34}]})]
    search = http.calls[1].request.url
    assert "search=leather+shoes" in str(search) and "per_page=100" in str(search)
    assert saved == "Oxford Shoes,leather shoes"


def test_a_missing_tag_is_created_then_set(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/products/794", json=product_with())
    http.get(f"{API}/products/tags", json=[])
    http.post(f"{API}/products/tags", json=CREATED, status=201)
    http.put(f"{API}/products/794", json=product_with(leather()))
    woo.send(tags_add_call(BASE, "product", "794", ["Leather Shoes"]))
    assert writes(http) == [
        ("POST", f"{API}/products/tags", {"name": "Leather Shoes"}),
        ("PUT", f"{API}/products/794", {"tags": [{"id": 34}]}),
    ]


def test_a_tag_created_meanwhile_is_taken_from_the_term_exists_answer(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    http.get(f"{API}/products/794", json=product_with())
    http.get(f"{API}/products/tags", json=[])  # the search missed it (another worker made it just now)
    http.post(f"{API}/products/tags", json=TERM_EXISTS, status=400)
    http.put(f"{API}/products/794", json=product_with(leather()))
    woo.send(tags_add_call(BASE, "product", "794", ["Leather Shoes"]))
    assert writes(http)[-1] == ("PUT", f"{API}/products/794", {"tags": [{"id": 34}]})


def test_nothing_is_written_when_the_product_has_the_tags_already(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    http.get(f"{API}/products/794", json=product_with(leather()))
    woo.send(tags_add_call(BASE, "product", "794", ["LEATHER SHOES"]))
    assert [c.request.method for c in http.calls] == ["GET"]


def test_removing_keeps_the_other_tags_and_never_creates_one(
    http: responses.RequestsMock, woo: WooClient
) -> None:
    oxford = {key: TAG_LIST[1][key] for key in ("id", "name", "slug")}
    http.get(f"{API}/products/794", json=product_with(leather(), oxford))
    http.put(f"{API}/products/794", json=product_with(oxford))
    assert (
        woo.send(tags_remove_call(BASE, "product", "794", ["leather shoes", "never-there"])) == "Oxford Shoes"
    )
    assert writes(http) == [("PUT", f"{API}/products/794", {"tags": [{"id": 35}]})]


def test_errors_stay_typed(http: responses.RequestsMock, woo: WooClient) -> None:
    http.get(f"{API}/products/794", json=product_with())
    http.get(f"{API}/products/tags", json=[])
    http.post(f"{API}/products/tags", json={"code": "rest_cannot_create"}, status=403)
    with pytest.raises(PermanentError, match="rest_cannot_create"):
        woo.send(tags_add_call(BASE, "product", "794", ["x"]))
    http.replace(responses.POST, f"{API}/products/tags", json={"code": "internal"}, status=503)
    with pytest.raises(TransientError):
        woo.send(tags_add_call(BASE, "product", "794", ["x"]))


def test_the_preview_of_a_woocommerce_product_tag_action(woo_store: Any) -> None:
    store, runtime = woo_store
    add = render(AddTags(resource="product", resource_id="794", tags=["sold-out"]), store, runtime)
    assert add.model_dump()["operation"] == "add product tags"
    assert add.model_dump()["body"] == {"tags": [{"name": "sold-out"}]}
    remove = render(RemoveTags(resource="product", resource_id="794", tags=["sold-out"]), store, runtime)
    assert remove.model_dump()["operation"] == "remove product tags"


@pytest.fixture
def woo_store() -> Any:
    from datetime import UTC, datetime

    from storekit.store import StoreConfig

    now = datetime(2026, 11, 24, tzinfo=UTC)
    store = StoreConfig(
        store_id="demo",
        platform="woocommerce",
        shop_domain=BASE,
        name="Demo",
        created_at=now,
        updated_at=now,
    )
    return store, None
