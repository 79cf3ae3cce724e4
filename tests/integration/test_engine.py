"""The pipeline after ingest: stream -> automations -> outbox -> executor (dry-run and live) -> sweeper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import BaseModel

from functions.composition import build_registry
from functions.engine.sweep import sweep
from storekit.actions import AddTags, SendEmail
from storekit.adapters import Topic, resource_from_json
from storekit.automation import UNEXPLAINED, Automation, Decision, Domain, JobHandler
from storekit.clock import iso
from storekit.models import Order
from storekit.payload_store import decompress
from storekit.records import JobRecord
from tests.payloads import load_fixture
from tests.support import AUTH, body_json, put_store, shopify_headers

pytestmark = pytest.mark.integration

ORDER = "shopify/orders_create__2025-store-fixed-discount.json"  # customer 8658316394796, draft order
EVENTS = Path(__file__).resolve().parents[1] / "events" / "shopify"
GRAPHQL = "https://demo-shop.myshopify.com/admin/api/2025-01/graphql.json"


def deliver(
    api: Any,
    fixture: str = ORDER,
    delivery_id: str = "d-1",
    topic: str = "orders/create",
    body: bytes | None = None,
) -> Any:
    raw = body if body is not None else load_fixture(fixture)[0]
    answer = api.http.post(
        "/webhooks/shopify/demo", headers=shopify_headers(raw, topic, delivery_id), body=raw
    )
    assert answer.status_code == 200, answer.body
    return body_json(answer)


def listing(api: Any, what: str, query: str = "") -> list[dict[str, Any]]:
    answer = api.http.get(f"/stores/demo/{what}?limit=500{query}", headers=AUTH)
    assert answer.status_code == 200, answer.body
    return body_json(answer)["items"]


class NoSettings(BaseModel):
    pass


def tags_added(resource_id: str) -> dict[str, Any]:
    return {"data": {"tagsAdd": {"node": {"id": resource_id}, "userErrors": []}}}


@pytest.fixture
def extra_automation(runtime: Any) -> Iterator[Any]:
    """Run the test with the app's domains plus a test domain holding the automations it adds (a
    registry of its own, given to its runtime)."""
    added: list[Automation[Any, Any, Any]] = []

    def add(automation: Automation[Any, Any, Any]) -> None:
        added.append(automation)
        runtime.registry = build_registry(Domain(name="test", automations=tuple(added)))

    yield add


@pytest.fixture
def job_kind(runtime: Any) -> Iterator[Any]:
    """Declare job kinds whose runs are recorded: `calls = job_kind("test-x")` (job ids, in order),
    in a test domain of the test's own registry."""
    schedules: dict[str, JobHandler] = {}

    def register(kind: str) -> list[str]:
        calls: list[str] = []
        schedules[kind] = lambda job, rt: calls.append(job.job_id) or "ok"  # type: ignore[func-returns-value]
        runtime.registry = build_registry(Domain(name="test", schedules=dict(schedules)))
        return calls

    yield register


def test_dry_run_store_plans_channel_tags_for_order_and_customer(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api)
    pump.drain()
    actions = listing(api, "actions")
    assert sorted(a["target"] for a in actions) == ["customer:8658316394796", "order:6198432301356"]
    assert all(a["status"] == "planned" for a in actions)
    assert all(a["automation"] == "channel-tags" for a in actions)
    order_action = next(a for a in actions if a["target"].startswith("order:"))
    assert "channel:draft-order" in order_action["summary"]
    assert "source:direct" in order_action["summary"]
    assert order_action["reason"] == "dry-run: nothing was called"
    [event] = listing(api, "events")
    assert event["status"] == "processed"
    [run] = listing(api, "runs")
    assert run["automation"] == "channel-tags"
    assert sorted(run["action_ids"]) == sorted(a["action_id"] for a in actions)
    assert listing(api, "actions", "&status=planned") == actions
    assert listing(api, "actions", "&status=failed") == []


def test_utm_landing_params_and_referrer_become_tags(api: Any, pump: Any) -> None:
    put_store(api)
    raw = (EVENTS / "orders_create__utm-instagram.json").read_bytes()
    deliver(api, body=raw)
    pump.drain()
    summaries = " ".join(a["summary"] for a in listing(api, "actions"))
    for tag in ("channel:online-store", "source:instagram", "medium:social", "campaign:black-friday-2026"):
        assert tag in summaries


