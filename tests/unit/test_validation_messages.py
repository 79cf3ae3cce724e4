"""Validation errors read as what the field needs, in a merchant's words, never pydantic's phrasing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from functions.admin.models import ScheduleInput, StoreInput
from functions.admin.stores import validation_message
from functions.composition import build_registry

pytestmark = pytest.mark.unit

PYDANTIC_WORDING = ("Input should", "after validation", "Value error", "Assertion failed", "Field required")


def message(model: type[BaseModel], data: Any) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return validation_message(info.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"webhook_secret": "a"}, "webhook_secret: at least 8 characters"),
        ({"webhook_secrets": []}, "webhook_secrets: must not be empty"),
        ({"webhook_secrets": ["a" * 9, "b" * 9, "c" * 9]}, "webhook_secrets: at most 2 items"),
        ({"webhook_secrets": ["a" * 9, "b"]}, "body: each webhook secret needs at least 8 characters"),
        ({"mode": "on"}, "mode: must be 'dry-run' or 'live'"),
        ({"shop_domain": 7}, "shop_domain: must be text"),
        ({"colour": "red"}, "colour: not a field this takes (check the spelling)"),
        ({"automations": []}, "automations: must be an object {...}"),
        ({"api_credentials": {}}, "api_credentials.access_token: required"),
    ],
)
def test_store_input_messages_say_what_the_field_needs(body: dict[str, Any], expected: str) -> None:
    text = message(StoreInput, {"platform": "shopify", "shop_domain": "demo-shop.myshopify.com", **body})
    assert expected in text.split("; "), text


def test_a_missing_field_is_required() -> None:
    assert message(StoreInput, {"platform": "shopify"}) == "shop_domain: required"
    assert message(ScheduleInput, {"kind": ""}) == "kind: must not be empty; due_at: required"


def test_submitted_values_never_appear() -> None:
    text = message(StoreInput, {"platform": "shopify", "shop_domain": "x", "webhook_secret": "s3cr"})
    assert "s3cr" not in text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def fields_of(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects using the model's own field names (and a stray one) with any JSON values."""
    names = st.sampled_from([*model.model_fields, "stray"])
    return st.dictionaries(names, json_values, max_size=6)


MODELS: list[type[BaseModel]] = [
    StoreInput,
    ScheduleInput,
    *(automation.settings_model for automation in build_registry().all()),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_no_message_uses_pydantic_wording(model: type[BaseModel], data: st.DataObject) -> None:
    body = data.draw(fields_of(model))
    try:
        model.model_validate(body)
    except ValidationError as exc:
        text = validation_message(exc)
        assert text
        for words in PYDANTIC_WORDING:
            assert words not in text, text


def test_a_body_with_thousands_of_wrong_fields_gets_a_short_answer_naming_the_first() -> None:
    """Each problem used to be named (and de-duplicated against all before it: quadratic), so a
    256 KiB body of unknown fields took minutes and answered megabytes."""
    text = message(ScheduleInput, {f"f{n}": 0 for n in range(5_000)})
    assert text.startswith("kind: required; due_at: required; f0: not a field this takes")
    assert text.endswith("; and 4982 more problems")
    assert text.count(";") == 20
