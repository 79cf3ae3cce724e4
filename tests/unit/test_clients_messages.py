"""Message rendering and the message channels: templates, Slack, phone numbers, the rendered email and
SMS, and the AWS fault mapping used by the SES and SNS channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from storekit.clients import (
    EmailChannel,
    MessageTemplate,
    RenderedMessage,
    SlackChannel,
    SmsChannel,
    email_message,
    normalize_phone,
    render_message,
    slack_message,
    sms_message,
)
from storekit.clients.email import check_address
from storekit.errors import ConfigurationError, OutcomeUnknown, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SLACK = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
NOTICE = {"store_name": "Bob's <Shop>", "heading": "Shipped", "body": "<b>Order #1001</b> is on its way"}


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# --- templates -------------------------------------------------------------------------------
def test_default_notice_escapes_html_but_not_text() -> None:
    rendered = render_message(None, "notice", NOTICE)
    assert "&lt;b&gt;Order #1001&lt;/b&gt; is on its way" in rendered.html
    assert "Bob&#39;s &lt;Shop&gt;" in rendered.html
    assert "<b>Order #1001</b> is on its way" in rendered.text
    assert "Bob's <Shop>" in rendered.text
    assert rendered.subject == "Shipped - Bob's <Shop>"


def test_store_template_replaces_the_default_and_subject_is_one_line() -> None:
    custom = MessageTemplate(
        subject="{{ heading }}\n  for {{ name }}",
        html="<p>Hi {{ name }}</p>",
        text="Hi {{ name }}",
    )
    rendered = render_message(custom, "notice", {"heading": "Shipped", "name": "Ann & <Co>"})
    assert rendered == RenderedMessage(
        subject="Shipped for Ann & <Co>", html="<p>Hi Ann &amp; &lt;Co&gt;</p>", text="Hi Ann & <Co>"
    )


def test_a_typo_in_a_store_template_is_a_clear_permanent_error() -> None:
    custom = MessageTemplate(subject="Hi {{ nmae }}", html="<p>x</p>", text="x")
    with pytest.raises(PermanentError) as info:
        render_message(custom, "notice", {"name": "Ann"})
    assert str(info.value) == "template notice (store template) (subject): undefined variable nmae"


def test_a_missing_variable_in_a_default_names_it() -> None:
    with pytest.raises(PermanentError, match=r"template notice \(subject\): undefined variable heading"):
        render_message(None, "notice", {"store_name": "S", "body": "B"})


def test_a_missing_attribute_names_it() -> None:
    custom = MessageTemplate(subject="{{ order.numbr }}", html="x", text="x")
    with pytest.raises(PermanentError, match="undefined variable numbr"):
        render_message(custom, "notice", {"order": {"number": 1}})


def test_syntax_errors_and_unknown_defaults_are_permanent() -> None:
    broken = MessageTemplate(subject="ok", html="<p>{% if %}</p>", text="x")
    with pytest.raises(PermanentError, match=r"\(html\) line 1"):
        render_message(broken, "notice", {})
    with pytest.raises(PermanentError, match="no default template named 'order_tags_summary'"):
        render_message(None, "order_tags_summary", {})
    with pytest.raises(PermanentError):
        render_message(None, "../../etc/passwd", {})


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self.__init__.__globals__ }}",
    ],
)
def test_store_templates_cannot_reach_python_internals(attack: str) -> None:
    custom = MessageTemplate(subject="s", html="h", text=attack)
    with pytest.raises(PermanentError):
        render_message(custom, "notice", {})


# --- Slack -----------------------------------------------------------------------------------
def test_slack_posts_text_and_blocks(http: responses.RequestsMock) -> None:
    http.post(SLACK, body="ok")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Order #1001* failed delivery"}}]
    SlackChannel(requests.Session()).post(SLACK, slack_message("Order #1001 failed delivery", blocks=blocks))
    request = http.calls[0].request
    assert request.url == SLACK
    assert json.loads(request.body) == {"text": "Order #1001 failed delivery", "blocks": blocks}  # type: ignore[arg-type]
    assert request.req_kwargs["timeout"] == (3.05, 10.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, "invalid_payload", PermanentError),
        (403, "action_prohibited", PermanentError),
        (404, "no_service", PermanentError),
        (410, "channel_is_archived", PermanentError),
        (500, "rollup_error", TransientError),
    ],
)
def test_slack_errors_are_typed_and_name_slacks_code(
    http: responses.RequestsMock, status: int, body: str, error: type[Exception]
) -> None:
    http.post(SLACK, status=status, body=body)
    with pytest.raises(error, match=f"HTTP {status} {body}") as info:
        SlackChannel(requests.Session()).post(SLACK, slack_message("hello"))
    assert "XXXXXXXX" not in str(info.value)  # the URL is the secret


def test_slack_429_is_throttled_with_retry_after(http: responses.RequestsMock) -> None:
    http.post(SLACK, status=429, headers={"Retry-After": "30"}, body="rate_limited")
    with pytest.raises(Throttled) as info:
        SlackChannel(requests.Session()).post(SLACK, slack_message("hello"))
    assert info.value.retry_after == 30.0


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com.evil.example/services/T/B/x",
        "https://evil.example/hooks.slack.com/services",
        "https://user@hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com:8443/services/T/B/x",
    ],
)
def test_slack_only_posts_to_slack(http: responses.RequestsMock, url: str) -> None:
    with pytest.raises(ConfigurationError):
        SlackChannel(requests.Session()).post(url, slack_message("hello"))
    assert len(http.calls) == 0


# --- phone numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-0132", "US", "+14155550132"),
        ("+61 491 570 156", "US", "+61491570156"),
        ("030 901820", "DE", "+4930901820"),
        ("07911 123456", "gb", "+447911123456"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555", "555-0132-9999-1234-5678", ""])
def test_invalid_phone_numbers_are_permanent_errors_without_digits(raw: str) -> None:
    with pytest.raises(PermanentError) as info:
        normalize_phone(raw, "US")
    assert not any(ch.isdigit() for ch in str(info.value))


# --- AWS fault mapping (SES and SNS share it) -------------------------------------------------
class RecordingAws:
    """A stand-in boto3 client that keeps each send_email/publish request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.requests.append(request)
        return {"MessageId": "m-1"}

    def publish(self, **request: Any) -> dict[str, str]:
        self.requests.append(request)
        return {"MessageId": "m-1"}


