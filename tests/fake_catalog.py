"""In-memory store APIs for sales tests and the bench: a Shopify Admin GraphQL endpoint and a
WooCommerce REST API that answer the calls storekit.clients.prices sends (through `responses`, so
the real clients, HTTP classification and throttling code run), and throttle on demand: every
`throttle_every`-th call is refused, alternately with HTTP 429 + Retry-After and GraphQL THROTTLED.

Seeded from the real product payloads in tests/events/real (or generated for the bench)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from tests.payloads import FIXTURES

SHOP = "demo.myshopify.com"
GRAPHQL = f"https://{SHOP}/admin/api/2025-01/graphql.json"


@dataclass
class FakeVariant:
    sku: str | None
    price: Decimal
    compare_at: Decimal | None = None


@dataclass
class FakeProduct:
    variants: dict[str, FakeVariant]
    tags: set[str] = field(default_factory=set)
    collections: set[str] = field(default_factory=set)
    variable: bool = True


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def shopify_products_from_real() -> dict[str, FakeProduct]:
    """The two real Shopify product payloads (an iPod with 4 variants, a shirt with 2 on sale)."""
    products = {}
    for name in ("products_update__python-api-product.json", "products_create__hookdeck-2024-10.json"):
        data = json.loads((FIXTURES / "shopify" / name).read_text())
        products[str(data["id"])] = FakeProduct(
            variants={
                str(v["id"]): FakeVariant(
                    v.get("sku") or None, Decimal(v["price"]), _money(v.get("compare_at_price"))
                )
                for v in data["variants"]
            },
            tags={t.strip() for t in str(data.get("tags") or "").split(",") if t.strip()},
        )
    return products


def generated_products(count: int, variants_each: int, first_id: int = 1000) -> dict[str, FakeProduct]:
    """`count` products of `variants_each` variants, prices 10.00 + a few cents, tagged "bulk"."""
    products = {}
    for p in range(count):
        pid = str(first_id + p)
        products[pid] = FakeProduct(
            variants={
                f"{pid}{v:03d}": FakeVariant(f"SKU-{pid}-{v}", Decimal("10.00") + Decimal(v) / 100)
                for v in range(variants_each)
            },
            tags={"bulk"},
            collections={"77"},
        )
    return products


class FakeStoreApi:
    """Counts calls and throttles every `throttle_every`-th one (0: never)."""

    def __init__(self, products: dict[str, FakeProduct], throttle_every: int = 0) -> None:
        self.products = products
        self.throttle_every = throttle_every
        self.calls = 0
        self.throttles = 0
        self.writes = 0
        #: platform discounts (Shopify automatic discounts, WooCommerce coupons) by id: what was sent
        self.discounts: dict[str, dict[str, Any]] = {}
        #: activate / deactivate calls (discount id, status after) and WooCommerce coupon updates
        self.toggles: list[tuple[str, str]] = []
        #: product ids whose price writes the store refuses (Shopify: "Product does not exist")
        self.refuse_writes: set[str] = set()

    def find_variant(self, variant_id: str) -> tuple[str, FakeVariant] | None:
        for pid, product in self.products.items():
            if variant_id in product.variants:
                return pid, product.variants[variant_id]
        return None

    def _throttled(self) -> bool:
        self.calls += 1
        if self.throttle_every and self.calls % self.throttle_every == 0:
            self.throttles += 1
            return True
        return False


class FakeShopify(FakeStoreApi):
    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, GRAPHQL, callback=self.answer)

    def _node(self, pid: str) -> dict[str, Any]:
        product = self.products[pid]
        return {
            "id": f"gid://shopify/Product/{pid}",
            "variants": {
                "nodes": [
                    {
                        "id": f"gid://shopify/ProductVariant/{vid}",
                        "sku": v.sku,
                        "price": str(v.price),
                        "compareAtPrice": None if v.compare_at is None else str(v.compare_at),
                    }
                    for vid, v in product.variants.items()
                ]
            },
        }

    def _page(self, pids: list[str], after: str | None) -> dict[str, Any]:
        start = int(after or 0)
        chunk = pids[start : start + 50]
        more = start + 50 < len(pids)
        return {
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + 50) if more else None},
            "nodes": [self._node(p) for p in chunk],
        }

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        if self._throttled():
            if self.throttles % 2:
                return 429, {"Retry-After": "2"}, json.dumps({"errors": "Exceeded 2 calls per second"})
            body = {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 112,
                        "throttleStatus": {
                            "maximumAvailable": 2000,
                            "currentlyAvailable": 12,
                            "restoreRate": 100,
                        },
                    }
                },
            }
            return 200, {}, json.dumps(body)
        sent = json.loads(request.body)
        query, variables = sent["query"], sent["variables"]
        tail = lambda g: g.rsplit("/", 1)[-1]  # noqa: E731
        if "query saleProducts" in query:
            ids = [tail(g) for g in variables["ids"]]
            data: dict[str, Any] = {"nodes": [self._node(p) if p in self.products else None for p in ids]}
        elif "query saleSearch" in query:
            q = variables["query"]
            tags = set(re.findall(r'tag:"([^"]*)"', q))
            skus = set(re.findall(r'sku:"([^"]*)"', q))
            pids = [
                p
                for p, prod in self.products.items()
                if prod.tags & tags or any(v.sku in skus for v in prod.variants.values())
            ]
            data = {"products": self._page(pids, variables.get("after"))}
        elif "query saleCollection" in query:
            cid = tail(variables["id"])
            pids = [p for p, prod in self.products.items() if cid in prod.collections]
            data = {"collection": {"products": self._page(pids, variables.get("after"))}}
        elif "productVariantsBulkUpdate" in query:
            self.writes += 1
            pid = tail(variables["productId"])
            product = self.products.get(pid) if pid not in self.refuse_writes else None
            if product is None:
                data = {
                    "productVariantsBulkUpdate": {
                        "productVariants": None,
                        "userErrors": [{"field": ["productId"], "message": "Product does not exist"}],
                    }
                }
            else:
                missing = [u for u in variables["variants"] if tail(u["id"]) not in product.variants]
                if missing:
                    data = {
                        "productVariantsBulkUpdate": {
                            "productVariants": None,
                            "userErrors": [
                                {
                                    "field": ["variants", "0", "id"],
                                    "message": "Product variant does not exist",
                                }
                            ],
                        }
                    }
                else:
                    for u in variables["variants"]:
                        v = product.variants[tail(u["id"])]
                        v.price = Decimal(u["price"])
                        v.compare_at = _money(u["compareAtPrice"])
                    data = {"productVariantsBulkUpdate": {"productVariants": [], "userErrors": []}}
        elif "discountAutomaticBasicCreate" in query:
            new_id = str(900 + len(self.discounts))
            self.discounts[new_id] = variables["automaticBasicDiscount"]
            node = {"id": f"gid://shopify/DiscountAutomaticNode/{new_id}"}
            data = {"discountAutomaticBasicCreate": {"automaticDiscountNode": node, "userErrors": []}}
        elif "discountAutomaticBxgyCreate" in query:
            new_id = str(900 + len(self.discounts))
            self.discounts[new_id] = variables["automaticBxgyDiscount"]
            node = {"id": f"gid://shopify/DiscountAutomaticNode/{new_id}"}
            data = {"discountAutomaticBxgyCreate": {"automaticDiscountNode": node, "userErrors": []}}
        elif "discountAutomaticActivate" in query or "discountAutomaticDeactivate" in query:
            root = (
                "discountAutomaticActivate"
                if "discountAutomaticActivate" in query
                else "discountAutomaticDeactivate"
            )
            found = self.discounts.get(tail(variables["id"]))
            errors = [] if found is not None else [{"field": ["id"], "message": "Discount does not exist"}]
            if found is not None:
                found["status"] = "ACTIVE" if root == "discountAutomaticActivate" else "EXPIRED"
                self.toggles.append((tail(variables["id"]), found["status"]))
            data = {root: {"automaticDiscountNode": {"id": variables["id"]}, "userErrors": errors}}
        elif "discountAutomaticDelete" in query:
            gone = self.discounts.pop(tail(variables["id"]), None)
            errors = [] if gone else [{"field": ["id"], "message": "Discount does not exist"}]
            data = {
                "discountAutomaticDelete": {
                    "deletedAutomaticDiscountId": variables["id"],
                    "userErrors": errors,
                }
            }
        else:
            return 400, {}, json.dumps({"errors": "unknown operation"})
        return 200, {}, json.dumps({"data": data})


class FakeWoo(FakeStoreApi):
    """WooCommerce REST: simple products (the variant id is the product id, variable=False) and
    variable ones (variations)."""

    def __init__(self, base_url: str, products: dict[str, FakeProduct], throttle_every: int = 0) -> None:
        super().__init__(products, throttle_every)
        self.base = base_url.rstrip("/") + "/wp-json/wc/v3/"

    def install(self, mock: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(self.base) + ".*")
        mock.add_callback(responses.GET, pattern, callback=self.answer)
        mock.add_callback(responses.POST, pattern, callback=self.answer)
        mock.add_callback(responses.DELETE, pattern, callback=self.answer)
        mock.add_callback(responses.PUT, pattern, callback=self.answer)

    @staticmethod
    def _fields(vid: str, v: FakeVariant) -> dict[str, Any]:
        if v.compare_at is None:
            return {"id": int(vid), "sku": v.sku or "", "regular_price": str(v.price), "sale_price": ""}
        return {
            "id": int(vid),
            "sku": v.sku or "",
            "regular_price": str(v.compare_at),
            "sale_price": str(v.price),
        }

    def _product(self, pid: str) -> dict[str, Any]:
        product = self.products[pid]
        if product.variable:
            return {"id": int(pid), "type": "variable", "regular_price": "", "sale_price": "", "sku": ""}
        return {**self._fields(pid, product.variants[pid]), "type": "simple"}

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        if self._throttled():
            return 429, {"Retry-After": "1"}, json.dumps({"code": "too_many_requests"})
        parts = urlsplit(request.url)
        path = parts.path.split("/wp-json/wc/v3/", 1)[1]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        page, per = int(query.get("page", 1)), int(query.get("per_page", 10))
        if request.method == "GET" and path == "products":
            pids = list(self.products)
            if "include" in query:
                wanted = query["include"].split(",")
                pids = [p for p in pids if p in wanted]
            if "category" in query:
                pids = [p for p in pids if query["category"] in self.products[p].collections]
            if "tag" in query:
                pids = [p for p in pids if query["tag"] in self.products[p].tags]
            if "sku" in query:
                skus = set(query["sku"].split(","))
                pids = [p for p in pids if any(v.sku in skus for v in self.products[p].variants.values())]
            chunk = pids[(page - 1) * per : page * per]
            return 200, {}, json.dumps([self._product(p) for p in chunk])
        m = re.match(r"^products/(\d+)/variations$", path)
        if request.method == "GET" and m:
            product = self.products.get(m.group(1))
            if product is None:
                return 404, {}, json.dumps({"code": "woocommerce_rest_product_invalid_id"})
            items = [self._fields(vid, v) for vid, v in product.variants.items()]
            return 200, {}, json.dumps(items[(page - 1) * per : page * per])
        m = re.match(r"^products/(\d+)/variations/batch$", path)
        if request.method == "POST" and (m or path == "products/batch"):
            self.writes += 1
            body = json.loads(request.body)
            for u in body["update"]:
                vid = str(u["id"])
                found = self.find_variant(vid)
                if found is None:
                    continue  # WooCommerce answers an error item for it; the others are saved
                _, v = found
                regular, sale = _money(u["regular_price"]), _money(u["sale_price"])
                v.price, v.compare_at = (sale, regular) if sale is not None else (regular, None)  # type: ignore[assignment]
            return 200, {}, json.dumps({"update": body["update"]})
        if request.method == "POST" and path == "coupons":
            new_id = str(500 + len(self.discounts))
            self.discounts[new_id] = json.loads(request.body)
            return 201, {}, json.dumps({"id": int(new_id), **self.discounts[new_id]})
        m = re.match(r"^coupons/(\d+)$", path)
        if request.method == "PUT" and m:
            if m.group(1) not in self.discounts:
                return 404, {}, json.dumps({"code": "woocommerce_rest_shop_coupon_invalid_id"})
            self.discounts[m.group(1)].update(json.loads(request.body))
            self.toggles.append((m.group(1), self.discounts[m.group(1)]["date_expires_gmt"]))
            return 200, {}, json.dumps({"id": int(m.group(1)), **self.discounts[m.group(1)]})
        if request.method == "DELETE" and m:
            if self.discounts.pop(m.group(1), None) is None:
                return 404, {}, json.dumps({"code": "woocommerce_rest_shop_coupon_invalid_id"})
            return 200, {}, json.dumps({"id": int(m.group(1))})
        return 404, {}, json.dumps({"code": "rest_no_route"})
