"""The order snapshot is written on every order event: it is kept compact (storekit.snapshots.
compact), and nothing is lost by it: every real payload's resource reads back equal."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from storekit import snapshots
from storekit.adapters import Topic, canonical_topic, parse_delivery, resource_from_json
from storekit.models import Resource
from tests.payloads import fixture_files, load_fixture, topic_for

CASES = [p for p in fixture_files() if p.parent.name in ("shopify", "woocommerce")]


def _resource(path: Path) -> Resource:
    platform, header = topic_for(path)
    topic = canonical_topic(platform, header)
    if topic is None:
        pytest.skip("a topic storeflow does not parse")
    return parse_delivery(platform, topic, json.loads(path.read_bytes())).resource


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_every_real_resource_reads_back_equal_from_its_compact_snapshot(path: Path) -> None:
    resource = _resource(path)
    blob = snapshots.compact(resource)
    assert resource_from_json(zlib.decompress(blob)) == resource
    # never bigger than the full dump it replaced (a few bytes of zlib's framing aside)
    assert len(blob) <= len(zlib.compress(resource.model_dump_json().encode(), 3)) + 8


def test_a_real_ten_kilobyte_order_keeps_a_snapshot_well_under_a_kilobyte() -> None:
    raw, _ = load_fixture("shopify/orders_create__2025-store-line-item-discount.json")
    order = parse_delivery("shopify", Topic.ORDER_CREATED, json.loads(raw)).resource
    assert len(raw) > 8000
    assert len(snapshots.compact(order)) < 750  # with its keys, the state item stays one write unit
