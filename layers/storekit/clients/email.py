"""Email through SES (HTML + text bodies)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from storekit.errors import ExternalCallError, PermanentError, Throttled, TransientError
from storekit.messages import RenderedMessage

_THROTTLING = {"Throttling", "ThrottlingException", "TooManyRequestsException", "MaxSendingRateExceeded"}
_PERMANENT = {
    "MessageRejected",
    "InvalidParameterValue",
    "MailFromDomainNotVerified",
    "AccessDenied",
    "AccessDeniedException",
    "ValidationError",
    "AccountSendingPausedException",
}


def aws_error(what: str, exc: ClientError | BotoCoreError) -> ExternalCallError:
    """One mapping of AWS faults to retry decisions (used by every AWS channel)."""
    if isinstance(exc, BotoCoreError):
        return TransientError(f"{what}: {type(exc).__name__}")
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in _THROTTLING:
        return Throttled(f"{what}: {code}", None)
    if code in _PERMANENT or (400 <= status < 500 and status != 429):
        return PermanentError(f"{what}: {code}")
    return TransientError(f"{what}: {code or status}")


def check_address(address: str) -> None:
    if (
        address.count("@") != 1
        or any(c in address for c in "\r\n")
        or address.startswith("@")
        or address.endswith("@")
    ):
        raise PermanentError("not a valid email address")


class EmailChannel:
    def __init__(self, ses_client: Any, sender: str) -> None:
        self._ses = ses_client
        self._sender = sender

    def send(
        self,
        to: str,
        rendered: RenderedMessage,
        reply_to: str | None = None,
        configuration_set: str | None = None,
    ) -> str:
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
            return str(self._ses.send_email(**request)["MessageId"])
        except (ClientError, BotoCoreError) as exc:
            raise aws_error("SES send_email", exc) from None
