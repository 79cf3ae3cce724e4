"""Each action is first rendered into the request or message it sends (`render`), then sent (`send`).

`render` calls nothing outside storeflow and needs no credentials: the action preview of the admin API
is `render` alone, so it shows exactly what the executor sends or changes (in dry-run: what going
live would send). `perform` = `send(render(...))`, live mode only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from storekit import actions as a
from storekit.errors import ConfigurationError, PermanentError
from storekit.messages import RenderedMessage, sms_text
from storekit.observability import traced
from storekit.outbound import (
    ApiCall,
    DueJob,
    EmailMessage,
    HubSpotSync,
    Outbound,
    PurchaseOrderFiling,
    SlackMessage,
    SmsMessage,
    WebhookPost,
)
from storekit.runtime import Runtime
from storekit.store import StoreConfig

_SHOPIFY_TYPES = {"order": "Order", "customer": "Customer", "product": "Product"}


def render(action: a.Action, store: StoreConfig, runtime: Runtime) -> Outbound:
    """What carrying out `action` sends or changes, exactly. Raises the typed error the send would
    (PermanentError for a bad recipient or template, ConfigurationError for a missing sender)."""
    match action:
        case a.SendEmail():
            return _email(action, store, runtime)
        case a.SendSms():
            # the message channels load Jinja2 and phonenumbers: only when a message is rendered
            from storekit.clients.sms import sms_message

            text = sms_text(store.display_name, action.text)  # every SMS names the store
            return sms_message(action.to, text, transactional=not action.marketing)
        case a.PostSlack():
            from storekit.clients.slack import slack_message

            return slack_message(action.text)
        case a.AddTags() if store.platform == "shopify":
            from storekit.clients.shopify import tags_add_call

            return tags_add_call(
                store.shop_domain, _SHOPIFY_TYPES[action.resource], action.resource_id, action.tags
            )
        case a.AddTags():
            from storekit.clients.woocommerce import tags_add_call as woo_tags_add_call

            return woo_tags_add_call(store.shop_domain, action.resource, action.resource_id, action.tags)
        case a.RemoveTags() if store.platform == "shopify":
            from storekit.clients.shopify import tags_remove_call

            return tags_remove_call(
                store.shop_domain, _SHOPIFY_TYPES[action.resource], action.resource_id, action.tags
            )
        case a.RemoveTags():
            from storekit.clients.woocommerce import tags_remove_call as woo_tags_remove_call

            return woo_tags_remove_call(store.shop_domain, action.resource, action.resource_id, action.tags)
        case a.SetProductVisibility() if store.platform == "shopify":
            from storekit.clients.shopify import publish_call

            return publish_call(store.shop_domain, action.product_id, action.visible, action.publication_id)
        case a.SetProductVisibility():
            from storekit.clients.woocommerce import catalog_visibility_call

            shown_as = action.woo_visibility if action.visible else "hidden"
            return catalog_visibility_call(store.shop_domain, action.product_id, shown_as)
        case a.PublishProduct() if store.platform == "shopify":
            from storekit.clients.shopify import publish_to_call

            return publish_to_call(store.shop_domain, action.product_id, action.publication_ids)
        case a.PublishProduct():
            from storekit.clients.woocommerce import publish_product_call

            return publish_product_call(store.shop_domain, action.product_id)
        case a.AddToCollection() if store.platform == "shopify":
            from storekit.clients.shopify import collection_add_call

            return collection_add_call(store.shop_domain, action.collection_id, action.product_id)
        case a.AddToCollection():
            from storekit.clients.woocommerce import categories_call

            return categories_call(
                store.shop_domain, action.product_id, action.categories, action.collection_id
            )
        case a.DraftPurchaseOrder():
            from storekit.outbound import PurchaseOrderFiling

            email = _email(action.email, store, runtime) if action.email is not None else None
            return PurchaseOrderFiling(
                number=action.number, document=action.document, variants=action.variants, email=email
            )
        case a.AddOrderNote() | a.HoldFulfillment() | a.CancelOrder():
            return _order_call(action, store)
        case a.RefundOrder() | a.IssueStoreCredit():
            return _money_call(action, store)
        case a.CreateDiscountCode() if store.platform == "shopify":
            from storekit.clients.shopify import discount_code_call
            from storekit.clock import iso

            ends = iso(action.ends_at) if action.ends_at else None
            return discount_code_call(
                store.shop_domain,
                action.code,
                action.title,
                action.value_type,
                action.value,
                iso(action.starts_at),
                ends,
                action.customer_id,
            )
        case a.CreateDiscountCode():
            from storekit.clients.woocommerce import coupon_call
            from storekit.clock import iso

            ends = iso(action.ends_at) if action.ends_at else None
            return coupon_call(
                store.shop_domain,
                action.code,
                action.title,
                action.value_type,
                action.value,
                ends,
                action.email,
            )
        case a.PostWebhook():
            from storekit.outbound import WebhookPost

            return WebhookPost(url=action.url, event=action.event, body=action.payload)
        case a.SyncToHubSpot():
            from storekit.clients.hubspot import hubspot_calls

            return hubspot_calls(action)
        case a.SetDiscountActive() if store.platform == "shopify":
            from storekit.clients.discounts import shopify_set_active

            return shopify_set_active(store.shop_domain, action.discount_id, action.active)
        case a.SetDiscountActive():
            from storekit.clients.discounts import woo_coupon_expiry
            from storekit.clock import iso

            return woo_coupon_expiry(store.shop_domain, action.discount_id, iso(action.expires_at))
        case a.ScheduleJob():
            from storekit.clock import iso

            return DueJob(job_kind=action.job_kind, due_at=iso(action.due_at), params=action.params)
    raise PermanentError(f"{action.kind} has no rendering")


def _order_call(action: a.AddOrderNote | a.HoldFulfillment | a.CancelOrder, store: StoreConfig) -> Outbound:
    """The order changes the fraud automations make (note, hold, cancel) on the store's platform."""
    if store.platform == "shopify":
        from storekit.clients import shopify

        match action:
            case a.AddOrderNote():
                return shopify.order_note_call(store.shop_domain, action.order_id, action.note)
            case a.HoldFulfillment():
                return shopify.hold_call(store.shop_domain, action.order_id, action.reason, action.notes)
        return shopify.cancel_call(
            store.shop_domain,
            action.order_id,
            action.reason,
            action.refund,
            action.restock,
            action.staff_note,
        )
    from storekit.clients import woocommerce

    match action:
        case a.AddOrderNote():
            return woocommerce.order_note_call(store.shop_domain, action.order_id, action.note)
        case a.HoldFulfillment():
            return woocommerce.order_status_call(store.shop_domain, action.order_id, "on-hold")
    # WooCommerce: a cancelled order ends "cancelled"; its money moves only by a refund action of
    # its own (refund_order, once per order and reason), never as a side effect of cancelling
    call = woocommerce.order_status_call(store.shop_domain, action.order_id, "cancelled")
    if action.refund:
        call = call.model_copy(update={"note": "the refund is a refund_order action of its own"})
    return call


