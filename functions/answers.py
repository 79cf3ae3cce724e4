"""Typed errors -> HTTP answers, in exactly one place (every route goes through `answer_errors`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Response

from storekit.errors import (
    BadRequest,
    BadSignature,
    ConfigurationError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    StoreflowError,
    Unauthorized,
    UnknownStore,
)
from storekit.observability import logger

_STATUS: list[tuple[type[StoreflowError], int]] = [
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (BadSignature, 401),
    (Unauthorized, 401),
    (Forbidden, 403),
    (UnknownStore, 404),
    (NotFound, 404),
    (Conflict, 409),
    (BadRequest, 400),
    (ConfigurationError, 409),
]


def json_of(
    raw: bytes | str, error: type[BadRequest] = BadRequest, invalid: str = "body is not valid JSON"
) -> Any:
    """Parse a request body: the one place JSON bodies are read. Bad JSON, and JSON nested deeper
    than the parser's recursion limit, are `error` (400), never an internal fault."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(invalid) from exc
    except RecursionError as exc:
        raise error("body is nested too deeply") from exc


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, default=str),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(exc: Exception) -> Response:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
            if isinstance(exc, RateLimited):
                headers = {"Retry-After": str(exc.retry_after)}
            return json_response({"error": str(exc) or kind.__name__}, status, headers)
    # an internal fault (AWS unavailable, a bug): never a 500 with a traceback; 503 asks to retry
    logger.exception("internal fault", extra={"fault": type(exc).__name__})
    return json_response({"error": "temporarily unavailable, please retry"}, 503, {"Retry-After": "30"})


def uniform_error(response: Any) -> Any:
    """Chalice answers some requests itself (415 for a Content-Type a route does not declare, 405,
    ...) with `{"Code", "Message"}`: give those our one error shape, `{"error": ...}`."""
    body = getattr(response, "body", None)
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    status = int(response.status_code)
    message = str(body["Message"])[:200]
    if status == 415:
        message = "unsupported Content-Type: send application/json"
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
    return json_response({"error": message}, status, headers)


def answer_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorator for route handlers: any exception becomes a clear JSON answer."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            return error_response(exc)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped
