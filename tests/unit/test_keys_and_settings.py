from datetime import UTC, datetime

import pytest

from storekit import keys
from storekit.errors import ConfigurationError
from storekit.settings import get_settings, reset_settings

pytestmark = pytest.mark.unit


def test_idempotency_key_is_deterministic_and_sensitive_to_every_part() -> None:
    a = keys.idempotency_key("demo", "channel-tags", "add_tags", "order:1")
    assert a == keys.idempotency_key("demo", "channel-tags", "add_tags", "order:1")
    assert a != keys.idempotency_key("demo", "channel-tags", "add_tags", "order:2")
    assert a != keys.idempotency_key("demo2", "channel-tags", "add_tags", "order:1")
    # parts are separated, so shifting characters between parts changes the key
    assert keys.idempotency_key("ab", "c") != keys.idempotency_key("a", "bc")


def test_minute_buckets_cover_the_range_in_order() -> None:
    start = datetime(2026, 11, 24, 11, 58, 30, tzinfo=UTC)
    end = datetime(2026, 11, 24, 12, 1, 5, tzinfo=UTC)
    assert keys.buckets_between(start, end) == [
        "2026-11-24T11:58",
        "2026-11-24T11:59",
        "2026-11-24T12:00",
        "2026-11-24T12:01",
    ]
    assert keys.buckets_between(end, end) == ["2026-11-24T12:01"]
    # a sweeper that fell behind gets the oldest buckets first
    assert keys.buckets_between(start, end, limit=2) == ["2026-11-24T11:58", "2026-11-24T11:59"]


def test_listing_partitions_are_per_store() -> None:
    assert keys.listing_partition("a", "events") != keys.listing_partition("b", "events")
    assert keys.listing_partition("a", "actions", "failed") == ("GSI2", "STORE#a#ACTIONS#failed")


def test_settings_are_read_once_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFLOW_TABLE", "shop-table")
    monkeypatch.setenv("STOREFLOW_RAW_TTL_DAYS", "7")
    reset_settings()
    settings = get_settings()
    assert settings.table_name == "shop-table"
    assert settings.raw_payload_ttl_days == 7
    monkeypatch.setenv("STOREFLOW_TABLE", "changed")
    assert get_settings().table_name == "shop-table"
    reset_settings()


def test_invalid_settings_name_the_field_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFLOW_RAW_TTL_DAYS", "-3")
    reset_settings()
    with pytest.raises(ConfigurationError, match="raw_payload_ttl_days") as info:
        get_settings()
    assert "-3" not in str(info.value)
    reset_settings()
