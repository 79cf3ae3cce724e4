"""A stored event's payload, read back and parsed again (the dispatcher and the redactions use it)."""

from __future__ import annotations

import json
from typing import Any

from storekit.adapters import Parsed, Topic, parse_delivery
from storekit.payload_store import decompress
from storekit.records import EventRecord
from storekit.runtime import Runtime


def load_parsed(record: EventRecord, item: dict[str, Any], runtime: Runtime) -> Parsed:
    """Re-read the raw payload the event item points at and parse it again (deterministic)."""
    blob = bytes(item["raw"]) if "raw" in item else runtime.archive.get(str(record.raw_s3_key))
    return parse_delivery(record.platform, Topic(record.topic), json.loads(decompress(blob)))
