"""Routes of the inventory domain: the purchase orders a reorder drafted and the moves merchants
make on them (store or admin token), and the shoppers' back-in-stock waitlist signup (public)."""

from __future__ import annotations

import re

from chalice import Blueprint, Response

from functions.admin.handlers import authorized, existing_store, json_body
from functions.answers import answer_errors, json_response
from functions.inventory.models import REORDER_NAME, ReorderSettings
from functions.inventory.purchase_orders import MOVES, OPEN, STATUSES, email_of, released_variants
from functions.public import rate_limited
from storekit.clock import iso
from storekit.errors import BadRequest, Conflict, NotFound, UnknownStore
from storekit.keys import idempotency_key
from storekit.records import ActionRecord
from storekit.repository import DEFAULT_LIMIT, MAX_LIMIT, purchase_order_view
from storekit.runtime import get_runtime

bp = Blueprint(__name__)

_PO_NUMBER = re.compile(r"^PO-[0-9]{8}-[0-9A-F]{8}$")


def _params() -> dict[str, str]:
    params = bp.current_request.query_params
    return {name: params[name] for name in params} if params else {}


@bp.route("/stores/{store_id}/purchase-orders", methods=["GET"])
@answer_errors
def list_purchase_orders(store_id: str) -> Response:
    runtime = authorized(store_id)
    existing_store(store_id, runtime)
    params = _params()
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError as exc:
        raise BadRequest("limit must be a whole number") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    items, cursor = runtime.repo.listing(
        store_id, "purchase-orders", status=status, limit=limit, cursor=params.get("cursor")
    )
    return json_response({"items": items, "next": cursor})


@bp.route("/stores/{store_id}/purchase-orders/{number}/{move}", methods=["POST"])
@answer_errors
def move_purchase_order(store_id: str, number: str, move: str) -> Response:
    """approve (awaiting_approval -> ordered, and the supplier email goes to the outbox), cancel
    (an open PO -> cancelled), receive (ordered -> received). Cancel and receive re-arm the
    reorder of the PO's variants."""
    runtime = authorized(store_id)
    store = existing_store(store_id, runtime)
    if move not in MOVES:
        raise NotFound(f"no such purchase order move {move!r}: approve, cancel or receive")
    if not _PO_NUMBER.match(number):
        raise NotFound(f"no purchase order {number!r}")
    item = runtime.repo.purchase_order(store_id, number)
    if item is None:
        raise NotFound(f"no purchase order {number!r}")
    allowed, to_status = MOVES[move]
    status = str(item["status"])
    if status not in allowed:
        raise Conflict(f"purchase order {number} is {status}: only {' or '.join(allowed)} can {move}")
    release = released_variants(item) if to_status not in OPEN else None
    if not runtime.repo.move_purchase_order(store_id, number, to_status, allowed, release):
        now_item = runtime.repo.purchase_order(store_id, number) or item
        raise Conflict(f"purchase order {number} is {now_item['status']}: it changed meanwhile")
    action_id = None
    if move == "approve":
        settings = ReorderSettings.model_validate(store.automation(REORDER_NAME).settings)
        email = email_of(item, settings.sender, settings.reply_to)
        assert email.once_per is not None
        action_id = idempotency_key(store_id, REORDER_NAME, email.kind, email.once_per)
        now = iso(runtime.clock.now())
        runtime.repo.put_action(
            ActionRecord(
                action_id=action_id,
                store_id=store_id,
                automation=REORDER_NAME,
                run_id=f"approve:{number}",
                event_id=f"purchase-order:{number}:approve",
                kind=email.kind,
                target=email.target(),
                summary=f"email purchase order {number} to its supplier (approved)",
                action=email.model_dump(mode="json"),
                status="pending",
                mode=store.mode_for(REORDER_NAME),
                created_at=now,
                updated_at=now,
            )
        )
    answer = purchase_order_view(runtime.repo.purchase_order(store_id, number) or item)
    if action_id is not None:
        answer["email_action_id"] = action_id
    return json_response(answer)


#: what every accepted signup hears, whether or not the email was on the list already
SIGNED_UP = "Thanks: we will email you when it is back in stock."


@bp.route("/stores/{store_id}/waitlist", methods=["POST"], cors=True)
@answer_errors
@rate_limited(bp, "waitlist")
def join_waitlist(store_id: str) -> Response:
    """`{email, variant_id, consent: true}` -> 202 (the same answer for a repeat signup); 400 naming
    the field for bad input; 404 for a store without the waitlist or a variant storeflow does not know."""
    from functions.inventory import waitlist  # loaded on first use: keeps cold starts short

    runtime = get_runtime()
    store = runtime.store(store_id)
    if store is None or not store.automation(waitlist.WAITLIST_NAME).enabled:
        raise UnknownStore(f"no waitlist for store {store_id!r}")
    signup: waitlist.WaitlistSignup = json_body(waitlist.WaitlistSignup)
    waitlist.sign_up(store, signup, runtime)
    return json_response({"status": "accepted", "message": SIGNED_UP}, 202)
