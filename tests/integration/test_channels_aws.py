"""SES email and SNS SMS against in-process moto: what lands, and typed failures that send nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from storekit.clients import EmailChannel, SmsChannel, email_message, render_message, sms_message
from storekit.errors import PermanentError

pytestmark = pytest.mark.integration

SENDER = "orders@demo-shop.example"
NOTICE = {"store_name": "Demo Shop", "heading": "Shipped", "body": "Order #1001 is on its way"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """Dummy credentials (never real ones) and in-process moto."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def ses(aws: boto3.session.Session) -> Any:
    client = aws.client("ses")
    client.verify_email_identity(EmailAddress=SENDER)
    return client


def sent_mail() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def test_email_lands_with_the_rendered_template(ses: Any) -> None:
    rendered = render_message(None, "notice", NOTICE)
    message_id = EmailChannel(ses).send(
        email_message(SENDER, "jane@example.com", rendered, reply_to="help@demo-shop.example")
    )
    [mail] = sent_mail()
    assert mail.id == message_id
    assert mail.source == SENDER
    assert mail.destinations["ToAddresses"] == ["jane@example.com"]
    assert mail.subject == "Shipped - Demo Shop"
    assert "<h1>Shipped</h1>" in mail.body  # moto keeps the HTML part when both are sent
    assert "Order #1001 is on its way" in mail.body


def test_unverified_sender_is_a_permanent_error(aws: boto3.session.Session) -> None:
    rendered = render_message(None, "notice", NOTICE)
    channel = EmailChannel(aws.client("ses"))
    with pytest.raises(PermanentError, match="SES send_email: MessageRejected") as info:
        channel.send(email_message("nobody@unverified.example", "jane@example.com", rendered))
    assert "unverified.example" not in str(info.value)
    assert sent_mail() == []


@pytest.mark.parametrize("address", ["jane", "a@b@c", "jane@example.com\r\nBcc: x@y.z"])
def test_invalid_recipient_is_refused_before_sending(ses: Any, address: str) -> None:
    rendered = render_message(None, "notice", NOTICE)
    with pytest.raises(PermanentError, match="not a valid email address"):
        EmailChannel(ses).send(email_message(SENDER, address, rendered))
    assert sent_mail() == []


def test_sms_lands_in_e164(aws: boto3.session.Session) -> None:
    message_id = SmsChannel(aws.client("sns")).send(
        sms_message("(415) 555-0132", "Your order shipped", default_region="US"), sender_id="DemoShop"
    )
    assert message_id
    assert sent_sms() == [("+14155550132", "Your order shipped")]


def test_promotional_sms_in_another_region(aws: boto3.session.Session) -> None:
    SmsChannel(aws.client("sns")).send(
        sms_message("030 901820", "Sale starts now", default_region="DE", transactional=False)
    )
    assert sent_sms() == [("+4930901820", "Sale starts now")]


@pytest.mark.parametrize("phone", ["555", "not a number", "+1 555"])
def test_invalid_phone_sends_nothing(aws: boto3.session.Session, phone: str) -> None:
    with pytest.raises(PermanentError) as info:
        SmsChannel(aws.client("sns")).send(sms_message(phone, "hello"))
    assert not any(ch.isdigit() for ch in str(info.value))
    assert sent_sms() == []
