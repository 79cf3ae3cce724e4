"""storeflow: the Chalice app. Registers one Blueprint per domain and the Powertools middleware.

No logic lives here. Nothing creates an AWS client or reads settings at import time.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from functions.admin.handlers import bp as admin_bp
from functions.answers import uniform_error
from functions.composition import registry
from functions.engine.handlers import bp as engine_bp
from functions.fulfillment.handlers import bp as fulfillment_bp
from functions.inventory.handlers import bp as inventory_bp
from functions.links.handlers import bp as links_bp
from functions.reports.handlers import bp as reports_bp
from functions.webhooks.handlers import bp as webhooks_bp
from storekit.observability import logger, metrics, tracer
from storekit.runtime import use_registry

app = Chalice(app_name="storeflow")
use_registry(registry)  # the automations of every domain, assembled on first use

app.register_blueprint(webhooks_bp)
app.register_blueprint(engine_bp)
app.register_blueprint(admin_bp)
app.register_blueprint(fulfillment_bp)
app.register_blueprint(reports_bp)
app.register_blueprint(inventory_bp)
app.register_blueprint(links_bp)


@app.middleware("all")
def observability(event: Any, get_response: Any) -> Any:
    """Logger context (correlation id = webhook delivery id / request id), a trace subsegment,
    EMF metrics flush."""
    logger.clear_state()
    context = getattr(event, "context", None)
    if context is not None and hasattr(context, "aws_request_id"):
        logger.append_keys(request_id=context.aws_request_id)
    headers = getattr(event, "headers", None) or {}
    correlation = headers.get("x-shopify-webhook-id") or headers.get("x-wc-webhook-delivery-id")
    if correlation:
        logger.set_correlation_id(correlation)
    try:
        # one X-Ray subsegment per invocation (a no-op when tracing is off: locally and in tests)
        with tracer().provider.in_subsegment(name=f"## {type(event).__name__}"):
            return uniform_error(get_response(event))
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
        metrics.clear_metrics()  # also when metrics are disabled: nothing carries into the next request
