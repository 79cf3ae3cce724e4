"""Outbound URLs: https to public hosts only, checked on save (the text) and when sending (the
addresses the host resolves to). No network: the resolver is injected."""

from __future__ import annotations

from typing import Any

import pytest

from storekit.errors import ConfigurationError, TransientError
from storekit.urls import check_public_url, slack_url_problem, url_problem

pytestmark = pytest.mark.unit

HOOK = "https://erp.example.com/hooks/storeflow"


def public_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    return [(2, 1, 6, "", ("93.184.215.14", port))]


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hook",
        "ftp://erp.example.com",
        "https://u:p@erp.example.com/",
        "https://127.0.0.1:9000/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/hook",
        "https://10.1.2.3/hook",
        "https://printer.local/x",
        "https://intranet/x",
        "file:///etc/passwd",
    ],
)
def test_unsafe_urls_are_refused_before_any_lookup(url: str) -> None:
    assert url_problem(url) is not None

    def must_not_resolve(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise AssertionError("looked up a URL that was already refused")

    with pytest.raises(ConfigurationError):
        check_public_url(url, "outbound", must_not_resolve)


def test_a_public_https_url_passes() -> None:
    assert url_problem(HOOK) is None
    check_public_url(HOOK, "outbound", public_dns)


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "127.0.0.1", "10.0.0.7", "fd00::1", "::ffff:192.168.1.1"]
)
def test_a_public_name_that_resolves_to_a_private_address_is_refused_when_sending(address: str) -> None:
    def rebinding_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(2, 1, 6, "", ("93.184.215.14", port)), (2, 1, 6, "", (address, port))]

    with pytest.raises(ConfigurationError, match="private address"):
        check_public_url(HOOK, "outbound", rebinding_dns)


def test_a_host_that_does_not_resolve_is_retried_not_failed() -> None:
    def no_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        raise OSError("no such host")

    with pytest.raises(TransientError):
        check_public_url(HOOK, "outbound", no_dns)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/services/T0/B0/XX", True),
        ("http://hooks.slack.com/services/T0/B0/XX", False),
        ("https://hooks.slack.com.evil.example/services/x", False),
        ("https://hooks.slack.com:8443/services/x", False),
        ("https://169.254.169.254/", False),
    ],
)
def test_slack_urls_are_pinned_to_slacks_host(url: str, ok: bool) -> None:
    assert (slack_url_problem(url) is None) is ok