def _money_call(action: a.RefundOrder | a.IssueStoreCredit, store: StoreConfig) -> Outbound:
    """The money movements of the refund rules: a refund, or store credit instead."""
    from storekit.clock import iso

    expires = iso(action.expires_at) if isinstance(action, a.IssueStoreCredit) and action.expires_at else None
    if store.platform == "shopify":
        from storekit.clients import shopify

        if isinstance(action, a.RefundOrder):
            return shopify.refund_call(
                store.shop_domain,
                action.order_id,
                action.amount,
                action.note,
                action.notify,
                action.idempotency_key,
            )
        if not action.customer_id:
            raise PermanentError("Shopify store credit needs the order's customer")
        return shopify.store_credit_call(
            store.shop_domain, action.customer_id, action.amount, action.currency, expires
        )
    from storekit.clients import woocommerce

    if isinstance(action, a.RefundOrder):
        return woocommerce.refund_call(store.shop_domain, action.order_id, str(action.amount), action.note)
    if not action.email:
        raise PermanentError("WooCommerce store credit (a coupon) needs the customer's email")
    return woocommerce.store_credit_coupon_call(
        store.shop_domain, action.code, action.amount, action.email, action.note, expires
    )


def _email(action: a.SendEmail, store: StoreConfig, runtime: Runtime) -> EmailMessage:
    from storekit.clients.email import email_message, sender_named
    from storekit.clients.templates import render_message
    from storekit.outbound import EmailAttachment

    sender = action.sender or runtime.settings.email_sender
    if not sender:
        raise ConfigurationError("no email sender configured (store setting or STOREFLOW_EMAIL_SENDER)")
    _check_sending_domain(sender, runtime)
    context = {"store_name": store.display_name, **action.context}
    link = _unsubscribe_url(action, store, runtime)
    if link is not None:
        context["unsubscribe_url"] = link
    if action.tracking is not None:
        context |= _tracked_links(action.tracking, context, store, runtime)
    rendered = render_message(action.template_override, action.template, context)
    if link is not None:
        rendered = with_unsubscribe(rendered, link)
    if action.tracking is not None:
        rendered = with_open_pixel(rendered, _tracking_url("o", action.tracking, store, runtime))
    files = [EmailAttachment(**f.model_dump()) for f in action.attachments]
    return email_message(
        sender_named(store.display_name, sender), action.to, rendered, action.reply_to, files
    )


