"""WooCommerce REST API v3: each call is first rendered into an ApiCall (method, path, JSON body),
then sent by WooClient (HTTP Basic auth with a REST key pair, HTTPS only).

Tags: WooCommerce orders and customers have none, so storeflow keeps its tags in an order/customer
meta field (WOO_TAGS_META). Product tags are terms set by id: each tag's id is found by name
(`GET products/tags?search=`), else the tag is created (`POST products/tags`; a `term_exists`
answer names the existing id), then the product's own tags are read and the product is written
with its tag ids plus (or minus) these (`PUT products/{id}` `{"tags": [{"id"}, ...]}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import requests

from storekit.clients.http import LOCAL_HOSTS, TIMEOUT, json_of, raise_for_response, send
from storekit.errors import ConfigurationError, PermanentError, TransientError
from storekit.outbound import ApiCall

#: WooCommerce has no order/customer tags: storeflow keeps them in this meta key (comma-separated)
WOO_TAGS_META: Final = "_storeflow_tags"
ADD_TAGS: Final = "add tags"
REMOVE_TAGS: Final = "remove tags"
ADD_PRODUCT_TAGS: Final = "add product tags"
REMOVE_PRODUCT_TAGS: Final = "remove product tags"
_NUMERIC = re.compile(r"^[0-9]{1,20}$")


def _id(value: str | int, what: str) -> str:
    text = str(value).strip()
    if not _NUMERIC.match(text):
        raise PermanentError(f"{what}: WooCommerce ids are numbers")
    return text


def merge_tags(saved: Iterable[str], add: Iterable[str] = ()) -> list[str]:
    """Saved tags plus `add`, in order, each once (tags compare case-insensitively, as in Shopify)."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in [*saved, *add]:
        text = tag.strip()
        folded = text.casefold()
        if text and folded not in seen:
            seen.add(folded)
            out.append(text)
    return out


def api_root(base_url: str) -> tuple[str, str]:
    """(origin, path prefix) of the store's REST API: ('https://shop.example', '/wp-json/wc/v3')."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError("WooCommerce store URL must look like https://shop.example")
    if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
        raise ConfigurationError("WooCommerce API keys are only sent over https")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError("WooCommerce store URL must not carry credentials, a query or a fragment")
    return f"{parts.scheme}://{parts.netloc}", f"{parts.path.rstrip('/')}/wp-json/wc/v3"


def rest_call(
    base_url: str, operation: str, method: str, path: str, body: dict[str, Any] | None, **extra: Any
) -> ApiCall:
    origin, prefix = api_root(base_url)
    full = f"{prefix}/{path}"
    return ApiCall(
        platform="woocommerce",
        operation=operation,
        method=method,
        url=origin + full,
        path=full,
        body=body,
        **extra,
    )


def tags_add_call(base_url: str, resource: str, resource_id: str, tags: list[str]) -> ApiCall:
    """The PUT that saves `tags` in the order's or customer's tags meta field. The tags already
    saved there are read first and kept: the value written is those tags followed by these."""
    return _tags_call(
        base_url,
        ADD_TAGS,
        resource,
        resource_id,
        tags,
        note=f"the tags already saved in {WOO_TAGS_META} are kept, these are added after them "
        "(the PUT is skipped when all are there already)",
    )


def tags_remove_call(base_url: str, resource: str, resource_id: str, tags: list[str]) -> ApiCall:
    """The PUT that removes `tags` from the order's or customer's tags meta field (read first; the
    other tags saved there are kept)."""
    return _tags_call(
        base_url,
        REMOVE_TAGS,
        resource,
        resource_id,
        tags,
        note=f"these tags are taken out of the ones saved in {WOO_TAGS_META}, the others kept "
        "(the PUT is skipped when none is there)",
    )


def _tags_call(
    base_url: str, operation: str, resource: str, resource_id: str, tags: list[str], note: str
) -> ApiCall:
    """The tags meta-field PUT both tag calls send (the saved tags are read first and merged); a
    product's tags are its own terms (product_tags_call)."""
    clean = merge_tags([], tags)
    if not clean:
        raise PermanentError(f"WooCommerce {operation}: every tag is blank")
    if resource == "product":
        return product_tags_call(base_url, operation == ADD_TAGS, resource_id, clean)
    if resource not in ("order", "customer"):
        raise PermanentError(
            f"WooCommerce keeps storeflow tags on orders, customers and products, not {resource}s"
        )
    path = f"{resource}s/{_id(resource_id, resource)}"
    return rest_call(
        base_url,
        operation,
        "PUT",
        path,
        {"meta_data": [{"key": WOO_TAGS_META, "value": ",".join(clean)}]},
        reads_first=f"GET {api_root(base_url)[1]}/{path}",
        note=note,
    )


