"""SMS through SNS, numbers normalised to E.164 with phonenumbers."""

from __future__ import annotations

from typing import Any

import phonenumbers
from botocore.exceptions import BotoCoreError, ClientError

from storekit.clients.email import aws_error
from storekit.errors import PermanentError


def normalize_phone(raw: str, default_region: str = "US") -> str:
    """'(415) 555-0123' -> '+14155550123'; anything not a valid number -> PermanentError."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise PermanentError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PermanentError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsChannel:
    def __init__(self, sns_client: Any) -> None:
        self._sns = sns_client

    def send(
        self,
        phone: str,
        text: str,
        default_region: str = "US",
        sender_id: str | None = None,
        transactional: bool = True,
    ) -> str:
        number = normalize_phone(phone, default_region)
        attributes = {
            "AWS.SNS.SMS.SMSType": {
                "DataType": "String",
                "StringValue": "Transactional" if transactional else "Promotional",
            },
        }
        if sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        try:
            return str(
                self._sns.publish(PhoneNumber=number, Message=text, MessageAttributes=attributes)["MessageId"]
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error("SNS publish", exc) from None