def test_repeated_order_webhooks_plan_each_action_once(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, delivery_id="d-1")
    pump.drain()
    deliver(api, delivery_id="d-2")  # Shopify retried with a new delivery id
    pump.drain()
    assert len(listing(api, "events")) == 2
    assert len(listing(api, "actions")) == 2


def test_live_store_calls_shopify_and_marks_actions_done(api: Any, pump: Any) -> None:
    put_store(api, mode="live")
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Customer/2"))
        deliver(api)
        pump.drain()
        sent = [json.loads(call.request.body) for call in mock.calls]
        assert all(
            call.request.headers["X-Shopify-Access-Token"] == "shpat_test_token" for call in mock.calls
        )
    assert len(sent) == 2
    assert all("tagsAdd" in body["query"] for body in sent)
    ids = sorted(body["variables"]["id"] for body in sent)
    assert ids == ["gid://shopify/Customer/8658316394796", "gid://shopify/Order/6198432301356"]
    actions = listing(api, "actions")
    assert [a["status"] for a in actions] == ["done", "done"]
    assert all(a["attempts"] == 1 for a in actions)


def test_http_429_is_retried_after_retry_after_via_the_sweeper(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, status=429, headers={"Retry-After": "5"}, body="Too Many Requests")
        deliver(api)
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "retrying"
    assert action["next_attempt_at"].startswith(iso(clock.now() + timedelta(seconds=5))[:19])
    assert "Throttled" in action["reason"]

    clock.advance(seconds=61)
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        assert sweep(runtime)["done"] == 1
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "done"
    assert action["attempts"] == 2


def test_graphql_throttled_is_retried(api: Any, pump: Any) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 10,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 0, "restoreRate": 100.0},
            }
        },
    }
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=throttled)
        deliver(api)
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "retrying"


def test_permanent_failure_is_recorded_with_reason_then_retried_on_request(api: Any, pump: Any) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    user_error = {
        "data": {"tagsAdd": {"node": None, "userErrors": [{"field": ["id"], "message": "Order not found"}]}}
    }
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=user_error)
        deliver(api)
        pump.drain()
    [action] = listing(api, "actions", "&status=failed")
    assert "Order not found" in action["reason"]

    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        answer = api.http.post(f"/stores/demo/actions/{action['action_id']}/retry", headers=AUTH)
        assert answer.status_code == 202
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "done"
    again = api.http.post(f"/stores/demo/actions/{action['action_id']}/retry", headers=AUTH)
    assert again.status_code == 409


def test_switching_one_automation_to_dry_run_in_a_live_store(api: Any, pump: Any) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"mode": "dry-run"}})
    with responses.RequestsMock():  # any HTTP call would fail the test
        deliver(api)
        pump.drain()
    assert {a["status"] for a in listing(api, "actions")} == {"planned"}


def test_out_of_order_update_never_overwrites_newer_state(api: Any, pump: Any, extra_automation: Any) -> None:
    seen: list[str] = []

    def note_update(order: Order, ctx: Any) -> list[Any]:
        assert order.updated_at is not None
        seen.append(order.updated_at.isoformat())
        return [AddTags(resource="order", resource_id=order.id, tags=["seen"])]

    extra_automation(
        Automation(
            name="test-updates",
            description="t",
            topics=frozenset({Topic.ORDER_UPDATED}),
            settings_model=NoSettings,
            takes=(Order,),
            run=note_update,
        )
    )
    put_store(api)
    order = json.loads(load_fixture(ORDER)[0])
    newer = dict(order, updated_at="2025-01-24T10:00:00-05:00")
    older = dict(order, updated_at="2025-01-24T09:00:00-05:00")
    deliver(api, delivery_id="u-new", topic="orders/updated", body=json.dumps(newer).encode())
    pump.drain()
    deliver(api, delivery_id="u-old", topic="orders/updated", body=json.dumps(older).encode())
    pump.drain()
    statuses = {e["delivery_id"]: e["status"] for e in listing(api, "events")}
    assert statuses == {"u-new": "processed", "u-old": "stale"}
    assert len(seen) == 1