def product_tags_call(base_url: str, add: bool, product_id: str, tags: list[str]) -> ApiCall:
    """The PUT of a product's tags (by id): the ones it has plus (or minus) `tags`. The body shows
    the tags by name; the client finds (or, to add, creates) their ids and reads the product's
    tags first."""
    clean = merge_tags([], tags)
    if not clean:
        raise PermanentError("WooCommerce product tags: every tag is blank")
    _, prefix = api_root(base_url)
    path = f"products/{_id(product_id, 'product')}"
    verb = "added to" if add else "taken out of"
    return rest_call(
        base_url,
        ADD_PRODUCT_TAGS if add else REMOVE_PRODUCT_TAGS,
        "PUT",
        path,
        {"tags": [{"name": tag} for tag in clean]},
        reads_first=f"GET {prefix}/{path}; GET {prefix}/products/tags?search=<name> for each tag's id"
        + ("; POST {prefix}/products/tags for a tag the store does not have" if add else ""),
        note=f"these tags are {verb} the product's own (sent as tag ids); the PUT is skipped when "
        "nothing changes",
    )


def catalog_visibility_call(base_url: str, product_id: str, visibility: str) -> ApiCall:
    """PUT a product's catalog visibility (visible, catalog, search, hidden)."""
    if visibility not in ("visible", "catalog", "search", "hidden"):
        raise PermanentError("WooCommerce catalog visibility is visible, catalog, search or hidden")
    path = f"products/{_id(product_id, 'product')}"
    return rest_call(base_url, "update product visibility", "PUT", path, {"catalog_visibility": visibility})


def publish_product_call(base_url: str, product_id: str) -> ApiCall:
    """PUT a product's status to publish (a product prepared as a draft or private)."""
    path = f"products/{_id(product_id, 'product')}"
    return rest_call(base_url, "publish product", "PUT", path, {"status": "publish"})


def categories_call(base_url: str, product_id: str, categories: list[str], add: str) -> ApiCall:
    """PUT a product's categories: the ones it has, and `add`."""
    ids = list(dict.fromkeys([*categories, add]))
    body = {"categories": [{"id": int(_id(c, "category"))} for c in ids]}
    return rest_call(
        base_url, "update product categories", "PUT", f"products/{_id(product_id, 'product')}", body
    )


