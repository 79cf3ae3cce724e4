"""Webhook ingest: verify -> adapter -> canonical event -> ONE conditional write -> answer.

A verified delivery is never refused for an internal fault: if the table write fails it goes to
the fallback queue (drained later by `drain_fallback`) and the store still gets its 200.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from functions.answers import json_of
from functions.engine.privacy import PRIVACY_TOPICS, SHOP_NAMING_TOPICS, shop_named_in
from storekit import keys
from storekit.adapters import Parsed, canonical_topic, parse_delivery
from storekit.clock import iso
from storekit.errors import BadRequest, Forbidden, MalformedPayload, PayloadTooLarge, UnknownStore, shown
from storekit.observability import logger
from storekit.payload_store import MAX_INLINE_BYTES, archive_key, compress
from storekit.runtime import Runtime
from storekit.shops import ShopDirectory
from storekit.signatures import is_woocommerce_ping, verify
from storekit.store import StoreConfig, is_store_id, shop_identity


@dataclass(frozen=True)
class PlatformHeaders:
    signature: str
    topic: str
    delivery_id: str
    api_version: str
    test: str


HEADERS = {
    "shopify": PlatformHeaders(
        "x-shopify-hmac-sha256",
        "x-shopify-topic",
        "x-shopify-webhook-id",
        "x-shopify-api-version",
        "x-shopify-test",
    ),
    "woocommerce": PlatformHeaders(
        "x-wc-webhook-signature",
        "x-wc-webhook-topic",
        "x-wc-webhook-delivery-id",
        "x-wc-webhook-resource",
        "x-wc-webhook-test",
    ),
}


class Delivery(BaseModel):
    """A webhook request as received: what the fallback queue carries."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    platform: str
    store_id: str
    headers: dict[str, str]
    body: bytes
    received_at: str

    def to_message(self) -> str:
        data = self.model_dump()
        data["body"] = base64.b64encode(self.body).decode()
        return json.dumps(data)

    @classmethod
    def from_message(cls, text: str) -> Delivery:
        data = json.loads(text)
        data["body"] = base64.b64decode(data["body"])
        return cls.model_validate(data)


@dataclass(frozen=True)
class Outcome:
    """What to answer: 200 with this body."""

    body: dict[str, Any]


def ingest(delivery: Delivery, runtime: Runtime, *, allow_fallback: bool = True) -> Outcome:
    """Answer one webhook delivery; raises typed errors for 4xx answers.

    After the signature is verified, an internal fault (table or S3 unavailable) sends the
    delivery to the fallback queue and still answers 200, unless `allow_fallback` is False
    (the drainer itself), where the fault propagates so the queue keeps the message.
    """
    names = HEADERS.get(delivery.platform)
    if names is None:
        raise UnknownStore(f"unknown platform {shown(delivery.platform)}")
    if not is_store_id(delivery.store_id):
        raise UnknownStore(f"no {delivery.platform} store {shown(delivery.store_id)}")
    if len(delivery.body) > runtime.settings.max_body_bytes:
        raise PayloadTooLarge("webhook body is over 5 MiB")
    headers = delivery.headers
    try:
        store = runtime.store(delivery.store_id)
    except Exception:
        if not allow_fallback:
            raise
        # the table is unreachable: the store's secret still proves the delivery is genuine
        logger.exception("store config unavailable", extra={"store_id": delivery.store_id})
        if delivery.platform == "woocommerce" and is_woocommerce_ping(delivery.body, headers):
            return Outcome({"ok": True, "ping": True})  # nothing to keep; a refusal fails its creation
        secrets = runtime.store_secrets(delivery.store_id).webhook_secrets
        verify(delivery.body, headers.get(names.signature), (s.get_secret_value() for s in secrets))
        send_to_fallback(delivery, runtime)
        return Outcome({"ok": True, "queued": True})
    if store is None or store.platform != delivery.platform:
        raise UnknownStore(f"no {delivery.platform} store {shown(delivery.store_id)}")
    if delivery.platform == "woocommerce" and is_woocommerce_ping(delivery.body, headers):
        return Outcome({"ok": True, "ping": True})

    secrets = runtime.store_secrets(delivery.store_id).webhook_secrets
    verify(delivery.body, headers.get(names.signature), (s.get_secret_value() for s in secrets))

    platform_topic = headers.get(names.topic, "").strip()
    delivery_id = headers.get(names.delivery_id, "").strip()
    if not platform_topic:
        raise BadRequest(f"missing {names.topic} header")
    if not delivery_id or len(delivery_id) > 200:
        raise BadRequest(f"missing or oversized {names.delivery_id} header")
    topic = canonical_topic(delivery.platform, platform_topic)
    if topic not in PRIVACY_TOPICS:
        check_shop(store, headers)
    if topic is None or (topic not in PRIVACY_TOPICS and not runtime.registry.uses_topic(store, topic)):
        return Outcome({"ignored": platform_topic})

    parsed = parse_delivery(delivery.platform, topic, json_of(delivery.body, MalformedPayload))
    if topic in PRIVACY_TOPICS:
        check_shop(store, headers, parsed)
    try:
        item = event_item(delivery, platform_topic, delivery_id, parsed, runtime)
        recorded = runtime.repo.record_event(item)
    except Exception:
        if not allow_fallback:
            raise
        logger.exception("event write failed", extra={"store_id": delivery.store_id})
        send_to_fallback(delivery, runtime)
        return Outcome({"ok": True, "queued": True})
    if not recorded:
        return Outcome({"ok": True, "duplicate": True})
    return Outcome({"ok": True})


