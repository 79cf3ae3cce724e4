"""Shopify Admin GraphQL: each call storeflow's actions make is first rendered into an ApiCall (the
query and variables, exactly as posted), then sent by ShopifyClient (API version 2025-01).

Errors: HTTP level through storekit.clients.http; a top-level GraphQL `THROTTLED` error -> Throttled
with the wait computed from the query cost; `INTERNAL_SERVER_ERROR` -> TransientError; other
top-level errors -> PermanentError (codes only: their messages may echo variable values);
mutation `userErrors` -> PermanentError listing field and message.

Ids are accepted as numeric strings ("450789469") or GIDs ("gid://shopify/Order/450789469").
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

import requests

from storekit.clients.http import json_of, send
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError
from storekit.outbound import ApiCall

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
_VERSION = re.compile(r"^(?:\d{4}-\d{2}|unstable)$")
_NUMERIC = re.compile(r"^[0-9]{1,20}$")

API_VERSION: Final = "2025-01"
TAG_RESOURCES: Final = frozenset({"Order", "Customer", "Product"})

TAGS_ADD = """mutation tagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""


TAGS_REMOVE = """mutation tagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""
PUBLISHABLE_PUBLISH = """mutation publishablePublish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) { userErrors { field message } } }"""
PUBLISHABLE_UNPUBLISH = """mutation publishableUnpublish($id: ID!, $input: [PublicationInput!]!) {
  publishableUnpublish(id: $id, input: $input) { userErrors { field message } } }"""
COLLECTION_ADD_PRODUCTS = """mutation collectionAddProducts($id: ID!, $productIds: [ID!]!) {
  collectionAddProducts(id: $id, productIds: $productIds) { userErrors { field message } } }"""
PUBLICATIONS = """query publications { publications(first: 50) { nodes { id name } } }"""
#: what a publish/unpublish call carries until the Online Store publication's id is read
ONLINE_STORE: Final = "Online Store"
ONLINE_STORE_LOOKUP: Final = "publications: the id of the publication named Online Store"


def gid(kind: str, ident: str | int) -> str:
    """'123' -> 'gid://shopify/Order/123'; a GID of the same kind passes unchanged."""
    text = str(ident).strip()
    if _NUMERIC.match(text):
        return f"gid://shopify/{kind}/{text}"
    prefix = f"gid://shopify/{kind}/"
    if text.startswith(prefix) and _NUMERIC.match(text[len(prefix) :].split("?", 1)[0]):
        return text
    raise PermanentError(f"not a Shopify {kind} id (give a number or a gid://shopify/{kind}/ GID)")


def throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until the query's cost is available again: (requested - available) / restoreRate, >= 1."""
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(cost, dict) or not isinstance(status, dict):
        return None
    try:
        requested = float(cost["requestedQueryCost"])
        available = float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if rate <= 0:
        return None
    return max((requested - available) / rate, 1.0)


def format_user_errors(errors: list[Any]) -> str:
    """'field.path: message; ...' for the first few userErrors."""
    parts = []
    for err in errors[:5]:
        if isinstance(err, dict):
            field = ".".join(str(f) for f in (err.get("field") or []))
            message = str(err.get("message") or "").strip()
            parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)[:400] or "user error"


def graphql_url(shop_domain: str, api_version: str = API_VERSION) -> str:
    """https://{shop}/admin/api/{version}/graphql.json; a domain that is not a bare host is refused."""
    domain = shop_domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise ConfigurationError("Shopify shop domain must be a bare host name like shop.myshopify.com")
    if not _VERSION.match(api_version):
        raise ConfigurationError("Shopify API version must look like 2025-01")
    return f"https://{domain}{graphql_path(api_version)}"


def graphql_path(api_version: str = API_VERSION) -> str:
    return f"/admin/api/{api_version}/graphql.json"


def graphql_call(shop_domain: str, root: str, query: str, variables: dict[str, Any]) -> ApiCall:
    """One GraphQL operation as it is posted; `root` is its top-level field (whose userErrors count)."""
    return ApiCall(
        platform="shopify",
        operation=root,
        method="POST",
        url=graphql_url(shop_domain),
        path=graphql_path(),
        body={"query": query, "variables": variables},
    )


