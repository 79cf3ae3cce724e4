"""The automation contract (storekit.automation): the registry checks the domains' declarations
when it is built, the composition finds every domain, the engine names none, imports are acyclic."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from functions.composition import build_registry, discovered_domains
from storekit.actions import AddTags
from storekit.adapters import TOPIC_RESOURCES, Topic, canonical_topic, parse_delivery
from storekit.automation import Automation, ContractError, Decision, Domain, Registry
from storekit.models import Fulfillment, Order
from tests.payloads import fixture_files, topic_for

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


class NoSettings(BaseModel):
    pass


def note(order: Order, ctx: Any) -> Decision:
    return Decision([AddTags(resource="order", resource_id=order.id, tags=["seen"])])


def automation(name: str = "test-note", **changes: Any) -> Automation[Any, Any, Any]:
    fields: dict[str, Any] = {
        "name": name,
        "description": "t",
        "topics": frozenset({Topic.ORDER_CREATED}),
        "settings_model": NoSettings,
        "takes": (Order,),
        "run": note,
    }
    fields.update(changes)
    return Automation(**fields)


def test_registry_refuses_an_automation_whose_topic_carries_another_resource() -> None:
    wrong = automation(topics=frozenset({Topic.ORDER_CREATED, Topic.FULFILLMENT_UPDATED}))
    with pytest.raises(ContractError) as refused:
        Registry([Domain(name="test", automations=(wrong,))])
    assert str(refused.value) == (
        "automation 'test-note' listens to fulfillment.updated, whose events carry Fulfillment resources, "
        "but it takes Order: add Fulfillment to `takes` or drop the topic"
    )
    Registry(
        [Domain(name="test", automations=(automation(takes=(Order, Fulfillment), topics=wrong.topics),))]
    )


def test_registry_refuses_duplicates_and_topics_without_a_run() -> None:
    with pytest.raises(ContractError, match="registered twice"):
        Registry(
            [Domain(name="a", automations=(automation(),)), Domain(name="b", automations=(automation(),))]
        )
    with pytest.raises(ContractError, match="has no run"):
        Registry([Domain(name="a", automations=(automation(run=None),))])
    with pytest.raises(ContractError, match="declared twice"):
        Registry(
            [
                Domain(name="a", schedules={"x": lambda j, r: ""}),
                Domain(name="b", schedules={"x": lambda j, r: ""}),
            ]
        )


def test_every_topic_names_the_resource_it_carries_and_real_payloads_agree() -> None:
    assert set(TOPIC_RESOURCES) == set(Topic)
    checked = 0
    for path in fixture_files():
        platform, platform_topic = topic_for(path)
        topic = canonical_topic(platform, platform_topic)
        if topic is None:
            continue
        parsed = parse_delivery(platform, topic, json.loads(path.read_bytes()))
        assert isinstance(parsed.resource, TOPIC_RESOURCES[topic]), path.name
        checked += 1
    assert checked >= 40


def test_the_composition_finds_every_domain_and_its_automations() -> None:
    """Every functions/<package>/domain.py is found (a new domain needs no edit outside its folder)."""
    with_domain = sorted(p.parent.name for p in (ROOT / "functions").glob("*/domain.py"))
    assert [d.name for d in discovered_domains()] == with_domain
    assert {"customers", "fulfillment", "reports"} <= set(with_domain)
    registry = build_registry()
    assert {
        "channel-tags",
        "delivery-updates",
        "order-assistant",
        "post-delivery-follow-up",
        "returns-follow-up",
        "shipping-notice",
    } <= set(registry.names())
    assert {"order", "customer", "product"} <= registry.snapshot_kinds
    assert registry.keeps and registry.counts and registry.settles


def test_a_test_builds_its_own_registry_without_touching_the_apps() -> None:
    mine = build_registry(Domain(name="test", automations=(automation(),)))
    assert "test-note" in mine.names()
    assert "test-note" not in build_registry().names()


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, at top level?) for every import not under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        for n in ast.walk(child)
    }
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return found


def _project_modules() -> dict[str, Path]:
    modules = {"app": ROOT / "app.py"}
    for base, prefix in ((ROOT / "functions", "functions"), (ROOT / "layers" / "storekit", "storekit")):
        for path in base.rglob("*.py"):
            parts = [prefix, *path.relative_to(base).with_suffix("").parts]
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def test_the_engine_names_no_domain() -> None:
    for path in (ROOT / "functions" / "engine").glob("*.py"):
        for name, _ in _imports(path):
            if name.startswith("functions."):
                assert name.startswith(("functions.engine.", "functions.batch.")), (
                    f"{path.name} imports {name}"
                )
            assert not any(domain in name for domain in ("fulfillment", "customers", "reports")), path.name


def test_project_imports_have_no_cycle_even_through_imports_inside_functions() -> None:
    modules = _project_modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {
        module: {target for name, _ in _imports(path) if (target := resolve(name)) and target != module}
        for module, path in modules.items()
    }
    # a package importing its own submodules (lazily, for a short cold start) is not a cycle
    # unless a submodule imports the package back
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target] if target in trail else [module, target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
