"""The customers domain's items (functions/customers): marketing contacts by hashed address (opt-out,
frequency cap, last order, last click, holdouts), loyalty profiles in the customer's partition, the
"ordered" markers that end abandoned-checkout reminders, attribution markers and the per-flow
counters the flows report reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storekit import keys
from storekit.repository.base import TableRepository

#: the counter (storekit.keys.counter) holding every flow's per-day numbers, dimension "{flow}#{metric}"
FLOW_COUNTER = "flows"
#: what a flow's counters count
FLOW_METRICS = ("sends", "holdouts", "opens", "clicks", "conversions", "revenue", "holdout_conversions")
#: marketing sends older than this are dropped from a contact's cap list
CAP_WINDOW_DAYS = 7


class CustomerRepository(TableRepository):
    # --- marketing contacts (one item per hashed address) ---------------------------------------
    def _contact_update(self, store_id: str, digest: str, expression: str, **update: Any) -> dict[str, Any]:
        key = keys.marketing_contact(store_id, digest)
        member = keys.store_member(store_id, key)
        names = {"#t": "type", **update.pop("names", {})}
        values = {":type": keys.MARKETING_CONTACT, ":mp": member["GSI2PK"], ":ms": member["GSI2SK"]}
        values |= update.pop("values", {})
        answer = self._table.update_item(
            Key=key,
            UpdateExpression=f"SET #t = :type, GSI2PK = :mp, GSI2SK = :ms, {expression}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
            **update,
        )
        old: dict[str, Any] = answer.get("Attributes", {})
        return old

    def marketing_contact(self, store_id: str, digest: str) -> dict[str, Any]:
        return self._get(keys.marketing_contact(store_id, digest), consistent=True) or {}

    def opt_out(self, store_id: str, digest: str, at: str) -> bool:
        """Record a one-click unsubscribe (the first one's time is kept). True if newly opted out."""
        old = self._contact_update(
            store_id,
            digest,
            "opted_out_at = if_not_exists(opted_out_at, :at) REMOVE platform_unsubscribed",
            values={":at": at},
        )
        return "opted_out_at" not in old

    def note_platform_consent(self, store_id: str, digest: str, consents: bool) -> bool:
        """The platform's consent as a customers/update reports it. An opt-out stays until the
        customer subscribes again at the store: consent withdrawn there, then given again. True when
        that lifted an opt-out."""
        if not consents:
            return not self._update_if(
                Key=keys.marketing_contact(store_id, digest),
                UpdateExpression="SET platform_unsubscribed = :y",
                ConditionExpression="attribute_exists(opted_out_at)",
                ExpressionAttributeValues={":y": True},
            )
        return self._update_if(
            Key=keys.marketing_contact(store_id, digest),
            UpdateExpression="REMOVE opted_out_at, platform_unsubscribed",
            ConditionExpression="attribute_exists(opted_out_at) AND platform_unsubscribed = :y",
            ExpressionAttributeValues={":y": True},
        )

    def swap_marketing_sends(self, store_id: str, digest: str, version: int, sends: list[str]) -> bool:
        """Replace the contact's cap list, only if no one changed it since it was read at `version`
        (0: never written): the conditional write that makes two messages decided at the same moment
        unable to both take the last slot of the frequency cap. False: changed meanwhile, read again."""
        key = keys.marketing_contact(store_id, digest)
        member = keys.store_member(store_id, key)
        condition = "attribute_not_exists(sends_v)" if version == 0 else "sends_v = :v"
        values: dict[str, Any] = {
            ":s": sends,
            ":next": version + 1,
            ":type": keys.MARKETING_CONTACT,
            ":mp": member["GSI2PK"],
            ":ms": member["GSI2SK"],
        }
        if version:
            values[":v"] = version
        return self._update_if(
            Key=key,
            UpdateExpression="SET #t = :type, GSI2PK = :mp, GSI2SK = :ms, sends = :s, sends_v = :next",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues=values,
        )

    def note_contact_order(self, store_id: str, digest: str, at: str) -> dict[str, Any]:
        """The contact ordered at `at`; returns the contact as it was (its last click, holdouts)."""
        return self._contact_update(store_id, digest, "last_ordered_at = :at", values={":at": at})

    def note_click(self, store_id: str, digest: str, flow: str, at: str) -> None:
        self._contact_update(store_id, digest, "last_click = :c", values={":c": {"flow": flow, "at": at}})

    def note_holdout(self, store_id: str, digest: str, flow: str, at: str) -> bool:
        """The contact was held out of a flow at `at` (its later order counts for the holdout).
        True the first time (a repeated delivery is not counted twice)."""
        self._contact_update(
            store_id, digest, "holdouts = if_not_exists(holdouts, :empty)", values={":empty": {}}
        )
        return self._update_if(
            Key=keys.marketing_contact(store_id, digest),
            UpdateExpression="SET holdouts.#f = :at",
            ConditionExpression="attribute_not_exists(holdouts.#f)",
            ExpressionAttributeNames={"#f": flow},
            ExpressionAttributeValues={":at": at},
        )

    def forget_marketing_contact(self, store_id: str, digest: str) -> None:
        """customers/redact: only an opt-out stays (the hash and when), for suppression."""
        item = self.marketing_contact(store_id, digest)
        if not item:
            return
        key = keys.marketing_contact(store_id, digest)
        if "opted_out_at" not in item:
            self._table.delete_item(Key=key)
            return
        kept = {name: item[name] for name in ("PK", "SK", "type", "GSI2PK", "GSI2SK", "opted_out_at")}
        self._table.put_item(Item=kept)

    # --- abandoned checkouts ---------------------------------------------------------------------
    def mark_ordered(self, store_id: str, order_id: str, at: str, tokens: list[tuple[str, str]]) -> None:
        """An order arrived from these checkouts/carts (("checkout"|"cart", token) pairs)."""
        for what, token in tokens:
            key = (
                keys.checkout_ordered(store_id, token)
                if what == "checkout"
                else keys.cart_ordered(store_id, token)
            )
            self._table.put_item(
                Item={
                    **key,
                    **keys.store_member(store_id, key),
                    "type": keys.ORDERED_MARKER,
                    "order_id": order_id,
                    "at": at,
                }
            )

    def checkout_state(
        self, store_id: str, digest: str | None, checkout_token: str, cart_token: str | None
    ) -> tuple[dict[str, Any], str | None]:
        """(the contact, the id of an order that came from this checkout or cart, if any): one
        BatchGet of at most 3 items."""
        contact, ordered, _ = self.reminder_state(store_id, digest, checkout_token, cart_token)
        return contact, ordered

    def reminder_state(
        self, store_id: str, digest: str | None, checkout_token: str, cart_token: str | None
    ) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
        """checkout_state, plus the cart's shopper item (its latest items and change) while no order
        came from it: one BatchGet of at most 3 items."""
        wanted = [keys.checkout_ordered(store_id, checkout_token)]
        if cart_token:
            wanted.append(keys.cart_ordered(store_id, cart_token))
        if digest:
            wanted.append(keys.marketing_contact(store_id, digest))
        answer = self._table.meta.client.batch_get_item(
            RequestItems={self._table.name: {"Keys": wanted, "ConsistentRead": True}}
        )
        contact: dict[str, Any] = {}
        cart: dict[str, Any] = {}
        ordered: str | None = None
        for item in answer.get("Responses", {}).get(self._table.name, []):
            if item.get("SK") == keys.MARKETING_CONTACT:
                contact = item
            elif item.get("order_id"):
                ordered = str(item.get("order_id"))
            elif item.get("type") == keys.CART_SHOPPER:
                cart = item
        return contact, ordered, cart

    def cart_state(self, store_id: str, cart_token: str) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """(the cart's shopper item, their contact, the order that came from the cart): 2 items."""
        item = self._get(keys.cart_ordered(store_id, cart_token), consistent=True) or {}
        if item.get("order_id"):
            return {}, {}, str(item["order_id"])
        if item.get("type") != keys.CART_SHOPPER:
            return {}, {}, None
        digest = str(item.get("digest") or "")
        return item, (self.marketing_contact(store_id, digest) if digest else {}), None

    def note_cart_shopper(
        self, store_id: str, cart_token: str, digest: str, shopper: dict[str, Any], changed_at: str
    ) -> None:
        """A checkout with an email carried this cart token: the cart's shopper is known (until an
        order comes from it: an ordered cart is never turned back). The contact lists its carts, so
        customers/redact finds them from the address."""
        key = keys.cart_ordered(store_id, cart_token)
        member = keys.store_member(store_id, key)
        noted = self._update_if(
            Key=key,
            UpdateExpression="SET #t = :t, GSI2PK = :mp, GSI2SK = :ms, digest = :d, shopper = :s, "
            "changed_at = if_not_exists(changed_at, :c)",
            ConditionExpression="attribute_not_exists(order_id)",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":t": keys.CART_SHOPPER,
                ":mp": member["GSI2PK"],
                ":ms": member["GSI2SK"],
                ":d": digest,
                ":s": shopper,
                ":c": changed_at,
            },
        )
        carts = [str(c) for c in self.marketing_contact(store_id, digest).get("carts", [])]
        if noted and cart_token not in carts:
            self._contact_update(store_id, digest, "carts = :c", values={":c": [*carts, cart_token]})

    def note_cart_change(self, store_id: str, cart_token: str, items: list[dict[str, Any]], at: str) -> bool:
        """carts/update of a cart whose shopper is known: its newest items and change time (an older
        update arriving late changes nothing). False: the shopper is unknown, ordered, or not newer."""
        return self._update_if(
            Key=keys.cart_ordered(store_id, cart_token),
            UpdateExpression="SET #i = :i, changed_at = :c",
            ConditionExpression="#t = :t AND attribute_not_exists(order_id) AND changed_at < :c",
            ExpressionAttributeNames={"#t": "type", "#i": "items"},
            ExpressionAttributeValues={":i": items, ":c": at, ":t": keys.CART_SHOPPER},
        )

    def cart_shopper(self, store_id: str, cart_token: str) -> dict[str, Any]:
        item = self._get(keys.cart_ordered(store_id, cart_token), consistent=True) or {}
        return item if item.get("type") == keys.CART_SHOPPER else {}

    def forget_carts(self, store_id: str, digest: str) -> int:
        """customers/redact: the carts whose shopper this contact was (before the contact goes)."""
        carts = [str(c) for c in self.marketing_contact(store_id, digest).get("carts", [])]
        for token in carts:
            self._table.delete_item(Key=keys.cart_ordered(store_id, token))
        return len(carts)

    # --- attribution and flow counters -----------------------------------------------------------
    def claim_attribution(self, store_id: str, order_id: str, flow: str, how: str) -> bool:
        """Attribute an order to a flow once (False: it already was)."""
        key = keys.order_attribution(store_id, order_id)
        return self._put_once(
            {**key, **keys.store_member(store_id, key), "type": keys.ATTRIBUTION, "flow": flow, "how": how}
        )

    def add_flow_count(
        self, store_id: str, day: str, flow: str, metric: str, amount: int | Decimal = 1
    ) -> None:
        self._add_day_count(store_id, FLOW_COUNTER, day, f"{flow}#{metric}", amount)

    def flow_counts(
        self, store_id: str, first_day: str, last_day: str
    ) -> list[tuple[str, str, str, Decimal]]:
        """(day, flow, metric, value) of every flow counter first_day..last_day (store-local days)."""
        return self._day_counts(store_id, FLOW_COUNTER, first_day, last_day)

    # --- loyalty profiles (in the customer's partition) ------------------------------------------
    def customer_profile(self, store_id: str, customer_id: str) -> dict[str, Any]:
        return self._get(keys.customer_profile(store_id, customer_id), consistent=True) or {}

    def count_for_loyalty(
        self,
        store_id: str,
        customer_id: str,
        mark: str,
        spend: Decimal,
        orders: int,
        at: str | None,
        requires: str | None = None,
    ) -> dict[str, Any] | None:
        """Add an order (or take back a refund/cancellation) once, marked by `mark`
        ("order:1", "refund:9", "cancel:1"), and only after `requires` was counted. Returns the
        profile after, None if already counted (or not yet countable)."""
        key = keys.customer_profile(store_id, customer_id)
        member = keys.store_member(store_id, key)
        expression = "ADD spend :s, orders :o, counted :m SET #t = :t, GSI2PK = :mp, GSI2SK = :ms"
        values: dict[str, Any] = {
            ":s": spend,
            ":o": orders,
            ":m": {mark},
            ":mark": mark,
            ":t": keys.CUSTOMER_PROFILE,
            ":mp": member["GSI2PK"],
            ":ms": member["GSI2SK"],
        }
        if at is not None:
            expression += ", last_order_at = :at"
            values[":at"] = at
        condition = "NOT contains(counted, :mark)"
        if requires is not None:
            condition += " AND contains(counted, :req)"
            values[":req"] = requires
        try:
            answer = self._table.update_item(
                Key=key,
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self._table.meta.client.exceptions.ConditionalCheckFailedException:
            return None
        attributes: dict[str, Any] = answer.get("Attributes", {})
        return attributes
