"""Webhook routes and the fallback-queue drainer. Thin: parse the request, call ingest, answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Response
from chalice.app import SQSEvent

from functions.answers import answer_errors, error_response, json_response
from functions.batch import process_batch
from functions.webhooks.ingest import Delivery, ingest, message_to_delivery, store_for_app_delivery
from storekit.clock import iso
from storekit.errors import BadRequest, BadSignature, Forbidden, UnknownStore
from storekit.observability import logger, metrics
from storekit.runtime import get_runtime
from storekit.settings import fallback_queue_arn_for_binding

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

bp = Blueprint(__name__)

WEBHOOK_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


@bp.route("/webhooks/{platform}/{store_id}", methods=["POST"], content_types=WEBHOOK_CONTENT_TYPES)
@answer_errors
def receive_webhook(platform: str, store_id: str) -> Response:
    return _receive(platform, store_id)


@bp.route("/webhooks/shopify", methods=["POST"], content_types=WEBHOOK_CONTENT_TYPES)
@answer_errors
def receive_app_webhook() -> Response:
    """One URL for the privacy topics of every shop of a Shopify app: routed to the store whose
    shop_domain the signed body names."""
    return _receive("shopify", None)


def _receive(platform: str, store_id: str | None) -> Response:
    request = bp.current_request
    runtime = get_runtime()
    headers = {name.lower(): value for name, value in request.headers.items()}
    raw = request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    try:
        if store_id is None:
            store_id = store_for_app_delivery(headers, body, runtime)
        delivery = Delivery(
            platform=platform,
            store_id=store_id,
            headers=headers,
            body=body,
            received_at=iso(runtime.clock.now()),
        )
        logger.append_keys(store_id=store_id, platform=platform)
        outcome = ingest(delivery, runtime)
    except Exception as exc:
        metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
        return error_response(exc)
    metrics.add_metric(name=f"Webhooks{outcome_name(outcome.body)}", unit=MetricUnit.Count, value=1)
    return json_response(outcome.body)


def outcome_name(body: dict[str, Any]) -> str:
    """Accepted, Duplicate, Queued, Ignored or Ping: the metric a delivery counts under."""
    for flag in ("duplicate", "queued", "ignored", "ping"):
        if flag in body:
            return flag.capitalize()
    return "Accepted"


def _drain_record(record: SQSRecord) -> None:
    runtime = get_runtime()
    delivery = message_to_delivery(record.body, runtime)
    try:
        outcome = ingest(delivery, runtime, allow_fallback=False)
    except (BadRequest, Forbidden, UnknownStore, BadSignature) as exc:
        # queued while the store config could not be read; now it can, and it refuses the delivery
        # (another shop's, a store deleted meanwhile): retrying would refuse it again
        logger.warning(
            "fallback delivery refused", extra={"store_id": delivery.store_id, "reason": type(exc).__name__}
        )
        return
    logger.info("fallback delivery ingested", extra={"store_id": delivery.store_id, **outcome.body})


@bp.on_sqs_message(queue_arn=fallback_queue_arn_for_binding(), batch_size=10, name="drain_fallback")
def drain_fallback(event: SQSEvent) -> dict[str, Any]:
    """Ingest deliveries that could not be written when they arrived (partial batch failures)."""
    return process_batch(event, _drain_record, "sqs")
