"""The customers domain's pure decisions: the marketing gate (consent, opt-out, cap, holdout, quiet
hours), loyalty tiers from counters, segment tags and attribution."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.customers.facts import attributed_flow
from functions.customers.flows import ABANDONED_CHECKOUT, WELCOME, ContactFacts, send_win_back, welcome
from functions.customers.loyalty import Standing, loyalty_changes, tier_for, update_tier
from functions.customers.marketing import Offer, Recipient, cap_reached, in_holdout, plan_marketing
from functions.customers.models import (
    LoyaltySettings,
    MarketingRules,
    Reward,
    SegmentSettings,
    Tier,
    WinBackSettings,
)
from functions.customers.segments import History, device_of, segment_tags_for, tag_segments
from storekit.clock import iso
from storekit.models import Customer, Order, Refund
from tests.payloads import load_fixture
from tests.unit.test_run_reasons import ctx, job, reason_of, resource

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
ORDER_RAW = json.loads(load_fixture("shopify/orders_create__python-api-order.json")[0])
BOT = Recipient(key="207119551", email="bob.norman@hostmail.com", email_consent=True, customer_id="207119551")


def order(**changes: Any) -> Order:
    found = resource("shopify/orders_create__python-api-order.json", changes)
    assert isinstance(found, Order)
    return found


def offer() -> Offer:
    return Offer(headline="Hi", intro="hello.", sms="Hi")


def plan(
    contact: dict[str, Any] | None = None, recipient: Recipient = BOT, now: datetime = NOW, **settings: Any
) -> Any:
    c = ctx(WinBackSettings(**settings), now=now)
    return plan_marketing(WELCOME, c.store, now, c.settings, recipient, contact or {}, offer(), "x")


# --- the marketing gate ------------------------------------------------------------------------
def test_a_consenting_customer_gets_an_email_with_unsubscribe_and_tracking() -> None:
    [email] = plan()
    assert email.kind == "send_email" and email.marketing
    assert email.unsubscribe is not None and email.unsubscribe.data["c"] == BOT.digest("demo")
    assert email.tracking is not None and email.tracking.data == {"f": WELCOME, "c": BOT.digest("demo")}
    assert "bob" not in json.dumps(email.unsubscribe.model_dump())  # links carry no address


def test_no_consent_no_message() -> None:
    reason = reason_of(plan(recipient=Recipient(key="1", email="a@b.example", email_consent=False)))
    assert reason == "the customer does not accept email marketing"


def test_an_opt_out_wins_over_consent() -> None:
    assert "unsubscribed" in reason_of(plan({"opted_out_at": iso(NOW - timedelta(days=30))}))


def test_the_cap_counts_every_flow_and_forgets_after_a_week() -> None:
    rules = MarketingRules()
    assert cap_reached([iso(NOW - timedelta(hours=3))], NOW, rules) is not None  # 1 a day
    week = [iso(NOW - timedelta(days=d)) for d in (2, 4, 6)]
    assert "max_per_week 3" in (cap_reached(week, NOW, rules) or "")
    assert cap_reached([iso(NOW - timedelta(days=d)) for d in (2, 8, 9)], NOW, rules) is None
    assert "frequency cap" in reason_of(plan({"sends": [iso(NOW - timedelta(hours=1))]}))


def test_quiet_hours_hold_the_message_until_morning_in_the_store_timezone() -> None:
    late = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    decision = plan(now=late)
    [email] = decision
    assert email.not_before == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    assert "quiet hours" in (decision.reason or "")


@given(st.text(min_size=1, max_size=20), st.integers(min_value=0, max_value=90))
def test_holdout_membership_is_stable(key: str, percent: int) -> None:
    assert in_holdout("demo", WELCOME, key, percent) == in_holdout("demo", WELCOME, key, percent)
    if percent == 0:
        assert not in_holdout("demo", WELCOME, key, percent)


def test_a_holdout_of_ten_percent_holds_about_ten_percent() -> None:
    held = sum(in_holdout("demo", ABANDONED_CHECKOUT, str(n), 10) for n in range(5000))
    assert 400 < held < 600


# --- flows -------------------------------------------------------------------------------------
def test_welcome_skips_a_customer_who_already_ordered() -> None:
    customer = Customer(id="1", email="a@b.example", accepts_email_marketing=True, orders_count=2)
    assert "already has 2 order(s)" in reason_of(welcome(customer, ctx(WinBackSettings(), ContactFacts())))


def test_win_back_stops_when_the_customer_ordered_since_and_tags_lapsed_otherwise() -> None:
    params = {
        "order_id": "1",
        "ordered_at": iso(NOW - timedelta(days=90)),
        "email": "a@b.example",
        "email_consent": True,
        "customer_id": "7",
        "key": "7",
    }
    again = ContactFacts(contact={"last_ordered_at": iso(NOW - timedelta(days=3))})
    assert "ordered again" in reason_of(
        send_win_back(job("win-back", **params), ctx(WinBackSettings(), again))
    )
    decision = send_win_back(job("win-back", **params), ctx(WinBackSettings(), ContactFacts()))
    kinds = [a.kind for a in decision]
    assert kinds == ["add_tags", "create_discount_code", "send_email"]
    code = decision[1]
    assert code.code.startswith("MISSYOU-") and code.customer_id == "7" and code.value == Decimal("15")


# --- loyalty -----------------------------------------------------------------------------------
TIERS = [Tier(name="silver", min_spend=Decimal("300")), Tier(name="vip", min_spend=Decimal("1000"))]


def test_tiers_are_the_highest_whose_minimums_are_met() -> None:
    assert tier_for(Decimal("299"), 5, TIERS) is None
    assert tier_for(Decimal("300"), 1, TIERS) == TIERS[0]
    assert (
        tier_for(Decimal("5000"), 1, [*TIERS, Tier(name="club", min_spend=Decimal("1"), min_orders=10)])
        == TIERS[1]
    )


def test_an_order_that_crosses_a_tier_tags_thanks_and_rewards_once() -> None:
    settings = LoyaltySettings(tiers=TIERS, rewards=[Reward(spend=Decimal("1000"))])
    big = order(customer={**ORDER_RAW["customer"], "accepts_marketing": True})  # 409.94
    standing = Standing(order=big, spend=Decimal("700"), orders=3)
    decision = update_tier(big, ctx(settings, standing))
    kinds = [a.kind for a in decision]
    assert kinds == ["remove_tags", "add_tags", "send_email", "create_discount_code", "send_email"]
    assert decision[1].tags == ["tier:vip"] and decision[0].tags == ["tier:silver"]
    # the same order delivered again finds itself counted: nothing new is earned
    counted = Standing(order=big, spend=Decimal("1109.94"), orders=4, counted=frozenset({f"order:{big.id}"}))
    again = update_tier(big, ctx(settings, counted))
    assert [a.once_per for a in again] == [a.once_per for a in decision]  # the outbox keeps one of each
    # a later order above the threshold earns no second reward
    consenting = {**ORDER_RAW["customer"], "accepts_marketing": True, "tags": "tier:vip"}
    later = update_tier(order(id=450789470, customer=consenting), ctx(settings, counted))
    assert list(later) == [] and "tier vip" in (later.reason or "")


def test_a_refund_moves_the_customer_down_a_tier() -> None:
    settings = LoyaltySettings(tiers=TIERS)
    bought = order(customer={**ORDER_RAW["customer"], "tags": "tier:vip"})
    refund = Refund(id="9", order_id=bought.id, total=Decimal("200"))
    standing = Standing(
        order=bought, spend=Decimal("1100"), orders=3, counted=frozenset({f"order:{bought.id}"})
    )
    decision = update_tier(refund, ctx(settings, standing))
    assert [(a.kind, a.tags) for a in decision] == [
        ("remove_tags", ["tier:vip"]),
        ("add_tags", ["tier:silver"]),
    ]
    assert not any(a.kind == "send_email" for a in decision)  # no thank-you for going down


def test_a_cancellation_takes_back_what_its_refunds_did_not() -> None:
    cancelled = order(cancelled_at="2026-11-24T10:00:00Z")
    changes = loyalty_changes(cancelled, cancelled)
    refunded = sum((abs(r.total) for r in cancelled.refunds), Decimal("0"))
    assert sum(c.spend for c in changes) == -cancelled.total  # type: ignore[operator]
    assert changes[-1].orders == -1 and all(c.requires == f"order:{cancelled.id}" for c in changes)
    assert refunded >= 0


# --- segments ----------------------------------------------------------------------------------
def test_segment_tags_from_a_real_order() -> None:
    bag = resource("shopify/orders_create__bag-server-test-order-AUD.json")
    assert isinstance(bag, Order)
    tags = segment_tags_for(bag, 0, SegmentSettings())
    assert tags[0].startswith("country:") and "history:first-time" in tags
    assert any(t.startswith("value:") for t in tags)


def test_devices_from_user_agents() -> None:
    assert (
        device_of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148") == "device:mobile"
    )
    assert device_of("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)") == "device:tablet"
    assert device_of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120") == "device:desktop"
    assert device_of(None) is None


def test_a_repeat_order_replaces_first_time_and_lapsed() -> None:
    repeat = order(customer={**ORDER_RAW["customer"], "tags": "history:first-time, history:lapsed"})
    decision = tag_segments(repeat, ctx(SegmentSettings(), History(orders_before=2)))
    add, remove = decision
    assert "history:repeat" in add.tags
    assert remove.tags == ["history:first-time", "history:lapsed"]


# --- attribution -------------------------------------------------------------------------------
def test_a_flow_code_attributes_before_a_click() -> None:
    used = order(discount_codes=[{"code": "CART-0A1B2C3D4E", "amount": "5.00", "type": "percentage"}])
    click = {"last_click": {"flow": WELCOME, "at": iso(NOW)}}
    assert attributed_flow(used, click, 5) == (ABANDONED_CHECKOUT, "code CART-0A1B2C3D4E")


def test_a_click_attributes_only_within_the_window() -> None:
    placed = order(created_at=iso(NOW))
    assert attributed_flow(
        placed, {"last_click": {"flow": WELCOME, "at": iso(NOW - timedelta(days=4))}}, 5
    ) == (
        WELCOME,
        "click",
    )
    assert (
        attributed_flow(placed, {"last_click": {"flow": WELCOME, "at": iso(NOW - timedelta(days=6))}}, 5)
        is None
    )


# --- birthdays and anniversaries ---------------------------------------------------------------
def test_month_days_and_their_next_local_time() -> None:
    from datetime import time

    from functions.customers.occasions import month_day, next_occurrence

    assert month_day("1990-04-23") == (4, 23) and month_day("4-23") == (4, 23)
    assert month_day("1990-02-30") is None and month_day("soon") is None and month_day(None) is None
    assert month_day("02-29") == (2, 29)
    feb29 = next_occurrence((2, 29), NOW, time(10), "Europe/Berlin")
    assert feb29 == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)  # 2027 has no Feb 29
    today_passed = next_occurrence((11, 24), NOW, time(10), "Europe/Berlin")  # 13:00 Berlin now
    assert today_passed == datetime(2027, 11, 24, 9, 0, tzinfo=UTC)


def test_an_outdated_birthday_job_sends_nothing() -> None:
    from functions.customers.occasions import OccasionSettings, send_occasion

    customer = Customer(id="25", email="a@b.example", accepts_email_marketing=True, meta={"b": "1990-05-01"})
    settings = OccasionSettings(birthday_key="b")
    stale = job("birthday-offers", customer_id="25", occasion="birthday", month_day="11-24")
    assert "outdated" in reason_of(send_occasion(stale, ctx(settings, ContactFacts(customer=customer))))
