"""One function per action kind and platform: turn an Action into client calls (live mode only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storekit import actions as a
from storekit.errors import ConfigurationError, PermanentError
from storekit.observability import traced
from storekit.runtime import Runtime
from storekit.store import StoreConfig, StoreSecrets

if TYPE_CHECKING:
    from storekit.clients import ShopifyClient, WooClient

#: WooCommerce has no order/customer tags: storeflow keeps them in this meta key (comma-separated)
WOO_TAGS_META = "_storeflow_tags"


def shopify_client(store: StoreConfig, secrets: StoreSecrets, runtime: Runtime) -> ShopifyClient:
    from storekit.clients import ShopifyClient

    if secrets.access_token is None:
        raise ConfigurationError("store has no Shopify access token saved")
    return ShopifyClient(store.shop_domain, secrets.access_token.get_secret_value(), runtime.http)


def woo_client(store: StoreConfig, secrets: StoreSecrets, runtime: Runtime) -> WooClient:
    from storekit.clients import WooClient

    if secrets.consumer_key is None or secrets.consumer_secret is None:
        raise ConfigurationError("store has no WooCommerce API keys saved")
    return WooClient(
        store.shop_domain,
        secrets.consumer_key.get_secret_value(),
        secrets.consumer_secret.get_secret_value(),
        runtime.http,
    )


@traced
def perform(action: a.Action, store: StoreConfig, runtime: Runtime, action_id: str) -> str | None:
    """Carry out one action; returns a short result (an id) or None. Raises typed errors."""
    secrets = runtime.store_secrets(store.store_id)
    if isinstance(action, a.SendEmail | a.SendSms | a.PostSlack | a.SendWebhook):
        return _send_message(action, store, secrets, runtime, action_id)
    if store.platform == "shopify":
        return _shopify(action, shopify_client(store, secrets, runtime), store.currency)
    return _woocommerce(action, woo_client(store, secrets, runtime))


_SHOPIFY_TYPES = {"order": "Order", "customer": "Customer", "product": "Product"}


def _shopify(action: a.Action, client: ShopifyClient, currency: str) -> str | None:
    match action:
        case a.AddTags():
            client.add_tags(_SHOPIFY_TYPES[action.resource], action.resource_id, action.tags)
        case a.RemoveTags():
            client.remove_tags(_SHOPIFY_TYPES[action.resource], action.resource_id, action.tags)
        case a.AddOrderNote():
            client.set_order_note(action.order_id, action.note)
        case a.HoldFulfillment():
            client.hold_fulfillment(action.order_id, action.reason, action.reason)
        case a.ReleaseFulfillment():
            client.release_fulfillment(action.order_id)
        case a.CancelOrder():
            client.cancel_order(
                action.order_id, action.reason, action.refund, action.restock, action.notify_customer
            )
        case a.RefundOrder():
            client.refund_order(action.order_id, action.amount, action.note, action.notify_customer)
        case a.SetProductStatus():
            client.set_product_status(action.product_id, action.status.upper())
        case a.SetVariantPrice():
            client.set_variant_price(
                action.product_id, action.variant_id, action.price, action.compare_at_price
            )
        case a.CreateDiscountCode():
            return str(
                client.create_discount_code(
                    title=action.title,
                    code=action.code,
                    percentage=action.percentage,
                    amount=action.amount,
                    currency_code=currency,
                    starts_at=action.starts_at,
                    ends_at=action.ends_at,
                    usage_limit=action.usage_limit,
                    once_per_customer=action.once_per_customer,
                )
            )
        case _:
            raise PermanentError(f"{action.kind} is not supported for Shopify stores")
    return None


_WOO_STATUS = {"active": "publish", "draft": "draft", "archived": "private"}


def _woocommerce(action: a.Action, client: WooClient) -> str | None:
    match action:
        case a.AddTags(resource="order" | "customer"):
            return client.change_tags_meta(
                action.resource, action.resource_id, WOO_TAGS_META, add=action.tags
            )
        case a.RemoveTags(resource="order" | "customer"):
            return client.change_tags_meta(
                action.resource, action.resource_id, WOO_TAGS_META, remove=action.tags
            )
        case a.AddOrderNote():
            client.add_order_note(action.order_id, action.note)
        case a.CancelOrder():
            client.set_order_status(action.order_id, "cancelled")
        case a.SetProductStatus():
            client.set_product_status(action.product_id, _WOO_STATUS[action.status])
        case a.SetStock():
            client.set_stock(action.product_id, action.quantity, variation_id=action.variant_id)
        case a.SetVariantPrice():
            client.set_prices(action.product_id, action.price, None, variation_id=action.variant_id)
        case a.CreateDiscountCode():
            discount_type = "percent" if action.percentage is not None else "fixed_cart"
            amount = action.percentage if action.percentage is not None else action.amount
            assert amount is not None
            return str(
                client.create_coupon(
                    action.code, discount_type, amount, action.ends_at, action.usage_limit, True
                )
            )
        case _:
            raise PermanentError(f"{action.kind} is not supported for WooCommerce stores")
    return None


def _send_message(
    action: Any, store: StoreConfig, secrets: StoreSecrets, runtime: Runtime, action_id: str
) -> str | None:
    # the message channels load Jinja2 and phonenumbers: only when a message is really sent
    from storekit.clients import EmailChannel, SlackChannel, SmsChannel, WebhookChannel, render_message
    from storekit.clients.email import sender_named
    from storekit.messages import sms_text

    match action:
        case a.SendEmail():
            sender = action.sender or runtime.settings.email_sender
            if not sender:
                raise ConfigurationError(
                    "no email sender configured (store setting or STOREFLOW_EMAIL_SENDER)"
                )
            context = {"store_name": store.display_name, **action.context}
            rendered = render_message(action.template_override, action.template, context)
            channel = EmailChannel(runtime.client("ses"), sender_named(store.display_name, sender))
            return str(channel.send(action.to, rendered, reply_to=action.reply_to))
        case a.SendSms():
            text = sms_text(store.display_name, action.text)  # every SMS names the store
            sms = SmsChannel(runtime.client("sns"))
            return str(sms.send(action.to, text, transactional=not action.marketing))
        case a.PostSlack():
            if secrets.slack_webhook_url is None:
                raise ConfigurationError("store has no Slack webhook URL saved")
            SlackChannel(runtime.http).post(secrets.slack_webhook_url.get_secret_value(), action.text)
            return None
        case a.SendWebhook():
            if secrets.outbound_webhook_secret is None:
                raise ConfigurationError("store has no outbound webhook secret saved")
            WebhookChannel(runtime.http, runtime.clock).post(
                action.url,
                action.payload,
                secrets.outbound_webhook_secret.get_secret_value(),
                event_id=action_id,
            )
            return None
    raise PermanentError(f"{action.kind} is not a message action")
