"""Message models shared by automations (which choose them) and channels (which render them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: the longest SMS text storeflow sends, in UTF-8 bytes (SNS's limit for one publish; longer texts
#: are cut, so it also bounds the characters)
SMS_MAX_BYTES = 1600


def sms_text(store_name: str, text: str) -> str:
    """The text as sent: prefixed with the store's name unless it already names the store, and cut
    to SNS's limit of 1600 bytes (on a word boundary when one is near, ending in an ellipsis)."""
    text = text.strip()
    if store_name.casefold() not in text.casefold():
        text = f"{store_name}: {text}" if text else store_name
    if len(text.encode()) <= SMS_MAX_BYTES:
        return text
    ellipsis = "\u2026"
    cut = text.encode()[: SMS_MAX_BYTES - len(ellipsis.encode())].decode(errors="ignore")
    space = cut.rfind(" ")
    if space > len(cut) - 80:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


class MessageTemplate(BaseModel):
    """A store's own template (Jinja2 strings), used instead of the default of the same name."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    subject: str = Field(min_length=1, max_length=500)
    html: str = Field(min_length=1, max_length=100_000)
    text: str = Field(min_length=1, max_length=20_000)


class RenderedMessage(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    subject: str
    html: str
    text: str
