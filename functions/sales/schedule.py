"""A sale as a schedule kind: POST /stores/{id}/schedules {"kind": "sale", ...} files it, GET
/stores/{id}/schedules/{job_id} shows it with each variant's before / during / after, DELETE
cancels it (a running price sale is put back by the next sweep)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from functions.admin.stores import validation_message
from functions.sales.models import (
    BundleInput,
    GiftInput,
    Sale,
    SaleEdit,
    SaleInput,
    local_time,
    new_offer_sale,
    new_sale,
)
from functions.sales.runner import (
    ProductRecord,
    change_sale,
    file_step,
    is_dry_run,
    load_sale,
)
from functions.sales.steps import run_sale_step
from storekit.automation import ScheduleType
from storekit.clock import iso, parse_iso
from storekit.errors import BadRequest, ConfigurationError, Conflict, NotFound, PermanentError, shown
from storekit.runtime import Runtime
from storekit.store import StoreConfig

#: variants one GET shows at most (?limit=, ?offset= page through the rest)
MAX_VARIANTS_SHOWN = 5000
DEFAULT_VARIANTS_SHOWN = 500


def _time(text: str, field: str, store: StoreConfig) -> datetime:
    try:
        return local_time(text, store.timezone)
    except ValueError as exc:
        raise BadRequest(
            f"{field}: an ISO-8601 time, with a UTC offset or in the store's time zone ({store.timezone})"
        ) from exc


def overlapping_sale(sale: Sale, others: list[Sale]) -> tuple[Sale, list[str]] | None:
    """Another price sale whose window overlaps this one's and that names the same products,
    SKUs, tags or collections: (that sale, what both name)."""
    for other in others:
        if (
            other.job_id == sale.job_id
            or other.method != "price"
            or other.state not in ("scheduled", "running")
            or other.cancel_requested
            or not (other.starts_at < sale.ends_at and sale.starts_at < other.ends_at)
            or other.selector != sale.selector
        ):
            continue
        shared = sorted(set(other.selected) & set(sale.selected))
        if shared:
            return other, shared
    return None


#: variants a POST reads from the store at most to compare a sale with others selected another way
OVERLAP_READ_LIMIT = 2000


def _by_exact_ids(a: Sale, b: Sale) -> bool:
    """Both select by the same kind of exact id (product ids, or SKUs): `overlapping_sale` is complete."""
    return a.selector == b.selector and a.selector in ("product_ids", "skus")


def _variants_of(sale: Sale, store: StoreConfig, runtime: Runtime, calls: Any) -> set[str] | None:
    """The variant ids a price sale changes: its records once started, else read from the store
    (None: more than OVERLAP_READ_LIMIT)."""
    from storekit.clients.prices import price_book

    found: set[str] = set()
    if sale.recorded:
        for data in runtime.repo.sale_products(sale.store_id, sale.job_id):
            for change in ProductRecord.load(data).variants:
                if change.outcome in ("recorded", "planned", "on_sale"):
                    found.add(change.variant_id)
        return found
    named = set(sale.discount.prices or {})
    book = price_book(store.platform, store.shop_domain)
    for _, variants in book.selected(sale.selector, sale.selected, calls):
        for variant in variants:
            if not named or variant.variant_id in named or (variant.sku or "") in named:
                found.add(variant.variant_id)
        if len(found) > OVERLAP_READ_LIMIT:
            return None
    return found


def overlap_across_selectors(
    sale: Sale, others: list[Sale], store: StoreConfig, runtime: Runtime
) -> tuple[tuple[Sale, list[str]] | None, str | None]:
    """Another price sale, selected another way (a tag sale and a SKU sale), whose window overlaps
    and which changes one of the same variants: found by reading both selections from the store
    (bounded). Returns (that sale and the shared variant ids, None), or (None, why the check could
    not be made: such variants are then skipped at the start, as "in the price sale ... already")."""
    from functions.sales import runner
    from functions.sales.runner import ContinueLater, StoreCalls, sender
    from storekit.errors import ExternalCallError

    candidates = [
        other
        for other in others
        if other.job_id != sale.job_id
        and other.method == "price"
        and other.state in ("scheduled", "running")
        and not other.cancel_requested
        and other.starts_at < sale.ends_at
        and sale.starts_at < other.ends_at
        and not _by_exact_ids(sale, other)
    ]
    if not candidates:
        return None, None
    pace = runner.DEFAULT_PACE()  # an HTTP answer: a short budget, short waits
    pace.budget_s, pace.max_wait_s = min(pace.budget_s, 10.0), min(pace.max_wait_s, 2.0)
    calls = StoreCalls(sender(store, runtime, sale), pace)
    deferred = f"over {OVERLAP_READ_LIMIT} variants: other sales' variants are skipped at the start"
    try:
        mine = _variants_of(sale, store, runtime, calls)
        if mine is None:
            return None, deferred
        note = None
        for other in candidates:
            theirs = _variants_of(other, store, runtime, calls)
            if theirs is None:
                note = deferred
                continue
            shared = sorted(mine & theirs)
            if shared:
                return (other, shared), None
        return None, note
    except (ExternalCallError, ContinueLater, ConfigurationError) as exc:
        return None, (
            f"the store could not be read to compare with other sales ({exc}): variants another "
            "price sale holds are skipped at the start"
        )[:300]


def create_sale(store: StoreConfig, data: Mapping[str, Any], runtime: Runtime) -> tuple[int, dict[str, Any]]:
    try:
        body = SaleInput.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    if body.method == "discount" and body.prices is not None:
        raise BadRequest(
            "prices: a platform discount takes percent_off or amount_off (fixed prices need 'price')"
        )
    starts, ends, now = _window(body.starts_at, body.ends_at, store, runtime)
    selector, values = body.selector
    if store.platform == "woocommerce" and selector in ("tags", "collection_ids"):
        bad = [v for v in values if not v.isdigit()]
        if bad:
            raise BadRequest(f"{selector}: WooCommerce selects products by tag or category id (a number)")
    job_id = uuid.uuid4().hex
    sale = new_sale(body, store.store_id, job_id, store.currency, store.timezone, now)
    others = [Sale.model_validate(s) for s in runtime.repo.sales_of_store(store.store_id)]
    clash = overlapping_sale(sale, others)
    if clash is not None:
        other, shared = clash
        named = ", ".join(shared[:20]) + (f" and {len(shared) - 20} more" if len(shared) > 20 else "")
        raise Conflict(
            f"overlaps the price sale {other.name!r} ({other.job_id}, {other.starts_at} to {other.ends_at}) "
            f"on {selector} {named}"
        )
    note = None
    if sale.method == "price":
        across, note = overlap_across_selectors(sale, others, store, runtime)
        if across is not None:
            other, shared = across
            named = ", ".join(shared[:20]) + (f" and {len(shared) - 20} more" if len(shared) > 20 else "")
            raise Conflict(
                f"overlaps the price sale {other.name!r} ({other.job_id}, {other.starts_at} to "
                f"{other.ends_at}, selected by {other.selector}) on variant(s) {named}"
            )
    _file(runtime, sale, starts, ends)
    return 201, {**sale.view(), **({"overlap_check": note} if note else {})}


def create_offer(store: StoreConfig, data: Mapping[str, Any], runtime: Runtime) -> tuple[int, dict[str, Any]]:
    """A bundle or a gift: a platform discount for its window (filed like a discount sale)."""
    model: type[BundleInput] | type[GiftInput] = BundleInput if data.get("kind") == "bundle" else GiftInput
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    if isinstance(body, GiftInput):
        buys = body.buy_product_ids is not None or body.buy_collection_ids is not None
        if store.platform == "shopify" and not buys:
            raise BadRequest(
                "buy_product_ids: a Shopify gift (a buy X get Y discount) needs the qualifying "
                "products or collections (buy_product_ids or buy_collection_ids)"
            )
        if store.platform == "woocommerce" and (buys or body.min_subtotal is None):
            raise BadRequest(
                "min_subtotal: a WooCommerce gift is a coupon whose only cart condition is its "
                "subtotal: give min_subtotal (no buy_product_ids, buy_collection_ids or min_quantity)"
            )
    starts, ends, now = _window(body.starts_at, body.ends_at, store, runtime)
    sale = new_offer_sale(body, store.store_id, uuid.uuid4().hex, store.currency, store.timezone, now)
    _file(runtime, sale, starts, ends)
    return 201, sale.view()


def _window(
    starts_at: str, ends_at: str, store: StoreConfig, runtime: Runtime
) -> tuple[datetime, datetime, datetime]:
    """A sale's start and end (the store's time zone when they name none) and now; 400 when the
    window is empty or already over."""
    starts, ends = _time(starts_at, "starts_at", store), _time(ends_at, "ends_at", store)
    now = runtime.clock.now()
    if ends <= starts:
        raise BadRequest("ends_at: must be after starts_at")
    if ends <= now:
        raise BadRequest("ends_at: is in the past")
    return starts, ends, now


def _file(runtime: Runtime, sale: Sale, starts: datetime, ends: datetime) -> None:
    """Keep the sale and file its start and end steps."""
    runtime.repo.add_sale(sale.model_dump(mode="json"), sale.view())
    file_step(runtime, sale, "start", starts)
    file_step(runtime, sale, "end", ends)


def _page(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    text = query.get(name, str(default))
    if not text.isdigit() or int(text) > most:
        raise BadRequest(f"{name}: a whole number from 0 to {most}")
    return int(text)


def show_sale(
    store: StoreConfig, job_id: str, query: Mapping[str, str], runtime: Runtime
) -> dict[str, Any] | None:
    """The sale with each variant's before / during / after (paged: ?offset=&limit=) and, in
    dry-run, the calls going live would send."""
    found = load_sale(runtime, store.store_id, job_id)
    if found is None:
        return None
    sale, _ = found
    offset = _page(query, "offset", 0, 10**7)
    limit = _page(query, "limit", DEFAULT_VARIANTS_SHOWN, MAX_VARIANTS_SHOWN) or DEFAULT_VARIANTS_SHOWN
    variants: list[dict[str, Any]] = []
    planned: list[ProductRecord] = []
    seen = 0
    for data in runtime.repo.sale_products(store.store_id, job_id):
        record = ProductRecord.load(data)
        if record.status == "planned" and len(planned) < 3:
            planned.append(record)
        for change in record.variants:
            if offset <= seen < offset + limit:
                variants.append({"product_id": record.product_id, **change.view()})
            seen += 1
    out = {
        **sale.view(),
        "dry_run": is_dry_run(sale, store),
        "variants": variants,
        "variants_total": seen,
        "next_offset": offset + limit if offset + limit < seen else None,
    }
    if planned:
        out["planned_calls"] = _planned_calls(store, planned)
    return out


def _planned_calls(store: StoreConfig, records: list[ProductRecord]) -> list[dict[str, Any]]:
    """The first bulk calls going live would send (the same render the runner sends)."""
    from storekit.clients.prices import PriceUpdate, price_book
    from storekit.outbound import shown as shown_call

    book = price_book(store.platform, store.shop_domain)
    calls = []
    for record in records:
        updates = [
            PriceUpdate(variant_id=c.variant_id, price=c.sale_price, compare_at=c.sale_compare_at)
            for c in record.variants
            if c.sale_price is not None
        ]
        if updates:
            try:
                calls.append(shown_call(book.update_call([(record.product_id, record.variable, updates)])))
            except (PermanentError, ConfigurationError) as exc:
                calls.append({"error": f"going live would fail: {exc}"})
    return calls


def cancel_sale(store: StoreConfig, job_id: str, runtime: Runtime) -> tuple[int, dict[str, Any]]:
    """A sale not started yet is cancelled now (200); a running one is put back by the next sweep
    (202, `cancel_requested`; its state becomes cancelled once every price is restored)."""
    found = load_sale(runtime, store.store_id, job_id)
    if found is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store.store_id!r}")
    sale, _ = found
    if sale.state not in ("scheduled", "running") or sale.cancel_requested:
        raise Conflict(f"this sale is {'being cancelled' if sale.cancel_requested else sale.state} already")

    def cancel(current: Sale) -> Sale:
        if current.state == "scheduled":
            return current.model_copy(update={"state": "cancelled", "cancel_requested": True})
        if current.state == "running":
            return current.model_copy(update={"cancel_requested": True})
        raise Conflict(f"this sale is {current.state} already")

    sale = change_sale(runtime, store.store_id, job_id, cancel)
    if sale.state == "cancelled":
        return 200, sale.view()
    file_step(runtime, sale, "cancel", runtime.clock.now())
    return 202, sale.view()


def edit_sale(
    store: StoreConfig, job_id: str, data: Mapping[str, Any], runtime: Runtime
) -> tuple[int, dict[str, Any]]:
    """Change a sale's name, window or price. Before it starts anything may change; while it is on,
    its end and price (the new price reaches the store at the next sweep, figured from each
    variant's recorded price); while it is changing prices (starting, ending), nothing."""
    try:
        body = SaleEdit.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from exc
    found = load_sale(runtime, store.store_id, job_id)
    if found is None:
        raise NotFound(f"no schedule {shown(job_id)} in store {store.store_id!r}")
    sale, _ = found
    now = runtime.clock.now()
    starts = _time(body.starts_at, "starts_at", store) if body.starts_at else None
    ends = _time(body.ends_at, "ends_at", store) if body.ends_at else None

    def edited(current: Sale) -> Sale:
        if current.method == "discount":
            raise Conflict("a discount sale cannot be changed: cancel it and file a new one")
        if current.cancel_requested or current.state not in ("scheduled", "running"):
            raise Conflict(f"this sale is {current.state}: it can no longer be changed")
        if current.state == "running" and current.phase != "on":
            raise Conflict(f"this sale is {current.phase} prices now: change it once that is done")
        if starts is not None and current.state == "running":
            raise BadRequest("starts_at: the sale has started")
        update: dict[str, Any] = {}
        if body.name:
            update["name"] = body.name.strip()
        if starts is not None:
            update["starts_at"] = iso(starts)
        if ends is not None:
            update["ends_at"] = iso(ends)
        if body.discount is not None:
            update["discount"] = body.discount
        changed = current.model_copy(update=update)
        if parse_iso(changed.ends_at) <= parse_iso(changed.starts_at):
            raise BadRequest("ends_at: must be after starts_at")
        if parse_iso(changed.ends_at) <= now:
            raise BadRequest("ends_at: is in the past")
        others = [Sale.model_validate(s) for s in runtime.repo.sales_of_store(store.store_id)]
        clash = overlapping_sale(changed, others)
        if clash is not None:
            raise Conflict(
                f"overlaps the price sale {clash[0].name!r} ({clash[0].job_id}) on {', '.join(clash[1][:20])}"
            )
        return changed

    after = change_sale(runtime, store.store_id, job_id, edited)
    if after.starts_at != sale.starts_at:
        file_step(runtime, after, "start", parse_iso(after.starts_at))
    if after.ends_at != sale.ends_at:
        file_step(runtime, after, "end", parse_iso(after.ends_at))
    if after.state == "running" and after.discount != sale.discount:
        file_step(runtime, after, "reprice", now, step_id=f"{job_id}-reprice-{uuid.uuid4().hex[:12]}")
    return 200, after.view()


OFFER_SCHEDULE = ScheduleType(
    run=lambda job, runtime: run_sale_step(job, runtime),
    create=create_offer,
    show=show_sale,
    cancel=cancel_sale,
)

SALE_SCHEDULE = ScheduleType(
    run=lambda job, runtime: run_sale_step(job, runtime),
    create=create_sale,
    show=show_sale,
    cancel=cancel_sale,
    edit=edit_sale,
)
