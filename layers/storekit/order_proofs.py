"""What proves a shopper's order (its number with its email), kept apart from the order snapshot.

The order-status assistant checks the email against this small item before it reads any order,
so a wrong email and an order number that does not exist cost the same work (one keys-only Query
of the proofs, one keys-only Query of the order numbers, nothing decompressed): the time of the
answer does not tell whether an order number exists.

The item lives in the order's own partition (customers/redact deletes it with the order) and
carries the store-member index (shop/redact). It holds digests of the addresses, never the
addresses themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.models import Order

PROOF = "PROOF"
#: what a missing proof is compared with, so that no proof costs the same as a wrong one
_DECOY = "0" * 32


def email_digest(store_id: str, email: str) -> str:
    return hmac.new(store_id.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _proof_partition(store_id: str, number: str) -> str:
    return f"STORE#{store_id}#ORDERPROOF#{keys.normalized_order_number(number)}"


class OrderProofs:
    """Reads and writes the proof items (one per order) in the one table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def keep(self, store_id: str, order: Order, updated_at: str) -> bool:
        """Keep the newest proof of an order (False if a newer one is kept already)."""
        number = order.name or order.number
        if not order.id or not number or not keys.normalized_order_number(number):
            return False
        emails = {a for a in (order.email, order.customer.email if order.customer else None) if a}
        key = {"PK": keys.entity_partition(store_id, "order", order.id), "SK": PROOF}
        item = {
            **key,
            **keys.store_member(store_id, key),
            "GSI1PK": _proof_partition(store_id, number),
            "GSI1SK": order.id,
            "type": PROOF,
            "store_id": store_id,
            "order_id": order.id,
            "updated_at": updated_at,
            "emails": sorted(email_digest(store_id, e) for e in emails),
        }
        try:
            self._table.put_item(
                Item=item, ConditionExpression=Attr("PK").not_exists() | Attr("updated_at").lte(updated_at)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def proven_order_id(self, store_id: str, number: str, email: str) -> tuple[str | None, bool]:
        """(the id of the order with this number whose email this is, or None; whether the order
        with this number was kept before proofs existed, so only its snapshot can tell).

        Always the same work: two keys-only Queries and a constant-time comparison with every
        digest found (a decoy when none is)."""
        normalized = keys.normalized_order_number(number)
        given = email_digest(store_id, email)
        proofs = self._table.query(
            IndexName="GSI1",
            KeyConditionExpression=Key("GSI1PK").eq(_proof_partition(store_id, number)),
            ProjectionExpression="order_id, emails",
            Limit=5,
        ).get("Items", [])
        numbered = self._table.query(
            IndexName="GSI1",
            KeyConditionExpression=Key("GSI1PK").eq(
                keys.order_number_lookup(store_id, normalized or "-", "")["GSI1PK"]
            ),
            ProjectionExpression="PK",
            Limit=5,
        ).get("Items", [])
        found: str | None = None
        for proof in proofs or [{"order_id": None, "emails": [_DECOY]}]:
            for digest in proof.get("emails") or [_DECOY]:
                if hmac.compare_digest(str(digest), given) and proof.get("order_id"):
                    found = str(proof["order_id"])
        return (found if len(proofs) == 1 else None), not proofs and bool(numbered)
