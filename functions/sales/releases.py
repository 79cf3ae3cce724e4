"""Scheduled product releases: products prepared unpublished are published at a chosen time to the
chosen sales channels, and announced: on Slack, by a signed outbound webhook (social tools), and by
marketing email to the merchant's list (each address through the customers domain's marketing rules:
the store's consent attested, the address's own one-click opt-out, the frequency cap, quiet hours;
every email carries its signed unsubscribe link).

POST /stores/{id}/schedules {"kind": "release", ...} files a due job of the `product-release`
automation (listed, shown and cancelled like any due job until it runs); when it comes up, the
automation decides one PublishProduct per product (Shopify: publishablePublish on each channel's
publication, else the Online Store; WooCommerce: status publish), the Slack post, the webhook post
and the emails. The executor carries them out, so a dry-run store plans them and each action's
preview is the exact call or message; the 201 of the POST shows the same previews beforehand.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from functions.admin.stores import validation_message
from functions.customers.marketing import Offer, Recipient, plan_marketing
from functions.customers.models import FlowSettings
from functions.sales.models import local_time
from storekit import keys
from storekit.actions import Action, PostSlack, PostWebhook, PublishProduct
from storekit.automation import Automation, Context, Decision, EventMeta, Reader, ScheduleType, nothing
from storekit.clients.shopify import publish_to_call
from storekit.clients.woocommerce import publish_product_call
from storekit.clock import iso, parse_iso
from storekit.email_address import EmailAddress
from storekit.errors import BadRequest, ConfigurationError, NotFound, PermanentError
from storekit.models import Product
from storekit.outbound import shown
from storekit.records import JobRecord
from storekit.runtime import Runtime
from storekit.store import StoreConfig
from storekit.urls import PublicHttpsUrl

RELEASE = "product-release"
#: addresses one release emails at most (a bigger list belongs in the store's email tool: the
#: outbound webhook tells it)
MAX_RECIPIENTS = 200
#: the outbound webhook's event name
RELEASED = "product.released"


class ReleaseInput(BaseModel):
    """Body of POST /stores/{id}/schedules for a release."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    kind: Literal["release"]
    name: str = Field(min_length=1, max_length=200)
    product_ids: list[str] = Field(min_length=1, max_length=100)
    publish_at: str = Field(min_length=10, max_length=40)
    #: Shopify publication ids (sales channels: online store, point of sale, others); none: the
    #: Online Store. WooCommerce has no channels.
    channels: list[str] = Field(default_factory=list, max_length=20)
    #: post "<name> is out" (and the product titles storeflow knows) to the store's Slack
    announce_slack: bool = False
    message: str | None = Field(default=None, min_length=1, max_length=1000)
    #: email the announcement (marketing) to these addresses...
    announce_email: list[EmailAddress] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    #: ...which the merchant says consented to marketing email (required with announce_email)
    email_consent: bool = False
    #: POST the release to the outbound webhook (settings webhook_url), signed
    announce_webhook: bool = False

    @model_validator(mode="after")
    def _consent(self) -> ReleaseInput:
        if self.announce_email and not self.email_consent:
            raise ValueError(
                "email_consent: must be true with announce_email (every address consented to marketing email)"
            )
        return self

    @field_validator("product_ids", "channels")
    @classmethod
    def _numbers(cls, values: list[str]) -> list[str]:
        for value in values:
            tail = value.rsplit("/", 1)[-1]
            if not tail.isdigit() or len(tail) > 20:
                raise ValueError(f"{value[:40]!r} is not an id (a number or a gid://shopify/... id)")
        return [value.rsplit("/", 1)[-1] for value in values]

    @field_validator("name", "message")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("must be printable text")
        return value


class ReleaseParams(BaseModel):
    """What a release's due job carries."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    name: str
    product_ids: list[str]
    channels: list[str] = Field(default_factory=list)
    announce_slack: bool = False
    message: str | None = None
    announce_email: list[str] = Field(default_factory=list)
    announce_webhook: bool = False


class ReleaseSettings(FlowSettings):
    """How releases are announced: the marketing email's sender, template and quiet hours (as the
    customers domain's flows), and the outbound webhook for social tools."""

    #: where `announce_webhook` posts (https, public host), signed with the store's outbound secret
    webhook_url: PublicHttpsUrl | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class ReleaseFacts:
    """What a release's announcement reads: product titles and handles storeflow has seen, and each
    address's marketing contact (opt-out, recent sends), by its hash."""

    titles: dict[str, str] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)