class WooClient:
    """Sends rendered REST calls for one WooCommerce store; raises a typed ExternalCallError on failure."""

    def __init__(
        self, base_url: str, consumer_key: str, consumer_secret: str, session: requests.Session
    ) -> None:
        self._origin, _ = api_root(base_url)
        if not consumer_key or not consumer_secret:
            raise ConfigurationError("WooCommerce API key or secret is empty")
        self._auth = (consumer_key, consumer_secret)
        self._session = session

    def __repr__(self) -> str:
        return f"WooClient({self._origin!r})"  # never the keys

    def send(self, call: ApiCall) -> str | None:
        """Send one rendered call. The tags call merges with the tags already saved (read, then
        write): WooCommerce has no atomic way to change one value of a meta field, so two changes of
        the same field at the same moment could lose one (storeflow's actions on one resource run
        one after another, so only a merchant's own edit could race). Returns the tags now saved."""
        if call.platform != "woocommerce" or not call.url.startswith(self._origin + "/"):
            raise PermanentError(f"WooCommerce {call.operation}: the call is not for this store")
        if call.operation in (ADD_TAGS, REMOVE_TAGS):
            return self._change_tags(call, remove=call.operation == REMOVE_TAGS)
        if call.operation in (ADD_PRODUCT_TAGS, REMOVE_PRODUCT_TAGS):
            return self._change_product_tags(call, add=call.operation == ADD_PRODUCT_TAGS)
        self._send(call.method, call.url, call.body, call.operation)
        return None

    def fetch(self, call: ApiCall) -> Any:
        """Send one rendered call and return its JSON answer (sales' product reads and batch writes)."""
        if call.platform != "woocommerce" or not call.url.startswith(self._origin + "/"):
            raise PermanentError(f"WooCommerce {call.operation}: the call is not for this store")
        return self._send(call.method, call.url, call.body, call.operation)

    def _send(self, method: str, url: str, body: dict[str, Any] | None, what: str) -> Any:
        resp = send(
            self._session,
            method,
            url,
            f"WooCommerce {what}",
            json=body,
            auth=self._auth,
            headers={"Accept": "application/json"},
        )
        return json_of(resp, f"WooCommerce {what}")

    def _tag_id(self, call: ApiCall, name: str, create: bool) -> int | None:
        """A product tag's id by its name (case-insensitive), created when missing and `create`."""
        tags_url = call.url.rsplit("/products/", 1)[0] + "/products/tags"
        found = self._send(
            "GET", f"{tags_url}?{urlencode({'search': name, 'per_page': 100})}", None, call.operation
        )
        for tag in found if isinstance(found, list) else []:
            if isinstance(tag, dict) and str(tag.get("name", "")).casefold() == name.casefold():
                return int(tag["id"])
        if not create:
            return None
        what = f"WooCommerce {call.operation}"
        try:
            resp = self._session.request(
                "POST",
                tags_url,
                json={"name": name},
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout):
            raise TransientError(f"{what}: could not reach the store") from None
        if resp.status_code == 400:
            # the tag exists after all (e.g. created meanwhile, or a slug match): WordPress names its id
            try:
                answer = resp.json()
            except ValueError:
                answer = None
            data = answer.get("data") if isinstance(answer, dict) else None
            if isinstance(answer, dict) and answer.get("code") == "term_exists" and isinstance(data, dict):
                return int(data["resource_id"])
        raise_for_response(resp, what)
        made = json_of(resp, what)
        return int(made["id"])

    def _change_product_tags(self, call: ApiCall, add: bool) -> str:
        assert call.body is not None
        names = [str(t["name"]) for t in call.body["tags"]]
        current = self._send("GET", call.url, None, call.operation)
        have = [
            t
            for t in (current.get("tags") if isinstance(current, dict) else None) or []
            if isinstance(t, dict)
        ]
        have_ids = [int(t["id"]) for t in have]
        have_names = {str(t.get("name", "")).casefold() for t in have}
        if add:
            wanted = [n for n in names if n.casefold() not in have_names]
            ids = have_ids + [
                i for i in (self._tag_id(call, n, create=True) for n in wanted) if i is not None
            ]
        else:
            gone = {n.casefold() for n in names}
            ids = [int(t["id"]) for t in have if str(t.get("name", "")).casefold() not in gone]
        ids = list(dict.fromkeys(ids))
        if ids != have_ids:
            self._send(call.method, call.url, {"tags": [{"id": i} for i in ids]}, call.operation)
        kept = [str(t.get("name")) for t in have if int(t["id"]) in ids]
        return ",".join(kept + ([n for n in names if n.casefold() not in have_names] if add else []))

    def _change_tags(self, call: ApiCall, remove: bool = False) -> str:
        assert call.body is not None
        [field] = call.body["meta_data"]
        current = self._send("GET", call.url, None, call.operation)
        meta = current.get("meta_data") if isinstance(current, dict) else None
        saved = next(
            (
                str(m.get("value") or "")
                for m in (meta if isinstance(meta, list) else [])
                if isinstance(m, dict) and m.get("key") == field["key"]
            ),
            "",
        )
        given = str(field["value"]).split(",")
        if remove:
            gone = {tag.strip().casefold() for tag in given}
            value = ",".join(t for t in merge_tags(saved.split(",")) if t.casefold() not in gone)
        else:
            value = ",".join(merge_tags(saved.split(","), given))
        if value != saved:
            body = {"meta_data": [{"key": field["key"], "value": value}]}
            self._send(call.method, call.url, body, call.operation)
        return value


