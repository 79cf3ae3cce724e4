"""Shopper-facing routes of the fulfillment domain: the order-status and reorder assistant, and
the signed customer links a store sends its shoppers for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.admin.handlers import authorized, existing_store, json_body
from functions.answers import answer_errors, json_response
from functions.public import proof_guard, rate_limited
from storekit import snapshots
from storekit.adapters import resource_from_json
from storekit.errors import UnknownStore
from storekit.models import Fulfillment, Order, Product
from storekit.runtime import Runtime, get_runtime
from storekit.store import StoreConfig

bp = Blueprint(__name__)


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, str_strip_whitespace=True)

    order_id: str = Field(min_length=1, max_length=100)
    days: int = Field(default=30, ge=1, le=365)


def _snapshot(runtime: Runtime, store_id: str, kind: str, entity_id: str) -> object | None:
    blob = runtime.repo.entity_snapshot(store_id, kind, entity_id)
    return resource_from_json(snapshots.opened(blob, runtime.archive)) if blob else None


def proven_order(question: Any, store: StoreConfig, runtime: Runtime) -> Order | None:
    """The order the shopper proved is theirs, or None (whatever the reason). The caller checked
    `question.has_proof`: a link of this store, or an order number with an email."""
    from functions.fulfillment.assistant import email_matches, order_of_link

    if question.link is not None:
        secrets = (s.get_secret_value() for s in runtime.store_secrets(store.store_id).webhook_secrets)
        order_id = order_of_link(question.link, store.store_id, runtime.clock.now(), secrets)
        order = _snapshot(runtime, store.store_id, "order", order_id) if order_id else None
        return order if isinstance(order, Order) else None
    if question.order_number is None or question.email is None:
        return None
    # the email is checked against the order's proof before any order is read: a wrong email and
    # an unknown number do the same work (storekit.order_proofs)
    order_id, legacy = runtime.repo.proven_order_id(store.store_id, question.order_number, question.email)
    if legacy:  # kept before proofs existed: only its snapshot knows the email
        blob = runtime.repo.order_snapshot_by_number(store.store_id, question.order_number)
        order = resource_from_json(snapshots.opened(blob, runtime.archive)) if blob else None
    else:
        order = _snapshot(runtime, store.store_id, "order", order_id) if order_id else None
    if isinstance(order, Order) and email_matches(order, question.email):
        return order
    return None


def kept_shipments(order: Order, store_id: str, runtime: Runtime) -> list[Fulfillment]:
    """The order's shipments as fulfillments/create|update last told (they may be newer than the
    order snapshot's copies)."""
    if not order.id:
        return []
    found = (
        resource_from_json(snapshots.opened(b, runtime.archive))
        for b in runtime.repo.order_shipment_snapshots(store_id, order.id)
    )
    return [f for f in found if isinstance(f, Fulfillment)]


def proofs_of(question: Any) -> list[str]:
    """What a shopper claims with an order number and email: each is counted when it fails."""
    from storekit.keys import normalized_order_number

    if question.order_number is None or question.email is None:
        return []
    number = normalized_order_number(question.order_number)
    return [f"order:{number}", f"email:{question.email.strip().lower()}"]


@bp.route("/stores/{store_id}/assistant", methods=["POST"], cors=True)
@answer_errors
@rate_limited(bp, "assistant")
def assistant(store_id: str) -> Response:
    """Answer a shopper: "where is my order" and "order again"; anything else gets help."""
    from functions.fulfillment import assistant as a  # loaded on first use: keeps cold starts short

    runtime = get_runtime()
    store = runtime.store(store_id)
    if store is None or not store.automation("order-assistant").enabled:
        raise UnknownStore(f"no assistant for store {store_id!r}")
    question: a.AssistantQuestion = json_body(a.AssistantQuestion)
    intent = a.intent_of(question.message)
    if intent == "help":
        return json_response(a.AssistantAnswer(intent="help", reply=a.HELP).model_dump())
    if not question.has_proof:
        return json_response(a.AssistantAnswer(intent=intent, reply=a.NEED_PROOF).model_dump())
    guard = proof_guard(store, "assistant", runtime)
    guard.check(proofs_of(question))  # a proof that failed too often is refused even when right
    order = proven_order(question, store, runtime)
    if order is None:
        guard.failed(proofs_of(question))
        answer = a.AssistantAnswer(intent=intent, reply=a.NOT_FOUND)
    elif intent == "where_is_my_order":
        answer = a.where_is(order, kept_shipments(order, store_id, runtime), store.timezone)
    else:
        products: dict[str, Product] = {}
        # WooCommerce variations are kept under their own id (storekit.adapters.woocommerce)
        wanted = {li.product_id for li in order.line_items if li.product_id}
        if store.platform == "woocommerce":
            wanted |= {li.variant_id for li in order.line_items if li.variant_id}
        for product_id in sorted(wanted):
            product = _snapshot(runtime, store_id, "product", product_id)
            if isinstance(product, Product):
                products[product_id] = product
        answer = a.order_again(order, store, products, kept_shipments(order, store_id, runtime))
    return json_response(answer.model_dump())


@bp.route("/stores/{store_id}/customer-links", methods=["POST"])
@answer_errors
def customer_link(store_id: str) -> Response:
    """A signed link for one order (put it in the order emails); the assistant accepts it as proof."""
    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    request: LinkRequest = json_body(LinkRequest)
    expires = runtime.clock.now() + timedelta(days=request.days)
    from functions.fulfillment.assistant import sign_link

    secret = runtime.store_secrets(store_id).webhook_secrets[0].get_secret_value()
    return json_response(
        {"link": sign_link(store_id, request.order_id, expires, secret), "expires_at": expires.isoformat()},
        201,
    )
