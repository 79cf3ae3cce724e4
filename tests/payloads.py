"""The one loader of real webhook payloads (../shared/fixtures, see its MANIFEST.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"

_SHOPIFY_SPECIAL = {
    "orders_risk_assessment_changed": "orders/risk_assessment_changed",
    "fulfillment_events_create": "fulfillment_events/create",
    "inventory_levels_update": "inventory_levels/update",
    "inventory_items_update": "inventory_items/update",
    "order_transactions_create": "order_transactions/create",
    "variants_out_of_stock": "variants/out_of_stock",
    "app_uninstalled": "app/uninstalled",
}
_WOO_SPECIAL = {"product_variation": "product.updated", "order_refund": "order_refund.created"}


def fixture_files() -> list[Path]:
    """Every payload file (not the recorded headers, not the manifest)."""
    return sorted(p for p in FIXTURES.rglob("*.json") if not p.name.endswith(".headers.json"))


def load_fixture(relpath: str) -> tuple[bytes, dict[str, str]]:
    """Raw bytes of a fixture and its recorded headers (lower-case names; {} if none)."""
    path = FIXTURES / relpath
    headers_path = path.with_name(path.name[: -len(".json")] + ".headers.json")
    headers: dict[str, str] = {}
    if headers_path.exists():
        headers = {k.lower(): str(v) for k, v in json.loads(headers_path.read_text()).items()}
    return path.read_bytes(), headers


def topic_for(path: Path) -> tuple[str, str]:
    """(platform, the platform's topic header) for a fixture, from its recorded headers or name."""
    platform = path.parent.name
    _, headers = load_fixture(str(path.relative_to(FIXTURES)))
    recorded = headers.get("x-shopify-topic") or headers.get("x-wc-webhook-topic")
    if recorded:
        return platform, recorded
    stem = path.name.split("__", 1)[0]
    if platform == "shopify":
        if stem in _SHOPIFY_SPECIAL:
            return platform, _SHOPIFY_SPECIAL[stem]
        resource, _, event = stem.rpartition("_")
        return platform, f"{resource}/{event}"
    if stem in _WOO_SPECIAL:
        return platform, _WOO_SPECIAL[stem]
    if "." in stem:
        return platform, stem
    resource, event = re.split(r"_", stem, maxsplit=1)
    return platform, f"{resource}.{event}"
