"""Run history after the cost work (issue 17, item 7): every automation's run on one event is kept
in one item next to the event, with the event's outcome, instead of one item per automation and
an update of the (large) event item. What the merchant sees stays the same: /runs lists each
automation's run with its reason, /events shows the event processed, an action shows its run."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from storekit import keys
from storekit.records import RunRecord, RunSource
from storekit.repository import REDACTED
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, listed, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"


def deliver(api: Any, delivery_id: str) -> None:
    raw = load_fixture(ORDER)[0]
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(raw, "orders/create", delivery_id), body=raw
    )
    assert answer.status_code == 200, answer.body


def test_each_automation_still_shows_its_run_and_reason_from_one_item_per_event(
    api: Any, pump: Any, runtime: Any
) -> None:
    put_store(api)
    deliver(api, "d-1")
    pump.drain()
    runs = listed(api, "demo", "runs")
    topic = runs[0]["topic"]
    automations = {a.name for a in runtime.registry.enabled_for(runtime.store("demo"), topic)}
    assert len(automations) >= 3, "an order runs several automations (else this proves little)"
    assert sorted(r["automation"] for r in runs) == sorted(automations)  # each once
    for run in runs:
        assert run["event_id"] == "shopify:d-1" and run["topic"] == topic
        assert run["outcome"] in ("actions", "nothing-to-do", "error")
        if run["outcome"] != "actions":
            assert run["reason"], run  # a run that decides nothing says why
        else:
            assert run["action_ids"]
    [event] = listed(api, "demo", "events")
    assert event["status"] == "processed"
    assert event["reason"] == f"{len(automations)} automation(s) ran"

    # one item holds them all, beside the event; the event item itself was not written again
    partition = keys.event("demo", "shopify", "d-1")["PK"]
    items = runtime.table.query(KeyConditionExpression=Key("PK").eq(partition), ConsistentRead=True)["Items"]
    assert sorted(i["SK"] for i in items) == [keys.EVENT, keys.RUNS]
    assert next(i for i in items if i["SK"] == keys.EVENT)["status"] == "received"

    # an action's detail still shows the run that decided it
    action = listed(api, "demo", "actions")[0]
    detail = body_json(api.http.get(f"/stores/demo/actions/{action['action_id']}", headers=AUTH))
    assert detail["run"]["run_id"] == action["run_id"]
    assert action["action_id"] in detail["run"]["action_ids"]
    assert detail["event"]["status"] == "processed"


def test_a_page_of_runs_can_end_inside_an_event_and_the_next_page_goes_on_from_there(
    api: Any, pump: Any
) -> None:
    put_store(api)
    for n in range(3):
        deliver(api, f"d-{n}")
    pump.drain()
    everything = listed(api, "demo", "runs")
    assert len(everything) >= 9
    for limit in (1, 2, 4, 5):
        paged: list[dict[str, Any]] = []
        cursor = ""
        while True:
            answer = api.http.get(f"/stores/demo/runs?limit={limit}{cursor}", headers=AUTH)
            assert answer.status_code == 200, answer.body
            page = body_json(answer)
            assert len(page["items"]) <= limit
            paged += page["items"]
            if not page["next"]:
                break
            assert page["items"], "a page with a cursor is never empty"
            cursor = f"&cursor={page['next']}"
        assert paged == everything, limit  # each run once, newest event first, in the same order
    # the newest event's runs come first
    assert {r["event_id"] for r in everything[:3]} == {"shopify:d-2"}


def test_a_forged_runs_cursor_is_refused(api: Any) -> None:
    put_store(api)
    from storekit.repository import encode_cursor

    for forged in ({"at": "2026", "skip": "x"}, {"at": "2026", "skip": "9999999"}, {"skip": "1"}):
        answer = api.http.get(f"/stores/demo/runs?cursor={encode_cursor(forged)}", headers=AUTH)
        assert answer.status_code == 400, (forged, answer.body)


def test_a_redacted_customer_quoted_in_a_reason_is_redacted_in_the_runs_item(api: Any, runtime: Any) -> None:
    put_store(api)
    source = RunSource("demo", "shopify:d-9", "orders/create", "2026-11-24T12:00:00.000000Z")

    def run(automation: str, reason: str) -> RunRecord:
        return RunRecord(
            run_id=f"r-{automation}",
            store_id="demo",
            event_id=source.event_id,
            topic=source.topic,
            automation=automation,
            mode="dry-run",
            outcome="nothing-to-do",
            reason=reason,
            created_at=source.created_at,
        )

    runs = [run("a", "no SMS consent for bob@example.com"), run("b", "order below the threshold")]
    assert runtime.repo.put_runs(source, runs, event_status="processed", event_reason="2 automation(s) ran")
    assert not runtime.repo.put_runs(source, runs), "written once"
    [item] = runtime.repo.items_of("demo", "runs")
    assert runtime.repo.redact_run_reasons(item, lambda text: "bob@example.com" in text) == 1
    reasons = {r["automation"]: r["reason"] for r in listed(api, "demo", "runs")}
    assert reasons == {"a": REDACTED, "b": "order below the threshold"}
