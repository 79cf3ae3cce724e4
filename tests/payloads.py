"""The one loader of real webhook payloads (tests/events/real, provenance in its README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from storekit.adapters import shopify, woocommerce

#: copies of public payloads, kept inside the repository: a clone has nothing beside it
FIXTURES = Path(__file__).resolve().parent / "events" / "real"

#: WooCommerce file names that are not `<resource>_<event>` of a core topic
_WOO_BY_NAME = {"product_variation": "product.updated", "order_refund": "order_refund.created"}


def fixture_files() -> list[Path]:
    """Every payload file (not the recorded headers, not the manifest)."""
    return sorted(p for p in FIXTURES.rglob("*.json") if not p.name.endswith(".headers.json"))


def load_fixture(relpath: str) -> tuple[bytes, dict[str, str]]:
    """Raw bytes of a fixture and its recorded headers (lower-case names; {} if none)."""
    path = FIXTURES / relpath
    headers_path = path.with_name(path.name.removesuffix(".json") + ".headers.json")
    headers: dict[str, str] = {}
    if headers_path.exists():
        headers = {k.lower(): str(v) for k, v in json.loads(headers_path.read_text()).items()}
    return path.read_bytes(), headers


def topic_for(path: Path) -> tuple[str, str]:
    """(platform, the platform's topic header) for a fixture: its recorded header, else its name.

    `orders_risk_assessment_changed__x.json` -> ("shopify", "orders/risk_assessment_changed"),
    `order_created__x.json` / `product.created__x.json` -> ("woocommerce", "order.created").
    """
    platform = path.parent.name
    _, headers = load_fixture(str(path.relative_to(FIXTURES)))
    recorded = headers.get("x-shopify-topic") or headers.get("x-wc-webhook-topic")
    if recorded:
        return platform, recorded
    stem = path.name.split("__", 1)[0]
    if platform == "woocommerce" and stem in _WOO_BY_NAME:
        return platform, _WOO_BY_NAME[stem]
    if platform == "woocommerce" and "." in stem:
        return platform, stem
    separator, known = ("/", shopify.TOPICS) if platform == "shopify" else (".", woocommerce.TOPICS)
    # the one underscore that, turned into the separator, names a topic we know
    for i, char in enumerate(stem):
        if char == "_" and (candidate := stem[:i] + separator + stem[i + 1 :]) in known:
            return platform, candidate
    resource, _, event = stem.rpartition("_")
    return platform, f"{resource}{separator}{event}"
