"""Outbound clients. Only the executor (functions/engine/perform.py) uses them; each takes an injected
requests.Session or boto3 client and raises typed errors (storekit.errors) on failure."""

from storekit.clients.email import EmailChannel
from storekit.clients.shopify import ShopifyClient
from storekit.clients.slack import SlackChannel
from storekit.clients.sms import SmsChannel, normalize_phone
from storekit.clients.templates import render_message
from storekit.clients.webhook import WebhookChannel, verify_signature
from storekit.clients.woocommerce import WooClient
from storekit.messages import MessageTemplate, RenderedMessage

__all__ = [
    "EmailChannel",
    "MessageTemplate",
    "RenderedMessage",
    "ShopifyClient",
    "SlackChannel",
    "SmsChannel",
    "WebhookChannel",
    "WooClient",
    "normalize_phone",
    "render_message",
    "verify_signature",
]
