"""What proves a shopper's order (its number with its email), kept apart from the order snapshot.

The order-status assistant checks the email against this small item before it reads any order,
so a wrong email and an order number that does not exist cost the same work (one keys-only Query
of the proofs, one keys-only Query of the order numbers, nothing decompressed): the time of the
answer does not tell whether an order number exists.

The item lives in the order's own partition (customers/redact deletes it with the order) and
carries the store-member index (shop/redact); its keys are `keys.order_proof` and
`keys.order_proof_lookup`, and the repository (`keep_order_proof`, `proven_order_id`) reads and
writes it. It holds digests of the addresses, never the addresses themselves. This module decides:
what a proof holds, and whether an email proves an order.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from storekit import keys
from storekit.models import Order

#: what a missing proof is compared with, so that no proof costs the same as a wrong one
_DECOY = "0" * 32


def email_digest(store_id: str, email: str) -> str:
    return hmac.new(store_id.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


class Proof(NamedTuple):
    """What is kept to prove an order: its number (as the shopper may type it) and email digests."""

    order_id: str
    number: str
    emails: list[str]


def proof_of(store_id: str, order: Order) -> Proof | None:
    """The proof to keep for an order (None: it has no id or no number to be asked by)."""
    number = order.name or order.number
    if not order.id or not number or not keys.normalized_order_number(number):
        return None
    emails = {a for a in (order.email, order.customer.email if order.customer else None) if a}
    return Proof(order.id, number, sorted(email_digest(store_id, e) for e in emails))


def proven(
    store_id: str, email: str, proofs: Sequence[Mapping[str, Any]], numbered: Sequence[object]
) -> tuple[str | None, bool]:
    """(the id of the one order among `proofs` (the proof items of an order number) whose email
    this is, or None; whether orders with this number (`numbered`) were kept before proofs existed,
    so only their snapshot can tell).

    Always the same work: a constant-time comparison with every digest found (a decoy when none is)."""
    given = email_digest(store_id, email)
    found: str | None = None
    for proof in proofs or [{"order_id": None, "emails": [_DECOY]}]:
        for digest in proof.get("emails") or [_DECOY]:
            if hmac.compare_digest(str(digest), given) and proof.get("order_id"):
                found = str(proof["order_id"])
    return (found if len(proofs) == 1 else None), not proofs and bool(numbered)