def tags_add_call(shop_domain: str, resource_type: str, resource_id: str, tags: list[str]) -> ApiCall:
    """tagsAdd on an Order, Customer or Product (tags already there are kept)."""
    if resource_type not in TAG_RESOURCES:
        raise PermanentError(f"Shopify tagsAdd: tags go on Order, Customer or Product, not {resource_type}")
    clean = [tag.strip() for tag in tags if tag.strip()]
    if not clean:
        raise PermanentError("Shopify tagsAdd: every tag is blank")
    return graphql_call(
        shop_domain, "tagsAdd", TAGS_ADD, {"id": gid(resource_type, resource_id), "tags": clean}
    )


def tags_remove_call(shop_domain: str, resource_type: str, resource_id: str, tags: list[str]) -> ApiCall:
    """tagsRemove on an Order, Customer or Product (other tags are kept)."""
    if resource_type not in TAG_RESOURCES:
        raise PermanentError(
            f"Shopify tagsRemove: tags are on Order, Customer or Product, not {resource_type}"
        )
    clean = [tag.strip() for tag in tags if tag.strip()]
    if not clean:
        raise PermanentError("Shopify tagsRemove: every tag is blank")
    return graphql_call(
        shop_domain, "tagsRemove", TAGS_REMOVE, {"id": gid(resource_type, resource_id), "tags": clean}
    )


def publish_call(shop_domain: str, product_id: str, published: bool, publication_id: str | None) -> ApiCall:
    """publishablePublish / publishableUnpublish of a product on the Online Store publication (its
    id given, else read first by the client: `publications`, the one named Online Store)."""
    root, query = (
        ("publishablePublish", PUBLISHABLE_PUBLISH)
        if published
        else ("publishableUnpublish", PUBLISHABLE_UNPUBLISH)
    )
    publication = gid("Publication", publication_id) if publication_id else ONLINE_STORE
    call = graphql_call(
        shop_domain,
        root,
        query,
        {"id": gid("Product", product_id), "input": [{"publicationId": publication}]},
    )
    if publication_id:
        return call
    return call.model_copy(
        update={
            "reads_first": ONLINE_STORE_LOOKUP,
            "note": "the Online Store publication's id is read first and replaces 'Online Store'",
        }
    )


def publish_to_call(shop_domain: str, product_id: str, publication_ids: list[str]) -> ApiCall:
    """publishablePublish of a product on each given publication (sales channel); with none, the
    Online Store (its id read first)."""
    if not publication_ids:
        return publish_call(shop_domain, product_id, True, None)
    return graphql_call(
        shop_domain,
        "publishablePublish",
        PUBLISHABLE_PUBLISH,
        {
            "id": gid("Product", product_id),
            "input": [{"publicationId": gid("Publication", p)} for p in publication_ids],
        },
    )


def collection_add_call(shop_domain: str, collection_id: str, product_id: str) -> ApiCall:
    """collectionAddProducts: one product into a (custom) collection."""
    return graphql_call(
        shop_domain,
        "collectionAddProducts",
        COLLECTION_ADD_PRODUCTS,
        {"id": gid("Collection", collection_id), "productIds": [gid("Product", product_id)]},
    )