def check_shop(store: StoreConfig, headers: dict[str, str], parsed: Parsed | None = None) -> None:
    """Refuse (403) a delivery that is not for the store's own shop.

    Stores may share a webhook secret (every shop of a Shopify app signs with the app's client
    secret), so a valid signature alone does not say whose delivery it is. Shopify: the shop the
    signed body names (`shop_domain`, `myshopify_domain`: the privacy topics carry one), else
    X-Shopify-Shop-Domain, which Shopify always sends; never a storefront URL of the payload, whose
    host may be a custom domain. A privacy topic that deletes or hands out data must name its shop
    in the signed body. WooCommerce: X-WC-Webhook-Source, the site's base URL."""
    if store.platform == "woocommerce":
        if not store.is_shop(headers.get("x-wc-webhook-source")):
            raise Forbidden("X-WC-Webhook-Source is not this store's base URL (its shop_domain)")
        return
    signed = shop_named_in(parsed.resource) if parsed is not None else None
    if parsed is not None and signed is None and parsed.topic in SHOP_NAMING_TOPICS:
        raise MalformedPayload(f"a {parsed.topic} delivery must name its shop_domain")
    if not store.is_shop(signed or headers.get("x-shopify-shop-domain")):
        logger.warning("delivery for another shop refused", extra={"store_id": store.store_id})
        raise Forbidden("this delivery is for another shop than this store's shop_domain")


def store_for_app_delivery(headers: dict[str, str], body: bytes, runtime: Runtime) -> str:
    """The store a delivery to the app-wide URL (POST /webhooks/shopify) belongs to: the store whose
    shop_domain is the shop the body names. Only the privacy topics come here (Shopify sends them
    for every shop of an app to one URL). The signature is checked afterwards, with that store's
    secret, by `ingest` (which checks the shop again)."""
    if len(body) > runtime.settings.max_body_bytes:
        raise PayloadTooLarge("webhook body is over 5 MiB")
    platform_topic = headers.get(HEADERS["shopify"].topic, "").strip()
    if canonical_topic("shopify", platform_topic) not in PRIVACY_TOPICS:
        raise BadRequest(
            "POST /webhooks/shopify takes the privacy topics (customers/redact, customers/data_request, "
            "shop/redact, app/uninstalled); send other topics to /webhooks/shopify/{store_id}"
        )
    payload = json_of(body, MalformedPayload)
    named = None
    if isinstance(payload, dict):
        named = next(
            (v for k in ("shop_domain", "myshopify_domain") if isinstance(v := payload.get(k), str)), None
        )
    shop = shop_identity("shopify", named or headers.get("x-shopify-shop-domain"))
    store_id = ShopDirectory(runtime.table).store_of("shopify", shop) if shop else None
    if store_id is None:
        raise UnknownStore("no store has this delivery's shop as its shop_domain")
    return store_id


def event_item(
    delivery: Delivery, platform_topic: str, delivery_id: str, parsed: Parsed, runtime: Runtime
) -> dict[str, Any]:
    """The one item a delivery becomes: summary fields + the compressed raw payload (TTL)."""
    names = HEADERS[delivery.platform]
    expires = runtime.clock.now() + timedelta(days=runtime.settings.raw_payload_ttl_days)
    item: dict[str, Any] = {
        **keys.event(delivery.store_id, delivery.platform, delivery_id),
        **keys.event_listing(delivery.store_id, delivery.received_at, delivery_id),
        "type": keys.EVENT,
        "store_id": delivery.store_id,
        "platform": delivery.platform,
        "topic": str(parsed.topic),
        "platform_topic": platform_topic,
        "delivery_id": delivery_id,
        "entity_kind": str(parsed.entity_kind),
        "entity_id": parsed.entity_id,
        "received_at": delivery.received_at,
        "status": "received",
        "expires_at": int(expires.timestamp()),
    }
    if parsed.updated_at is not None:
        item["updated_at"] = iso(parsed.updated_at)
    if api_version := delivery.headers.get(names.api_version):
        item["api_version"] = api_version[:40]
    if delivery.headers.get(names.test, "").lower() == "true":
        item["test"] = True
    blob = compress(delivery.body)
    if len(blob) <= MAX_INLINE_BYTES:
        item["raw"] = blob
    else:
        key = archive_key(delivery.store_id, delivery.platform, delivery_id)
        runtime.archive.put(key, blob)
        item["raw_s3_key"] = key
    return item


def send_to_fallback(delivery: Delivery, runtime: Runtime) -> None:
    """Keep a verified delivery we could not write; the drainer ingests it later."""
    queue_url = runtime.settings.fallback_queue_url
    if not queue_url:
        raise RuntimeError("no fallback queue configured")
    message = delivery.to_message()
    if len(message) > 250 * 1024:
        # SQS messages max out at 256 KiB: park the body in the S3 archive and queue a pointer
        key = f"fallback/{delivery.store_id}/{delivery.received_at}.json"
        runtime.archive.put(key, message.encode())
        message = json.dumps({"s3_key": key})
    runtime.client("sqs").send_message(QueueUrl=queue_url, MessageBody=message)
    logger.warning(
        "delivery queued to fallback", extra={"store_id": delivery.store_id, "platform": delivery.platform}
    )


def message_to_delivery(body: str, runtime: Runtime) -> Delivery:
    data = json.loads(body)
    if "s3_key" in data:
        return Delivery.from_message(runtime.archive.get(data["s3_key"]).decode())
    return Delivery.from_message(body)
