"""Entity snapshots too big for a table item are kept in S3, the item holding a pointer.

`kept` turns a compressed snapshot into what the state item stores: the snapshot itself when it
fits, else a pointer (`POINTER` + the S3 key) after the snapshot was written to the archive
bucket. `opened` turns what an item holds back into the snapshot's JSON. A snapshot is never
dropped silently: without an archive bucket a big one is an error the stream reports.

Keys are per version (the event that produced it), so a stale delivery processed late never
overwrites the object a newer state item points at. They live under `snapshots/{store}/`, outside
the raw-payload prefix and its expiry (snapshots have no TTL); both redacts delete them.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

from storekit.errors import ConfigurationError
from storekit.payload_store import MAX_INLINE_BYTES, S3Archive, decompress

if TYPE_CHECKING:
    from storekit.models import Resource

POINTER = b"s3:"


def compact(resource: Resource) -> bytes:
    """A resource's compressed snapshot, as small as it goes: fields at their defaults (None, empty
    lists) are left out (parsing fills them in again: `resource_from_json` gives back an equal
    resource), JSON without spaces, zlib at its best level. An order's snapshot is written on every
    order event, and its state item costs one write unit per started KB (tests/bench_dispatch_units.py)."""
    data = resource.model_dump(mode="json", exclude_defaults=True)
    data["kind"] = resource.kind  # the union's tag: a default, but parsing needs it
    return zlib.compress(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(), 9)


def store_prefix(store_id: str) -> str:
    return f"snapshots/{store_id}/"


def entity_prefix(store_id: str, kind: str, entity_id: str) -> str:
    return f"{store_prefix(store_id)}{kind}/{entity_id}/"


def kept(
    blob: bytes | None, archive: S3Archive, store_id: str, kind: str, entity_id: str, version: str
) -> bytes | None:
    """What the state item keeps: the compressed snapshot, or a pointer to it in S3."""
    if blob is None or len(blob) <= MAX_INLINE_BYTES:
        return blob
    if not archive.available:
        raise ConfigurationError("a snapshot too big for the table needs the archive bucket")
    key = f"{entity_prefix(store_id, kind, entity_id)}{version}.json.z"
    archive.put(key, blob)
    return POINTER + key.encode()


def opened(blob: bytes, archive: S3Archive) -> bytes:
    """The snapshot's JSON, from the item or from S3."""
    if blob.startswith(POINTER):
        blob = archive.get(blob[len(POINTER) :].decode())
    return decompress(blob)
