"""Whatever JSON arrives, adapters answer with a canonical event or MalformedPayload, nothing else."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storekit.adapters import Parsed, Topic, parse_delivery
from storekit.adapters.shopify import TOPICS as SHOPIFY
from storekit.adapters.woocommerce import TOPICS as WOO
from storekit.errors import MalformedPayload
from tests.payloads import fixture_files, topic_for

pytestmark = pytest.mark.unit

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
#: every topic under both platforms, also the ones a platform never sends
EVERY_PAIR = [(platform, topic) for platform in ("shopify", "woocommerce") for topic in Topic]
REAL = [(topic_for(p), json.loads(p.read_bytes())) for p in fixture_files()]
FIELD_NAMES = sorted({key for _, payload in REAL for key in payload})


def only_typed_errors(platform: str, topic: Topic, payload: Any) -> Parsed | None:
    try:
        return parse_delivery(platform, topic, payload)
    except MalformedPayload as exc:
        assert str(exc)
        return None


def canonical(platform: str, header: str) -> Topic:
    return (SHOPIFY if platform == "shopify" else WOO)[header.lower()]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path inside a JSON value (the places a mutation can hit)."""
    out: list[tuple[Any, ...]] = []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    )
    for key, child in children:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


@FAST
@given(pair=st.sampled_from(EVERY_PAIR), payload=json_values)
def test_arbitrary_json_only_raises_malformed_payload(pair: tuple[str, Topic], payload: Any) -> None:
    only_typed_errors(pair[0], pair[1], payload)


@FAST
@given(pair=st.sampled_from(EVERY_PAIR), payload=st.dictionaries(st.sampled_from(FIELD_NAMES), json_values))
def test_objects_with_real_field_names_only_raise_malformed_payload(
    pair: tuple[str, Topic], payload: Any
) -> None:
    only_typed_errors(pair[0], pair[1], payload)


@FAST
@given(data=st.data())
def test_real_payloads_mutated_anywhere_only_raise_malformed_payload(data: st.DataObject) -> None:
    (platform, header), original = data.draw(st.sampled_from(REAL))
    payload = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        where = paths(payload)
        if not where:
            break
        *parents, last = data.draw(st.sampled_from(where))
        container = payload
        for step in parents:
            container = container[step]
        if data.draw(st.booleans()) and isinstance(container, dict):
            del container[last]
        else:
            container[last] = data.draw(json_values)
    parsed = only_typed_errors(platform, canonical(platform, header), payload)
    if parsed is not None and parsed.updated_at is not None:
        assert parsed.updated_at.utcoffset() is not None and not parsed.updated_at.utcoffset()


@FAST
@given(data=st.data())
def test_real_payloads_always_parse_whatever_unknown_fields_they_gain(data: st.DataObject) -> None:
    (platform, header), original = data.draw(st.sampled_from(REAL))
    names = st.text(min_size=1, max_size=12).map(lambda name: f"added_in_a_later_version_{name}")
    extra = data.draw(st.dictionaries(names, json_values, max_size=3))
    payload = {**extra, **original}  # newer API versions add fields: never a reason to refuse
    assert parse_delivery(platform, canonical(platform, header), payload).entity_id


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "x",
        1,
        None,
        {"id": True},
        {"id": {"a": 1}},
        {"id": "1", "total_price": "NaN"},
        {"id": "1", "line_items": [{"quantity": 1.5}]},
        {"id": "1", "created_at": "2025-13-01T00:00:00Z"},
    ],
)
def test_known_bad_shapes_are_malformed(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_delivery("shopify", Topic.ORDER_CREATED, payload)
