"""Restricted destinations: an order shipping where the store cannot ship (a blocked country,
region, postal-code pattern, or a PO box) is tagged, held and reported to staff; optionally
cancelled with a refund. Once per order."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from functions.fraud.models import RestrictedSettings
from functions.fraud.money import cancel_with_refund
from functions.fraud.risk import order_label, order_link, staff_alert
from storekit.actions import Action, AddTags, HoldFulfillment
from storekit.adapters import Topic
from storekit.automation import Automation, Context, Decision, nothing
from storekit.models import Address, Order

RESTRICTED = "restricted-destinations"

_PO_BOX = re.compile(
    r"\b(?:p\.?\s*o\.?\s*box|post\s+office\s+box|p\.?\s*o\.?\s*b\.?\s+\d|pobox|gpo\s+box|"
    r"locked\s+bag|postfach|apartado(?:\s+postal)?|bo[iî]te\s+postale|casilla)\b",
    re.IGNORECASE,
)


def is_po_box(address: Address) -> bool:
    return any(_PO_BOX.search(line or "") for line in (address.address1, address.address2))


def _postal(code: str | None) -> str:
    return " ".join((code or "").upper().split())


def restriction_of(address: Address, settings: RestrictedSettings) -> str | None:
    """Why the store cannot ship to this address (None when it can)."""
    country = (address.country_code or "").upper()
    if country and country in settings.blocked_countries:
        return f"country {country} is in blocked_countries"
    region = f"{country}-{(address.province_code or '').upper()}"
    if address.province_code and region in settings.blocked_regions:
        return f"region {region} is in blocked_regions"
    postal = _postal(address.zip)
    if postal:
        for pattern in settings.blocked_postal_patterns:
            if fnmatchcase(postal, pattern) or fnmatchcase(postal.replace(" ", ""), pattern.replace(" ", "")):
                return f"postal code {postal} matches blocked pattern {pattern}"
    if settings.block_po_boxes and is_po_box(address):
        return "the address is a PO box (block_po_boxes)"
    return None


def _configured(settings: RestrictedSettings) -> bool:
    return bool(
        settings.blocked_countries
        or settings.blocked_regions
        or settings.blocked_postal_patterns
        or settings.block_po_boxes
    )


def restricted(order: Order, ctx: Context[RestrictedSettings, None]) -> Decision:
    settings = ctx.settings
    if not _configured(settings):
        return nothing(
            "no restricted destination set (settings blocked_countries, blocked_regions, "
            "blocked_postal_patterns, block_po_boxes)"
        )
    if order.cancelled_at is not None or order.status == "cancelled":
        return nothing(f"{order_label(order)} is already cancelled")
    address = order.shipping_address
    if address is None:
        return nothing(f"{order_label(order)} has no shipping address (nothing ships)")
    why = restriction_of(address, settings)
    if why is None:
        where = "-".join(
            p for p in ((address.country_code or "?").upper(), (address.province_code or "").upper()) if p
        )
        return nothing(f"{order_label(order)} ships to {where}: not a restricted destination")
    once = f"restricted:{order.id}"
    actions: list[Action] = [
        AddTags(resource="order", resource_id=order.id, tags=[settings.tag], once_per=once)
    ]
    left_out: list[str] = []
    if settings.hold_fulfillment:
        actions.append(
            HoldFulfillment(
                order_id=order.id, reason="other", notes=f"restricted destination: {why}"[:256], once_per=once
            )
        )
    heading = f"Restricted destination: {order_label(order)}"
    alerts, no_alert = staff_alert(heading, f"{why}\n{order_link(ctx.store, order.id)}", settings, once)
    actions += alerts
    if no_alert:
        left_out.append(no_alert)
    if settings.cancel_and_refund:
        cancel, no_refund = cancel_with_refund(
            ctx.store,
            order,
            refund_reason="restricted-destination",
            cancel_reason="other",
            note=f"restricted destination: {why}",
            staff_note=f"restricted destination: {why}",
            once_per=once,
        )
        actions += cancel
        if no_refund:
            left_out.append(no_refund)
    tail = f". Left out: {'; '.join(left_out)}" if left_out else ""
    return Decision(actions, f"{order_label(order)}: {why}{tail}")


RESTRICTED_DESTINATIONS: Automation[Order, RestrictedSettings, Any] = Automation(
    name=RESTRICTED,
    description="Tag, hold and report orders shipping to a country, region, postal code or PO box the store "
    "cannot ship to (opt-in: cancel and refund)",
    topics=frozenset({Topic.ORDER_CREATED}),
    settings_model=RestrictedSettings,
    takes=(Order,),
    run=restricted,
)
