"""Whatever JSON arrives, adapters answer with a canonical event or MalformedPayload, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storekit.adapters import Topic, parse_delivery
from storekit.adapters.shopify import TOPICS as SHOPIFY
from storekit.adapters.woocommerce import TOPICS as WOO
from storekit.errors import MalformedPayload
from tests.payloads import fixture_files, topic_for

pytestmark = pytest.mark.unit

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
PLATFORM_TOPICS = [("shopify", t) for t in sorted(set(SHOPIFY.values()))] + [
    ("woocommerce", t) for t in sorted(set(WOO.values()))
]
REAL = [(topic_for(p), json.loads(p.read_bytes())) for p in fixture_files()]
FIELD_NAMES = sorted({key for _, payload in REAL for key in payload})


def only_typed_errors(platform: str, topic: Topic, payload: Any) -> None:
    try:
        parse_delivery(platform, topic, payload)
    except MalformedPayload as exc:
        assert str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=st.sampled_from(PLATFORM_TOPICS), payload=json_values)
def test_arbitrary_json_only_raises_malformed_payload(pair: tuple[str, Topic], payload: Any) -> None:
    only_typed_errors(pair[0], pair[1], payload)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pair=st.sampled_from(PLATFORM_TOPICS), payload=st.dictionaries(st.sampled_from(FIELD_NAMES), json_values)
)
def test_objects_with_real_field_names_only_raise_malformed_payload(
    pair: tuple[str, Topic], payload: Any
) -> None:
    only_typed_errors(pair[0], pair[1], payload)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_payloads_only_raise_malformed_payload(data: st.DataObject) -> None:
    (platform, header), original = data.draw(st.sampled_from(REAL))
    topic = (SHOPIFY if platform == "shopify" else WOO)[header.lower()]
    payload = dict(original)
    key = data.draw(st.sampled_from(sorted(payload)))
    if data.draw(st.booleans()):
        del payload[key]
    else:
        payload[key] = data.draw(json_values)
    only_typed_errors(platform, topic, payload)


@pytest.mark.parametrize(
    "payload", [[], "x", 1, None, {"id": True}, {"id": {"a": 1}}, {"id": "1", "total_price": "NaN"}]
)
def test_known_bad_shapes_are_malformed(payload: Any) -> None:
    with pytest.raises(MalformedPayload):
        parse_delivery("shopify", Topic.ORDER_CREATED, payload)
