"""Entities: the newest known state (and snapshot) of each order, product, ..., and the facts kept
beside an order (refunds, shipments) or about an address (last contact)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from storekit import keys
from storekit.clock import parse_iso
from storekit.models import Order
from storekit.order_proofs import proof_of, proven
from storekit.repository.base import TableRepository, is_conditional_failure


def _if_newer(field: str, value: str) -> Any:
    """Write only over an older version (out-of-order deliveries never roll state back)."""
    return Attr("PK").not_exists() | Attr(field).lte(value)


class Advance(NamedTuple):
    """What recording an entity's version did: whether it was the newest (`advanced`), and the
    version it replaced (the event that brought it and its kept snapshot; None: none was kept)."""

    advanced: bool
    replaced_event: str | None = None
    replaced_snapshot: bytes | None = None


class EntityRepository(TableRepository):
    def advance_entity(
        self,
        store_id: str,
        kind: str,
        entity_id: str,
        updated_at: str,
        event_id: str,
        snapshot: bytes | None = None,
        order_number: str | None = None,
    ) -> Advance:
        """Record the newest known version of an entity (and, for the kinds automations read,
        its compressed canonical snapshot), and say which version it replaced (the same write
        returns it: no read). Not advanced when a newer one is already known."""
        key = keys.entity_state(store_id, kind, entity_id)
        item: dict[str, Any] = {
            **key,
            **keys.store_member(store_id, key),
            "type": keys.STATE,
            "store_id": store_id,
            "updated_at": updated_at,
            "event_id": event_id,
        }
        if snapshot is not None:
            item["snapshot"] = snapshot
        if order_number:
            number = keys.normalized_order_number(order_number)
            item.update(keys.order_number_lookup(store_id, number, entity_id))
        try:
            answer = self._table.put_item(
                Item=item, ConditionExpression=_if_newer("updated_at", updated_at), ReturnValues="ALL_OLD"
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return Advance(False)
            raise
        old = answer.get("Attributes") or {}
        blob = old.get("snapshot")
        return Advance(
            True, str(old["event_id"]) if "event_id" in old else None, bytes(blob) if blob else None
        )

    def order_snapshot_by_number(self, store_id: str, number: str) -> bytes | None:
        """The newest snapshot of the order with this number (a narrow GSI1 Query)."""
        normalized = keys.normalized_order_number(number)
        if not normalized:
            return None
        query = {
            "IndexName": "GSI1",
            "KeyConditionExpression": Key("GSI1PK").eq(keys.order_number_partition(store_id, normalized)),
        }
        items = [item for item in self._query(query, limit=5) if "snapshot" in item]
        return bytes(items[0]["snapshot"]) if len(items) == 1 else None

    def entity_snapshot(self, store_id: str, kind: str, entity_id: str) -> bytes | None:
        item = self._get(keys.entity_state(store_id, kind, entity_id))
        return bytes(item["snapshot"]) if item and "snapshot" in item else None

    def keep_order_shipment(
        self, store_id: str, order_id: str, fulfillment_id: str, updated_at: str, snapshot: bytes
    ) -> bool:
        """Keep the newest version (by the payload's updated_at) of one shipment of an order, for
        the order-status assistant. False if a newer one is already kept."""
        key = keys.order_shipment(store_id, order_id, fulfillment_id)
        item = {
            **key,
            **keys.store_member(store_id, key),  # shop/redact finds it; customers/redact via the order
            "type": keys.SHIPMENT,
            "store_id": store_id,
            "updated_at": updated_at,
            "snapshot": snapshot,
        }
        return self._put_once(item, _if_newer("updated_at", updated_at))

    def order_shipment_snapshots(self, store_id: str, order_id: str, limit: int = 100) -> list[bytes]:
        """The kept shipments of one order (one narrow Query on the order's partition)."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.entity_partition(store_id, "order", order_id))
            & Key("SK").begins_with(keys.order_shipments_prefix()),
        }
        return [bytes(item["snapshot"]) for item in self._query(query, limit=limit) if "snapshot" in item]

    # --- facts customer messages rely on (returns / post-delivery follow-ups) ---------------
    def note_refund(self, store_id: str, order_id: str, refund_id: str) -> None:
        """Remember that an order got a refund (refunds/create), whatever its snapshot says yet."""
        key = keys.order_refunds(store_id, order_id)
        member = keys.store_member(store_id, key)  # shop/redact finds it
        self._table.update_item(
            Key=key,
            UpdateExpression="ADD refund_ids :r SET #t = :t, store_id = :s, GSI2PK = :mp, GSI2SK = :ms",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":r": {refund_id},
                ":t": keys.ORDER_REFUNDS,
                ":s": store_id,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
            },
        )

    def order_refund_ids(self, store_id: str, order_id: str) -> set[str]:
        item = self._get(keys.order_refunds(store_id, order_id))
        return {str(r) for r in item.get("refund_ids", set())} if item else set()

    def note_contact(self, store_id: str, address: str, channel: str, at: str, keep_days: int = 400) -> None:
        """Record that storeflow reached `address` on `channel` at `at` (a later contact wins)."""
        expires = int((parse_iso(at) + timedelta(days=keep_days)).timestamp())
        key = keys.last_contact(store_id, address)
        self._put_once(
            {
                **key,
                **keys.store_member(store_id, key),  # shop/redact finds it
                "type": keys.CONTACT,
                "store_id": store_id,
                "channel": channel,
                "at": at,
                "expires_at": expires,
            },
            _if_newer("at", at),
        )

    def last_contact(self, store_id: str, addresses: list[str]) -> tuple[str, str] | None:
        """(channel, at) of the latest contact with any of these addresses, None if none."""
        wanted = {key["PK"]: key for key in (keys.last_contact(store_id, a) for a in addresses if a)}
        latest: tuple[str, str] | None = None
        for key in wanted.values():
            item = self._get(key)
            if item and (latest is None or str(item["at"]) > latest[1]):
                latest = (str(item["channel"]), str(item["at"]))
        return latest

    # --- the order-status assistant's proofs (decided in storekit.order_proofs) ------------------
    def keep_order_proof(self, store_id: str, order: Order, updated_at: str) -> bool:
        """Keep the newest proof of an order (False if a newer one is kept already, or the order
        has nothing to be asked by)."""
        proof = proof_of(store_id, order)
        if proof is None:
            return False
        key = keys.order_proof(store_id, proof.order_id)
        item = {
            **key,
            **keys.store_member(store_id, key),
            **keys.order_proof_lookup(store_id, proof.number, proof.order_id),
            "type": keys.PROOF,
            "store_id": store_id,
            "order_id": proof.order_id,
            "updated_at": updated_at,
            "emails": proof.emails,
        }
        return self._put_once(item, _if_newer("updated_at", updated_at))

    def proven_order_id(self, store_id: str, number: str, email: str) -> tuple[str | None, bool]:
        """(the id of the order with this number whose email this is, or None; whether the order
        with this number was kept before proofs existed). Always the same work: both keys-only
        Queries run (each followed past its pages, at most 5 items), whatever the first finds."""
        normalized = keys.normalized_order_number(number)
        proofs = list(
            self._query(
                {
                    "IndexName": "GSI1",
                    "KeyConditionExpression": Key("GSI1PK").eq(keys.order_proof_partition(store_id, number)),
                    "ProjectionExpression": "order_id, emails",
                },
                limit=5,
            )
        )
        numbered = list(
            self._query(
                {
                    "IndexName": "GSI1",
                    "KeyConditionExpression": Key("GSI1PK").eq(
                        keys.order_number_partition(store_id, normalized or "-")
                    ),
                    "ProjectionExpression": "PK",
                },
                limit=5,
            )
        )
        return proven(store_id, email, proofs, numbered)
