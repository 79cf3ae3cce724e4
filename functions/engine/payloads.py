"""A stored event's payload, read back and parsed again (the dispatcher and the redactions use it)."""

from __future__ import annotations

import json
from typing import Any

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
    try:
        payload = json.loads(decompress(blob))
    except (ValueError, RecursionError) as exc:  # ingest took it as JSON: only a damaged blob
        raise MalformedPayload("stored payload is not valid JSON") from exc
    return parse_delivery(record.platform, Topic(record.topic), payload)