def online_store_publication(data: dict[str, Any]) -> str:
    """The Online Store's publication id from a `publications` answer."""
    found = data.get("publications")
    nodes = found.get("nodes") if isinstance(found, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and node.get("name") == ONLINE_STORE and isinstance(node.get("id"), str):
            return str(node["id"])
    raise PermanentError("Shopify: the store has no Online Store publication (sales channel) to publish to")


class ShopifyClient:
    """Sends rendered Admin GraphQL calls for one shop; raises a typed ExternalCallError on failure."""

    def __init__(self, shop_domain: str, access_token: str, session: requests.Session) -> None:
        self._domain = shop_domain
        self._url = graphql_url(shop_domain)
        #: the refund call is sent at REFUND_API_VERSION (its `@idempotent` directive is newer)
        self._urls = (self._url, graphql_url(shop_domain, REFUND_API_VERSION))
        if not access_token:
            raise ConfigurationError("Shopify access token is empty")
        self._token = access_token
        self._session = session

    def __repr__(self) -> str:
        return f"ShopifyClient({self._url!r})"  # never the token

    def send(self, call: ApiCall) -> dict[str, Any]:
        """POST one rendered operation to this shop; returns `data`."""
        if call.platform != "shopify" or call.body is None or call.url not in self._urls:
            raise PermanentError(f"Shopify {call.operation}: the call is not for this shop")
        if call.reads_first == CAPTURED_TRANSACTIONS_LOOKUP:
            return _send_refund(self, call)
        if call.reads_first == ONLINE_STORE_LOOKUP:
            publication = online_store_publication(self._post({"query": PUBLICATIONS}, "publications"))
            variables = {**call.body["variables"], "input": [{"publicationId": publication}]}
            return self._post({**call.body, "variables": variables}, call.operation)
        if call.reads_first in (ORDER_NOTE_LOOKUP, FULFILLMENT_ORDERS_LOOKUP):
            return _send_order_call(self, call) or {}
        return self._post(call.body, call.operation)

    def graphql(self, query: str, variables: dict[str, Any], root: str) -> dict[str, Any]:
        """Render and send one operation (`root` is the top-level field, whose userErrors are checked)."""
        return self.send(graphql_call(self._domain, root, query, variables))

    def add_tags(self, resource_type: str, resource_id: str, tags: list[str]) -> None:
        """Add tags to an Order, Customer or Product (tags already there are kept)."""
        self.send(tags_add_call(self._domain, resource_type, resource_id, tags))

    def _post(self, body: dict[str, Any], root: str, url: str | None = None) -> dict[str, Any]:
        what = f"Shopify {root}"
        resp = send(
            self._session,
            "POST",
            url or self._url,
            what,
            json=body,
            headers={"X-Shopify-Access-Token": self._token, "Accept": "application/json"},
        )
        answer = json_of(resp, what)
        if not isinstance(answer, dict):
            raise PermanentError(f"{what}: unexpected answer")
        errors = answer.get("errors")
        if errors:
            codes = _error_codes(errors)
            if "THROTTLED" in codes:
                raise Throttled(f"{what}: THROTTLED", throttle_wait(answer))
            if "INTERNAL_SERVER_ERROR" in codes:
                raise TransientError(f"{what}: GraphQL INTERNAL_SERVER_ERROR")
            raise PermanentError(f"{what}: GraphQL error {', '.join(codes) or 'without a code'}")
        data = answer.get("data")
        if not isinstance(data, dict):
            raise PermanentError(f"{what}: answer has no data")
        payload = data.get(root)
        if isinstance(payload, dict):
            user_errors = [
                err
                for key, value in payload.items()
                if key == "userErrors" or key.endswith("UserErrors")
                for err in (value or [])
            ]
            if user_errors:
                raise PermanentError(f"{what}: {format_user_errors(user_errors)}")
        return data


def _error_codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    codes = []
    for err in errors:
        code = (err.get("extensions") or {}).get("code") if isinstance(err, dict) else None
        if isinstance(code, str) and re.match(r"^[A-Za-z_]{1,64}$", code):
            codes.append(code)
    return codes


# --- orders: notes, fulfillment holds, cancellation (the fraud automations) ---------------------
ORDER_NOTE = """query orderNote($id: ID!) { order(id: $id) { note } }"""
ORDER_UPDATE = """mutation orderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) { order { id } userErrors { field message } } }"""
FULFILLMENT_ORDERS = """query fulfillmentOrders($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 20) { nodes { id status } } } }"""
FULFILLMENT_ORDER_HOLD = """mutation fulfillmentOrderHold($id: ID!,
  $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentOrder { id status } userErrors { field message } } }"""
ORDER_CANCEL = """mutation orderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id } orderCancelUserErrors { field message code } } }"""
#: what the note and hold calls read before they are sent
ORDER_NOTE_LOOKUP: Final = "order: its saved note (kept: this text is added below it)"
FULFILLMENT_ORDERS_LOOKUP: Final = "order: its fulfillment orders (each OPEN one is held)"
EACH_OPEN_FULFILLMENT_ORDER: Final = "each OPEN fulfillment order of the order"


def order_note_call(shop_domain: str, order_id: str, note: str) -> ApiCall:
    """orderUpdate of the order's note: the note saved is read first, and this text added below it
    (not again when it is there already)."""
    return graphql_call(
        shop_domain, "orderUpdate", ORDER_UPDATE, {"input": {"id": gid("Order", order_id), "note": note}}
    ).model_copy(update={"reads_first": ORDER_NOTE_LOOKUP, "note": "the saved note is kept above this text"})


def hold_call(shop_domain: str, order_id: str, reason: str, notes: str) -> ApiCall:
    """fulfillmentOrderHold of each OPEN fulfillment order of the order (they are read first)."""
    hold = {"reason": "HIGH_RISK_OF_FRAUD" if reason == "fraud" else "OTHER", "reasonNotes": notes[:256]}
    return graphql_call(
        shop_domain,
        "fulfillmentOrderHold",
        FULFILLMENT_ORDER_HOLD,
        {"id": EACH_OPEN_FULFILLMENT_ORDER, "fulfillmentHold": hold, "order": gid("Order", order_id)},
    ).model_copy(
        update={
            "reads_first": FULFILLMENT_ORDERS_LOOKUP,
            "note": "sent once for each OPEN fulfillment order, with its id as `id`",
        }
    )


def cancel_call(
    shop_domain: str, order_id: str, reason: str, refund: bool, restock: bool, note: str
) -> ApiCall:
    """orderCancel (the customer is not notified; the staff note says why)."""
    return graphql_call(
        shop_domain,
        "orderCancel",
        ORDER_CANCEL,
        {
            "orderId": gid("Order", order_id),
            "reason": "FRAUD" if reason == "fraud" else "OTHER",
            "refund": refund,
            "restock": restock,
            "notifyCustomer": False,
            "staffNote": note[:255],
        },
    )


def _send_order_call(client: ShopifyClient, call: ApiCall) -> dict[str, Any] | None:
    """The note and hold calls, which read the order first; None for any other call."""
    assert call.body is not None
    variables = call.body["variables"]
    if call.reads_first == ORDER_NOTE_LOOKUP:
        order_id = variables["input"]["id"]
        found = client._post({"query": ORDER_NOTE, "variables": {"id": order_id}}, "order")
        saved = str(((found.get("order") or {}).get("note")) or "")
        text = str(variables["input"]["note"])
        if text in saved:
            return found
        note = f"{saved}\n\n{text}" if saved else text
        return client._post(
            {**call.body, "variables": {"input": {"id": order_id, "note": note}}}, call.operation
        )
    if call.reads_first == FULFILLMENT_ORDERS_LOOKUP:
        order_id = variables["order"]
        found = client._post({"query": FULFILLMENT_ORDERS, "variables": {"id": order_id}}, "order")
        nodes = (((found.get("order") or {}).get("fulfillmentOrders") or {}).get("nodes")) or []
        held: dict[str, Any] = {}
        for node in nodes:
            if isinstance(node, dict) and node.get("status") == "OPEN" and isinstance(node.get("id"), str):
                held = client._post(
                    {
                        **call.body,
                        "variables": {"id": node["id"], "fulfillmentHold": variables["fulfillmentHold"]},
                    },
                    call.operation,
                )
        return held
    return None


DISCOUNT_CODE_BASIC_CREATE = """mutation discountCodeBasicCreate(
  $basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id } userErrors { field code message } } }"""


def discount_code_call(
    shop_domain: str,
    code: str,
    title: str,
    value_type: str,
    value: Decimal,
    starts_at: str,
    ends_at: str | None,
    customer_id: str | None,
) -> ApiCall:
    """discountCodeBasicCreate: one code, used once in all, by the customer when named."""
    if value_type == "percentage":
        if value > 100:
            raise PermanentError("Shopify discount: a percentage is at most 100")
        gets_value: dict[str, Any] = {"percentage": float(value / 100)}
    else:
        gets_value = {"discountAmount": {"amount": str(value), "appliesOnEachItem": False}}
    context: dict[str, Any] = (
        {"customers": {"add": [gid("Customer", customer_id)]}} if customer_id else {"all": "ALL"}
    )
    discount: dict[str, Any] = {
        "title": title,
        "code": code,
        "startsAt": starts_at,
        "endsAt": ends_at,
        "context": context,
        "customerGets": {"value": gets_value, "items": {"all": True}},
        "appliesOncePerCustomer": True,
        "usageLimit": 1,
    }
    return graphql_call(
        shop_domain,
        "discountCodeBasicCreate",
        DISCOUNT_CODE_BASIC_CREATE,
        {"basicCodeDiscount": discount},
    )


# --- money: refunds and store credit (the fraud domain's refund rules) -------------------------
#: refundCreate takes an idempotency key (`@idempotent`) from this version on (optional in 2026-01,
#: required from 2026-04): the refund call alone is sent at it
REFUND_API_VERSION: Final = "2026-01"
ORDER_TRANSACTIONS = """query orderTransactions($id: ID!) { order(id: $id) {
  transactions(first: 50) { id kind status gateway amountSet { shopMoney { amount currencyCode } } } } }"""
CAPTURED_TRANSACTIONS_LOOKUP: Final = (
    "order: its transactions (the successful SALE and CAPTURE ones are refunded)"
)
EACH_CAPTURED_TRANSACTION: Final = (
    "a REFUND of each successful SALE or CAPTURE transaction of the order (its id as parentId, its "
    "gateway), in order, until refundAmount is covered"
)
STORE_CREDIT = """mutation storeCreditAccountCredit($id: ID!, $creditInput: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $creditInput) {
    storeCreditAccountTransaction { id } userErrors { field message code } } }"""
_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def refund_mutation(idempotency_key: str) -> str:
    """refundCreate with its idempotency key written into the directive (Shopify's documented form):
    the same key sent again returns the first refund instead of making a second."""
    if not _KEY.match(idempotency_key):
        raise PermanentError("refund idempotency key: 8-64 letters, digits and dashes")
    return (
        "mutation refundCreate($input: RefundInput!) {\n"
        f'  refundCreate(input: $input) @idempotent(key: "{idempotency_key}") {{\n'
        "    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }\n"
        "    userErrors { field message } } }"
    )


def refund_call(
    shop_domain: str, order_id: str, amount: Decimal, note: str, notify: bool, idempotency_key: str
) -> ApiCall:
    """refundCreate of `amount` on the order's captured transactions (read first), with an
    idempotency key; no line items are restocked (a cancelled order's restock is the cancel's)."""
    if amount <= 0:
        raise PermanentError("a refund is of a positive amount")
    order = gid("Order", order_id)
    return ApiCall(
        platform="shopify",
        operation="refundCreate",
        method="POST",
        url=graphql_url(shop_domain, REFUND_API_VERSION),
        path=graphql_path(REFUND_API_VERSION),
        body={
            "query": refund_mutation(idempotency_key),
            "variables": {
                "input": {
                    "orderId": order,
                    "note": note[:255],
                    "notify": notify,
                    "transactions": EACH_CAPTURED_TRANSACTION,
                },
                "refundAmount": str(amount),
            },
        },
        reads_first=CAPTURED_TRANSACTIONS_LOOKUP,
        note="sent once, with `transactions` built from the order's captured transactions and "
        "`refundAmount` left out",
    )


def refund_transactions(order_id: str, found: dict[str, Any], amount: Decimal) -> list[dict[str, Any]]:
    """REFUND transactions covering `amount` from the order's successful SALE/CAPTURE transactions."""
    nodes = (found.get("order") or {}).get("transactions") or []
    left = amount
    out: list[dict[str, Any]] = []
    for node in nodes:
        if not isinstance(node, dict) or left <= 0:
            continue
        if node.get("status") != "SUCCESS" or node.get("kind") not in ("SALE", "CAPTURE"):
            continue
        money = ((node.get("amountSet") or {}).get("shopMoney") or {}).get("amount")
        try:
            available = Decimal(str(money))
        except ArithmeticError:
            continue
        take = min(available, left)
        if take <= 0:
            continue
        out.append(
            {
                "orderId": order_id,
                "parentId": node.get("id"),
                "amount": str(take),
                "gateway": node.get("gateway"),
                "kind": "REFUND",
            }
        )
        left -= take
    return out


def _send_refund(client: ShopifyClient, call: ApiCall) -> dict[str, Any]:
    assert call.body is not None
    variables = call.body["variables"]
    order_id = variables["input"]["orderId"]
    amount = Decimal(variables["refundAmount"])
    found = client._post({"query": ORDER_TRANSACTIONS, "variables": {"id": order_id}}, "order", call.url)
    transactions = refund_transactions(order_id, found, amount)
    if not transactions:
        raise PermanentError("Shopify refundCreate: the order has no captured transaction to refund")
    body = {
        "query": call.body["query"],
        "variables": {"input": {**variables["input"], "transactions": transactions}},
    }
    return client._post(body, call.operation, call.url)


def store_credit_call(
    shop_domain: str, customer_id: str, amount: Decimal, currency: str, expires_at: str | None
) -> ApiCall:
    """storeCreditAccountCredit on the customer (Shopify opens the customer's account in that
    currency when there is none)."""
    if amount <= 0:
        raise PermanentError("store credit is of a positive amount")
    credit: dict[str, Any] = {"creditAmount": {"amount": str(amount), "currencyCode": currency.upper()}}
    if expires_at:
        credit["expiresAt"] = expires_at
    return graphql_call(
        shop_domain,
        "storeCreditAccountCredit",
        STORE_CREDIT,
        {"id": gid("Customer", customer_id), "creditInput": credit},
    )
