"""`make package` output: what reaches Lambda, that it imports on its own, and that the template
is valid and sets what Chalice cannot (batch item failures, bisect, bounded retries, filters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.package, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
VENV_SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    env = {
        **os.environ,
        "OUT": str(out),
        "PY": sys.executable,
        "CHALICE": str(Path(sys.executable).parent / "chalice"),
    }
    env.pop("RUNTIME", None)
    done = subprocess.run(
        ["bash", "infra/package.sh"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def sam(package: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((package / "sam.json").read_text())
    return data


@pytest.fixture(scope="module")
def unzipped(package: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(package / "deployment.zip") as z:
        z.extractall(base / "function")
    with zipfile.ZipFile(package / "layer-deployment.zip") as z:
        z.extractall(base / "layer")
    return base / "function", base / "layer"


def layer_site(layer: Path) -> Path:
    return next(layer.glob("python/lib/python3.*/site-packages"))


def test_functions_and_storekit_reach_lambda_through_the_chalice_layer(unzipped: tuple[Path, Path]) -> None:
    function, layer = unzipped
    site = layer_site(layer)
    assert (function / "app.py").exists()
    for module in (
        "functions/webhooks/ingest.py",
        "functions/engine/dispatch.py",
        "functions/admin/handlers.py",
        "storekit/adapters/shopify.py",
        "storekit/clients/shopify.py",
        "storekit/clients/message_templates/notice.html.j2",
        "functions/reports/dashboard.html",
    ):
        assert (site / module).exists(), module
    assert (site / "pydantic").is_dir()
    assert (site / "aws_lambda_powertools").is_dir()


def test_app_imports_from_the_unzipped_package_alone(unzipped: tuple[Path, Path], tmp_path: Path) -> None:
    function, layer = unzipped
    # what the Lambda runtime itself provides: boto3 and its dependencies, nothing of this project
    runtime = tmp_path / "lambda-runtime"
    runtime.mkdir()
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(VENV_SITE / name)
    code = (
        "import sys; sys.path[:0] = sys.argv[1:]\n"
        "import app, storekit, functions\n"
        "assert storekit.__file__.startswith(sys.argv[2]), storekit.__file__\n"
        "assert functions.__file__.startswith(sys.argv[2]), functions.__file__\n"
        "assert app.__file__.startswith(sys.argv[1]), app.__file__\n"
        "print(sorted(app.app.handler_map))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(function), str(layer_site(layer)), str(runtime)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    handlers = done.stdout
    for name in ("dispatch", "execute", "sweep", "drain_fallback", "receive_webhook", "list_actions"):
        assert f"'{name}'" in handlers


def test_packaged_template_passes_cfn_lint(package: Path) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run(
        [str(cfn_lint), str(package / "sam.json")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_stream_mapping_reports_item_failures_bisects_and_is_bounded(sam: dict[str, Any]) -> None:
    mappings = {}
    for name, resource in sam["Resources"].items():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event["Type"] == "DynamoDB":
                mappings[name] = event["Properties"]
    assert set(mappings) == {"Dispatch", "Execute"}
    for name, props in mappings.items():
        assert props["Stream"] == {"Fn::GetAtt": ["StoreTable", "StreamArn"]}, name
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert 0 < props["MaximumRetryAttempts"] <= 5
        assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["StreamFailureQueue", "Arn"]
        }
    assert '"EVENT"' in mappings["Dispatch"]["FilterCriteria"]["Filters"][0]["Pattern"]
    assert '"ACTION"' in mappings["Execute"]["FilterCriteria"]["Filters"][0]["Pattern"]
    drain = sam["Resources"]["DrainFallback"]["Properties"]["Events"]["DrainFallbackSqsEventSource"][
        "Properties"
    ]
    assert drain["Queue"] == {"Fn::GetAtt": ["FallbackQueue", "Arn"]}
    assert drain["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_table_has_stream_ttl_and_indexes(sam: dict[str, Any]) -> None:
    table = sam["Resources"]["StoreTable"]["Properties"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}


def test_roles_are_least_privilege(sam: dict[str, Any]) -> None:
    roles = [r for r in sam["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 5
    for role in roles:
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                assert all("*" not in action for action in actions), statement
                if any(
                    a.split(":")[0] in ("dynamodb", "s3", "sqs", "secretsmanager", "ssm") for a in actions
                ):
                    assert statement["Resource"] != "*", statement


def test_functions_get_their_settings_from_the_stack(sam: dict[str, Any]) -> None:
    env = sam["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["STOREFLOW_TABLE"] == {"Ref": "StoreTable"}
    assert env["STOREFLOW_FALLBACK_QUEUE_URL"] == {"Ref": "FallbackQueue"}
    assert env["STOREFLOW_ADMIN_TOKEN_PARAMETER"] == "/storeflow/dev/admin-token"


def test_chalice_deploy_policy_files_match_the_generator() -> None:
    from infra.templates import chalice_policy

    for stage in ("dev", "prod"):
        on_disk = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
        assert on_disk == chalice_policy(stage), f"run: python -m infra.templates policy {stage}"
