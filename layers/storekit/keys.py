"""Every DynamoDB key storeflow writes or queries is built here, and nowhere else.

One table, string keys PK/SK, and two sparse GSIs: GSI1 (GSI1PK/GSI1SK) for the per-store listings
the admin API shows newest first, the store list and order-number lookups; GSI2 (GSI2PK/GSI2SK) for
actions by status and for the per-store items no listing finds (shop/redact). Items that must exist
once are keyed by what makes them unique (a webhook delivery id, an action's idempotency key), so a
conditional put is the duplicate check.

| item           | PK                                    | SK                       | GSI1PK / GSI2PK                     | GSI1SK / GSI2SK |
|----------------|---------------------------------------|--------------------------|-------------------------------------|-----------------|
| store config   | STORE#{s}                             | CONFIG                   | GSI1 STORES                         | {s}             |
| event          | STORE#{s}#EVENT#{platform}#{delivery} | EVENT                    | GSI1 STORE#{s}#EVENTS               | {time}#{id}     |
| entity state   | STORE#{s}#{KIND}#{entity_id}          | STATE                    | GSI1 STORE#{s}#ORDERNO#{n} (orders) | {order_id}      |
| runs of event  | (the event's PK)                      | RUNS                     | GSI1 STORE#{s}#RUNS                 | {time}#{event}  |
| runs of a job  | STORE#{s}#RUN#job:{job_id}            | RUNS                     | GSI1 STORE#{s}#RUNS                 | {time}#{event}  |
| run (before)   | STORE#{s}#RUN#{run_id}                | RUN                      | GSI1 STORE#{s}#RUNS                 | {time}#{id}     |
| action         | STORE#{s}#ACTION#{action_id}          | ACTION                   | GSI1 STORE#{s}#ACTIONS              | {time}#{id}     |
| action/status  | (same item)                           |                          | GSI2 STORE#{s}#ACTIONS#{status}     | {time}#{id}     |
| due job        | JOB#{hour due, yyyy-mm-ddThh}         | {due time}#{s}#{job_id}  | GSI1 STORE#{s}#SCHEDULES            | {due}#{id}      |
| sweeper cursor | SWEEPER                               | CURSOR                   | -                                   | -               |
| stream beat    | SWEEPER                               | BEAT#{handler}           | -                                   | -               |
| parked record  | PARKED#{s}                            | {time}#{record id}       | GSI1 STORE#{s}#PARKED               | {time}#{id}     |
| stream tries   | STREAMTRY#{record id}                 | TRY                      | -                                   | -               |
| counter        | STORE#{s}#COUNTER#{name}              | {day}[#{dimension}]      | -                                   | -               |
| order refunds  | STORE#{s}#ORDER#{order_id}            | REFUNDS                  | -                                   | -               |
| order shipment | STORE#{s}#ORDER#{order_id}            | SHIPMENT#{fulfillment}   | -                                   | -               |
| last contact   | STORE#{s}#CONTACT#{hash of address}   | CONTACT                  | -                                   | -               |
| store member   | (state, counters, refunds, shipments, | contacts: what no        | GSI2 STORE#{s}#ITEMS                | {PK}|{SK}       |
|                |  listing above finds)                 |                          |                                     |                 |
| inventory item | STORE#{s}#INVITEM#{inventory_item_id} | VARIANT                  | (store member)                      |                 |
| product stock  | STORE#{s}#STOCK#{product_id}          | STOCK                    | (store member)                      |                 |
| shop claim     | SHOP#{platform}#{shop identity}       | STORE                    | -                                   | -               |
| rate counter   | STORE#{s}#RATE#{scope}#{hash}         | {window start}           | (store member)                      |                 |
| variant sales  | STORE#{s}#VSALES#{variant_id}         | B{block of 32 days}      | (store member) ADD counters u{day}: |                 |
|                |                                       |                          | units sold per day, net; TTL        |                 |
| order ledger   | STORE#{s}#LEDGER#{order_id}           | LEDGER                   | (store member) each counting        |                 |
|                |                                       |                          | domain's part P#{part} + V#{part}   |                 |
| sales marker   | STORE#{s}#SALESMARK#{order_id}        | SALES                    | (store member) before the ledger:   |                 |
|                |                                       |                          | read while the ledger has no part   |                 |
| purchase order | STORE#{s}#PO#{po_number}              | PO                       | GSI1 STORE#{s}#PURCHASE-ORDERS      | {time}#{po}     |
| PO/status      | (same item)                           |                          | GSI2 STORE#{s}#PURCHASE-ORDERS#{st} | {time}#{po}     |
| order proof    | STORE#{s}#ORDER#{order_id}            | PROOF                    | GSI1 STORE#{s}#ORDERPROOF#{n}       | {order_id}      |
|                |                                       |                          | (and store member)                  |                 |
| fraud facts    | STORE#{s}#ORDER#{order_id}            | FRAUD                    | (store member)                      |                 |
| fraud velocity | STORE#{s}#FRAUDVEL#{dim}#{hash}       | {window start}           | (store member; TTL)                 |                 |
| fraud stats    | STORE#{s}#FRAUDSTATS                  | STATS                    | (store member)                      |                 |
| fraud flag     | STORE#{s}#FRAUDFLAG#{dim}#{hash}      | FLAG                     | (store member)                      |                 |
| money movement | STORE#{s}#ORDER#{order_id}            | FRAUDMONEY#{reason}      | (store member)                      |                 |
| limited product| STORE#{s}#FRAUDLIMITED                | {product_id}             | (store member)                      |                 |


| sale           | STORE#{s}#SALE#{job_id}               | SALE                     | GSI1 STORE#{s}#SCHEDULES            | {start}#{id}    |
| sale product   | STORE#{s}#SALE#{job_id}               | PRODUCT#{product_id}     | (store member)                      |                 |
| sale step job  | JOB#{hour due}                        | {due}#{s}#{job_id}-{step}| - (not listed: the sale is)         | -               |
| gift watch     | STORE#{s}#GIFTWATCH#{variant_id}      | GIFT                     | (store member) string set jobs      | -               |
| variant        | STORE#{s}#VARIANT#{variant_id}        | PRODUCT                  | (store member)                      |                 |
| waitlist entry | STORE#{s}#WAITLIST#{variant_id}       | {hash of email}          | GSI1 STORE#{s}#WAITLIST#{variant}   | {time}#{hash}   |
|                |                                       |                          | (and store member)                  |                 |
| waitlister     | STORE#{s}#WAITLISTER#{hash of email}  | {variant_id}             | (store member)                      |                 |
| loyalty profile| STORE#{s}#CUSTOMER#{customer_id}      | CUSTPROFILE              | (store member)                      |                 |
| mkt contact    | STORE#{s}#MKT#{hash of address}       | MKTCONTACT               | (store member)                      |                 |
| ordered marker | STORE#{s}#CHECKOUT#{token} / CART#{t} | ORDERED                  | (store member)                      |                 |
| attribution    | STORE#{s}#ORDER#{order_id}            | ATTRIBUTION              | (store member)                      |                 |

Every automation's run on one event (or due job) is kept in one item with the event's outcome (a
write per event, not per automation, and none on the big event item itself); the runs listing shows
each run of it. Tables written before keep their one-item-per-run RUN items, listed the same way.

Due jobs are filed by the hour they are due in (the current hour if already due), so the sweeper
reads one partition per hour (`SK <= now`), never a scan: a first sweep over its day of lookback
costs 25 Queries.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

# item types (attribute "type"): the stream handlers route on it
EVENT = "EVENT"
ACTION = "ACTION"
RUN = "RUN"
RUNS = "RUNS"
STORE = "STORE"
STATE = "STATE"
JOB = "JOB"
PARKED = "PARKED"
STREAM_TRY = "STREAMTRY"
COUNTER = "COUNTER"
ORDER_REFUNDS = "ORDER_REFUNDS"
CONTACT = "CONTACT"
SHIPMENT = "SHIPMENT"
INVENTORY_ITEM = "INVITEM"
STOCK = "STOCK"
VARIANT_SALES = "VSALES"
SALES_MARKER = "SALESMARK"
PURCHASE_ORDER = "PO"
CURSOR = "CURSOR"
SHOP_CLAIM = "SHOP_CLAIM"
RATE = "RATE"
PROOF = "PROOF"
SALE = "SALE"
SALE_PRODUCT = "SALEPRODUCT"
VARIANT = "VARIANT"
WAITLIST_ENTRY = "WAITLIST"
WAITLISTER = "WAITLISTER"

Key = dict[str, str]


def _store(store_id: str) -> str:
    return f"STORE#{store_id}"


def store_config(store_id: str) -> Key:
    return {"PK": _store(store_id), "SK": "CONFIG"}


def shop_claim(platform: str, shop: str) -> Key:
    """Which store a shop's deliveries belong to (one store per shop): routes the app-wide
    privacy webhooks by the signed shop domain with one GetItem. `shop` is `store.shop_identity`."""
    return {"PK": f"SHOP#{platform}#{shop}", "SK": "STORE"}


#: GSI1 partition of the store list
STORES = "STORES"


def store_listing(store_id: str) -> Key:
    return {"GSI1PK": STORES, "GSI1SK": store_id}


def event(store_id: str, platform: str, delivery_id: str) -> Key:
    return {"PK": f"{_store(store_id)}#EVENT#{platform}#{delivery_id}", "SK": EVENT}


def event_listing(store_id: str, received_at: str, delivery_id: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#EVENTS", "GSI1SK": f"{received_at}#{delivery_id}"}


def entity_state(store_id: str, kind: str, entity_id: str) -> Key:
    return {"PK": entity_partition(store_id, kind, entity_id), "SK": STATE}


def order_number_lookup(store_id: str, number: str, order_id: str) -> Key:
    """GSI1 keys on an order's state item, so the order-status assistant finds it by number."""
    return {"GSI1PK": order_number_partition(store_id, number), "GSI1SK": order_id}


