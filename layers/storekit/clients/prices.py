"""Variant prices in bulk, for sales: reading the variants a sale selects and writing many prices in
few calls (Shopify `productVariantsBulkUpdate`, one call per product; WooCommerce `products/batch`,
up to 100 simple products per call, and `products/{id}/variations/batch` per variable product).

Every call is rendered into an ApiCall first (what a dry-run shows) and sent through a `send`
function the caller gives (the sale runner's: it counts calls and waits out throttling).

WooCommerce has price + sale price where Shopify has compare-at + price: a WooCommerce variant's
price here is its sale price when one is set (its regular price the compare-at), else its regular
price with no compare-at; writing maps back the same way, so a restore is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from storekit.clients.shopify import gid, graphql_call
from storekit.clients.woocommerce import rest_call
from storekit.errors import PermanentError
from storekit.models import to_money
from storekit.outbound import ApiCall

Send = Callable[[ApiCall], Any]

#: products per read page / per WooCommerce batch; variants read per Shopify product
PAGE: Final = 50
WOO_PAGE: Final = 100
WOO_BATCH: Final = 100
SHOPIFY_VARIANTS: Final = 250


class VariantPrice(BaseModel):
    """A variant's price as the store shows it now."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    product_id: str
    variant_id: str
    sku: str | None = None
    price: Decimal
    compare_at: Decimal | None = None


