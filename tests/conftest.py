"""Fixtures: in-process moto with the infra/ resources, a fixed clock, the Chalice test client,
and a stream pump that hands Lambda-shaped records to the real handlers (infra/pollers.py)."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from functions.composition import build_registry
from storekit.clock import FixedClock
from storekit.runtime import Runtime, reset_runtime, set_runtime
from storekit.settings import get_settings
from tests import moto_speed
from tests.support import ADMIN_TOKEN

# Every test builds a new boto3 session (the fixtures' and each Runtime's) and each session loads
# botocore's service models and endpoint rules from JSON again: ~0.2 s a test, most of a simple
# test's time. One loader per data path for the whole run reads each file once; the models are
# the same files, read-only, so nothing a test sees changes.
botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
moto_speed.install()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "STOREFLOW_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    from infra import moto_fidelity

    moto_fidelity.install()  # transactions at the cost of their items, as DynamoDB (see the module)
    with mock_aws():
        yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


@pytest.fixture
def session(moto: None) -> Any:
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def resources(session: Any) -> Any:
    from infra.bootstrap import create_local_resources

    return create_local_resources(session)


@pytest.fixture
def runtime(resources: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    from infra.bootstrap import env_for

    for name, value in env_for(resources).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STOREFLOW_LOCAL", "true")
    monkeypatch.setenv("STOREFLOW_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("STOREFLOW_STORE_CACHE_SECONDS", "0")
    reset_runtime()
    rt = Runtime(get_settings(), clock, registry=build_registry())
    set_runtime(rt)
    yield rt
    reset_runtime()


@pytest.fixture
def app(runtime: Runtime) -> Any:
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def api(app: Any) -> Iterator[Any]:
    from chalice.test import Client

    with Client(app) as client:
        yield client


@pytest.fixture
def pump(app: Any, session: Any, resources: Any) -> Any:
    """Deliver table stream records to dispatch + execute until quiet: `pump.drain()`."""
    from infra.pollers import StreamPoller

    return StreamPoller(
        session,
        resources.stream_arn,
        {"dispatch": app.handler_map["dispatch"], "execute": app.handler_map["execute"]},
    )