def publish_calls(store: StoreConfig, params: ReleaseParams) -> list[dict[str, Any]]:
    """What the release would publish: each call as it would be sent."""
    calls = []
    for product_id in params.product_ids:
        try:
            if store.platform == "shopify":
                call = publish_to_call(store.shop_domain, product_id, params.channels)
            else:
                call = publish_product_call(store.shop_domain, product_id)
            calls.append(shown(call))
        except (PermanentError, ConfigurationError) as exc:
            calls.append({"product_id": product_id, "error": f"going live would fail: {exc}"})
    return calls


def release_payload(
    job_id: str, params: ReleaseParams, facts: ReleaseFacts, store: StoreConfig
) -> dict[str, Any]:
    """What the outbound webhook posts (social tools pick the products and the text from it)."""
    return {
        "event": RELEASED,
        "store_id": store.store_id,
        "release_id": job_id,
        "name": params.name,
        "message": announcement(params, facts.titles),
        "products": [
            {"id": p, "title": facts.titles.get(p), "url": product_url(store, facts.handles.get(p), p)}
            for p in params.product_ids
        ],
    }


def product_url(store: StoreConfig, handle: str | None, product_id: str) -> str | None:
    """The product's page on the store (Shopify: /products/<handle>; WooCommerce: ?p=<id>)."""
    if store.platform == "shopify":
        return f"https://{store.shop_domain}/products/{handle}" if handle else None
    return f"{store.shop_domain.rstrip('/')}/?p={product_id}"


def announcement(params: ReleaseParams, titles: Mapping[str, str]) -> str:
    named = ", ".join(titles.get(p, f"product {p}") for p in params.product_ids)
    return (params.message or f"{params.name} is out now") + f": {named}"


def create_release(
    store: StoreConfig, data: Mapping[str, Any], runtime: Runtime
) -> tuple[int, dict[str, Any]]:
    try:
        body = ReleaseInput.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    if store.platform == "woocommerce" and body.channels:
        raise BadRequest(
            "channels: WooCommerce has no sales channels (the product's status is set to publish)"
        )
    try:
        due = local_time(body.publish_at, store.timezone)
    except ValueError as exc:
        raise BadRequest(
            f"publish_at: an ISO-8601 time, with a UTC offset or in the store's time zone ({store.timezone})"
        ) from exc
    settings = PRODUCT_RELEASE.settings_for(store)
    if body.announce_webhook and settings.webhook_url is None:
        raise BadRequest(
            "announce_webhook: set the webhook URL first (automations.product-release.settings.webhook_url)"
        )
    params = ReleaseParams.model_validate(body.model_dump())
    job = runtime.repo.put_job(
        JobRecord(
            job_id=uuid.uuid4().hex,
            store_id=store.store_id,
            kind=RELEASE,
            due_at=iso(due),
            params=params.model_dump(),
            created_at=iso(runtime.clock.now()),
        )
    )
    assert job is not None
    return 201, {
        **job.view(),
        "publish_at_local": due.astimezone(ZoneInfo(store.timezone)).isoformat(),
        "would_publish": publish_calls(store, params),
        "would_announce": announcement(params, {}) if params.announce_slack else None,
        **would_send(job, store, runtime),
        "mode": store.mode_for(RELEASE),
    }


#: emails shown in full in a release's preview (the rest are counted)
EMAILS_SHOWN = 3


def would_send(job: JobRecord, store: StoreConfig, runtime: Runtime) -> dict[str, Any]:
    """The announcements the release sends, rendered by the executor's own code (as of now: an
    address that opts out before the release is left out then)."""
    from functions.engine.perform import preview

    reader = Reader(store.store_id, runtime.repo, store=store, now=runtime.clock.now())
    settings = PRODUCT_RELEASE.settings_for(store)
    context = Context(
        store=store,
        settings=settings,
        event=EventMeta(
            event_id=job.job_id, platform=store.platform, topic="due", delivery_id="", received_at=""
        ),
        now=parse_iso(job.due_at),
        related=load_release(job, reader),
    )
    decision = release_due(job, context)
    emails = [a for a in decision if a.kind == "send_email"]
    others = [a for a in decision if a.kind in ("post_slack", "post_webhook")]
    return {
        "would_send": [preview(a.model_dump(mode="json"), store, runtime) for a in others],
        "would_email": [preview(a.model_dump(mode="json"), store, runtime) for a in emails[:EMAILS_SHOWN]],
        "emails_total": len(emails),
        "not_sent": decision.reason,
    }


def release_params(job: JobRecord) -> ReleaseParams | None:
    """The release a due job carries (None for a job filed with other params)."""
    try:
        return ReleaseParams.model_validate(job.params)
    except ValidationError:
        return None


