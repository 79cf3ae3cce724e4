"""Marketing notices, decided on real payloads: new published products, products going low and
selling out; at once or as one daily digest at a store-local time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from functions.inventory.facts import DigestFacts, StockFacts
from functions.inventory.marketing import MarketingSettings, marketing_notices, next_digest, send_digest
from storekit.actions import PostSlack, ScheduleJob, SendEmail
from storekit.adapters import Topic
from storekit.models import Product
from storekit.records import JobRecord
from tests.payloads import FIXTURES
from tests.unit.test_inventory_logic import NOW, PINK, ctx, ipod, level, parsed, pink_item, stock_of

pytestmark = pytest.mark.unit


def created() -> Product:
    """A real products/create (published, active)."""
    return parsed(FIXTURES / "shopify" / "products_create__hookdeck-2024-10.json", Topic.PRODUCT_CREATED)


def on(topic: Topic, settings: MarketingSettings, facts: StockFacts, **kw: Any) -> Any:
    context = ctx(settings, facts, **kw)
    return replace(context, event=context.event.model_copy(update={"topic": topic}))


def test_a_product_created_published_is_announced_at_once() -> None:
    product = created()
    [slack] = marketing_notices(product, on(Topic.PRODUCT_CREATED, MarketingSettings(), StockFacts()))
    assert isinstance(slack, PostSlack)
    assert slack.text.startswith("New product published\nNew product published: Example T-Shirt https://")
    assert f"/admin/products/{product.id}" in slack.text


def test_a_draft_is_not_new_until_it_is_published() -> None:
    draft = created().model_copy(update={"published": False})
    decision = marketing_notices(draft, on(Topic.PRODUCT_CREATED, MarketingSettings(), StockFacts()))
    assert list(decision) == [] and "nothing for marketing" in (decision.reason or "")
    published = created()
    [slack] = marketing_notices(
        published, on(Topic.PRODUCT_UPDATED, MarketingSettings(), StockFacts(product=draft))
    )
    assert "New product published: Example T-Shirt" in slack.text  # type: ignore[union-attr]
    # already published before: an update is not news
    again = marketing_notices(
        published, on(Topic.PRODUCT_UPDATED, MarketingSettings(), StockFacts(product=published))
    )
    assert list(again) == []


def test_an_update_of_a_product_never_seen_is_not_called_new() -> None:
    decision = marketing_notices(created(), on(Topic.PRODUCT_UPDATED, MarketingSettings(), StockFacts()))
    assert list(decision) == [] and "not new" in (decision.reason or "")


def test_going_low_uses_the_low_stock_threshold_once_per_drop() -> None:
    settings = MarketingSettings(email="marketing@example.com")
    facts = StockFacts(item=pink_item(), stock_item=stock_of(ipod()))  # Pink 10
    slack, email = marketing_notices(level(4), on(Topic.INVENTORY_UPDATED, settings, facts))
    assert isinstance(slack, PostSlack) and isinstance(email, SendEmail)
    assert "Going low: IPod Nano - 8GB - Pink: 4 left (threshold 5)" in slack.text
    assert email.to == "marketing@example.com" and email.context["heading"] == "Going low"
    already_low = StockFacts(item=pink_item(), stock_item=stock_of(ipod(), **{f"LOW#{PINK}": 1}))
    assert list(marketing_notices(level(3), on(Topic.INVENTORY_UPDATED, settings, already_low))) == []


def test_selling_out_is_told_once() -> None:
    product = ipod()
    others_out = stock_of(product, **{f"T#{v.id}": 0 for v in product.variants[1:]}, **{f"T#{PINK}": 1})
    facts = StockFacts(item=pink_item(), stock_item=others_out)
    settings = MarketingSettings(going_low=False)
    [slack] = marketing_notices(level(0), on(Topic.INVENTORY_UPDATED, settings, facts))
    assert "Sold out: IPod Nano - 8GB" in slack.text  # type: ignore[union-attr]
    recorded = StockFacts(item=pink_item(), stock_item={**others_out, "SOLDOUT": "{}"})
    assert list(marketing_notices(level(0), on(Topic.INVENTORY_UPDATED, settings, recorded))) == []


def test_digest_mode_files_a_job_for_the_next_local_digest_time() -> None:
    settings = MarketingSettings(digest_at="09:30")
    facts = StockFacts(item=pink_item(), stock_item=stock_of(ipod()))
    context = on(Topic.INVENTORY_UPDATED, settings, facts)
    context = replace(context, store=context.store.model_copy(update={"timezone": "America/New_York"}))
    decision = marketing_notices(level(4), context)
    [job] = decision
    assert isinstance(job, ScheduleJob) and job.job_kind == "marketing-notices"
    # 12:07 UTC is 07:07 in New York: today's 09:30 there
    assert job.due_at == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert "daily digest at 09:30" in (decision.reason or "")


def test_next_digest_is_tomorrow_once_today_passed_and_follows_dst() -> None:
    assert next_digest(NOW, "Europe/Berlin", "09:00") == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 in Berlin (UTC+2)
    assert next_digest(summer, "Europe/Berlin", "09:00") == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def _job(job_id: str, text: str) -> JobRecord:
    return JobRecord(
        job_id=job_id,
        store_id="demo",
        kind="marketing-notices",
        due_at="2026-11-25T08:00:00.000000Z",
        params={"text": text},
        created_at="2026-11-24T12:00:00.000000Z",
    )


def test_the_first_job_due_sends_one_digest_the_others_say_where_they_went() -> None:
    jobs = (_job("a", "Going low: A"), _job("b", "Sold out: B"))
    [slack] = send_digest(jobs[0], ctx(MarketingSettings(), DigestFacts(jobs=jobs)))
    assert isinstance(slack, PostSlack)
    assert slack.text == "Product notices: 2\n- Going low: A\n- Sold out: B"
    other = send_digest(jobs[1], ctx(MarketingSettings(), DigestFacts(jobs=jobs)))
    assert list(other) == [] and "sent in the marketing digest" in (other.reason or "")


def test_runs_say_why_nothing_was_told_and_settings_are_checked() -> None:
    off = marketing_notices(
        created(), on(Topic.PRODUCT_CREATED, MarketingSettings(slack=False), StockFacts())
    )
    assert list(off) == [] and "marketing notices are off" in (off.reason or "")
    for bad in ({"digest_at": "9:30"}, {"digest_at": "24:00"}, {"email": "nope"}, {"slack_channel": "x"}):
        with pytest.raises(ValidationError):
            MarketingSettings.model_validate(bad)
