"""Outbound clients. Only the executor (functions/engine/perform.py) uses them. Each action is first
rendered into a storekit.outbound request (the `*_message` / `*_call` functions), then a channel or
platform client (taking an injected requests.Session or boto3 client) sends exactly that and raises
typed errors (storekit.errors) on failure."""

from storekit.clients.email import EmailChannel, email_message, sender_named
from storekit.clients.shopify import ShopifyClient
from storekit.clients.slack import SlackChannel, slack_message
from storekit.clients.sms import SmsChannel, normalize_phone, sms_message
from storekit.clients.templates import render_message
from storekit.clients.woocommerce import WooClient
from storekit.messages import MessageTemplate, RenderedMessage

__all__ = [
    "EmailChannel",
    "MessageTemplate",
    "RenderedMessage",
    "ShopifyClient",
    "SlackChannel",
    "SmsChannel",
    "WooClient",
    "email_message",
    "normalize_phone",
    "render_message",
    "sender_named",
    "slack_message",
    "sms_message",
]
