"""A stored event's payload, read back and parsed again (the dispatcher and the redactions use it)."""

from __future__ import annotations

from typing import Any

from functions.answers import json_of
from storekit.adapters import Parsed, Topic, parse_delivery
from storekit.errors import MalformedPayload
from storekit.payload_store import decompress
from storekit.records import EventRecord
from storekit.runtime import Runtime


def load_parsed(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> Parsed:
    """Read the raw payload the event item points at and build its canonical event (deterministic).

    Ingest validated the platform's shape and keyed the event; the canonical resource is built
    here. MalformedPayload when it cannot be (the callers mark the event failed with the reason)."""
    blob = bytes(item["raw"]) if "raw" in item else runtime.archive.get(str(record.raw_s3_key))
    payload = json_of(decompress(blob), MalformedPayload)
    return parse_delivery(record.platform, Topic(record.topic), payload)
