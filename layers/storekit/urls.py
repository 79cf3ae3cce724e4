"""Outbound URLs a store configures (Slack webhook, outbound webhooks, links put in emails): https
only, to public hosts only. Checked when saved (the text) and again when sending (the host is
resolved and every address it has must be public; redirects are never followed, storekit.clients.http),
so a setting cannot make storeflow call the cloud metadata service, localhost or a private network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator

from storekit.errors import ConfigurationError, TransientError

#: host names that never name a public host
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp")

Resolver = Callable[..., list[tuple[Any, ...]]]


def is_public_address(address: str) -> bool:
    """A globally routable unicast address: not private, loopback, link-local (169.254.169.254, the
    metadata service), shared, reserved, multicast or unspecified, also as IPv4-mapped IPv6."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str) -> str | None:
    """Why `url` is not an https URL of a public host (None if it is). Says nothing of the URL itself
    (it may be a secret, like a Slack webhook URL)."""
    text = url.strip()
    if not text or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "must be an https URL without spaces or control characters"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "must be an https URL"
    if parts.scheme != "https":
        return "must start with https://"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            return "must name a public host"
        return None
    return None if is_public_address(host) else "must name a public host"


def check_public_url(url: str, what: str, resolve: Resolver = socket.getaddrinfo) -> None:
    """At sending time: the URL is https to a public host, and every address the host resolves to
    is public. ConfigurationError otherwise; a failed DNS lookup is a TransientError (retried)."""
    problem = url_problem(url)
    if problem:
        raise ConfigurationError(f"{what} URL {problem}")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    try:
        found = resolve(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise TransientError(f"{what}: the host name does not resolve") from None
    addresses = {str(info[4][0]) for info in found}
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise ConfigurationError(f"{what} URL must name a public host (it resolves to a private address)")


def _public_https(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


SLACK_HOST = "hooks.slack.com"


def slack_url_problem(url: str) -> str | None:
    """Why `url` is not a Slack incoming-webhook URL (None if it is); never quotes the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "a Slack webhook URL starts with https://hooks.slack.com/"
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


#: a setting holding an https URL of a public host (checked when the setting is saved)
PublicHttpsUrl = Annotated[str, AfterValidator(_public_https)]
