"""Slack incoming webhooks (https://hooks.slack.com/... only: checked when the URL is saved and when
posting; the host is pinned to Slack's, so a saved URL can never reach a private address)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from storekit.clients.http import send
from storekit.errors import ConfigurationError, PermanentError

SLACK_HOST = "hooks.slack.com"


def slack_url_problem(url: str) -> str | None:
    """Why `url` is not a Slack incoming-webhook URL (None if it is); never quotes the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        port = -1
        parts = urlsplit("")
    if (
        parts.scheme != "https"
        or parts.hostname != SLACK_HOST
        or port is not None
        or parts.username is not None
        or not parts.path.startswith("/")
        or any(ch.isspace() or ord(ch) < 32 for ch in url.strip())
    ):
        return "a Slack webhook URL starts with https://hooks.slack.com/"
    return None


class SlackChannel:
    """Posts messages to a Slack incoming-webhook URL (the URL is a secret: never logged)."""

    def __init__(self, session: requests.Session) -> None:
        self._session = session

    def post(self, webhook_url: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Post `text` (and optional Block Kit `blocks`, with `text` as the notification fallback).

        Slack answers 200 "ok"; 429 -> Throttled (Retry-After); 400 invalid_payload, 403, 404
        no_service / channel_not_found, 410 channel_is_archived -> PermanentError; 5xx -> TransientError.
        """
        problem = slack_url_problem(webhook_url)
        if problem:
            raise ConfigurationError(problem)  # pinned to Slack's public host: nothing to resolve
        if not text.strip():
            raise PermanentError("Slack webhook: the message text is empty")
        body: dict[str, Any] = {"text": text}
        if blocks:
            body["blocks"] = blocks
        send(self._session, "POST", webhook_url.strip(), "Slack webhook", json=body)
