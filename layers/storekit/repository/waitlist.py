"""The back-in-stock waitlist (functions/inventory/waitlist.py) and the variant index its signups are
checked against. A signup is one item per (variant, email digest), written once (a repeat signup
finds it); a second item per (email digest, variant) lets customers/redact find an address's
entries without a Scan. Entries expire with TTL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from storekit import keys
from storekit.repository.base import TableRepository
from storekit.repository.items import attributes_of

#: BatchGetItem takes at most this many keys per call
_BATCH = 100


class WaitlistRepository(TableRepository):
    def keep_variant(self, store_id: str, variant_id: str, fields: dict[str, Any]) -> None:
        """Remember which product a variant is (its fields that are None are left as they were)."""
        key = keys.variant(store_id, variant_id)
        member = keys.store_member(store_id, key)
        names = {"#type": "type"}
        values: dict[str, Any] = {":type": keys.VARIANT, ":mp": member["GSI2PK"], ":ms": member["GSI2SK"]}
        sets = ["#type = :type", "GSI2PK = :mp", "GSI2SK = :ms"]
        for i, (name, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            names[f"#a{i}"] = name
            values[f":v{i}"] = value
            sets.append(f"#a{i} = :v{i}")
        self._table.update_item(
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def variant_info(self, store_id: str, variant_id: str) -> dict[str, Any] | None:
        item = self._get(keys.variant(store_id, variant_id))
        return attributes_of(item) if item else None

    def join_waitlist(
        self, store_id: str, variant_id: str, email: str, signed_at: str, expires_at: int
    ) -> bool:
        """Put a shopper on a variant's waitlist; False (nothing written) when they are on it already."""
        digest = keys.email_digest(store_id, email)
        entry_key = keys.waitlist_entry(store_id, variant_id, digest)
        index_key = keys.waitlister(store_id, digest, variant_id)
        entry = {
            **entry_key,
            **keys.waitlist_order(store_id, variant_id, signed_at, digest),
            **keys.store_member(store_id, entry_key),
            "type": keys.WAITLIST_ENTRY,
            "variant_id": variant_id,
            "digest": digest,
            "email": email,
            "signed_at": signed_at,
            "expires_at": expires_at,
        }
        index = {
            **index_key,
            **keys.store_member(store_id, index_key),
            "type": keys.WAITLISTER,
            "expires_at": expires_at,
        }
        # the address's index first (harmless if the signup then finds itself a repeat), then the
        # entry, once (a conditional put, not a transaction: moto's failed transactions upset streams)
        self._table.put_item(Item=index)
        return self._put_once(entry)

    def waitlist_entry(self, store_id: str, variant_id: str, digest: str) -> dict[str, Any] | None:
        item = self._get(keys.waitlist_entry(store_id, variant_id, digest), consistent=True)
        return attributes_of(item) if item else None

    def rejoin_waitlist(
        self,
        store_id: str,
        variant_id: str,
        digest: str,
        was_signed_at: str,
        signed_at: str | None,
        expires_at: int,
    ) -> bool:
        """A shopper on the list signs up again: both items are kept until `expires_at` (the
        address's index too, so customers/redact still finds the entry), and with `signed_at` (one
        already emailed) the signup is a new one, at the end of the line. Only if the entry is
        still the one read (`was_signed_at`); False otherwise."""
        index_key = keys.waitlister(store_id, digest, variant_id)
        self._table.put_item(
            Item={
                **index_key,
                **keys.store_member(store_id, index_key),
                "type": keys.WAITLISTER,
                "expires_at": expires_at,
            }
        )
        values: dict[str, Any] = {":e": expires_at, ":was": was_signed_at}
        expression = "SET expires_at = :e"
        if signed_at is not None:
            expression += ", signed_at = :s, GSI1SK = :o"
            values[":s"] = signed_at
            values[":o"] = keys.waitlist_order(store_id, variant_id, signed_at, digest)["GSI1SK"]
        return self._update_if(
            Key=keys.waitlist_entry(store_id, variant_id, digest),
            UpdateExpression=expression,
            ConditionExpression="signed_at = :was",
            ExpressionAttributeValues=values,
        )

    def waiting(
        self, store_id: str, variant_id: str, now_epoch: int, page: int = 100
    ) -> Iterator[dict[str, Any]]:
        """A variant's waitlist in signup order (entries past their expiry left out), page by page."""
        query = {
            "IndexName": "GSI1",
            "KeyConditionExpression": Key("GSI1PK").eq(keys.waitlist_partition(store_id, variant_id)),
            "FilterExpression": Attr("expires_at").gt(now_epoch),
            "ScanIndexForward": True,
            "Limit": page,
        }
        for found in self._pages(query):
            yield from (attributes_of(item) | {"expires_at": item.get("expires_at")} for item in found.items)

    def leave_waitlist(self, store_id: str, variant_id: str, digest: str) -> bool:
        """Take a shopper off a variant's waitlist; False when they were not on it."""
        removed = self._delete_if(
            Key=keys.waitlist_entry(store_id, variant_id, digest), ConditionExpression="attribute_exists(PK)"
        )
        self._table.delete_item(Key=keys.waitlister(store_id, digest, variant_id))
        return removed

    def forget_waitlister(self, store_id: str, emails: Iterable[str]) -> int:
        """Delete every waitlist entry of these addresses (customers/redact): entries removed."""
        removed = 0
        for email in sorted(set(emails)):
            if "@" not in email:
                continue
            digest = keys.email_digest(store_id, email)
            query = {
                "KeyConditionExpression": Key("PK").eq(keys.waitlister_partition(store_id, digest)),
                "ProjectionExpression": "PK, SK",
            }
            for index in list(self._query(query)):
                removed += self.leave_waitlist(store_id, str(index["SK"]), digest)
        return removed

    def waitlist_signups(self, store_id: str, emails: Iterable[str]) -> list[dict[str, Any]]:
        """Every waitlist entry of these addresses (a customer's data export)."""
        found: list[dict[str, Any]] = []
        for email in sorted(set(emails)):
            if "@" not in email:
                continue
            digest = keys.email_digest(store_id, email)
            query = {"KeyConditionExpression": Key("PK").eq(keys.waitlister_partition(store_id, digest))}
            for index in list(self._query(query)):
                entry = self.waitlist_entry(store_id, str(index["SK"]), digest)
                if entry is not None:
                    found.append(entry)
        return found

    def existing_actions(self, store_id: str, action_ids: list[str]) -> set[str]:
        """Which of these outbox actions exist (BatchGetItem of their keys)."""
        found: set[str] = set()
        client, table = self._table.meta.client, self._table.name
        prefix = keys.action(store_id, "")["PK"]
        for start in range(0, len(action_ids), _BATCH):
            request: dict[str, Any] = {
                table: {
                    "Keys": [keys.action(store_id, a) for a in action_ids[start : start + _BATCH]],
                    "ProjectionExpression": "PK",
                }
            }
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(table, []):
                    found.add(str(item["PK"]).removeprefix(prefix))
                request = answer.get("UnprocessedKeys") or {}
        return found
