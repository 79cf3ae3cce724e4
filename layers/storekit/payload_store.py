"""Raw webhook payloads kept compressed: inline in the event item, or in S3 when too big."""

from __future__ import annotations

import zlib
from typing import Any

#: compressed payloads above this go to S3 (DynamoDB items max out at 400 KB with attributes)
MAX_INLINE_BYTES = 300 * 1024


def compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 3)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def archive_prefix(store_id: str) -> str:
    return f"raw/{store_id}/"


def archive_key(store_id: str, platform: str, delivery_id: str) -> str:
    return f"{archive_prefix(store_id)}{platform}/{delivery_id}.json.z"


class S3Archive:
    """The S3 side of raw payload storage (large payloads only)."""

    def __init__(self, s3_client: Any, bucket: str | None) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    @property
    def available(self) -> bool:
        return bool(self._bucket)

    def put(self, key: str, blob: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=blob)

    def get(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def delete_prefix(self, prefix: str) -> int:
        deleted = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            objects = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if objects:
                self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": objects})
                deleted += len(objects)
        return deleted
