"""Slack incoming webhooks (https://hooks.slack.com/... only: checked when the URL is saved and when
posting; the host is pinned to Slack's, so a saved URL can never reach a private address)."""

from __future__ import annotations

from typing import Any

import requests

from storekit.clients.http import send
from storekit.errors import ConfigurationError, PermanentError
from storekit.outbound import SlackMessage
from storekit.urls import slack_url_problem


def slack_message(text: str, blocks: list[dict[str, Any]] | None = None) -> SlackMessage:
    """The JSON posted: `text` (and optional Block Kit `blocks`, with `text` as the notification fallback)."""
    if not text.strip():
        raise PermanentError("Slack webhook: the message text is empty")
    payload: dict[str, Any] = {"text": text}
    if blocks:
        payload["blocks"] = blocks
    return SlackMessage(payload=payload)


class SlackChannel:
    """Posts messages to a Slack incoming-webhook URL (the URL is a secret: never logged)."""

    def __init__(self, session: requests.Session) -> None:
        self._session = session

    def post(self, webhook_url: str, message: SlackMessage) -> None:
        """Post the rendered payload.

        Slack answers 200 "ok"; 429 -> Throttled (Retry-After); 400 invalid_payload, 403, 404
        no_service / channel_not_found, 410 channel_is_archived -> PermanentError; 5xx -> TransientError.
        """
        problem = slack_url_problem(webhook_url)
        if problem:
            raise ConfigurationError(problem)  # pinned to Slack's public host: nothing to resolve
        send(self._session, "POST", webhook_url.strip(), "Slack webhook", json=message.payload)