def test_failing_automation_is_recorded_and_does_not_block_others(
    api: Any, pump: Any, extra_automation: Any
) -> None:
    def broken(event: Any, ctx: Any) -> list[Any]:
        raise RuntimeError("bug in automation")

    extra_automation(
        Automation(
            name="broken",
            description="t",
            topics=frozenset({Topic.ORDER_CREATED}),
            settings_model=NoSettings,
            takes=(Order,),
            run=broken,
        )
    )
    put_store(api)
    deliver(api)
    pump.drain()
    runs = {r["automation"]: r for r in listing(api, "runs")}
    assert runs["broken"]["outcome"] == "error"
    assert "bug in automation" in runs["broken"]["reason"]
    assert runs["channel-tags"]["outcome"] == "actions"
    assert len(listing(api, "actions")) == 2


def test_a_run_that_decides_nothing_shows_why_in_the_run_listing(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    """A fulfillment whose order storeflow never received: the shipping notice waits ten minutes
    for the order (webhooks come in any order), then says why it sent nothing."""
    put_store(api)
    deliver(api, "shopify/fulfillments_create__python-api-fulfillment.json", "f-1", "fulfillments/create")
    pump.drain()
    [waiting] = listing(api, "runs")
    assert waiting["automation"] == "shipping-notice"
    assert "decided again in 10 minutes" in waiting["reason"]
    sweep(runtime)
    clock.advance(minutes=11)
    sweep(runtime)
    pump.drain()
    run = listing(api, "runs")[0]  # newest first
    assert run["automation"] == "shipping-notice"
    assert run["outcome"] == "nothing-to-do"
    assert run["reason"].startswith(
        "fulfillment 255858046 names order 450789469, which storeflow has not received: "
        "subscribe orders/create"
    )
    assert [a["kind"] for a in listing(api, "actions")] == ["schedule_job"]


def test_a_fulfillment_before_its_order_still_gets_its_shipping_notice(
    api: Any, pump: Any, runtime: Any, clock: Any
) -> None:
    """Found by delivering every payload in any order (test_delivery_semantics): Shopify may send
    fulfillments/create before orders/create; the notice must not be lost."""
    put_store(api)
    deliver(api, "shopify/fulfillments_create__python-api-fulfillment.json", "f-1", "fulfillments/create")
    pump.drain()
    deliver(api, "shopify/orders_create__python-api-order.json", "o-1", "orders/create")
    pump.drain()
    sweep(runtime)
    clock.advance(minutes=11)
    sweep(runtime)
    pump.drain()
    emails = [a for a in listing(api, "actions") if a["kind"] == "send_email"]
    assert [a["target"] for a in emails] == ["email:b***@hostmail.com"]


def test_an_automation_that_gives_no_reason_gets_the_engines_last_resort(
    api: Any, pump: Any, extra_automation: Any
) -> None:
    extra_automation(
        Automation(
            name="test-silent",
            description="t",
            topics=frozenset({Topic.ORDER_CREATED}),
            settings_model=NoSettings,
            takes=(Order,),
            run=lambda order, ctx: Decision(),
        )
    )
    put_store(api)
    deliver(api)
    pump.drain()
    runs = {r["automation"]: r for r in listing(api, "runs")}
    assert runs["test-silent"]["outcome"] == "nothing-to-do"
    assert runs["test-silent"]["reason"] == UNEXPLAINED


def test_unexpected_client_error_fails_the_action_with_its_reason(api: Any, pump: Any) -> None:
    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, body=RuntimeError("bug"))
        deliver(api)
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "failed"
    assert "unexpected RuntimeError" in action["reason"]


@pytest.mark.parametrize("partial_batch_responses", ["true", "false"])
def test_record_that_keeps_failing_is_parked_and_others_still_processed(
    api: Any, pump: Any, runtime: Any, monkeypatch: Any, partial_batch_responses: str
) -> None:
    """Packaged stack (the mapping takes batchItemFailures) and plain `chalice deploy` (it cannot:
    the batch must fail so Lambda retries it instead of dropping the failed record) both park."""
    from storekit.settings import reset_settings

    monkeypatch.setenv("STOREFLOW_PARTIAL_BATCH_RESPONSES", partial_batch_responses)
    reset_settings()
    put_store(api)
    order = json.loads(load_fixture(ORDER)[0])
    import os

    order["note"] = os.urandom(700 * 1024).hex()  # archived in S3
    deliver(api, delivery_id="big", body=json.dumps(order).encode())
    item = runtime.repo.get_event_item("demo", "shopify", "big")
    runtime.client("s3").delete_object(Bucket=runtime.settings.archive_bucket, Key=item["raw_s3_key"])
    deliver(api, delivery_id="fine", fixture="shopify/orders_create__bag-server-test-order-AUD.json")
    pump.drain()
    [parked] = listing(api, "parked")
    assert parked["handler"] == "dispatch"
    assert "NoSuchKey" in parked["reason"]
    assert parked["tries"] == 3
    statuses = {e["delivery_id"]: e["status"] for e in listing(api, "events")}
    assert statuses["fine"] == "processed"
    assert statuses["big"] == "failed"  # never shown as still pending
    [big] = [e for e in listing(api, "events") if e["delivery_id"] == "big"]
    assert "parked after 3 tries" in big["reason"]


