"""Message rendering and the HTTP message channels: templates, Slack, signed outbound webhooks,
phone numbers, and the AWS fault mapping used by the SES and SNS channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from hypothesis import given
from hypothesis import strategies as st

from storekit.clients import (
    EmailChannel,
    MessageTemplate,
    RenderedMessage,
    SlackChannel,
    SmsChannel,
    WebhookChannel,
    normalize_phone,
    render_message,
    verify_signature,
)
from storekit.clients.email import check_address
from storekit.clients.webhook import encode_payload, sign
from storekit.clock import FixedClock
from storekit.errors import ConfigurationError, PermanentError, Throttled, TransientError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SLACK = "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
HOOK = "https://erp.example/hooks/storeflow"
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
    SlackChannel(requests.Session()).post(SLACK, "Order #1001 failed delivery", blocks=blocks)
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
        SlackChannel(requests.Session()).post(SLACK, "hello")
    assert "XXXXXXXX" not in str(info.value)  # the URL is the secret


def test_slack_429_is_throttled_with_retry_after(http: responses.RequestsMock) -> None:
    http.post(SLACK, status=429, headers={"Retry-After": "30"}, body="rate_limited")
    with pytest.raises(Throttled) as info:
        SlackChannel(requests.Session()).post(SLACK, "hello")
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
        SlackChannel(requests.Session()).post(url, "hello")
    assert len(http.calls) == 0


# --- outbound webhooks -----------------------------------------------------------------------
def public_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    """A resolver for the tests (no network): every name is a public documentation address."""
    return [(2, 1, 6, "", ("93.184.215.14", port))]


def hooks(resolve: Any = public_dns) -> WebhookChannel:
    return WebhookChannel(requests.Session(), FixedClock(NOW), resolve=resolve)


def post_hook(http: responses.RequestsMock, payload: dict[str, Any], status: int = 204) -> Any:
    http.post(HOOK, status=status)
    hooks().post(HOOK, payload, "s3cret", event_id="act-1")
    return http.calls[-1].request


def test_outbound_webhook_is_signed_and_verifiable(http: responses.RequestsMock) -> None:
    payload = {"order": "1001", "total": Decimal("19.99"), "at": NOW}
    request = post_hook(http, payload)
    body = request.body
    assert isinstance(body, bytes)
    assert body == b'{"order":"1001","total":"19.99","at":"2026-11-24T12:00:00+00:00"}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Storeflow-Event-Id"] == "act-1"
    assert request.headers["X-Storeflow-Timestamp"] == str(int(NOW.timestamp()))
    timestamp, signature = request.headers["X-Storeflow-Timestamp"], request.headers["X-Storeflow-Signature"]
    assert signature == sign(body, timestamp, "s3cret")
    assert verify_signature(body, timestamp, signature, "s3cret", NOW + timedelta(seconds=299))
    assert not verify_signature(body, timestamp, signature, "other", NOW)
    assert not verify_signature(body, timestamp, signature, "s3cret", NOW + timedelta(seconds=301))
    assert not verify_signature(body, timestamp, signature, "s3cret", NOW - timedelta(seconds=301))


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("", "x"), ("12a", "x"), ("+1764000000", "x"), ("1_764_000_000", "x"), ("1764000000", "sïgnature")],
)
def test_verification_rejects_malformed_input_without_raising(timestamp: str, signature: str) -> None:
    assert verify_signature(b"{}", timestamp, signature, "k", NOW) is False


@pytest.mark.parametrize(
    ("status", "error"),
    [(410, PermanentError), (301, PermanentError), (503, TransientError), (429, Throttled)],
)
def test_outbound_webhook_answers_are_typed(
    http: responses.RequestsMock, status: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        post_hook(http, {"a": 1}, status=status)


@pytest.mark.parametrize("url", ["http://erp.example/hook", "ftp://erp.example", "https://u:p@erp.example/"])
def test_outbound_webhook_refuses_unsafe_urls(http: responses.RequestsMock, url: str) -> None:
    with pytest.raises(ConfigurationError):
        hooks().post(url, {}, "k", event_id="e")
    assert len(http.calls) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "https://127.0.0.1:9000/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/hook",
        "https://10.1.2.3/hook",
    ],
)
def test_outbound_webhooks_never_go_to_local_or_private_addresses(
    http: responses.RequestsMock, url: str
) -> None:
    with pytest.raises(ConfigurationError):
        hooks().post(url, {}, "k", event_id="e")
    assert len(http.calls) == 0


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "127.0.0.1", "10.0.0.7", "fd00::1", "::ffff:192.168.1.1"]
)
def test_a_public_name_that_resolves_to_a_private_address_is_refused_when_sending(
    http: responses.RequestsMock, address: str
) -> None:
    def rebinding_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(2, 1, 6, "", ("93.184.215.14", port)), (2, 1, 6, "", (address, port))]

    with pytest.raises(ConfigurationError, match="private address"):
        hooks(rebinding_dns).post(HOOK, {}, "k", event_id="e")
    assert len(http.calls) == 0


def test_a_host_that_does_not_resolve_is_retried_not_failed(http: responses.RequestsMock) -> None:
    def no_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        raise OSError("no such host")

    with pytest.raises(TransientError):
        hooks(no_dns).post(HOOK, {}, "k", event_id="e")


@given(
    body=st.binary(min_size=1, max_size=512),
    secret=st.text(min_size=1, max_size=40),
    index=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_tampering_any_byte_fails_verification(body: bytes, secret: str, index: int, flip: int) -> None:
    timestamp = str(int(NOW.timestamp()))
    good = sign(body, timestamp, secret)
    assert verify_signature(body, timestamp, good, secret, NOW)
    tampered = bytearray(body)
    tampered[index % len(body)] ^= flip
    assert not verify_signature(bytes(tampered), timestamp, good, secret, NOW)


@given(payload=st.dictionaries(st.text(max_size=10), st.text(max_size=20) | st.integers(), max_size=5))
def test_signed_bytes_are_the_bytes_sent(payload: dict[str, Any]) -> None:
    body = encode_payload(payload)
    assert json.loads(body) == payload
    timestamp = str(int(NOW.timestamp()))
    assert verify_signature(body, timestamp, sign(body, timestamp, "k"), "k", NOW)


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
        (NoCredentialsError(), ConfigurationError),
    ],
)
def test_aws_faults_map_to_retry_decisions(error: Exception, expected: type[Exception]) -> None:
    for send in (
        lambda: EmailChannel(FailingAws(error), "orders@shop.example").send("jane@example.com", RENDERED),
        lambda: SmsChannel(FailingAws(error)).send("+14155550132", "hi"),
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
def test_bad_recipients_are_refused_before_calling_aws(address: str) -> None:
    ses = FailingAws(RuntimeError("must not be called"))
    with pytest.raises(PermanentError) as info:
        EmailChannel(ses, "orders@shop.example").send(address, RENDERED)
    assert ses.calls == 0
    assert str(info.value) == "not a valid email address"


def test_good_addresses_pass_the_minimal_check() -> None:
    for address in ("jane@example.com", "jane+orders@mail.example.co.uk", "x@localhost"):
        check_address(address)


def test_sender_must_be_an_address() -> None:
    with pytest.raises(ConfigurationError):
        EmailChannel(FailingAws(RuntimeError()), "orders\r\n@shop.example")


def test_sms_sender_id_is_checked() -> None:
    sns = FailingAws(RuntimeError("must not be called"))
    with pytest.raises(ConfigurationError):
        SmsChannel(sns).send("+14155550132", "hi", sender_id="TOO-LONG-SENDER")
    assert sns.calls == 0
