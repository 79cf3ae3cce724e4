"""What every marketing step reads before it decides, and the one loader that reads it: the
recipient's marketing contact (opt-out, the cap's recent sends, last order, last click, holdouts;
one item, by hashed address), with the customer or order snapshot the step is about where it
needs one, and, for abandoned checkouts, the "ordered" markers and the cart's shopper item."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from storekit import keys
from storekit.automation import Reader
from storekit.models import Customer, Order


class ContactFacts(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    #: the hashed address the contact is kept under (None: no address known)
    digest: str | None = None
    contact: dict[str, Any] = {}
    #: the customer or order the step is about (a snapshot), when it reads one
    customer: Customer | None = None
    order: Order | None = None
    #: an order that already came from this checkout or its cart
    ordered_by: str | None = None
    #: the cart's shopper item (keys.cart_ordered): its newest items and change, while not ordered
    cart: dict[str, Any] = {}


def contact_facts(reader: Reader, address: str | None, **about: Any) -> ContactFacts:
    """The marketing contact of `address` (an email, else a phone; one read), with `about` (the
    customer or order snapshot the step read)."""
    digest = keys.contact_digest(reader.store_id, address) if address else None
    contact = reader.repo.marketing_contact(reader.store_id, digest) if digest else {}
    return ContactFacts(digest=digest, contact=contact, **about)