def test_due_job_runs_exactly_once(runtime: Any, clock: Any, job_kind: Any) -> None:
    calls = job_kind("test-once")
    runtime.repo.put_job(
        JobRecord(
            job_id="j1",
            store_id="demo",
            kind="test-once",
            due_at=iso(clock.now() + timedelta(minutes=2)),
            created_at=iso(clock.now()),
        )
    )
    assert sweep(runtime)["claimed"] == 0  # not due yet
    clock.advance(minutes=3)
    assert sweep(runtime)["done"] == 1
    assert sweep(runtime)["claimed"] == 0
    clock.advance(minutes=5)
    assert sweep(runtime)["claimed"] == 0
    assert calls == ["j1"]


def test_job_filed_in_the_past_still_runs(runtime: Any, clock: Any, job_kind: Any) -> None:
    calls = job_kind("test-late")
    sweep(runtime)  # cursor at now
    runtime.repo.put_job(
        JobRecord(
            job_id="late",
            store_id="demo",
            kind="test-late",
            due_at=iso(clock.now() - timedelta(hours=2)),
            created_at=iso(clock.now()),
        )
    )
    clock.advance(seconds=30)
    sweep(runtime)
    assert calls == ["late"]


def test_activity_report_counts_events_and_actions_per_store_day(api: Any, pump: Any) -> None:
    put_store(api)
    deliver(api, delivery_id="a-1")
    deliver(api, delivery_id="a-2", fixture="shopify/orders_create__2025-store-guest.json")
    pump.drain()
    pump.drain()  # repeated stream records must not count twice
    answer = api.http.get("/stores/demo/reports/activity?days=3", headers=AUTH)
    assert answer.status_code == 200
    report = body_json(answer)
    assert [d["day"] for d in report["days"]] == ["2026-11-24", "2026-11-23", "2026-11-22"]
    today = report["days"][0]
    assert today["events"] == {"order.created": 2}
    assert today["actions"] == {"planned": 3}
    assert report["days"][1] == {"day": "2026-11-23", "events": {}, "actions": {}}
    assert api.http.get("/stores/demo/reports/nope", headers=AUTH).status_code == 404
    assert api.http.get("/stores/demo/reports/activity?days=0", headers=AUTH).status_code == 400


def test_live_woocommerce_store_keeps_tags_in_order_meta(api: Any, pump: Any) -> None:
    put_store(api, "woo", platform="woocommerce", mode="live")
    raw = (
        Path(__file__).resolve().parents[1]
        / "events"
        / "woocommerce"
        / "order_created__with-attribution.json"
    ).read_bytes()
    from tests.support import woo_headers

    with responses.RequestsMock() as mock:
        # the merchant (or an earlier order) already tagged it: those tags are kept
        mock.get(
            "https://woo.example/wp-json/wc/v3/orders/727",
            json={"id": 727, "meta_data": [{"key": "_storeflow_tags", "value": "wholesale"}]},
        )
        mock.put("https://woo.example/wp-json/wc/v3/orders/727", json={"id": 727})
        answer = api.http.post(
            "/webhooks/woocommerce/woo", headers=woo_headers(raw, "order.created", "w-1"), body=raw
        )
        assert answer.status_code == 200
        pump.drain()
        [_, call] = mock.calls
        meta = json.loads(call.request.body)["meta_data"]  # type: ignore[arg-type]
    assert meta == [
        {
            "key": "_storeflow_tags",
            "value": "wholesale,channel:online-store,source:newsletter,medium:email,campaign:spring-sale",
        }
    ]
    actions = body_json(api.http.get("/stores/woo/actions", headers=AUTH))["items"]
    assert [a["status"] for a in actions] == ["done"]