class FailingAws:
    """A stand-in boto3 client whose send_email/publish raise the given error."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send_email(self, **_: Any) -> dict[str, str]:
        self.calls += 1
        raise self.error

    def publish(self, **_: Any) -> dict[str, str]:
        self.calls += 1
        raise self.error


def client_error(code: str, status: int, message: str = "jane@example.com +14155550132") -> ClientError:
    answer: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(answer, "SendEmail")


RENDERED = RenderedMessage(subject="s", html="<p>h</p>", text="t")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("Throttling", 400), Throttled),
        (client_error("TooManyRequestsException", 429), Throttled),
        (client_error("Throttled", 400), Throttled),
        (client_error("MessageRejected", 400), PermanentError),
        (client_error("InvalidParameterValue", 400), PermanentError),
        (client_error("MailFromDomainNotVerifiedException", 400), PermanentError),
        (client_error("ServiceUnavailable", 503), TransientError),
        (client_error("InternalFailure", 500), TransientError),
        (EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com"), TransientError),
        (ConnectTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"), TransientError),
        # the request went out, the answer did not come back: maybe sent, never sent again
        (ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"), OutcomeUnknown),
        (ConnectionClosedError(endpoint_url="https://email.us-east-1.amazonaws.com"), OutcomeUnknown),
        (NoCredentialsError(), ConfigurationError),
    ],
)
def test_aws_faults_map_to_retry_decisions(error: Exception, expected: type[Exception]) -> None:
    for send in (
        lambda: EmailChannel(FailingAws(error)).send(
            email_message("orders@shop.example", "jane@example.com", RENDERED)
        ),
        lambda: SmsChannel(FailingAws(error)).send(sms_message("+14155550132", "hi")),
    ):
        with pytest.raises(expected) as info:
            send()
        assert "jane@example.com" not in str(info.value)
        assert "4155550132" not in str(info.value)
        assert info.value.__cause__ is None


@pytest.mark.parametrize(
    "address",
    ["jane", "a@b@c", "@example.com", "jane@", "jane@example.com\r\nBcc: x@y.z", "jane doe@example.com", ""],
)
def test_bad_recipients_are_refused_when_rendering(address: str) -> None:
    with pytest.raises(PermanentError) as info:
        email_message("orders@shop.example", address, RENDERED)
    assert str(info.value) == "not a valid email address"
    with pytest.raises(PermanentError):
        email_message("orders@shop.example", "jane@example.com", RENDERED, reply_to=address or "x")


def test_good_addresses_pass_the_minimal_check() -> None:
    for address in ("jane@example.com", "jane+orders@mail.example.co.uk", "x@localhost"):
        check_address(address)


def test_sender_must_be_an_address() -> None:
    with pytest.raises(ConfigurationError):
        email_message("orders\r\n@shop.example", "jane@example.com", RENDERED)


def test_sms_sender_id_is_checked() -> None:
    sns = FailingAws(RuntimeError("must not be called"))
    with pytest.raises(ConfigurationError):
        SmsChannel(sns).send(sms_message("+14155550132", "hi"), sender_id="TOO-LONG-SENDER")
    assert sns.calls == 0


def test_the_email_sent_is_the_rendered_message() -> None:
    """The action preview shows `email_message`; SES gets exactly its parts."""
    ses = RecordingAws()
    message = email_message(
        "Demo <orders@shop.example>", "jane@example.com", RENDERED, reply_to="help@shop.example"
    )
    assert message.model_dump(by_alias=True)["from"] == "Demo <orders@shop.example>"
    EmailChannel(ses).send(message)
    [request] = ses.requests
    assert request["Source"] == message.sender
    assert request["Destination"] == {"ToAddresses": ["jane@example.com"]}
    assert request["ReplyToAddresses"] == ["help@shop.example"]
    assert request["Message"]["Subject"]["Data"] == message.subject
    assert request["Message"]["Body"]["Html"]["Data"] == message.html
    assert request["Message"]["Body"]["Text"]["Data"] == message.text


@pytest.mark.parametrize(("transactional", "sms_type"), [(True, "Transactional"), (False, "Promotional")])
def test_the_sms_sent_is_the_rendered_message(transactional: bool, sms_type: str) -> None:
    sns = RecordingAws()
    message = sms_message("(415) 555-0132", "Demo Shop: shipped", transactional=transactional)
    assert (message.to, message.sms_type) == ("+14155550132", sms_type)
    SmsChannel(sns).send(message)
    [request] = sns.requests
    assert request["PhoneNumber"] == "+14155550132"
    assert request["Message"] == "Demo Shop: shipped"
    assert request["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == sms_type


def test_an_empty_sms_or_slack_text_is_refused_when_rendering() -> None:
    with pytest.raises(PermanentError):
        sms_message("+14155550132", "  ")
    with pytest.raises(PermanentError):
        slack_message(" ")
