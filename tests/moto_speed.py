"""Test-run speed-up of moto that changes nothing a test sees (installed by tests/conftest.py).

moto serializes every response by walking the operation's output shape and, for each member,
building a context and six alias providers to learn which keys the member may be stored under
(`XFormedAttributePicker`): ~200,000 times in one stream-heavy integration test (an AttributeValue
has ten members for the one it holds), about a third of its time. For a plain dict (every DynamoDB
result: `DynamoResult` turns items into dicts) those keys depend only on the member's name, its
shape and the shape's parent, never on the dict's content, so they are worked out once by moto's
own code and replayed: the first key the dict holds gives the value, as in moto. Anything else
(moto model objects, whose `Meta` or class name may alias a key; responses with key-path
transformers, e.g. SNS) takes moto's own path unchanged.
"""

from __future__ import annotations

from typing import Any

from moto.core import serialize

#: moto's alias providers whose answers for a dict were checked to depend on (key, shape, parent) only
_CHECKED_PROVIDERS = (
    "ExplicitAlias",
    "ShapeNameAlias",
    "NoAlias",
    "ShapePrefixAlias",
    "ClassPrefixAlias",
    "ModelAlias",
)
_NO_PARENT = object()


def install() -> None:
    serializer = serialize.ResponseSerializer
    if getattr(serializer, "_storeflow_fast_dicts", False):
        return
    if tuple(p.__name__ for p in serialize.DEFAULT_ALIAS_PROVIDERS) != _CHECKED_PROVIDERS:
        return  # a moto whose aliasing changed: keep its own (slower) path rather than guess
    original = serializer.get_value
    missing, value_of = serialize.MISSING, serialize.get_value
    # keyed by the shape objects themselves (identity-hashed, kept alive by the key: no id reuse)
    keys_of: dict[tuple[str, Any, Any], tuple[str, ...]] = {}

    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if (
            type(value) is not dict
            or type(picker) is not serialize.XFormedAttributePicker
            or picker.response_transformers
            or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS
        ):
            return original(self, value, key, shape)
        cache_key = (key, shape, getattr(shape, "__dict__", {}).get("parent", _NO_PARENT))
        keys = keys_of.get(cache_key)
        if keys is None:
            context = serialize.AttributePickerContext(
                obj=value,
                key=key,
                shape=shape,
                operation_model=self.operation_model,
                service_model=self.operation_model.service_model,
                key_path=".".join(self.path),
            )
            keys = keys_of[cache_key] = tuple(picker.get_possible_keys(context))
        for possible in keys:
            found = value_of(value, possible, missing)
            if found is not missing:
                return found
        return None

    serializer.get_value = get_value  # type: ignore[method-assign]
    serializer._storeflow_fast_dicts = True  # type: ignore[attr-defined]