def test_action_whose_executor_died_is_put_back_in_line(
    api: Any, app: Any, pump: Any, runtime: Any, clock: Any, session: Any, resources: Any
) -> None:
    from infra.pollers import StreamPoller

    put_store(api, mode="live", automations={"channel-tags": {"settings": {"tag_customer": False}}})
    deliver(api)
    StreamPoller(session, resources.stream_arn, {"dispatch": app.handler_map["dispatch"]}).drain()
    [pending] = listing(api, "actions")
    # an executor claims the action and dies (timeout, out of memory) before finishing
    record = runtime.repo.get_action("demo", pending["action_id"])
    assert runtime.repo.move_action(record, "running", from_statuses=("pending",), count_attempt=True)
    with responses.RequestsMock():  # nothing may be called while it is running
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "running"
    clock.advance(minutes=5)
    assert sweep(runtime)["recovered"] == 0  # it may still be running
    clock.advance(minutes=30)
    with responses.RequestsMock() as mock:
        mock.post(GRAPHQL, json=tags_added("gid://shopify/Order/1"))
        assert sweep(runtime)["recovered"] == 1
        pump.drain()
    [action] = listing(api, "actions")
    assert action["status"] == "done"
    assert action["attempts"] == 2


def test_a_message_whose_executor_died_is_failed_as_unknown_never_sent_twice(
    api: Any, app: Any, runtime: Any, clock: Any, session: Any, resources: Any, extra_automation: Any
) -> None:
    """An email left `running` may have gone out before the executor died: it is not sent again on
    its own (the customer must not get it twice); the merchant sees why and can retry it."""
    from infra.pollers import StreamPoller

    def thank(order: Order, ctx: Any) -> list[SendEmail]:
        return [SendEmail(to="shopper@example.com", template="notice", context={"heading": "h", "body": "b"})]

    extra_automation(
        Automation(
            name="test-thanks",
            description="t",
            topics=frozenset({Topic.ORDER_CREATED}),
            settings_model=NoSettings,
            takes=(Order,),
            run=thank,
        )
    )
    put_store(api, mode="live")
    deliver(api)
    StreamPoller(session, resources.stream_arn, {"dispatch": app.handler_map["dispatch"]}).drain()
    [pending] = [a for a in listing(api, "actions") if a["automation"] == "test-thanks"]
    record = runtime.repo.get_action("demo", pending["action_id"])
    assert runtime.repo.move_action(record, "running", from_statuses=("pending",), count_attempt=True)
    clock.advance(minutes=30)
    assert sweep(runtime)["recovered"] == 1
    [action] = [a for a in listing(api, "actions") if a["automation"] == "test-thanks"]
    assert action["status"] == "failed"
    assert "may or may not have gone out" in action["reason"]


def test_sweeper_that_fell_behind_catches_up_without_skipping(
    runtime: Any, clock: Any, job_kind: Any
) -> None:
    calls = job_kind("test-late-sweep")
    sweep(runtime)  # the cursor is now
    runtime.repo.put_job(
        JobRecord(
            job_id="j",
            store_id="demo",
            kind="test-late-sweep",
            due_at=iso(clock.now() + timedelta(days=1, minutes=30)),
            created_at=iso(clock.now()),
        )
    )
    clock.advance(days=3)  # the schedule did not fire for three days
    ran = [sweep(runtime)["done"] for _ in range(4)]
    assert calls == ["j"]
    assert ran[0] == 0 and sum(ran) == 1  # found on the second sweep, which resumed where the first stopped


def test_late_creation_still_runs_its_automations_without_rolling_state_back(
    api: Any, pump: Any, runtime: Any
) -> None:
    """Deliveries come in any order: an orders/create that arrives after a newer orders/updated must
    still tag the order (it announces that the order was created), while its older state is not
    applied over the newer snapshot."""
    put_store(api)
    order = json.loads(load_fixture(ORDER)[0])
    newer = dict(order, updated_at="2025-01-24T10:00:00-05:00", note="newest")
    older = dict(order, updated_at="2025-01-24T09:00:00-05:00", note="oldest")
    deliver(api, delivery_id="u-new", topic="orders/updated", body=json.dumps(newer).encode())
    pump.drain()
    deliver(api, delivery_id="c-old", topic="orders/create", body=json.dumps(older).encode())
    pump.drain()
    events = {e["delivery_id"]: e for e in listing(api, "events")}
    assert events["c-old"]["status"] == "processed"
    actions = listing(api, "actions")
    assert sorted(a["target"] for a in actions) == ["customer:8658316394796", "order:6198432301356"]
    # the order snapshot automations read is still the newer one
    blob = runtime.repo.entity_snapshot("demo", "order", "6198432301356")
    assert blob is not None
    assert resource_from_json(decompress(blob)).note == "newest"