def order_number_partition(store_id: str, number: str) -> str:
    """GSI1 partition of the orders with this (normalized) number."""
    return f"{_store(store_id)}#ORDERNO#{number}"


def normalized_order_number(raw: str) -> str:
    """'#1001', ' 1001 ' and 'No. 1001' name the same order: keep letters, digits and dashes, lower-cased."""
    return "".join(ch for ch in raw.lower() if ch.isalnum() or ch == "-").removeprefix("no")


def run(store_id: str, run_id: str) -> Key:
    return {"PK": f"{_store(store_id)}#RUN#{run_id}", "SK": RUN}


def run_listing(store_id: str, created_at: str, run_id: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#RUNS", "GSI1SK": f"{created_at}#{run_id}"}


def run_set(store_id: str, source_id: str) -> Key:
    """Every automation's run on one event ("{platform}:{delivery}", in the event's own partition,
    so the event and its outcome are read with one Query) or one due job ("job:{job_id}")."""
    platform, _, ident = source_id.partition(":")
    if platform == "job":
        return {"PK": f"{_store(store_id)}#RUN#{source_id}", "SK": RUNS}
    return {"PK": event(store_id, platform, ident)["PK"], "SK": RUNS}


def run_set_listing(store_id: str, created_at: str, source_id: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#RUNS", "GSI1SK": f"{created_at}#{source_id}"}


def action(store_id: str, action_id: str) -> Key:
    return {"PK": f"{_store(store_id)}#ACTION#{action_id}", "SK": ACTION}


def action_listing(store_id: str, created_at: str, action_id: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#ACTIONS", "GSI1SK": f"{created_at}#{action_id}"}


def action_status_listing(store_id: str, status: str, created_at: str, action_id: str) -> Key:
    return {"GSI2PK": action_status_partition(store_id, status), "GSI2SK": f"{created_at}#{action_id}"}


def action_status_partition(store_id: str, status: str) -> str:
    return f"{_store(store_id)}#ACTIONS#{status}"


def listing_partition(store_id: str, what: str, status: str | None = None) -> tuple[str, str]:
    """(index name, partition value) for a per-store listing: events, runs, actions, schedules, parked."""
    if what == "actions" and status:
        return "GSI2", action_status_partition(store_id, status)
    if what == "purchase-orders" and status:
        return "GSI2", f"{_store(store_id)}#PURCHASE-ORDERS#{status}"
    return "GSI1", f"{_store(store_id)}#{what.upper()}"


def job_partition(at: datetime) -> str:
    """The hour partition of a due job: the UTC hour it is due in, e.g. 2026-11-24T12."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def job_partition_start(partition: str) -> datetime:
    """When a job partition's hour begins. Takes a cursor of the former minute layout too
    (2026-11-24T12:05): its hour is where the sweeper resumes."""
    return datetime.strptime(partition[:13], "%Y-%m-%dT%H").replace(tzinfo=UTC)


def job_partitions_between(start: datetime, end: datetime, limit: int | None = None) -> list[str]:
    """Hour partitions from `start` to `end` inclusive, oldest first; at most `limit` of them (the
    oldest: a sweeper that fell behind catches up over several runs and never skips one)."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    count = (last - first) // timedelta(hours=1) + 1
    count = max(1, count if limit is None else min(count, limit))
    return [job_partition(first + timedelta(hours=i)) for i in range(count)]


def job(partition: str, store_id: str, job_id: str, due_iso: str) -> Key:
    """A due job lives in the hour partition it is due in (or the current one, if already due)."""
    return {"PK": job_partition_key(partition), "SK": f"{due_iso}#{store_id}#{job_id}"}


def job_partition_key(partition: str) -> str:
    return f"JOB#{partition}"


def jobs_due_by(until_iso: str) -> str:
    """The greatest job SK of a job due at or before `until_iso` (an SK is `{due}#{store}#{id}`)."""
    return until_iso + "~"


def job_listing(store_id: str, due_iso: str, job_id: str) -> Key:
    return {"GSI1PK": listing_partition(store_id, "schedules")[1], "GSI1SK": f"{due_iso}#{job_id}"}


def sweeper_cursor() -> Key:
    """The job partition the next sweep starts at."""
    return {"PK": "SWEEPER", "SK": "CURSOR"}


def stream_heartbeat(handler: str) -> Key:
    """When a stream handler (dispatch, execute) last finished a batch, and how old its newest
    record was then (GET /health?deep=1)."""
    return {"PK": "SWEEPER", "SK": f"BEAT#{handler}"}


def engine_state_partition() -> str:
    """The partition of the sweeper cursor and the stream heartbeats (read together by health)."""
    return "SWEEPER"


def parked(store_id: str, at: str, record_id: str) -> Key:
    return {"PK": f"PARKED#{store_id}", "SK": f"{at}#{record_id}"}


def parked_listing(store_id: str, at: str, record_id: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#PARKED", "GSI1SK": f"{at}#{record_id}"}


def stream_try(record_id: str) -> Key:
    return {"PK": f"STREAMTRY#{record_id}", "SK": "TRY"}


def counter(store_id: str, name: str, day: str, dimension: str | None = None) -> Key:
    sk = f"{day}#{dimension}" if dimension else day
    return {"PK": counter_partition(store_id, name), "SK": sk}


def counter_partition(store_id: str, name: str) -> str:
    """Every day (and dimension) of one counter: a report reads a range of its SKs."""
    return f"{_store(store_id)}#COUNTER#{name}"


def counter_days(first_day: str, last_day: str) -> tuple[str, str]:
    """SK bounds of a counter's days first_day..last_day inclusive, with every dimension."""
    return first_day, last_day + "~"


def counter_day_and_dimension(sk: str) -> tuple[str, str | None]:
    day, _, dimension = sk.partition("#")
    return day, dimension or None


def order_refunds(store_id: str, order_id: str) -> Key:
    """The refund ids seen for an order (refunds/create), next to the order's state item."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": "REFUNDS"}


def order_shipment(store_id: str, order_id: str, fulfillment_id: str) -> Key:
    """The newest known version of one shipment (fulfillment) of an order, next to the order's state
    item, so the order-status assistant reads all of an order's shipments with one Query."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": f"{SHIPMENT}#{fulfillment_id}"}


def order_shipments_prefix() -> str:
    return f"{SHIPMENT}#"


def contact_address(address: str) -> str:
    """An email address or phone number as one text (case, spaces and punctuation aside)."""
    text = address.strip().lower()
    if "@" in text:
        return text
    return "".join(ch for ch in text if ch.isdigit())


def last_contact(store_id: str, address: str) -> Key:
    """When and on which channel storeflow last reached an address (hashed: no address in keys)."""
    digest = hashlib.sha256(f"{store_id}\x1f{contact_address(address)}".encode()).hexdigest()[:32]
    return {"PK": f"{_store(store_id)}#CONTACT#{digest}", "SK": CONTACT}


def inventory_item(store_id: str, inventory_item_id: str) -> Key:
    """Which variant of which product a Shopify inventory item is (kept from products/create|update)."""
    return {"PK": f"{_store(store_id)}#INVITEM#{inventory_item_id}", "SK": "VARIANT"}


def product_stock(store_id: str, product_id: str) -> Key:
    """One product's stock: every variant's levels per location, what alerts are out, what storeflow
    changed when it sold out (one item, so one read decides for the whole product)."""
    return {"PK": f"{_store(store_id)}#STOCK#{product_id}", "SK": STOCK}


#: store-local days one sales item of a variant holds (a velocity window of 28 days reads 1-2 items)
SALES_BLOCK_DAYS = 32


def variant_sales(store_id: str, variant_id: str, day: str) -> Key:
    """One variant's units sold on the SALES_BLOCK_DAYS store-local days of `day`'s block, net of
    refunds and cancellations: an ADD counter per day (attribute `sales_day_attr(day)`) in one item,
    so a velocity reads at most window_days / SALES_BLOCK_DAYS + 1 items of one partition, whatever
    the number of orders."""
    block = date.fromisoformat(day).toordinal() // SALES_BLOCK_DAYS
    return {"PK": f"{_store(store_id)}#VSALES#{variant_id}", "SK": f"B{block:06d}"}


def sales_day_attr(day: str) -> str:
    """The attribute of a day's counter in its block item."""
    return f"u{date.fromisoformat(day).toordinal() % SALES_BLOCK_DAYS}"


def sales_marker(store_id: str, order_id: str) -> Key:
    """Where a store counted before the order ledger (order_ledger) kept what of one order the
    variant sales counters hold: read when the order's ledger has no sales part yet, never written."""
    return {"PK": f"{_store(store_id)}#SALESMARK#{order_id}", "SK": "SALES"}


def purchase_order(store_id: str, po_number: str) -> Key:
    return {"PK": f"{_store(store_id)}#PO#{po_number}", "SK": PURCHASE_ORDER}


def purchase_order_listing(store_id: str, created_at: str, po_number: str) -> Key:
    return {"GSI1PK": f"{_store(store_id)}#PURCHASE-ORDERS", "GSI1SK": f"{created_at}#{po_number}"}


def purchase_order_status_listing(store_id: str, status: str, created_at: str, po_number: str) -> Key:
    return {
        "GSI2PK": f"{_store(store_id)}#PURCHASE-ORDERS#{status}",
        "GSI2SK": f"{created_at}#{po_number}",
    }


def store_member(store_id: str, key: Key) -> Key:
    """GSI2 keys that make a per-store item no listing finds (entity state, counters, ...)
    reachable by shop/redact with one Query instead of a Scan. Every such item carries them."""
    return {"GSI2PK": store_members_partition(store_id), "GSI2SK": f"{key['PK']}|{key['SK']}"}


def store_members_partition(store_id: str) -> str:
    return f"{_store(store_id)}#ITEMS"


def entity_partition(store_id: str, kind: str, entity_id: str) -> str:
    """The PK every item about one entity shares (its state, and e.g. an order's refunds)."""
    return f"{_store(store_id)}#{kind.upper()}#{entity_id}"


def item_key(item: dict[str, object]) -> Key:
    """The table key (PK, SK) of a stored item, e.g. one a listing or an index returned."""
    return {"PK": str(item["PK"]), "SK": str(item["SK"])}


def idempotency_key(*parts: str) -> str:
    """A deterministic id from what makes a thing unique (same parts -> same id, always)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:32]


def rate_counter(store_id: str, scope: str, subject: str, window_start: int) -> Key:
    """One fixed-window request counter of a public route (storekit.ratelimit). The subject (a
    client address, an email, an order number) is hashed: no personal data in keys."""
    digest = hashlib.sha256(f"{store_id}\x1f{scope}\x1f{subject}".encode()).hexdigest()[:32]
    return {"PK": f"{_store(store_id)}#RATE#{scope}#{digest}", "SK": str(window_start)}


def order_proof(store_id: str, order_id: str) -> Key:
    """What proves a shopper's order (digests of its emails; storekit.order_proofs), in the order's
    partition so customers/redact deletes it with the order."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": PROOF}


def order_proof_lookup(store_id: str, number: str, order_id: str) -> Key:
    """GSI1 keys on an order's proof item, so the assistant finds the proofs of an order number."""
    return {"GSI1PK": order_proof_partition(store_id, number), "GSI1SK": order_id}


def order_proof_partition(store_id: str, number: str) -> str:
    """GSI1 partition of the proofs of the orders with this number (normalized here)."""
    return f"{_store(store_id)}#ORDERPROOF#{normalized_order_number(number)}"


# --- fraud (functions/fraud) ------------------------------------------------------------------
FRAUD_FACTS = "FRAUD"
FRAUD_VELOCITY = "FRAUDVEL"
FRAUD_STATS = "FRAUDSTATS"
FRAUD_FLAG = "FRAUDFLAG"


def _fraud_digest(store_id: str, dimension: str, value: str) -> str:
    return hashlib.sha256(f"{store_id}\x1f{dimension}\x1f{value}".encode()).hexdigest()[:32]


def fraud_facts(store_id: str, order_id: str) -> Key:
    """What the fraud domain knows of one order beside its payload (the card checks of its
    transactions, the platform's risk level, its outcomes and band), in the order's partition so
    customers/redact deletes it with the order. Whether the store's stats count the order is the
    fraud part of its ledger (order_ledger); before the ledger it was marked here (`counted`)."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": FRAUD_FACTS}


def fraud_velocity(store_id: str, dimension: str, value: str, window_start: int) -> Key:
    """The orders of one email, IP, card or address (hashed: no personal data in keys) in one
    fixed window: the risk score's velocity counter."""
    digest = _fraud_digest(store_id, dimension, value)
    return {"PK": f"{_store(store_id)}#{FRAUD_VELOCITY}#{dimension}#{digest}", "SK": str(window_start)}


def fraud_stats(store_id: str) -> Key:
    """The store's order count and value sum (the running average a first order is judged by)."""
    return {"PK": f"{_store(store_id)}#{FRAUD_STATS}", "SK": "STATS"}


def fraud_flag(store_id: str, dimension: str, value: str) -> Key:
    """An email, IP, card or address a chargeback named (hashed), so later orders score higher."""
    digest = _fraud_digest(store_id, dimension, value)
    return {"PK": f"{_store(store_id)}#{FRAUD_FLAG}#{dimension}#{digest}", "SK": "FLAG"}


FRAUD_MONEY = "FRAUDMONEY"
FRAUD_LIMITED = "FRAUDLIMITED"
#: the fraud report's per-day counters (storekit.keys.counter), dimension "{band}#{metric}"
FRAUD_COUNTER = "fraud"


def fraud_money(store_id: str, order_id: str, reason: str) -> Key:
    """One money movement of an order (a refund or store credit) for one reason: what it was, its
    amount and status. In the order's partition: customers/redact deletes it with the order."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": f"{FRAUD_MONEY}#{reason}"}


def fraud_limited_product(store_id: str, product_id: str) -> Key:
    """A product the store tagged as limited (products/create|update): the hoarding guard's set."""
    return {"PK": f"{_store(store_id)}#{FRAUD_LIMITED}", "SK": product_id}


# --- sales (functions/sales) ---------------------------------------------------------------


def sale_partition(store_id: str, job_id: str) -> str:
    """The PK a sale and its per-product price records share."""
    return f"{_store(store_id)}#SALE#{job_id}"


def sale(store_id: str, job_id: str) -> Key:
    return {"PK": sale_partition(store_id, job_id), "SK": SALE}


def sale_listing(store_id: str, starts_iso: str, job_id: str) -> Key:
    """A sale is listed with the store's schedules (GET /stores/{id}/schedules), by its start."""
    return {"GSI1PK": listing_partition(store_id, "schedules")[1], "GSI1SK": f"{starts_iso}#{job_id}"}


def sale_product(store_id: str, job_id: str, product_id: str) -> Key:
    """One product's recorded prices in a sale (before, during, after per variant)."""
    return {"PK": sale_partition(store_id, job_id), "SK": f"PRODUCT#{product_id}"}


def sale_products_prefix() -> str:
    return "PRODUCT#"


def gift_watch_attr(variant_id: str) -> str:
    """The attribute of a product's stock item (product_stock) naming the running gift offers (sale
    job ids, a string set) whose gift is this variant of the product: the stock read of each
    inventory and product webhook brings it, so the `gift-stock` automation reads nothing more."""
    return f"GIFT#{variant_id}"


# --- reports (functions/reports) ---------------------------------------------------------------
#
# | sales day totals | STORE#{s}#COUNTER#sales    | {day}#totals    | (store member) ADD counters, many attributes |
# | sales day products| STORE#{s}#COUNTER#sales-products | {day}#{bucket} | (store member) units, revenue per variant |
# | cohort month     | STORE#{s}#COUNTER#cohorts  | {yyyy-mm}       | (store member) customers, repeat customers   |
# | report marker    | STORE#{s}#RPTMARK#{order}  | REPORT          | (store member) before the order ledger: read |
# |                  |                            |                 | when an order's ledger has no reports part  |
# | report customer  | STORE#{s}#RPTCUST#{hash}   | REPORT          | (store member) first orders of a customer    |

REPORT_MARKER = "RPTMARK"
REPORT_CUSTOMER = "RPTCUST"
SALES_COUNTER = "sales"
PRODUCT_SALES_COUNTER = "sales-products"
COHORT_COUNTER = "cohorts"


def sales_day(store_id: str, day: str, bucket: str) -> Key:
    """One store-local day's sales counters of one bucket: `totals` (a partition of its own, so the
    sales report reads one small item per day), or `products` (and overflow `products#n`). A report
    over N days reads about N items of one of them, however many orders there were."""
    return counter(store_id, sales_counter(bucket), day, bucket)


def sales_counter(bucket: str) -> str:
    return SALES_COUNTER if bucket == "totals" else PRODUCT_SALES_COUNTER


def cohort_month(store_id: str, month: str) -> Key:
    """Customers whose first order fell in `month` (yyyy-mm), and how many of them ordered again."""
    return {"PK": counter_partition(store_id, COHORT_COUNTER), "SK": month}


def report_marker(store_id: str, order_id: str) -> Key:
    """Where a store counted before the order ledger (order_ledger) kept what the sales counters
    hold of one order: read when the order's ledger has no reports part yet, never written."""
    return {"PK": f"{_store(store_id)}#{REPORT_MARKER}#{order_id}", "SK": "REPORT"}


def report_customer(store_id: str, customer: str) -> Key:
    """A customer's first two orders (the retention cohorts), keyed by a hash: no personal data in keys."""
    digest = hashlib.sha256(f"{store_id}\x1f{customer}".encode()).hexdigest()[:32]
    return {"PK": f"{_store(store_id)}#{REPORT_CUSTOMER}#{digest}", "SK": "REPORT"}


# --- inventory: the back-in-stock waitlist (functions/inventory/waitlist.py) -----------------
def variant(store_id: str, variant_id: str) -> Key:
    """Which product a variant belongs to, with its titles and handle (kept from product events),
    so a waitlist signup names a variant storeflow knows."""
    return {"PK": f"{_store(store_id)}#VARIANT#{variant_id}", "SK": "PRODUCT"}


def email_digest(store_id: str, email: str) -> str:
    """An email address as waitlist keys and signed links hold it: a hash, never the address."""
    return hashlib.sha256(f"{store_id}\x1fwaitlist\x1f{contact_address(email)}".encode()).hexdigest()[:32]


def waitlist_entry(store_id: str, variant_id: str, digest: str) -> Key:
    """One shopper waiting for one variant (the email's digest makes a repeat signup the same item)."""
    return {"PK": f"{_store(store_id)}#WAITLIST#{variant_id}", "SK": digest}


def waitlist_order(store_id: str, variant_id: str, signed_at: str, digest: str) -> Key:
    """GSI1 keys of a waitlist entry: a variant's entries in signup order."""
    return {"GSI1PK": waitlist_partition(store_id, variant_id), "GSI1SK": f"{signed_at}#{digest}"}


def waitlist_partition(store_id: str, variant_id: str) -> str:
    return f"{_store(store_id)}#WAITLIST#{variant_id}"


def waitlister(store_id: str, digest: str, variant_id: str) -> Key:
    """The variants one email waits for (found by customers/redact from the address alone)."""
    return {"PK": waitlister_partition(store_id, digest), "SK": variant_id}


def waitlister_partition(store_id: str, digest: str) -> str:
    return f"{_store(store_id)}#WAITLISTER#{digest}"


# --- customers (functions/customers) -----------------------------------------------------------
#: item types of the customers domain
CUSTOMER_PROFILE = "CUSTPROFILE"
MARKETING_CONTACT = "MKTCONTACT"
ORDERED_MARKER = "ORDERED"
ATTRIBUTION = "ATTRIBUTION"


def customer_profile(store_id: str, customer_id: str) -> Key:
    """A customer's loyalty counters (lifetime spend and orders net of refunds, the orders counted),
    tier, rewarded thresholds and last order: in the customer's partition, so customers/redact
    deletes it with the customer."""
    return {"PK": entity_partition(store_id, "customer", customer_id), "SK": CUSTOMER_PROFILE}


def contact_digest(store_id: str, address: str) -> str:
    """The hashed form of an email address or phone a marketing contact is kept under (and what an
    unsubscribe link names): no address in keys or links."""
    return hashlib.sha256(f"{store_id}\x1fmkt\x1f{contact_address(address)}".encode()).hexdigest()[:32]


def marketing_contact_partition(store_id: str, digest: str) -> str:
    return f"{_store(store_id)}#MKT#{digest}"


def marketing_contact(store_id: str, digest: str) -> Key:
    """One marketing contact (by hashed address): opt-out, recent marketing sends (frequency cap),
    last order, last tracked click, holdout memberships. One item: one read decides."""
    return {"PK": marketing_contact_partition(store_id, digest), "SK": MARKETING_CONTACT}


def checkout_ordered(store_id: str, checkout_token: str) -> Key:
    """Marker: an order arrived from this checkout (ends its abandoned-checkout reminders)."""
    return {"PK": entity_partition(store_id, "checkout", checkout_token), "SK": ORDERED_MARKER}


def cart_ordered(store_id: str, cart_token: str) -> Key:
    """One item per cart: until an order comes from the cart, the shopper a checkout with the same
    cart token named (type CART_SHOPPER: what carts/update, which names no one, is matched to); then
    the marker that an order arrived from it (type ORDERED: ends the reminders of its checkouts, and
    replaces the shopper)."""
    return {"PK": entity_partition(store_id, "cart", cart_token), "SK": ORDERED_MARKER}


#: item type of a cart whose shopper is known (keys.cart_ordered before the order)
CART_SHOPPER = "CARTSHOPPER"


def order_attribution(store_id: str, order_id: str) -> Key:
    """Which flow an order was attributed to: the conditional marker that counts it once."""
    return {"PK": entity_partition(store_id, "order", order_id), "SK": ATTRIBUTION}


# --- privacy: customer data exports (functions/engine/data_export.py) --------------------------
DATA_EXPORT = "DATAEXPORT"


def data_export_partition(store_id: str) -> str:
    return f"{_store(store_id)}#{DATA_EXPORT}"


def data_export(store_id: str, request_id: str) -> Key:
    """One compiled export of a customer's data (customers/data_request), for the store's staff to
    fetch; customers/redact deletes the customer's exports (one Query of this small partition)."""
    return {"PK": data_export_partition(store_id), "SK": request_id}


# --- counting: the per-order ledger (storekit.repository.counted) ------------------------------
ORDER_LEDGER = "LEDGER"


def order_ledger(store_id: str, order_id: str) -> Key:
    """What every counting domain's counters hold of one order, in one item: each domain its own
    part (ledger_part_attr) and version (ledger_version_attr), so a stream batch writes an order's
    counting once, not once per domain. Not in the order's partition: it holds no personal data
    and outlives customers/redact, so a delivery of a redacted order never counts it again."""
    return {"PK": f"{_store(store_id)}#LEDGER#{order_id}", "SK": ORDER_LEDGER}


def ledger_part_attr(part: str) -> str:
    """The attribute (a map) of one domain's part of an order ledger; the domain names its part."""
    return f"P#{part}"


def ledger_version_attr(part: str) -> str:
    """The version of one domain's part of an order ledger: its writes are conditional on it."""
    return f"V#{part}"