class PriceUpdate(BaseModel):
    """What one variant's price and compare-at price are set to."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    variant_id: str
    price: Decimal
    compare_at: Decimal | None = None


Product = tuple[str, list[VariantPrice]]

_VARIANT_FIELDS = f"id variants(first: {SHOPIFY_VARIANTS}) {{ nodes {{ id sku price compareAtPrice }} }}"
NODES = f"""query saleProducts($ids: [ID!]!) {{
  nodes(ids: $ids) {{ ... on Product {{ {_VARIANT_FIELDS} }} }} }}"""
SEARCH = f"""query saleSearch($query: String!, $after: String) {{
  products(first: {PAGE}, after: $after, query: $query) {{
    pageInfo {{ hasNextPage endCursor }} nodes {{ {_VARIANT_FIELDS} }} }} }}"""
COLLECTION = f"""query saleCollection($id: ID!, $after: String) {{
  collection(id: $id) {{ products(first: {PAGE}, after: $after) {{
    pageInfo {{ hasNextPage endCursor }} nodes {{ {_VARIANT_FIELDS} }} }} }} }}"""
BULK_UPDATE = """mutation productVariantsBulkUpdate(
  $productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id } userErrors { field message } } }"""


def _tail(gid_text: str) -> str:
    return str(gid_text).rsplit("/", 1)[-1]


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def _money(value: Any, what: str) -> Decimal | None:
    try:
        return to_money(value)
    except (ValueError, ArithmeticError) as exc:
        raise PermanentError(f"{what}: the store sent a price that is not a number") from exc


class ShopifyPrices:
    """Shopify Admin GraphQL: products by id, tag, SKU or collection; bulk price writes per product."""

    def __init__(self, shop_domain: str) -> None:
        self.shop = shop_domain

    def _product(self, node: Any) -> Product | None:
        if not isinstance(node, dict) or "id" not in node:
            return None  # a deleted product: `nodes` answers null
        product_id = _tail(node["id"])
        variants = []
        for v in (node.get("variants") or {}).get("nodes") or []:
            price = _money(v.get("price"), "Shopify variant")
            if price is None:
                continue
            variants.append(
                VariantPrice(
                    product_id=product_id,
                    variant_id=_tail(v["id"]),
                    sku=v.get("sku") or None,
                    price=price,
                    compare_at=_money(v.get("compareAtPrice"), "Shopify variant"),
                )
            )
        return product_id, variants

    def by_ids(self, product_ids: Sequence[str], send: Send) -> Iterator[Product]:
        for chunk in _chunks(product_ids, PAGE):
            call = graphql_call(self.shop, "nodes", NODES, {"ids": [gid("Product", p) for p in chunk]})
            for node in send(call).get("nodes") or []:
                found = self._product(node)
                if found is not None:
                    yield found

    def _search(self, query: str, send: Send) -> Iterator[Product]:
        after: str | None = None
        while True:
            call = graphql_call(self.shop, "products", SEARCH, {"query": query, "after": after})
            page = send(call).get("products") or {}
            for node in page.get("nodes") or []:
                found = self._product(node)
                if found is not None:
                    yield found
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    def selected(self, selector: str, values: Sequence[str], send: Send) -> Iterator[Product]:
        """The products (with their variants) a sale selects; for SKUs only the variants named."""
        if selector == "product_ids":
            yield from self.by_ids(values, send)
        elif selector == "tags":
            for chunk in _chunks(values, 20):
                yield from self._search(" OR ".join(f"tag:{_quoted(t)}" for t in chunk), send)
        elif selector == "skus":
            wanted = set(values)
            for chunk in _chunks(values, 50):
                for product_id, variants in self._search(
                    " OR ".join(f"sku:{_quoted(s)}" for s in chunk), send
                ):
                    yield product_id, [v for v in variants if v.sku in wanted]
        elif selector == "collection_ids":
            for collection in values:
                after: str | None = None
                while True:
                    variables = {"id": gid("Collection", collection), "after": after}
                    answer = send(graphql_call(self.shop, "collection", COLLECTION, variables))
                    page = (answer.get("collection") or {}).get("products") or {}
                    for node in page.get("nodes") or []:
                        found = self._product(node)
                        if found is not None:
                            yield found
                    info = page.get("pageInfo") or {}
                    if not info.get("hasNextPage"):
                        break
                    after = info.get("endCursor")
        else:
            raise PermanentError(
                f"a sale selects by product_ids, collection_ids, tags or skus, not {selector}"
            )

    def batches(self, products: Sequence[tuple[str, bool]]) -> list[list[str]]:
        """One write per product (productVariantsBulkUpdate takes one product's variants)."""
        return [[product_id] for product_id, _ in products]

    def update_call(self, updates: Sequence[tuple[str, bool, list[PriceUpdate]]]) -> ApiCall:
        [(product_id, _, variants)] = updates
        body = [
            {
                "id": gid("ProductVariant", u.variant_id),
                "price": str(u.price),
                "compareAtPrice": None if u.compare_at is None else str(u.compare_at),
            }
            for u in variants
        ]
        return graphql_call(
            self.shop,
            "productVariantsBulkUpdate",
            BULK_UPDATE,
            {"productId": gid("Product", product_id), "variants": body},
        )


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class WooPrices:
    """WooCommerce REST v3: products by id, category, tag id or SKU (with their variations);
    batch price writes."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _get(self, path: str, send: Send) -> list[Any]:
        answer = send(rest_call(self.base_url, "read products", "GET", path, None))
        if not isinstance(answer, list):
            raise PermanentError("WooCommerce read products: the answer is not a list")
        return answer

    def _variant(self, product_id: str, item: dict[str, Any]) -> VariantPrice | None:
        regular = _money(item.get("regular_price"), "WooCommerce product")
        sale = _money(item.get("sale_price"), "WooCommerce product")
        if regular is None and sale is None:
            return None  # no price set: nothing a sale can lower
        price, compare = (sale, regular) if sale is not None else (regular, None)
        assert price is not None
        return VariantPrice(
            product_id=product_id,
            variant_id=str(item["id"]),
            sku=item.get("sku") or None,
            price=price,
            compare_at=compare,
        )

    def _products(self, query: str, send: Send, only_skus: set[str] | None = None) -> Iterator[Product]:
        page = 1
        while True:
            items = self._get(f"products?{query}&per_page={WOO_PAGE}&page={page}", send)
            for item in items:
                product_id = str(item["id"])
                if item.get("type") == "variable":
                    variants = list(self._variations(product_id, send))
                else:
                    found = self._variant(product_id, item)
                    variants = [found] if found is not None else []
                if only_skus is not None:
                    variants = [v for v in variants if v.sku in only_skus]
                yield product_id, variants
            if len(items) < WOO_PAGE:
                return
            page += 1

    def _variations(self, product_id: str, send: Send) -> Iterator[VariantPrice]:
        page = 1
        while True:
            items = self._get(f"products/{product_id}/variations?per_page={WOO_PAGE}&page={page}", send)
            for item in items:
                found = self._variant(product_id, item)
                if found is not None:
                    yield found
            if len(items) < WOO_PAGE:
                return
            page += 1

    def by_ids(self, product_ids: Sequence[str], send: Send) -> Iterator[Product]:
        for chunk in _chunks(product_ids, WOO_PAGE):
            yield from self._products("include=" + ",".join(_number(p) for p in chunk), send)

    def selected(self, selector: str, values: Sequence[str], send: Send) -> Iterator[Product]:
        if selector == "product_ids":
            yield from self.by_ids(values, send)
        elif selector == "collection_ids":  # WooCommerce: product categories
            for category in values:
                yield from self._products(f"category={_number(category)}", send)
        elif selector == "tags":  # WooCommerce filters by tag id
            for tag in values:
                yield from self._products(f"tag={_number(tag)}", send)
        elif selector == "skus":
            for chunk in _chunks(values, 50):
                yield from self._products("sku=" + quote(",".join(chunk), safe=","), send, set(values))
        else:
            raise PermanentError(
                f"a sale selects by product_ids, collection_ids, tags or skus, not {selector}"
            )

    def batches(self, products: Sequence[tuple[str, bool]]) -> list[list[str]]:
        """Variable products one per call (their variations' batch); simple ones 100 per call."""
        out: list[list[str]] = []
        simple: list[str] = []
        for product_id, variable in products:
            if variable:
                out.append([product_id])
            else:
                simple.append(product_id)
                if len(simple) == WOO_BATCH:
                    out.append(simple)
                    simple = []
        if simple:
            out.append(simple)
        return out

    def update_call(self, updates: Sequence[tuple[str, bool, list[PriceUpdate]]]) -> ApiCall:
        def fields(u: PriceUpdate) -> dict[str, Any]:
            if u.compare_at is None:
                return {"id": int(_number(u.variant_id)), "regular_price": str(u.price), "sale_price": ""}
            return {
                "id": int(_number(u.variant_id)),
                "regular_price": str(u.compare_at),
                "sale_price": str(u.price),
            }

        if len(updates) == 1 and updates[0][1]:
            product_id, _, variants = updates[0]
            path = f"products/{_number(product_id)}/variations/batch"
            return rest_call(
                self.base_url,
                "update variation prices",
                "POST",
                path,
                {"update": [fields(u) for u in variants]},
            )
        body = {"update": [fields(u) for _, _, variants in updates for u in variants]}
        return rest_call(self.base_url, "update product prices", "POST", "products/batch", body)


def _number(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 20:
        raise PermanentError(f"WooCommerce ids are numbers, not {text[:40]!r}")
    return text


def is_variable(platform: str, product_id: str, variants: Sequence[VariantPrice]) -> bool:
    """A WooCommerce product whose variants are variations (written through their own batch)."""
    return platform == "woocommerce" and any(v.variant_id != product_id for v in variants)


def price_book(platform: str, shop_domain: str) -> ShopifyPrices | WooPrices:
    return ShopifyPrices(shop_domain) if platform == "shopify" else WooPrices(shop_domain)
