"""When the staff digest goes out and which days it sums up (functions/reports/digest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.reports.digest import next_send, period_before
from functions.reports.settings import DigestSettings


@pytest.mark.parametrize(
    "now,settings,expected",
    [
        # 12:00 UTC = 13:00 in Berlin: today's 08:00 has passed, tomorrow's is next
        ("2026-11-24T12:00:00+00:00", {"cadence": "daily"}, "2026-11-25T07:00:00+00:00"),
        ("2026-11-24T06:59:00+00:00", {"cadence": "daily"}, "2026-11-24T07:00:00+00:00"),
        ("2026-11-24T07:00:00+00:00", {"cadence": "daily"}, "2026-11-25T07:00:00+00:00"),
        # Tuesday 24 Nov 2026: the next Monday
        ("2026-11-24T12:00:00+00:00", {"cadence": "weekly"}, "2026-11-30T07:00:00+00:00"),
        (
            "2026-11-24T12:00:00+00:00",
            {"cadence": "weekly", "weekday": "tuesday", "at": "18:30"},
            "2026-11-24T17:30:00+00:00",
        ),
        # the night clocks go forward in Berlin (29 Mar 2026): 08:00 is 06:00 UTC from then on
        ("2026-03-28T12:00:00+00:00", {"cadence": "daily"}, "2026-03-29T06:00:00+00:00"),
    ],
)
def test_the_digest_goes_out_at_the_store_local_time(
    now: str, settings: dict[str, str], expected: str
) -> None:
    when = next_send(datetime.fromisoformat(now), "Europe/Berlin", DigestSettings.model_validate(settings))
    assert when == datetime.fromisoformat(expected)
    assert when.tzinfo == UTC


def test_a_daily_digest_sums_up_yesterday_and_a_weekly_one_the_seven_days_before() -> None:
    assert period_before(date(2026, 11, 25), "daily") == (date(2026, 11, 24), date(2026, 11, 24))
    assert period_before(date(2026, 11, 30), "weekly") == (date(2026, 11, 23), date(2026, 11, 29))


def test_a_digest_time_must_be_a_clock_time() -> None:
    with pytest.raises(ValueError, match="24-hour local time"):
        DigestSettings.model_validate({"at": "8am"})
