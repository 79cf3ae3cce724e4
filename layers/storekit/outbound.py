"""What the executor sends or changes, rendered before it is sent.

Every action kind is first rendered into one of these (functions/engine/perform.py `render`), then
the channel or platform client sends exactly that. The action preview of the admin API is the same
render without the send, so a dry-run shows what going live would send.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True, populate_by_name=True)


class EmailAttachment(_Request):
    filename: str
    content_type: str
    content: str


class EmailMessage(_Request):
    channel: Literal["email"] = "email"
    sender: str = Field(alias="from")
    to: str
    reply_to: str | None = None
    subject: str
    text: str
    html: str
    #: sent as a raw MIME email (SES send_raw_email) when there are any
    attachments: list[EmailAttachment] = Field(default_factory=list)


class SmsMessage(_Request):
    channel: Literal["sms"] = "sms"
    #: E.164 (+14155550132)
    to: str
    text: str
    sms_type: Literal["Transactional", "Promotional"]


class SlackMessage(_Request):
    """The JSON posted to the store's Slack incoming webhook (whose URL is a secret, never shown)."""

    channel: Literal["slack"] = "slack"
    payload: dict[str, Any]


class ApiCall(_Request):
    """One call to the store's API: Shopify Admin GraphQL (body = query + variables) or WooCommerce
    REST (body = the JSON sent)."""

    channel: Literal["api"] = "api"
    platform: Literal["shopify", "woocommerce"]
    #: what the call does, e.g. "tagsAdd" or "update order"
    operation: str
    method: Literal["GET", "POST", "PUT", "DELETE"]
    url: str
    path: str
    body: dict[str, Any] | None = None
    #: a read made first whose answer shapes the body (WooCommerce tags: the tags already saved)
    reads_first: str | None = None
    note: str | None = None


class PurchaseOrderFiling(_Request):
    """A purchase order storeflow files in its own table (each variant's one open PO marked), then,
    when the store sends at once, `email` to the supplier."""

    channel: Literal["purchase_order"] = "purchase_order"
    number: str
    document: dict[str, Any]
    variants: dict[str, dict[str, int]]
    email: EmailMessage | None = None


class DueJob(_Request):
    """A due job storeflow files for itself (nothing leaves storeflow; carried out in dry-run too)."""

    channel: Literal["storeflow"] = "storeflow"
    job_kind: str
    due_at: str
    params: dict[str, Any] = Field(default_factory=dict)


class WebhookPost(_Request):
    """A signed POST to the store's outbound webhook: `body` is sent as compact JSON with headers
    X-Storeflow-Event and X-Storeflow-Signature (base64 HMAC-SHA256 of the body with the store's
    outbound webhook secret, added when sent: the secret is never shown)."""

    channel: Literal["webhook"] = "webhook"
    url: str
    event: str
    body: dict[str, Any]


class HubSpotCall(_Request):
    """One HubSpot API call as the official client sends it. `{contact}` and `{deal}` in a path stand
    for the record ids HubSpot answers the earlier upserts with."""

    operation: str
    method: Literal["POST", "PUT"]
    path: str
    body: dict[str, Any] | None = None


class HubSpotSync(_Request):
    """The HubSpot calls one push makes, in order (the access token is added when sent, never shown)."""

    channel: Literal["hubspot"] = "hubspot"
    base_url: str = "https://api.hubapi.com"
    calls: list[HubSpotCall]


Outbound = Annotated[
    EmailMessage
    | SmsMessage
    | SlackMessage
    | ApiCall
    | PurchaseOrderFiling
    | DueJob
    | WebhookPost
    | HubSpotSync,
    Field(discriminator="channel"),
]


def shown(request: Outbound) -> dict[str, Any]:
    """The request as the admin API shows it (`from` for the email sender)."""
    return request.model_dump(mode="json", by_alias=True)
