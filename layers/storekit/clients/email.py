"""Email through SES (HTML + text bodies): rendered into an EmailMessage, then sent.
And the one mapping of AWS faults to retry decisions."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from storekit.errors import (
    ConfigurationError,
    ExternalCallError,
    OutcomeUnknown,
    PermanentError,
    Throttled,
    TransientError,
)
from storekit.messages import RenderedMessage
from storekit.outbound import EmailAttachment, EmailMessage

THROTTLING: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",  # SNS ThrottledException
        "TooManyRequests",
        "TooManyRequestsException",
        "MaxSendingRateExceeded",
        "KMSThrottling",
        "RequestLimitExceeded",
    }
)
PERMANENT: Final = frozenset(
    {
        "MessageRejected",
        "InvalidParameterValue",
        "InvalidParameter",
        "InvalidParameterException",
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "ConfigurationSetSendingPausedException",
        "AccountSendingPausedException",
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "ValidationError",
        "OptedOut",
        "EndpointDisabled",
    }
)
TRANSIENT: Final = frozenset({"ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout"})


def aws_error(what: str, exc: ClientError | BotoCoreError) -> ExternalCallError | ConfigurationError:
    """Throttling -> Throttled; rejected input -> PermanentError; 5xx/unavailable/network -> TransientError;
    missing credentials or region -> ConfigurationError; sent but unanswered (read timeout, connection
    dropped after sending) -> OutcomeUnknown, never retried: a message has no idempotency key, so a
    second try could reach the customer twice (the clients do not retry either: runtime.SEND_ONCE).
    The message holds the AWS error code only."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | NoRegionError):
        return ConfigurationError(f"{what}: {type(exc).__name__}")
    if isinstance(exc, ParamValidationError):
        return PermanentError(f"{what}: request failed validation")
    if isinstance(exc, ReadTimeoutError | ConnectionClosedError):
        return OutcomeUnknown(
            f"{what}: no answer ({type(exc).__name__}); the message may have been sent, so it is not "
            "sent again on its own: check with the customer before retrying it"
        )
    if isinstance(exc, BotoCoreError):
        return TransientError(f"{what}: {type(exc).__name__}")
    code = str(exc.response.get("Error", {}).get("Code") or "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in THROTTLING or status == 429:
        return Throttled(f"{what}: {code or status}", None)
    if code in TRANSIENT or status >= 500:
        return TransientError(f"{what}: {code or status}")
    if code in PERMANENT or 400 <= status < 500:
        return PermanentError(f"{what}: {code or status}")
    return TransientError(f"{what}: {code or 'unknown error'}")


def check_address(address: str) -> None:
    """Minimal recipient check: one @ with text on both sides, no whitespace or control characters."""
    local, at, domain = address.partition("@")
    if (
        not at
        or not local
        or not domain
        or "@" in domain
        or len(address) > 320
        or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in address)
    ):
        raise PermanentError("not a valid email address")


def sender_named(store_name: str, sender: str) -> str:
    """The From header: `sender`'s address with the store's name as display name ("Demo Shop"
    <orders@shop.example>), so every email shows the store however its template reads. A display
    name the merchant chose is kept when it already names the store ("Demo Shop Support").
    Control characters are dropped and the name is quoted or RFC 2047-encoded by formataddr: a store
    name cannot add a header or a second address."""
    shown, address = parseaddr(sender)
    if "@" not in address:
        return sender  # EmailChannel refuses it with a configuration error
    name = "".join(ch for ch in store_name if ch.isprintable()).strip()
    if shown and name.casefold() in "".join(ch for ch in shown if ch.isprintable()).casefold():
        name = "".join(ch for ch in shown if ch.isprintable()).strip()
    return formataddr((name, address), charset="utf-8") if name else address


def email_message(
    sender: str,
    to: str,
    rendered: RenderedMessage,
    reply_to: str | None = None,
    attachments: list[EmailAttachment] | None = None,
) -> EmailMessage:
    """The email as it will be sent: From, To, Reply-To, subject, text and HTML. Refuses a sender that
    is not an address (configuration) and a malformed recipient or reply-to (permanent)."""
    if "@" not in sender or any(c in sender for c in "\r\n"):
        raise ConfigurationError("email sender must be an address (optionally 'Name <address>')")
    check_address(to)
    if reply_to:
        check_address(reply_to)
    return EmailMessage(
        sender=sender,
        to=to,
        reply_to=reply_to or None,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=attachments or [],
    )


class EmailChannel:
    """Sends one rendered email through SES `send_email`."""

    def __init__(self, ses_client: Any) -> None:
        self._ses = ses_client

    def send(self, message: EmailMessage) -> str:
        """Send HTML + text bodies exactly as rendered; returns the SES message id. With
        attachments: one raw MIME email (send_raw_email) carrying the same bodies and the files."""
        if message.attachments:
            return self._send_raw(message)
        request: dict[str, Any] = {
            "Source": message.sender,
            "Destination": {"ToAddresses": [message.to]},
            "Message": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {
                    "Html": {"Data": message.html, "Charset": "UTF-8"},
                    "Text": {"Data": message.text, "Charset": "UTF-8"},
                },
            },
        }
        if message.reply_to:
            request["ReplyToAddresses"] = [message.reply_to]
        try:
            answer = self._ses.send_email(**request)
        except (ClientError, BotoCoreError) as exc:
            # not chained: AWS messages can name addresses ("identities failed the check: ...")
            raise _send_error("SES send_email", exc) from None
        return str(answer["MessageId"])

    def _send_raw(self, message: EmailMessage) -> str:
        try:
            answer = self._ses.send_raw_email(
                Source=message.sender,
                Destinations=[message.to],
                RawMessage={"Data": mime_bytes(message)},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _send_error("SES send_raw_email", exc) from None
        return str(answer["MessageId"])


def _send_error(what: str, exc: ClientError | BotoCoreError) -> ExternalCallError | ConfigurationError:
    error = aws_error(what, exc)
    if isinstance(error, PermanentError) and str(error).endswith(("AccessDenied", "AccessDeniedException")):
        # the deployed role may send From its SendingDomains only (infra/templates.py)
        return ConfigurationError(
            f"{error}: this deployment may not send from the sender's domain (the stack's "
            "SendingDomains parameter, STOREFLOW_SENDING_DOMAINS with `chalice deploy`)"
        )
    return error


def mime_bytes(message: EmailMessage) -> bytes:
    """The email as one MIME message: text and HTML alternatives, then each attachment."""
    from email.message import EmailMessage as Mime
    from email.policy import SMTP

    mime = Mime(policy=SMTP)
    mime["From"] = message.sender
    mime["To"] = message.to
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.content.encode(), maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mime.as_bytes()
