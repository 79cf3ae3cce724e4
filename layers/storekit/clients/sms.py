"""SMS through SNS: rendered into an SmsMessage (number normalised to E.164 with phonenumbers), then sent."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from botocore.exceptions import BotoCoreError, ClientError

from storekit.clients.email import aws_error
from storekit.errors import ConfigurationError, PermanentError
from storekit.outbound import SmsMessage

_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")


def normalize_phone(raw: str, default_region: str = "US") -> str:
    """'(415) 555-0132' -> '+14155550132'. Not a valid number -> PermanentError (no digits in it)."""
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except phonenumbers.NumberParseException:
        raise PermanentError("not a phone number") from None  # not chained: keep the number out of logs
    if not phonenumbers.is_valid_number(number):
        raise PermanentError("not a valid phone number for its region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sms_message(
    phone: str,
    text: str,
    default_region: str = "US",
    transactional: bool = True,
) -> SmsMessage:
    """The SMS as it will be sent: the number in E.164, the text, and the SNS SMS type."""
    number = normalize_phone(phone, default_region)
    if not text.strip():
        raise PermanentError("SNS publish: the message text is empty")
    return SmsMessage(to=number, text=text, sms_type="Transactional" if transactional else "Promotional")


class SmsChannel:
    """Sends one SMS through SNS `publish` to a phone number."""

    def __init__(self, sns_client: Any) -> None:
        self._sns = sns_client

    def send(self, message: SmsMessage, sender_id: str | None = None) -> str:
        """Publish the rendered SMS; returns the SNS message id."""
        attributes = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": message.sms_type},
        }
        if sender_id:
            if not _SENDER_ID.match(sender_id):
                raise ConfigurationError("SMS sender id is 1-11 letters and digits with at least one letter")
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        try:
            answer = self._sns.publish(
                PhoneNumber=message.to, Message=message.text, MessageAttributes=attributes
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws_error("SNS publish", exc) from None  # not chained: AWS messages can echo the number
        return str(answer["MessageId"])
