"""The repository needs nothing beside it: no file of the project names a path outside its root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
#: what reading outside the root looks like: the old shared fixtures folder, or climbing above it
OUTSIDE = re.compile(
    r"shared/fixtures|[\"']shared[\"']|\.\./shared|parents\[(?:[3-9])\]|\.parent\.parent\.parent"
)


def project_files() -> list[Path]:
    skip = {".git", ".venv", "build", "vendor", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    return [
        p
        for p in ROOT.rglob("*")
        if p.is_file()
        and p.suffix in {".py", ".sh", ".json", ".toml", ".cfg"}
        and not skip.intersection(p.relative_to(ROOT).parts)
        and p != Path(__file__)
    ]


def test_no_project_file_reads_outside_the_repository() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in project_files()
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_every_real_payload_has_its_provenance_recorded() -> None:
    real = ROOT / "tests" / "events" / "real"
    manifest = (real / "README.md").read_text()
    payloads = [p for p in real.rglob("*.json") if not p.name.endswith(".headers.json")]
    assert len(payloads) > 30
    # the manifest names each file's source family (`__2025-store-*`, `__hookdeck-2024-10`, ...)
    families = {"-".join(p.name.split("__", 1)[1].split("-")[:2]) for p in payloads}
    missing = [f for f in families if f"__{f}" not in manifest and f"{f}" not in manifest]
    assert missing == []
