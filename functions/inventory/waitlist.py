"""Back-in-stock waitlist: shoppers sign up for a sold-out variant (`POST /stores/{id}/waitlist`,
functions/inventory/handlers.py) and are emailed when it is back.

A signup keeps the email (needed to send), the variant and the signup time; keys hold a hash of
the email, never the address. A repeat signup finds its entry (conditional write) and the answer
is the same either way. Entries expire after `keep_days`.

On restock (a tracked variant's stock rises from 0 or below to above 0) the waitlist is emailed
in signup order, at most `notify_per_unit` shoppers per unit in stock (and `max_per_restock`); the
rest at the next restock. Each signup is emailed once: the email's outbox key is made from the
signup (`once_per`), so a repeated or later event never sends it again, and the loader skips the
signups whose email is already in the outbox before it counts the next ones. Every email carries a
signed one-click unsubscribe link (`GET /u/{token}`, kind "waitlist") that takes the shopper off
that variant's waitlist; customers/redact deletes an address's signups (Domain.forgets).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
)

from functions.inventory.facts import StockFacts, stock_of_event
from storekit import keys
from storekit.actions import SendEmail, UnsubscribeLink
from storekit.adapters import Topic
from storekit.automation import (
    AppliedEvent,
    Automation,
    Context,
    Decision,
    ForgottenCustomer,
    Reader,
    RequestedCustomer,
    nothing,
)
from storekit.clock import iso
from storekit.email_address import EmailAddress
from storekit.errors import NotFound
from storekit.models import InventoryLevel, Product
from storekit.store import StoreConfig

if TYPE_CHECKING:  # types only
    from storekit.links import LinkClaims
    from storekit.runtime import Runtime

WAITLIST_NAME = "back-in-stock-waitlist"
#: the signed unsubscribe links' kind (Domain.unsubscribes)
LINK_KIND = "waitlist"
#: the most waitlist entries one restock reads past signups already emailed
MAX_READ = 2000


class WaitlistSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    #: shoppers emailed per unit in stock at a restock (the rest at the next restock)
    notify_per_unit: int = Field(default=3, ge=1, le=100)
    #: and at most this many per variant per restock
    max_per_restock: int = Field(default=200, ge=1, le=1000)
    #: a signup is forgotten after this many days
    keep_days: int = Field(default=180, ge=1, le=730)
    #: a verified SES identity of the store (else STOREFLOW_EMAIL_SENDER)
    sender: str | None = Field(default=None, max_length=320)
    reply_to: EmailAddress | None = Field(default=None, max_length=320)


def _id_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class WaitlistSignup(BaseModel):
    """The body of `POST /stores/{id}/waitlist`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, str_strip_whitespace=True)

    email: EmailAddress = Field(max_length=320)
    variant_id: Annotated[str, BeforeValidator(_id_text)] = Field(
        min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$"
    )
    consent: StrictBool

    @field_validator("consent")
    @classmethod
    def _given(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("must be true (the shopper agrees to be emailed when the item is back)")
        return value


def settings_of(store: StoreConfig) -> WaitlistSettings:
    try:
        return WaitlistSettings.model_validate(store.automation(WAITLIST_NAME).settings)
    except ValidationError:
        return WaitlistSettings()


def once_per(variant_id: str, digest: str, signed_at: str) -> str:
    """What makes a waitlist email unique: one signup (a new signup after the email is a new one)."""
    return f"waitlist:{variant_id}:{digest}:{signed_at}"


def email_action_id(store_id: str, variant_id: str, digest: str, signed_at: str) -> str:
    """The outbox key of a signup's email (the engine's key for an action with `once_per`)."""
    return keys.idempotency_key(
        store_id, WAITLIST_NAME, "send_email", once_per(variant_id, digest, signed_at)
    )


# --- the signup route's logic ------------------------------------------------------------------
def sign_up(store: StoreConfig, signup: WaitlistSignup, runtime: Runtime) -> None:
    """Put the shopper on the variant's waitlist (once); NotFound for a variant storeflow does not
    know. Whether they were on it already is not told: the route answers the same, and a signup does
    the same table calls either way (two reads, two writes), so its time does not tell either. A
    repeat signup keeps the shopper on the list for another `keep_days`; one already emailed about
    the last restock is a new signup, at the end of the line."""
    store_id = store.store_id
    if runtime.repo.variant_info(store_id, signup.variant_id) is None:
        raise NotFound(
            f"variant_id: no variant {signup.variant_id} in this store (storeflow learns variants from "
            "products/create and products/update)"
        )
    settings = settings_of(store)
    now = runtime.clock.now()
    signed_at = iso(now)
    expires_at = int((now + timedelta(days=settings.keep_days)).timestamp())
    digest = keys.email_digest(store_id, signup.email)
    entry = runtime.repo.waitlist_entry(store_id, signup.variant_id, digest)
    was = str(entry["signed_at"]) if entry else signed_at
    emailed = runtime.repo.existing_actions(
        store_id, [email_action_id(store_id, signup.variant_id, digest, was)]
    )
    if entry is None:
        runtime.repo.join_waitlist(store_id, signup.variant_id, signup.email, signed_at, expires_at)
    else:
        renewed = signed_at if emailed else None
        runtime.repo.rejoin_waitlist(store_id, signup.variant_id, digest, was, renewed, expires_at)


# --- what the automation reads -----------------------------------------------------------------
@dataclass(frozen=True)
class Shopper:
    email: str
    digest: str
    signed_at: str


@dataclass(frozen=True)
class Restocked:
    """A variant back in stock with this event, and the next shoppers to tell."""

    variant_id: str
    available: int
    product_id: str | None = None
    product_title: str | None = None
    variant_title: str | None = None
    handle: str | None = None
    shoppers: tuple[Shopper, ...] = ()
    #: more shoppers wait beyond this restock's share
    more: bool = False


@dataclass(frozen=True)
class WaitlistFacts:
    restocked: tuple[Restocked, ...] = ()
    #: the event's variant(s) and whether storeflow knew the item
    known: bool = True


def restocked_variants(resource: InventoryLevel | Product, facts: StockFacts) -> list[tuple[str, int]]:
    """The tracked variants whose stock rises from 0 or below to above 0 with this event."""
    before, after = facts.stock, facts.stock_after(resource)
    if isinstance(resource, InventoryLevel):
        ids = [facts.item.variant_id] if facts.item is not None else []
    else:
        ids = [v.id for v in resource.variants if v.id]
    out: list[tuple[str, int]] = []
    for variant_id in ids:
        if not after.counted.get(variant_id, True):
            continue
        was, now = before.available(variant_id), after.available(variant_id)
        if was is not None and now is not None and was <= 0 < now:
            out.append((variant_id, now))
    return out


def waitlist_of_event(resource: InventoryLevel | Product, read: Reader) -> WaitlistFacts:
    """The variants this event restocks and, for each, the next shoppers (only on a restock: a
    waitlist Query and a batch read of the outbox keys; otherwise nothing beyond the stock reads)."""
    facts = stock_of_event(resource, read)
    if isinstance(resource, InventoryLevel) and facts.item is None:
        return WaitlistFacts(known=False)
    restocks = restocked_variants(resource, facts)
    if not restocks:
        return WaitlistFacts()
    assert read.store is not None and read.now is not None
    settings = settings_of(read.store)
    out = []
    for variant_id, available in restocks:
        share = min(available * settings.notify_per_unit, settings.max_per_restock)
        shoppers, more = _next_shoppers(read, variant_id, share, int(read.now.timestamp()))
        info = read.repo.variant_info(read.store_id, variant_id) or {}
        out.append(
            Restocked(
                variant_id=variant_id,
                available=available,
                product_id=info.get("product_id"),
                product_title=info.get("product_title"),
                variant_title=info.get("variant_title"),
                handle=info.get("handle"),
                shoppers=tuple(shoppers),
                more=more,
            )
        )
    return WaitlistFacts(restocked=tuple(out))


def _next_shoppers(read: Reader, variant_id: str, share: int, now_epoch: int) -> tuple[list[Shopper], bool]:
    """The first `share` signups (in signup order) whose email is not in the outbox yet, and
    whether more wait."""
    chosen: list[Shopper] = []
    batch: list[Shopper] = []
    seen = 0

    def take(candidates: list[Shopper]) -> bool:
        ids = {email_action_id(read.store_id, variant_id, c.digest, c.signed_at): c for c in candidates}
        emailed = read.repo.existing_actions(read.store_id, list(ids))
        for action_id, candidate in ids.items():
            if action_id in emailed:
                continue
            if len(chosen) >= share:
                return True
            chosen.append(candidate)
        return False

    for entry in read.repo.waiting(read.store_id, variant_id, now_epoch):
        seen += 1
        batch.append(Shopper(str(entry["email"]), str(entry["digest"]), str(entry["signed_at"])))
        if len(batch) >= 100:
            if take(batch):
                return chosen, True
            batch = []
        if seen >= MAX_READ:
            break
    if batch and take(batch):
        return chosen, True
    return chosen, seen >= MAX_READ


# --- the automation ------------------------------------------------------------------------------
def product_url(store: StoreConfig, restocked: Restocked) -> str:
    """Where the shopper buys it: the product page (with the variant chosen, on Shopify)."""
    if store.platform == "shopify":
        base = f"https://{store.shop_domain}"
        if restocked.handle:
            return f"{base}/products/{restocked.handle}?variant={restocked.variant_id}"
        return base
    base = store.shop_domain.rstrip("/")
    return f"{base}/?post_type=product&p={restocked.product_id or restocked.variant_id}"


def _label(restocked: Restocked) -> str:
    title = restocked.product_title or f"variant {restocked.variant_id}"
    if restocked.variant_title and restocked.variant_title != "Default Title":
        title += f" - {restocked.variant_title}"
    return title


def notify_waitlist(
    resource: InventoryLevel | Product, ctx: Context[WaitlistSettings, WaitlistFacts]
) -> Decision:
    facts = ctx.related
    if not facts.known:
        return nothing("the inventory item is in no product storeflow has received (products/create|update)")
    if not facts.restocked:
        return nothing(
            "no variant came back in stock with this update (the waitlist is emailed when a tracked "
            "variant's stock rises from 0 or below)"
        )
    actions: list[SendEmail] = []
    notes: list[str] = []
    settings = ctx.settings
    for restocked in facts.restocked:
        label = _label(restocked)
        if not restocked.shoppers:
            notes.append(f"{label}: back in stock, nobody waiting who was not told already")
            continue
        url = product_url(ctx.store, restocked)
        for shopper in restocked.shoppers:
            actions.append(
                SendEmail(
                    to=shopper.email,
                    template="back_in_stock",
                    context={"product_title": label, "url": url},
                    sender=settings.sender,
                    reply_to=settings.reply_to,
                    unsubscribe=UnsubscribeLink(
                        kind=LINK_KIND, data={"v": restocked.variant_id, "h": shopper.digest}
                    ),
                    once_per=once_per(restocked.variant_id, shopper.digest, shopper.signed_at),
                )
            )
        if restocked.more:
            notes.append(
                f"{label}: {len(restocked.shoppers)} waiting shoppers emailed "
                f"({settings.notify_per_unit} per unit, {restocked.available} in stock); "
                "the rest at the next restock"
            )
    return Decision(actions, "; ".join(notes) or None)


WAITLIST: Automation[InventoryLevel | Product, WaitlistSettings, WaitlistFacts] = Automation(
    name=WAITLIST_NAME,
    description="Email a variant's back-in-stock waitlist when it is restocked, in signup order",
    topics=frozenset({Topic.INVENTORY_UPDATED, Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED}),
    settings_model=WaitlistSettings,
    takes=(InventoryLevel, Product),
    run=notify_waitlist,
    load=waitlist_of_event,
    reads=frozenset({"product", "inventory_item"}),
)


# --- kept after, unsubscribe, redact ---------------------------------------------------------------
def keep_variants(applied: AppliedEvent) -> None:
    """Which product each variant is (signups name a variant; emails name its product)."""
    product = applied.parsed.resource
    if not isinstance(product, Product) or not applied.store.automation(WAITLIST_NAME).enabled:
        return
    for variant in product.variants:
        if variant.id and not (product.variation_ids and variant.id == product.id):
            applied.repo.keep_variant(
                applied.store.store_id,
                variant.id,
                {
                    "product_id": product.id,
                    "product_title": product.title,
                    "variant_title": variant.title,
                    "handle": product.handle,
                },
            )
    for variation_id in product.variation_ids:
        applied.repo.keep_variant(
            applied.store.store_id,
            variation_id,
            {"product_id": product.id, "product_title": product.title, "handle": product.handle},
        )


def leave_waitlist(claims: LinkClaims, runtime: Runtime) -> str:
    """The signed link of a waitlist email: that shopper leaves that variant's waitlist (again is fine)."""
    variant_id, digest = claims.data.get("v"), claims.data.get("h")
    if variant_id and digest:
        runtime.repo.leave_waitlist(claims.store_id, variant_id, digest)
    return "You have left the waitlist: you will not be emailed when this item is back in stock."


def forget_signups(forgotten: ForgottenCustomer) -> int:
    return forgotten.repo.forget_waitlister(forgotten.store_id, forgotten.addresses)


def list_signups(requested: RequestedCustomer) -> list[dict[str, Any]]:
    """customers/data_request: the address's waitlist signups."""
    entries = requested.repo.waitlist_signups(requested.store_id, requested.addresses)
    return [
        {
            "item": "waitlist signup",
            "variant_id": e.get("variant_id"),
            "email": e.get("email"),
            "signed_at": e.get("signed_at"),
        }
        for e in entries
    ]
