"""Typed errors. Raised inside; turned into HTTP answers or retry decisions in one place each
(functions/answers.py for HTTP answers, functions/engine/execute.py for an action's retries)."""

from __future__ import annotations


def shown(value: str, limit: int = 64) -> str:
    """A caller's value as an error message quotes it: repr'd and cut short (never echo 100 KB)."""
    text = repr(value[: limit + 1])
    return text if len(value) <= limit else f"{repr(value[:limit])[:-1]}...{text[0]}"


class StoreflowError(Exception):
    """Base of every error storeflow raises on purpose."""


# --- input at the edge -------------------------------------------------------------
class BadRequest(StoreflowError):
    """The caller sent something we cannot accept (HTTP 400)."""


class MalformedPayload(BadRequest):
    """A webhook body is not valid JSON or does not match the platform's resource shape."""


class PayloadTooLarge(StoreflowError):
    """A request body is over its limit (HTTP 413): 5 MiB for a webhook, 256 KiB for other JSON."""


class BadSignature(StoreflowError):
    """Missing or wrong HMAC signature (HTTP 401)."""


class Unauthorized(StoreflowError):
    """Missing or wrong admin bearer token (HTTP 401)."""


class Forbidden(StoreflowError):
    """A valid token that may not see this store, or a signed delivery of another shop (HTTP 403)."""


class UnknownStore(StoreflowError):
    """No store with this id (HTTP 404)."""


class NotFound(StoreflowError):
    """A resource that does not exist (HTTP 404)."""


class Conflict(StoreflowError):
    """The request conflicts with the stored state (HTTP 409)."""


class RateLimited(StoreflowError):
    """A public route was asked too often (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


# --- calls to the outside world (decide retry vs fail) --------------------------------
class ExternalCallError(StoreflowError):
    """A call to a store API or message channel did not succeed."""

    retryable: bool = False


class Throttled(ExternalCallError):
    """HTTP 429 or Shopify GraphQL THROTTLED: retry after `retry_after` seconds."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ExternalCallError):
    """5xx, timeouts, connection resets: retry with backoff."""

    retryable = True


class PermanentError(ExternalCallError):
    """4xx (other than 429), GraphQL userErrors, invalid recipients: retrying will not help."""

    retryable = False


class OutcomeUnknown(ExternalCallError):
    """The request went out but no answer came back (a read timeout, a connection dropped after
    sending): it may have been carried out. A send with no idempotency key (SES, SNS) is not tried
    again, since a retry could reach the customer twice: the action fails saying so."""

    retryable = False


class ConfigurationError(StoreflowError):
    """Settings or store credentials are missing or invalid."""


class CountingBusy(StoreflowError):
    """An order's counted part kept changing under this event (other workers counted it between
    each read and write): the stream record fails and is tried again (parked with this reason after
    its last try), so the order is never left uncounted."""
