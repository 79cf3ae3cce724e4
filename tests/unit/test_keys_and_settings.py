import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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


def test_job_hour_partitions_cover_the_range_in_order() -> None:
    start = datetime(2026, 11, 24, 10, 58, 30, tzinfo=UTC)
    end = datetime(2026, 11, 24, 13, 1, 5, tzinfo=UTC)
    assert keys.job_partitions_between(start, end) == [
        "2026-11-24T10",
        "2026-11-24T11",
        "2026-11-24T12",
        "2026-11-24T13",
    ]
    assert keys.job_partitions_between(end, end) == ["2026-11-24T13"]
    # a sweeper that fell behind gets the oldest partitions first
    assert keys.job_partitions_between(start, end, limit=2) == ["2026-11-24T10", "2026-11-24T11"]
    # a day of lookback is the current hour and the 24 before it, across a day boundary
    day = keys.job_partitions_between(datetime(2026, 11, 24, 0, 30, tzinfo=UTC) - timedelta(hours=24), end)
    assert day[0] == "2026-11-23T00" and day[-1] == "2026-11-24T13" and len(day) == 38


def test_a_job_is_filed_in_the_hour_it_is_due_and_found_by_it() -> None:
    due = datetime(2026, 11, 24, 12, 59, 59, 999999, tzinfo=UTC)
    assert keys.job_partition(due) == "2026-11-24T12"
    assert keys.job_partition_start("2026-11-24T12") == datetime(2026, 11, 24, 12, tzinfo=UTC)
    # a cursor left by the former minute layout resumes at its hour
    assert keys.job_partition_start("2026-11-24T12:37") == datetime(2026, 11, 24, 12, tzinfo=UTC)
    key = keys.job("2026-11-24T12", "demo", "j1", "2026-11-24T12:30:00.000000Z")
    assert key["PK"] == keys.job_partition_key("2026-11-24T12")
    # `SK <= jobs_due_by(t)` takes a job due exactly at t, not one due a microsecond later
    assert key["SK"] <= keys.jobs_due_by("2026-11-24T12:30:00.000000Z")
    assert key["SK"] > keys.jobs_due_by("2026-11-24T12:29:59.999999Z")


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


ENVIRONMENT = {  # every variable storeflow reads, and what it sets
    "STOREFLOW_STAGE": ("stage", "prod", "prod"),
    "AWS_DEFAULT_REGION": ("region", "eu-west-1", "eu-west-1"),
    "STOREFLOW_TABLE": ("table_name", "shop-table", "shop-table"),
    "STOREFLOW_FALLBACK_QUEUE_URL": ("fallback_queue_url", "https://sqs/q", "https://sqs/q"),
    "STOREFLOW_ARCHIVE_BUCKET": ("archive_bucket", "raw-bucket", "raw-bucket"),
    "STOREFLOW_ADMIN_TOKEN_PARAMETER": ("admin_token_parameter", "/sf/token", "/sf/token"),
    "STOREFLOW_ADMIN_TOKEN_SECRET": ("admin_token_secret", "sf-token", "sf-token"),
    "STOREFLOW_ADMIN_TOKEN": ("admin_token", "local-token", "local-token"),
    "STOREFLOW_SECRETS_PREFIX": ("secrets_prefix", "acme", "acme"),
    "STOREFLOW_LOCAL": ("local_mode", "true", True),
    "STOREFLOW_RAW_TTL_DAYS": ("raw_payload_ttl_days", "7", 7),
    "STOREFLOW_STORE_CACHE_SECONDS": ("store_cache_seconds", "0", 0),
    "STOREFLOW_EMAIL_SENDER": ("email_sender", "shop@example.com", "shop@example.com"),
    "STOREFLOW_PUBLIC_URL": ("public_url", "https://x.example.com/api", "https://x.example.com/api"),
    "STOREFLOW_PARTIAL_BATCH_RESPONSES": ("partial_batch_responses", "true", True),
}


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.startswith(("STOREFLOW_", "AWS_DEFAULT_REGION")):
            monkeypatch.delenv(name)
    reset_settings()
    yield monkeypatch
    reset_settings()


def test_every_environment_variable_sets_its_setting(clean_environment: pytest.MonkeyPatch) -> None:
    for name, (_, value, _) in ENVIRONMENT.items():
        clean_environment.setenv(name, value)
    settings = get_settings()
    assert {name: getattr(settings, field) for name, (field, _, _) in ENVIRONMENT.items()} == {
        name: expected for name, (_, _, expected) in ENVIRONMENT.items()
    }


def test_unset_or_empty_variables_leave_the_defaults(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("STOREFLOW_TABLE", "")
    clean_environment.setenv("STOREFLOW_RAW_TTL_DAYS", "")
    clean_environment.setenv("STOREFLOW_MAX_BODY_BYTES", "1")  # the 5 MiB limit is not a setting
    settings = get_settings()
    assert settings.table_name == "storeflow"
    assert settings.raw_payload_ttl_days == 30
    assert settings.max_body_bytes == 5 * 1024 * 1024
    assert (settings.stage, settings.region, settings.local_mode) == ("dev", "us-east-1", False)
    assert settings.partial_batch_responses is False
    assert settings.secret_name("demo") == "storeflow/dev/stores/demo"


def test_the_admin_token_is_never_shown_in_the_settings_repr(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("STOREFLOW_ADMIN_TOKEN", "local-token-secret")
    assert "local-token-secret" not in repr(get_settings())