# --- orders: notes, on-hold, refunds (the fraud automations) -----------------------------------
def order_note_call(base_url: str, order_id: str, note: str) -> ApiCall:
    """POST a private order note (staff only: customer_note false)."""
    path = f"orders/{_id(order_id, 'order')}/notes"
    return rest_call(base_url, "add order note", "POST", path, {"note": note, "customer_note": False})


def order_status_call(base_url: str, order_id: str, status: str) -> ApiCall:
    """PUT an order's status (on-hold: not shipped until staff change it)."""
    if status not in ("on-hold", "cancelled", "processing"):
        raise PermanentError("WooCommerce order status: storeflow sets on-hold, cancelled or processing")
    path = f"orders/{_id(order_id, 'order')}"
    return rest_call(base_url, "update order status", "PUT", path, {"status": status})


def refund_call(base_url: str, order_id: str, amount: str, reason: str) -> ApiCall:
    """POST a refund through the payment gateway (api_refund) of `amount`; a fully refunded order
    is marked Refunded by WooCommerce."""
    path = f"orders/{_id(order_id, 'order')}/refunds"
    return rest_call(
        base_url,
        "refund order",
        "POST",
        path,
        {"amount": amount, "reason": reason[:255], "api_refund": True},
        note="WooCommerce marks a fully refunded order Refunded",
    )


def coupon_call(
    base_url: str,
    code: str,
    title: str,
    value_type: str,
    value: Decimal,
    ends_at: str | None,
    email: str | None,
) -> ApiCall:
    """POST coupons: one code, used once in all (and only by `email` when given)."""
    body: dict[str, Any] = {
        "code": code,
        "description": title,
        "discount_type": "percent" if value_type == "percentage" else "fixed_cart",
        "amount": str(value),
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "individual_use": True,
    }
    if ends_at:
        body["date_expires_gmt"] = ends_at
    if email:
        body["email_restrictions"] = [email]
    return rest_call(base_url, "create coupon", "POST", "coupons", body)


def store_credit_coupon_call(
    base_url: str, code: str, amount: Decimal, email: str, note: str, expires_at: str | None
) -> ApiCall:
    """WooCommerce has no store credit in core: a fixed-cart coupon for the amount, used once, by
    the customer's email only. Its code is derived from the order and reason, so a second POST of
    the same credit is refused by WooCommerce (woocommerce_rest_coupon_code_already_exists)."""
    if amount <= 0:
        raise PermanentError("store credit is of a positive amount")
    body: dict[str, Any] = {
        "code": code,
        "description": note[:255],
        "discount_type": "fixed_cart",
        "amount": str(amount),
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "individual_use": False,
        "email_restrictions": [email],
    }
    if expires_at:
        body["date_expires_gmt"] = expires_at
    return rest_call(
        base_url,
        "create store credit coupon",
        "POST",
        "coupons",
        body,
        note="WooCommerce has no core store credit: a single-use coupon restricted to the customer's email",
    )
