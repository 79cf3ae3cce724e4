"""Sales (functions/sales): the sale itself, listed with the store's schedules, and one record per
product of the prices it changed. Every change of a sale is conditional on the version read, so a
cancel and a running step never overwrite each other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from storekit import keys
from storekit.clock import iso, parse_iso
from storekit.repository.base import TableRepository


class SaleRepository(TableRepository):
    def add_sale(self, sale: dict[str, Any], view: dict[str, Any]) -> bool:
        """File a new sale (False if its id exists)."""
        store_id, job_id = str(sale["store_id"]), str(sale["job_id"])
        return self._put_once(
            {
                **keys.sale(store_id, job_id),
                **keys.sale_listing(store_id, str(sale["starts_at"]), job_id),
                "type": keys.SALE,
                # what the schedules listing and job lookups read (storekit.records.JobRecord)
                "job_id": job_id,
                "store_id": store_id,
                "kind": str(sale["kind"]),
                "due_at": str(sale["starts_at"]),
                "created_at": str(sale["created_at"]),
                "version": 1,
                "sale": json.dumps(sale, default=str),
                "view": json.dumps(view, default=str),
            }
        )

    def sale(self, store_id: str, job_id: str) -> tuple[dict[str, Any], int] | None:
        """A sale as kept, and its version (what a change is conditional on)."""
        item = self._get(keys.sale(store_id, job_id), consistent=True)
        if item is None:
            return None
        return json.loads(str(item["sale"])), int(item["version"])

    def save_sale(self, sale: dict[str, Any], view: dict[str, Any], version: int) -> bool:
        """Replace a sale's state if nobody changed it since `version` was read (False otherwise)."""
        return self._update_if(
            Key=keys.sale(str(sale["store_id"]), str(sale["job_id"])),
            UpdateExpression="SET sale = :s, #v = :next, #view = :view",
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "version", "#view": "view"},
            ExpressionAttributeValues={
                ":s": json.dumps(sale, default=str),
                ":view": json.dumps(view, default=str),
                ":v": version,
                ":next": version + 1,
            },
        )

    def sales_of_store(self, store_id: str) -> Iterator[dict[str, Any]]:
        """Every sale of a store (one Query of its schedules listing)."""
        index, partition = keys.listing_partition(store_id, "schedules")
        query = {
            "IndexName": index,
            "KeyConditionExpression": Key(f"{index}PK").eq(partition),
            "FilterExpression": Attr("type").eq(keys.SALE),
        }
        for item in self._query(query):
            yield json.loads(str(item["sale"]))

    def keep_sale_product(self, store_id: str, job_id: str, product_id: str, record: dict[str, Any]) -> None:
        key = keys.sale_product(store_id, job_id, product_id)
        self._table.put_item(
            Item={
                **key,
                **keys.store_member(store_id, key),
                "type": keys.SALE_PRODUCT,
                "product_id": product_id,
                "record": json.dumps(record, default=str),
            }
        )

    def record_sale_product(
        self, store_id: str, job_id: str, product_id: str, record: dict[str, Any]
    ) -> bool:
        """Record a product's prices before the sale, once (False: recorded already, keep that)."""
        key = keys.sale_product(store_id, job_id, product_id)
        return self._put_once(
            {
                **key,
                **keys.store_member(store_id, key),
                "type": keys.SALE_PRODUCT,
                "product_id": product_id,
                "record": json.dumps(record, default=str),
            }
        )

    def sale_products(self, store_id: str, job_id: str) -> Iterator[dict[str, Any]]:
        """The per-product records of a sale, in product id order."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.sale_partition(store_id, job_id))
            & Key("SK").begins_with(keys.sale_products_prefix()),
        }
        for item in self._query(query):
            yield json.loads(str(item["record"]))

    def sale_products_of(
        self, store_id: str, job_id: str, product_ids: list[str]
    ) -> Iterator[dict[str, Any]]:
        """The records of these products in a sale (those it has)."""
        for product_id in product_ids:
            item = self._get(keys.sale_product(store_id, job_id, product_id), consistent=True)
            if item is not None:
                yield json.loads(str(item["record"]))

    def file_sale_step(
        self, store_id: str, step_id: str, kind: str, due_iso: str, params: dict[str, Any]
    ) -> bool:
        """A due job that runs a step of a sale (start, end, continue). Not listed on its own: the
        sale is. Filed once per step id (False: filed already)."""
        partition = keys.job_partition(max(parse_iso(due_iso), self._clock.now()))
        return self._put_once(
            {
                **keys.job(partition, store_id, step_id, due_iso),
                "type": keys.JOB,
                "job_id": step_id,
                "store_id": store_id,
                "kind": kind,
                "due_at": due_iso,
                "params": json.dumps(params),
                "status": "pending",
                "created_at": iso(self._clock.now()),
                "bucket": partition,
            }
        )

    def watch_gift(self, store_id: str, product_id: str, variant_id: str, job_id: str, on: bool) -> None:
        """Add (or, `on` False, remove) a running gift offer to its gift variant's watch list, kept
        on the product's stock item (keys.gift_watch_attr): the stock read every inventory and
        product webhook makes already brings it, so watching costs the hot path no read."""
        key = keys.product_stock(store_id, product_id)
        names = {"#g": keys.gift_watch_attr(variant_id)}
        if on:
            member = keys.store_member(store_id, key)
            self._table.update_item(
                Key=key,
                UpdateExpression="ADD #g :j SET #t = if_not_exists(#t, :t), GSI2PK = :p, GSI2SK = :s",
                ExpressionAttributeNames={**names, "#t": "type"},
                ExpressionAttributeValues={
                    ":j": {job_id},
                    ":t": keys.STOCK,
                    ":p": member["GSI2PK"],
                    ":s": member["GSI2SK"],
                },
            )
        else:
            self._table.update_item(
                Key=key,
                UpdateExpression="DELETE #g :j",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":j": {job_id}},
            )
