"""Message models shared by automations (which choose them) and channels (which render them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