def _check_sending_domain(sender: str, runtime: Runtime) -> None:
    """A sender outside the deployment's sending domains fails here, with the fix, rather than as an
    AccessDenied from SES (the role may only send From those domains: infra/templates.py)."""
    from email.utils import parseaddr

    allowed = runtime.settings.sending_domain_list()
    if allowed is None:
        return
    domain = parseaddr(sender)[1].rpartition("@")[2].lower()
    if domain not in allowed:
        raise ConfigurationError(
            f"the email sender's domain {domain or '(none)'} is not one this deployment may send from "
            f"({', '.join(allowed)}): add it to the stack's SendingDomains parameter "
            "(STOREFLOW_SENDING_DOMAINS with `chalice deploy`) and deploy again, or use a sender "
            "of those domains"
        )


def _unsubscribe_url(action: a.SendEmail, store: StoreConfig, runtime: Runtime) -> str | None:
    if action.unsubscribe is None:
        return None
    from storekit.links import LinkClaims

    claims = LinkClaims(
        purpose="u", store_id=store.store_id, kind=action.unsubscribe.kind, data=action.unsubscribe.data
    )
    return runtime.link_url(claims)


def _tracking_url(
    purpose: str, tracking: a.TrackedLinks, store: StoreConfig, runtime: Runtime, target: str | None = None
) -> str:
    from storekit.links import LinkClaims

    data = dict(tracking.data)
    if target is not None:
        data["u"] = target
    claims = LinkClaims(purpose=purpose, store_id=store.store_id, kind=tracking.kind, data=data)
    return runtime.link_url(claims)


def _tracked_links(
    tracking: a.TrackedLinks, context: dict[str, Any], store: StoreConfig, runtime: Runtime
) -> dict[str, str]:
    """The context's http(s) URLs named in `tracking.links`, as signed click redirects."""
    out: dict[str, str] = {}
    for name in tracking.links:
        value = context.get(name)
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            out[name] = _tracking_url("c", tracking, store, runtime, value)
    return out


def with_open_pixel(rendered: RenderedMessage, pixel: str) -> RenderedMessage:
    """A 1x1 image at the end of the HTML: loading it counts an open."""
    from html import escape

    image = f'<img src="{escape(pixel)}" width="1" height="1" alt="" style="display:block">'
    return rendered.model_copy(update={"html": f"{rendered.html}\n{image}"})


def with_unsubscribe(rendered: RenderedMessage, link: str) -> RenderedMessage:
    """Every message with an unsubscribe carries its link: a store template that leaves out
    `{{ unsubscribe_url }}` gets it added at the end of the text and the HTML."""
    from html import escape

    text, html = rendered.text, rendered.html
    if link not in text:
        text = f"{text.rstrip()}\n\nUnsubscribe: {link}\n"
    if escape(link) not in html and link not in html:
        html = f'{html}\n<p style="font-size:12px"><a href="{escape(link)}">Unsubscribe</a></p>'
    return rendered.model_copy(update={"text": text, "html": html})


@traced
def perform(action: a.Action, store: StoreConfig, runtime: Runtime) -> str | None:
    """Carry out one action (live): render it, then send exactly that. Returns a short result (an
    id, the tags now saved) or None. Raises typed errors."""
    return send(render(action, store, runtime), store, runtime)


