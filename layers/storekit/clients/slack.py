"""Slack incoming webhooks."""

from __future__ import annotations

from typing import Any

import requests

from storekit.clients.http import TIMEOUT, call
from storekit.errors import ConfigurationError


class SlackChannel:
    def __init__(self, session: requests.Session) -> None:
        self._session = session

    def post(self, webhook_url: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        if not webhook_url.startswith("https://hooks.slack.com/"):
            raise ConfigurationError("a Slack webhook URL starts with https://hooks.slack.com/")
        body: dict[str, Any] = {"text": text}
        if blocks:
            body["blocks"] = blocks
        call("Slack webhook", lambda: self._session.post(webhook_url, json=body, timeout=TIMEOUT))
