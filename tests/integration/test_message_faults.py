"""SES and SNS failing (issue 17, item 1; the sibling of test_fault_injection, which fails the table
and the store API): the executor's email and SMS sends meet throttling, transient 5xx and, now and
then, a permanent MessageRejected. Every shipment webhook arrives twice under new delivery ids.
Afterwards every notice the same webhooks decide in a calm store exists once and is done (its
message sent exactly once) or failed with the reason; none is left pending or retrying, and no
address got a message twice. (A poison stream record parked with its reason and listed by
`GET /stores/{id}/parked`: test_engine and test_stream.)"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.engine.sweep import sweep
from tests.payloads import load_fixture
from tests.support import listed, put_store, shopify_headers

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events" / "shopify"
SENDER = "orders@demo-shop.example"
SHIPMENTS = [
    (load_fixture("shopify/orders_create__python-api-order.json")[0], "orders/create"),
    (load_fixture("shopify/fulfillments_create__python-api-fulfillment.json")[0], "fulfillments/create"),
    ((EVENTS / "fulfillments_create__second-shipment.json").read_bytes(), "fulfillments/create"),
    ((EVENTS / "orders_create__sms-consent.json").read_bytes(), "orders/create"),
    ((EVENTS / "fulfillments_create__for-sms-consent-order.json").read_bytes(), "fulfillments/create"),
]
SENDS = {("ses", "SendEmail"), ("ses", "SendRawEmail"), ("sns", "Publish")}


class ChannelChaos:
    """Fails SES and SNS sends at random (seeded): throttling, 5xx, and a permanent rejection."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.on = False
        self.injected: Counter[str] = Counter()

    def maybe_fail(self, service: str, operation: str) -> None:
        if not self.on or (service, operation) not in SENDS:
            return
        roll = self.rng.random()
        if roll < 0.25:
            code, status = ("Throttling" if service == "ses" else "Throttled"), 400
        elif roll < 0.45:
            code, status = "ServiceUnavailable", 503
        elif roll < 0.52 and service == "ses":
            code, status = "MessageRejected", 400
        else:
            return
        self.injected[code] += 1
        raise ClientError(
            {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}},
            operation,
        )


@pytest.fixture
def chaos(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChannelChaos]:
    faults = ChannelChaos(seed=2027)
    real = BaseClient._make_api_call

    def failing(client: BaseClient, operation: str, params: Any) -> Any:
        faults.maybe_fail(client.meta.service_model.service_name, operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", failing)
    yield faults


def deliver_all(api: Any, store_id: str) -> None:
    for n, (body, topic) in enumerate(SHIPMENTS):
        for copy in range(2 if topic == "fulfillments/create" else 1):
            headers = shopify_headers(
                body, topic, f"{store_id}-{n}-{copy}", shop=f"{store_id}-shop.myshopify.com"
            )
            answer = api.http.post(f"/webhooks/shopify/{store_id}", headers=headers, body=body)
            assert answer.status_code == 200, answer.body


def notices(api: Any, store_id: str) -> list[dict[str, Any]]:
    return [a for a in listed(api, store_id, "actions") if a["automation"] == "shipping-notice"]


def test_every_message_is_sent_once_or_failed_with_its_reason_when_ses_and_sns_fail(
    api: Any, pump: Any, runtime: Any, clock: Any, session: Any, chaos: ChannelChaos
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    automations = {name: {"enabled": name == "shipping-notice"} for name in runtime.registry.names()}
    automations["shipping-notice"]["settings"] = {"sender": SENDER}
    put_store(api, "calm", automations=automations)
    deliver_all(api, "calm")
    pump.drain()
    expected = Counter((a["kind"], a["target"], a["summary"]) for a in notices(api, "calm"))
    assert {kind for kind, _, _ in expected} == {"send_email", "send_sms"} and sum(expected.values()) >= 4

    put_store(api, "rough", mode="live", automations=automations)
    chaos.on = True
    deliver_all(api, "rough")
    for _ in range(30):  # retries come back through the sweeper (backoff up to minutes)
        pump.drain()
        if {a["status"] for a in notices(api, "rough")} <= {"done", "failed"}:
            break
        clock.advance(minutes=5)
        sweep(runtime)

    got = notices(api, "rough")
    assert Counter((a["kind"], a["target"], a["summary"]) for a in got) == expected  # none lost, none twice
    assert {a["status"] for a in got} <= {"done", "failed"}, Counter(a["status"] for a in got)
    failed = [a for a in got if a["status"] == "failed"]
    assert all(a["reason"] for a in failed)
    assert chaos.injected["Throttling"] and chaos.injected["ServiceUnavailable"], chaos.injected
    assert any(a["attempts"] > 1 and a["status"] == "done" for a in got), "some send got through on a retry"
    # a rejected message is not tried again: failed at once, with the code
    rejected = [a for a in failed if "MessageRejected" in a["reason"]]
    assert len(rejected) == chaos.injected["MessageRejected"]
    # what was sent: exactly one message per action done, none for a failed one
    mails = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    texts = list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())
    done = Counter(a["kind"] for a in got if a["status"] == "done")
    assert (len(mails), len(texts)) == (done["send_email"], done["send_sms"])
    assert len({(tuple(m.destinations["ToAddresses"]), m.subject) for m in mails}) == len(mails)


@pytest.fixture
def lost_answers(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """SES takes every send (moto records the message) but its answer never comes back: the
    client sees a read timeout, as when the network drops after the request went out."""
    from botocore.exceptions import ReadTimeoutError
    from moto.core.botocore_stubber import BotocoreStubber

    real = BotocoreStubber.__call__
    lost: Counter[str] = Counter()

    def answer_lost(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        response = real(stubber, event_name, request, **kwargs)
        if event_name.startswith("before-send.ses") and "Action=SendEmail" in _text(request.body):
            lost["SendEmail"] += 1
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    monkeypatch.setattr(BotocoreStubber, "__call__", answer_lost)
    return lost


def _text(body: Any) -> str:
    return body.decode() if isinstance(body, bytes) else str(body or "")


def test_an_email_whose_answer_is_lost_is_not_sent_again_and_fails_saying_it_may_have_gone_out(
    api: Any, pump: Any, runtime: Any, clock: Any, session: Any, lost_answers: Counter[str]
) -> None:
    session.client("ses").verify_email_identity(EmailAddress=SENDER)
    automations = {name: {"enabled": name == "shipping-notice"} for name in runtime.registry.names()}
    automations["shipping-notice"]["settings"] = {"sender": SENDER}
    put_store(api, "lossy", mode="live", automations=automations)
    deliver_all(api, "lossy")
    for _ in range(5):
        pump.drain()
        clock.advance(minutes=30)
        sweep(runtime)
    emails = [a for a in notices(api, "lossy") if a["kind"] == "send_email"]
    assert emails and {a["status"] for a in emails} == {"failed"}
    assert all("may have been sent" in a["reason"] and a["attempts"] == 1 for a in emails)
    # one request per notice reached SES: neither botocore nor the executor sent it again
    mails = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert len(mails) == lost_answers["SendEmail"] == len(emails)
