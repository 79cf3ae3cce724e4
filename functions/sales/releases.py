"""Scheduled product releases: products prepared unpublished are published at a chosen time to the
chosen sales channels, and announced on Slack.

POST /stores/{id}/schedules {"kind": "release", ...} files a due job of the `product-release`
automation (listed, shown and cancelled like any due job until it runs); when it comes up, the
automation decides one PublishProduct per product (Shopify: publishablePublish on each channel's
publication, else the Online Store; WooCommerce: status publish) and the Slack post. The executor
carries them out, so a dry-run store plans them and each action's preview is the exact call.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from functions.admin.stores import validation_message
from functions.sales.models import local_time
from storekit.actions import Action, PostSlack, PublishProduct
from storekit.automation import Automation, Context, Decision, Reader, ScheduleType, nothing
from storekit.clients.shopify import publish_to_call
from storekit.clients.woocommerce import publish_product_call
from storekit.clock import iso
from storekit.errors import BadRequest, ConfigurationError, NotFound, PermanentError
from storekit.models import Product
from storekit.outbound import shown
from storekit.records import JobRecord
from storekit.runtime import Runtime
from storekit.store import StoreConfig

RELEASE = "product-release"


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


class ReleaseSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


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
        "mode": store.mode_for(RELEASE),
    }


def release_params(job: JobRecord) -> ReleaseParams | None:
    """The release a due job carries (None for a job filed with other params)."""
    try:
        return ReleaseParams.model_validate(job.params)
    except ValidationError:
        return None


def load_titles(job: JobRecord, reader: Reader) -> dict[str, str]:
    """The titles of the products storeflow has seen (product webhooks), for the announcement."""
    titles: dict[str, str] = {}
    params = release_params(job)
    for product_id in params.product_ids if params else []:
        found = reader.snapshot("product", product_id)
        if isinstance(found, Product) and found.title:
            titles[product_id] = found.title
    return titles


def release_due(job: JobRecord, ctx: Context[ReleaseSettings, dict[str, str]]) -> Decision:
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
    if params.announce_slack:
        actions.append(
            PostSlack(text=announcement(params, ctx.related), once_per=f"release:{job.job_id}:slack")
        )
    return Decision(actions)


PRODUCT_RELEASE: Automation[object, ReleaseSettings, dict[str, str]] = Automation(
    name=RELEASE,
    description="scheduled product releases (POST /stores/{id}/schedules kind release): publishes "
    "the products to their channels at the chosen time and announces them on Slack",
    topics=frozenset(),
    settings_model=ReleaseSettings,
    on_due=release_due,
    load_due=load_titles,
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