def send(request: Outbound, store: StoreConfig, runtime: Runtime) -> str | None:
    match request:
        case EmailMessage():
            from storekit.clients.email import EmailChannel

            return EmailChannel(runtime.client("ses")).send(request)
        case SmsMessage():
            from storekit.clients.sms import SmsChannel

            return SmsChannel(runtime.client("sns")).send(request)
        case SlackMessage():
            from storekit.clients.slack import SlackChannel

            secrets = runtime.store_secrets(store.store_id)
            if secrets.slack_webhook_url is None:
                raise ConfigurationError("store has no Slack webhook URL saved")
            SlackChannel(runtime.http).post(secrets.slack_webhook_url.get_secret_value(), request)
            return None
        case ApiCall(platform="shopify"):
            _shopify(store, runtime).send(request)
            return None
        case ApiCall():
            return _woocommerce(store, runtime).send(request)
        case PurchaseOrderFiling():
            return _file_purchase_order(request, store, runtime)
        case WebhookPost():
            from storekit.clients.webhook import WebhookChannel

            secret = runtime.store_secrets(store.store_id).outbound_webhook_secret
            if secret is None:
                raise ConfigurationError("store has no outbound_webhook_secret saved (PUT /stores/{id})")
            return WebhookChannel(runtime.http).post(request, secret.get_secret_value())
        case HubSpotSync():
            from storekit.clients.hubspot import HubSpotChannel

            token = runtime.store_secrets(store.store_id).hubspot_access_token
            if token is None:
                raise ConfigurationError("store has no hubspot_access_token saved (PUT /stores/{id})")
            return HubSpotChannel(token.get_secret_value()).send(request)
        case DueJob():
            raise PermanentError("a due job is filed by the executor, not sent")
    raise PermanentError(f"{type(request).__name__} cannot be sent")


def _file_purchase_order(request: PurchaseOrderFiling, store: StoreConfig, runtime: Runtime) -> str:
    """File the PO (once: a retry finds it filed and goes on to the email); a variant with another
    open PO refuses it (PermanentError, nothing filed or sent)."""
    from storekit.clock import iso

    status = "ordered" if request.email is not None else "awaiting_approval"
    now = iso(runtime.clock.now())
    item = {
        "number": request.number,
        "status": status,
        "created_at": now,
        "updated_at": now,
        "mode": store.mode,
        "document": json.dumps(request.document, default=str),
        "variants": json.dumps(request.variants),
    }
    filed = runtime.repo.file_purchase_order(store.store_id, item, request.variants)
    if filed == "conflict":
        raise PermanentError(f"not filed: a variant of {request.number} already has an open purchase order")
    if request.email is None:
        return f"{request.number} {filed}: awaiting approval"
    message_id = send(request.email, store, runtime)
    return f"{request.number} {filed} and emailed: {message_id}"


def store_api(store: StoreConfig, runtime: Runtime) -> Any:
    """A function that sends one rendered ApiCall to the store and returns its answer (Shopify:
    `data`; WooCommerce: the JSON): what the sale runner's bulk price calls go through."""
    if store.platform == "shopify":
        return _shopify(store, runtime).send
    return _woocommerce(store, runtime).fetch


def _shopify(store: StoreConfig, runtime: Runtime) -> Any:
    from storekit.clients.shopify import ShopifyClient

    secrets = runtime.store_secrets(store.store_id)
    if secrets.access_token is None:
        raise ConfigurationError("store has no Shopify access token saved")
    return ShopifyClient(store.shop_domain, secrets.access_token.get_secret_value(), runtime.http)


def _woocommerce(store: StoreConfig, runtime: Runtime) -> Any:
    from storekit.clients.woocommerce import WooClient

    secrets = runtime.store_secrets(store.store_id)
    if secrets.consumer_key is None or secrets.consumer_secret is None:
        raise ConfigurationError("store has no WooCommerce API keys saved")
    return WooClient(
        store.shop_domain,
        secrets.consumer_key.get_secret_value(),
        secrets.consumer_secret.get_secret_value(),
        runtime.http,
    )


def preview(record_action: dict[str, Any], store: StoreConfig, runtime: Runtime) -> dict[str, Any] | str:
    """The stored action's preview: what `perform` would send or change, rendered by the same code.
    "redacted" after a customers/redact; {"error": ...} when going live would fail before sending."""
    from storekit.outbound import shown

    if record_action.get("redacted"):
        return "redacted"
    try:
        action = a.action_from_json(record_action)
    except ValidationError:
        kind = str(record_action.get("kind", "action"))
        return {"kind": kind, "error": f"{kind} is not an action kind this version of storeflow carries out"}
    try:
        request = render(action, store, runtime)
    except (PermanentError, ConfigurationError) as exc:
        return {"kind": action.kind, "error": f"going live would fail: {exc}"}
    out: dict[str, Any] = {"kind": action.kind, **shown(request)}
    if action.not_before is not None:
        out["not_before"] = action.not_before.isoformat()
    return out