@pytest.mark.parametrize("partial_batch_responses", ["true", "false"])
def test_failed_queue_record_is_reported_or_fails_the_batch(
    app: Any, monkeypatch: Any, partial_batch_responses: str
) -> None:
    """With a mapping that takes batchItemFailures, only the failed message is reported; without
    one (plain `chalice deploy`), the handler raises so SQS redelivers instead of deleting it."""
    from chalice.local import LambdaContext

    from functions.batch import BatchNotFullyProcessed
    from storekit.settings import reset_settings

    monkeypatch.setenv("STOREFLOW_PARTIAL_BATCH_RESPONSES", partial_batch_responses)
    reset_settings()
    record = {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": "not a stored delivery",
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:storeflow-local-webhook-fallback",
        "awsRegion": "us-east-1",
    }
    handler = app.handler_map["drain_fallback"]
    context = LambdaContext("drain_fallback", memory_size=256)
    if partial_batch_responses == "true":
        assert handler({"Records": [record]}, context) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    else:
        with pytest.raises(BatchNotFullyProcessed):
            handler({"Records": [record]}, context)


def test_job_left_claimed_by_a_dead_sweeper_is_taken_over_once(
    runtime: Any, clock: Any, job_kind: Any
) -> None:
    """A sweeper that dies after claiming a job (timeout, out of memory) must not lose it: later
    sweeps keep looking at it and take it over once the claim is clearly abandoned."""
    calls = job_kind("test-takeover")
    filed = runtime.repo.put_job(
        JobRecord(
            job_id="j-dead",
            store_id="demo",
            kind="test-takeover",
            due_at=iso(clock.now() + timedelta(minutes=1)),
            created_at=iso(clock.now()),
        )
    )
    clock.advance(minutes=2)
    [due] = list(runtime.repo.due_jobs(filed.bucket, iso(clock.now())))
    # a sweeper claims it and dies before running it
    assert runtime.repo.claim_job(due, iso(clock.now() - timedelta(minutes=20))) is not None
    for _ in range(5):  # following sweeps: the claim is recent, so it is left alone ...
        clock.advance(minutes=1)
        assert sweep(runtime)["claimed"] == 0
    assert calls == []
    clock.advance(minutes=20)  # ... until it is clearly abandoned: taken over, run once
    counts = sweep(runtime)
    assert counts["taken_over"] == 1 and counts["done"] == 1
    assert calls == ["j-dead"]
    clock.advance(minutes=30)
    assert sweep(runtime)["claimed"] == 0
    assert calls == ["j-dead"]


def test_first_sweep_runs_a_job_due_in_the_current_minute(runtime: Any, clock: Any, job_kind: Any) -> None:
    """The very first sweep looks back a day: it must still reach the current minute."""
    calls = job_kind("test-now")
    runtime.repo.put_job(
        JobRecord(
            job_id="j-now",
            store_id="demo",
            kind="test-now",
            due_at=iso(clock.now()),
            created_at=iso(clock.now()),
        )
    )
    assert sweep(runtime)["done"] == 1
    assert calls == ["j-now"]


def test_order_whose_canonical_parse_fails_is_kept_and_marked_failed_with_the_reason(
    api: Any, pump: Any
) -> None:
    """Ingest checks the platform's shape and keys the event; the canonical order is built at
    dispatch. Two shipping lines each within range whose sum is not (over 10**15): the delivery is
    accepted and kept (a store does not redeliver it forever, WooCommerce never does), and the
    event shows `failed` with the field that could not be read; no automation runs on it."""
    put_store(api)
    order = json.loads(load_fixture(ORDER)[0])
    order["total_shipping_price_set"] = None
    order["shipping_lines"] = [{"price": "900000000000000"}] * 2
    assert deliver(api, body=json.dumps(order).encode(), delivery_id="d-sum") == {"ok": True}
    pump.drain()
    [event] = listing(api, "events")
    assert event["status"] == "failed"
    assert event["reason"].startswith("payload does not parse: total_shipping: ")
    assert "out of range" in event["reason"]
    assert listing(api, "runs") == []
    assert listing(api, "actions") == []
