"""SES email and SNS SMS against moto: what lands, and typed failures that send nothing."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from storekit.clients import EmailChannel, SmsChannel, render_message
from storekit.errors import PermanentError

pytestmark = pytest.mark.integration

SENDER = "orders@demo-shop.example"


def sent_mail() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def sent_sms() -> list[Any]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def test_email_is_sent_with_the_rendered_template(session: Any) -> None:
    ses = session.client("ses")
    ses.verify_email_identity(EmailAddress=SENDER)
    rendered = render_message(
        None, "notice", {"store_name": "Demo Shop", "heading": "Shipped", "body": "On its way"}
    )
    message_id = EmailChannel(ses, SENDER).send("jane@example.com", rendered)
    assert message_id
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["jane@example.com"]
    assert mail.subject == "Shipped - Demo Shop"
    assert "On its way" in mail.body


def test_unverified_sender_is_a_permanent_error(session: Any) -> None:
    rendered = render_message(None, "notice", {"store_name": "S", "heading": "H", "body": "B"})
    with pytest.raises(PermanentError, match="MessageRejected"):
        EmailChannel(session.client("ses"), "nobody@unverified.example").send("jane@example.com", rendered)
    assert sent_mail() == []


@pytest.mark.parametrize("address", ["jane", "a@b@c", "jane@example.com\r\nBcc: x@y.z"])
def test_invalid_recipient_is_refused_before_sending(session: Any, address: str) -> None:
    ses = session.client("ses")
    ses.verify_email_identity(EmailAddress=SENDER)
    rendered = render_message(None, "notice", {"store_name": "S", "heading": "H", "body": "B"})
    with pytest.raises(PermanentError):
        EmailChannel(ses, SENDER).send(address, rendered)
    assert sent_mail() == []


def test_sms_goes_out_in_e164(session: Any) -> None:
    SmsChannel(session.client("sns")).send("(415) 555-0132", "Your order shipped", default_region="US")
    [(number, text, *_)] = sent_sms()
    assert number == "+14155550132"
    assert text == "Your order shipped"


def test_invalid_phone_sends_nothing(session: Any) -> None:
    with pytest.raises(PermanentError):
        SmsChannel(session.client("sns")).send("555", "hello")
    assert sent_sms() == []
