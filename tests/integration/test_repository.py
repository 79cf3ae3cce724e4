"""The repository's one paging helper: every Query is followed past DynamoDB's 1 MB page (moto cuts
pages there too) and stops at the items asked for."""

from __future__ import annotations

from typing import Any

import pytest

from storekit.clock import FixedClock, iso
from storekit.records import JobRecord, ParkedRecord
from storekit.runtime import Runtime
from tests.support import AUTH, QueryLog, body_json, put_store

pytestmark = pytest.mark.integration

#: a little over a fifth of a page: five of them do not fit in one 1 MB Query answer
BIG = 210_000


def park_big_records(runtime: Runtime, clock: FixedClock, count: int) -> None:
    for i in range(count):
        clock.advance(seconds=1)
        runtime.repo.park(
            ParkedRecord(
                store_id="demo",
                record_id=f"r{i:02}",
                handler="dispatch",
                reason="x" * BIG,
                tries=3,
                parked_at=iso(clock.now()),
            )
        )


def test_a_query_is_read_past_its_1_mb_pages(runtime: Runtime) -> None:
    for i in range(12):  # ~2.5 MB of shipments of one order
        runtime.repo.keep_order_shipment("demo", "o1", f"f{i}", "2026-11-24T12:00:00Z", bytes([i]) * BIG)
    with QueryLog(runtime.table) as queries:
        snapshots = runtime.repo.order_shipment_snapshots("demo", "o1")
    assert sorted(blob[0] for blob in snapshots) == list(range(12))
    assert queries.count >= 3
    assert len(runtime.repo.order_shipment_snapshots("demo", "o1", limit=5)) == 5


def test_a_listing_page_holds_the_items_asked_for_even_past_1_mb(
    api: Any, runtime: Runtime, clock: FixedClock
) -> None:
    """A page of big parked records cut short at 1 MB is filled up to ?limit=, and the cursor goes
    on from exactly there: every record is listed once, newest first."""
    put_store(api)
    park_big_records(runtime, clock, 12)
    seen: list[str] = []
    pages: list[int] = []
    path = "/stores/demo/parked?limit=7"
    while path:
        answer = body_json(api.http.get(path, headers=AUTH))
        pages.append(len(answer["items"]))
        seen += [item["record_id"] for item in answer["items"]]
        path = f"/stores/demo/parked?limit=7&cursor={answer['next']}" if answer["next"] else ""
    assert pages == [7, 5]
    assert seen == [f"r{i:02}" for i in reversed(range(12))]


def test_a_filtered_query_follows_its_pages_until_it_finds_the_item(
    runtime: Runtime, clock: FixedClock
) -> None:
    """find_job filters the store's schedules: the wanted job may be several pages in."""
    for i in range(8):
        runtime.repo.put_job(
            JobRecord(
                job_id=f"j{i}",
                store_id="demo",
                kind="test",
                due_at=iso(clock.now()),
                params={"note": str(i) * BIG},
                created_at=iso(clock.now()),
            )
        )
    with QueryLog(runtime.table) as queries:
        found = runtime.repo.find_job("demo", "j7")
    assert found is not None and found.job_id == "j7"
    assert str(found.params["note"]).startswith("7")
    assert queries.count >= 2
    assert runtime.repo.find_job("demo", "nope") is None


def test_every_item_of_a_listing_is_found_for_redaction_past_1_mb(
    runtime: Runtime, clock: FixedClock
) -> None:
    park_big_records(runtime, clock, 9)
    assert len(list(runtime.repo.items_of("demo", "parked"))) == 9
