"""Email through SES (HTML + text bodies), and the one mapping of AWS faults to retry decisions."""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)

from storekit.errors import ConfigurationError, ExternalCallError, PermanentError, Throttled, TransientError
from storekit.messages import RenderedMessage

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
    missing credentials or region -> ConfigurationError. The message holds the AWS error code only."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | NoRegionError):
        return ConfigurationError(f"{what}: {type(exc).__name__}")
    if isinstance(exc, ParamValidationError):
        return PermanentError(f"{what}: request failed validation")
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


class EmailChannel:
    """Sends one rendered message to one recipient through SES `send_email`."""

    def __init__(self, ses_client: Any, sender: str) -> None:
        if "@" not in sender or any(c in sender for c in "\r\n"):
            raise ConfigurationError("email sender must be an address (optionally 'Name <address>')")
        self._ses = ses_client
        self._sender = sender

    def send(
        self,
        to: str,
        rendered: RenderedMessage,
        reply_to: str | None = None,
        configuration_set: str | None = None,
    ) -> str:
        """Send HTML + text bodies; returns the SES message id."""
        check_address(to)
        request: dict[str, Any] = {
            "Source": self._sender,
            "Destination": {"ToAddresses": [to]},
            "Message": {
                "Subject": {"Data": rendered.subject, "Charset": "UTF-8"},
                "Body": {
                    "Html": {"Data": rendered.html, "Charset": "UTF-8"},
                    "Text": {"Data": rendered.text, "Charset": "UTF-8"},
                },
            },
        }
        if reply_to:
            check_address(reply_to)
            request["ReplyToAddresses"] = [reply_to]
        if configuration_set:
            request["ConfigurationSetName"] = configuration_set
        try:
            answer = self._ses.send_email(**request)
        except (ClientError, BotoCoreError) as exc:
            # not chained: AWS messages can name addresses ("identities failed the check: ...")
            raise aws_error("SES send_email", exc) from None
        return str(answer["MessageId"])
