"""Purchase orders: the document a reorder drafts for one supplier, its CSV and email, and the moves
merchants make on it (approve, cancel, receive).

Statuses: `awaiting_approval` (held for the merchant) -> `ordered` (emailed to the supplier) ->
`received`; `cancelled` from either open status. A variant has at most one open PO (awaiting
approval or ordered): filing it marks the variant on its product's stock item with a conditional
write; receiving or cancelling clears the mark, which re-arms the variant's reorder.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from storekit.actions import Attachment, SendEmail
from storekit.keys import idempotency_key

Status = Literal["awaiting_approval", "ordered", "received", "cancelled"]
STATUSES: tuple[str, ...] = ("awaiting_approval", "ordered", "received", "cancelled")
OPEN: tuple[str, ...] = ("awaiting_approval", "ordered")
#: the moves merchants make: move -> (statuses it is allowed from, status it leads to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": (("awaiting_approval",), "ordered"),
    "cancel": (OPEN, "cancelled"),
    "receive": (("ordered",), "received"),
}


class PoLine(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    product_id: str
    variant_id: str
    sku: str | None = None
    title: str
    quantity: int
    unit_cost: Decimal | None = None
    #: what the quantity was worked out from (shown to the merchant)
    available: int
    on_order: int
    velocity: Decimal
    reorder_point: Decimal

    @property
    def line_total(self) -> Decimal | None:
        return None if self.unit_cost is None else (self.unit_cost * self.quantity).quantize(Decimal("0.01"))


class PurchaseOrder(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    number: str
    store_name: str
    supplier: str
    supplier_email: str
    currency: str
    lines: list[PoLine]
    created_on: str

    @property
    def total(self) -> Decimal | None:
        totals = [line.line_total for line in self.lines]
        if any(t is None for t in totals):
            return None
        return sum((t for t in totals if t is not None), Decimal("0.00"))

    def document(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["total"] = None if self.total is None else str(self.total)
        for line, shown in zip(self.lines, data["lines"], strict=True):
            shown["line_total"] = None if line.line_total is None else str(line.line_total)
        return data


def po_number(store_id: str, supplier: str, marks: list[str], day: str) -> str:
    """A PO number that the same decision always gives (repeated deliveries draft one PO): the day
    and a short digest of the store, supplier and each variant's PO generation."""
    digest = idempotency_key(store_id, supplier, *sorted(marks))[:8].upper()
    return f"PO-{day.replace('-', '')}-{digest}"


def csv_text(po: PurchaseOrder) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["po_number", "sku", "product", "quantity", "unit_cost", "line_total", "currency"])
    for line in po.lines:
        writer.writerow(
            [
                po.number,
                line.sku or "",
                _safe_cell(line.title),
                line.quantity,
                "" if line.unit_cost is None else str(line.unit_cost),
                "" if line.line_total is None else str(line.line_total),
                po.currency,
            ]
        )
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A product title a spreadsheet would read as a formula is quoted as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def supplier_email(po: PurchaseOrder, sender: str | None, reply_to: str | None) -> SendEmail:
    """The email a supplier gets: an HTML table (template purchase_order) and the CSV attached."""
    return SendEmail(
        to=po.supplier_email,
        template="purchase_order",
        context={"po": po.document()},
        sender=sender,
        reply_to=reply_to,
        attachments=[Attachment(filename=f"{po.number}.csv", content=csv_text(po))],
        once_per=f"purchase-order-email:{po.number}",
    )


def released_variants(item: dict[str, Any]) -> dict[str, list[str]]:
    """product id -> the variant ids a filed PO marks open."""
    variants: dict[str, dict[str, int]] = json.loads(str(item.get("variants") or "{}"))
    return {product: sorted(units) for product, units in variants.items()}


def email_of(item: dict[str, Any], sender: str | None, reply_to: str | None) -> SendEmail:
    """The supplier email of a filed PO (on approval)."""
    po = PurchaseOrder.model_validate(json.loads(str(item["document"])))
    return supplier_email(po, sender, reply_to)