def load_release(job: JobRecord, reader: Reader) -> ReleaseFacts:
    """The titles and handles of the products storeflow has seen (product webhooks), and each
    address's marketing contact (one read per address)."""
    titles: dict[str, str] = {}
    handles: dict[str, str] = {}
    params = release_params(job)
    for product_id in params.product_ids if params else []:
        found = reader.snapshot("product", product_id)
        if isinstance(found, Product) and found.title:
            titles[product_id] = found.title
        if isinstance(found, Product) and found.handle:
            handles[product_id] = found.handle
    contacts = {}
    for address in params.announce_email if params else []:
        digest = keys.contact_digest(reader.store_id, address)
        contacts[digest] = reader.repo.marketing_contact(reader.store_id, digest)
    return ReleaseFacts(titles=titles, handles=handles, contacts=contacts)


def _emails(
    job: JobRecord, params: ReleaseParams, ctx: Context[ReleaseSettings, ReleaseFacts]
) -> tuple[list[Action], list[str]]:
    """The marketing emails, each through the customers domain's rules; and why some are not sent."""
    if not params.announce_email:
        return [], []
    named = [ctx.related.titles.get(p, f"product {p}") for p in params.product_ids]
    first = params.product_ids[0]
    offer = Offer(
        headline=params.message or f"{params.name} is out now",
        intro=f"new at {ctx.store.display_name}: {', '.join(named)}.",
        sms="",
        cta_url=product_url(ctx.store, ctx.related.handles.get(first), first),
        cta_label="See it now",
    )
    actions: list[Action] = []
    skipped: dict[str, int] = {}
    # the release's webhook_url posts the release once (below); it is not the flows' per-message
    # webhook channel that FlowSettings also calls webhook_url: each email is an email only
    email_settings = ctx.settings.model_copy(update={"webhook_url": None})
    for address in params.announce_email:
        digest = keys.contact_digest(ctx.store.store_id, address)
        recipient = Recipient(key=digest, email=address, email_consent=True)
        decided = plan_marketing(
            RELEASE,
            ctx.store,
            ctx.now,
            email_settings,
            recipient,
            ctx.related.contacts.get(digest, {}),
            offer,
            once_per=f"release:{job.job_id}:{digest}",
        )
        actions += list(decided)
        if not decided:
            why = (decided.reason or "not sent").split(":")[0]
            skipped[why] = skipped.get(why, 0) + 1
    notes = [f"{n} address(es) not emailed: {why}" for why, n in sorted(skipped.items())]
    return actions, notes


def release_due(job: JobRecord, ctx: Context[ReleaseSettings, ReleaseFacts]) -> Decision:
    params = release_params(job)
    if params is None:
        return nothing("this job names no release (file releases with POST /stores/{id}/schedules)")
    actions: list[Action] = [
        PublishProduct(
            product_id=product_id,
            publication_ids=params.channels,
            once_per=f"release:{job.job_id}:{product_id}",
        )
        for product_id in params.product_ids
    ]
    if not actions:
        return nothing("the release names no product")
    notes: list[str] = []
    if params.announce_slack:
        actions.append(
            PostSlack(text=announcement(params, ctx.related.titles), once_per=f"release:{job.job_id}:slack")
        )
    if params.announce_webhook and ctx.settings.webhook_url:
        actions.append(
            PostWebhook(
                url=ctx.settings.webhook_url,
                event=RELEASED,
                payload=release_payload(job.job_id, params, ctx.related, ctx.store),
                once_per=f"release:{job.job_id}:webhook",
            )
        )
    elif params.announce_webhook:
        notes.append("no webhook post: the product-release setting webhook_url was removed")
    emails, skipped = _emails(job, params, ctx)
    return Decision([*actions, *emails], "; ".join(notes + skipped) or None)


PRODUCT_RELEASE: Automation[object, ReleaseSettings, ReleaseFacts] = Automation(
    name=RELEASE,
    description="scheduled product releases (POST /stores/{id}/schedules kind release): publishes "
    "the products to their channels at the chosen time and announces them (Slack, outbound webhook, "
    "marketing email to the merchant's consented list)",
    topics=frozenset(),
    settings_model=ReleaseSettings,
    on_due=release_due,
    load_due=load_release,
)


def _filed_as_product_release(job: JobRecord, runtime: Runtime) -> str:
    return "a release runs as a product-release job"


def _not_stored(store: StoreConfig, job_id: str, query: Mapping[str, str], runtime: Runtime) -> None:
    return None  # a release is stored as a product-release job, shown as any due job


def _cancel_generic(store: StoreConfig, job_id: str, runtime: Runtime) -> tuple[int, dict[str, Any]]:
    raise NotFound("a release is cancelled as its product-release job")


RELEASE_SCHEDULE = ScheduleType(
    run=_filed_as_product_release, create=create_release, show=_not_stored, cancel=_cancel_generic
)
