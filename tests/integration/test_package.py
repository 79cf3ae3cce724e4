"""`make package` output: what reaches Lambda, that it imports on its own, and that the template
is valid and sets what Chalice cannot (batch item failures, bisect, bounded retries, filters)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.templates import FUNCTION_ROLES, STREAM_FUNCTIONS, admin_token_parameter, chalice_policy

pytestmark = [pytest.mark.package, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VENV_SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))
#: what the Lambda Python runtime provides itself (boto3 and its dependencies)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
#: cfn-lint rules on the Lambda runtime lifecycle: python3.11 (the local interpreter, the default
#: build) reaches them by date alone; deploys set RUNTIME, whose build is linted with no exception.
RUNTIME_LIFECYCLE_RULES = "W2531,E2531,E2533"
TARGET_RUNTIME = "python3.13"


def build(out: Path, runtime: str | None) -> Path:
    """`make package` into `out`; runtime None = the default (no RUNTIME), "local" = this interpreter."""
    env = {**os.environ, "OUT": str(out), "PY": sys.executable, "CHALICE": str(BIN / "chalice")}
    env.pop("RUNTIME", None)
    env.pop("STAGE", None)
    if runtime:
        env["RUNTIME"] = runtime
    done = subprocess.run(
        ["bash", "infra/package.sh"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def cfn_lint(template: Path, *ignore: str) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / "cfn-lint"), str(template)]
    if ignore:
        args += ["--ignore-checks", *ignore]
    return subprocess.run(args, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("package"), "local")  # the build this interpreter can import


@pytest.fixture(scope="module")
def targeted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("package-target"), None)  # the default targets python3.13


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


def functions_of(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = sam["Resources"].items()
    return {n: r["Properties"] for n, r in resources if r["Type"] == "AWS::Serverless::Function"}


def test_chalice_generates_the_functions_the_merge_template_targets(sam: dict[str, Any]) -> None:
    functions = functions_of(sam)
    assert set(functions) == set(FUNCTION_ROLES)
    for name, props in functions.items():
        assert props["Role"] == {"Fn::GetAtt": [FUNCTION_ROLES[name], "Arn"]}
        assert props["Layers"] == [{"Ref": "ManagedLayer"}]
        assert props["Tracing"] == "Active"
    assert functions["APIHandler"]["Timeout"] == 10
    assert all(functions[name]["Timeout"] == 60 for name in ("Dispatch", "Execute", "DrainFallback", "Sweep"))


def test_functions_and_storekit_reach_lambda_through_the_chalice_layer(unzipped: tuple[Path, Path]) -> None:
    function, layer = unzipped
    site = layer_site(layer)
    assert sorted(p.name for p in function.iterdir()) == ["__pycache__", "app.py", "chalice"]  # + Chalice's
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
    assert (site / "aws_xray_sdk/ext/botocore/patch.py").exists()
    # the runtime's own boto3/botocore are used, not a second copy shadowing them
    assert not [p.name for p in site.iterdir() if p.name.startswith(("boto3", "botocore", "s3transfer"))]


def test_app_imports_from_the_unzipped_package_alone(unzipped: tuple[Path, Path], tmp_path: Path) -> None:
    function, layer = unzipped
    runtime = tmp_path / "lambda-runtime"
    runtime.mkdir()
    for name in RUNTIME_PROVIDED:
        (runtime / name).symlink_to(VENV_SITE / name)
    # -I: no PYTHON* variables, no user site, no script/cwd dir; -S: no site-packages at all.
    # sys.path is then the stdlib plus, in Lambda's order, the function, the layer and the runtime.
    code = (
        "import sys; sys.path[:0] = sys.argv[2:]\n"
        "import app, storekit, functions, pydantic, botocore\n"
        "root, function, layer, runtime = sys.argv[1:]\n"
        "outside_stdlib = [p for p in sys.path if p.startswith(root) or 'site-packages' in p]\n"
        "assert outside_stdlib == [layer], sys.path\n"
        "assert app.__file__.startswith(function), app.__file__\n"
        "for module in (storekit, functions, pydantic):\n"
        "    assert module.__file__.startswith(layer), module.__file__\n"
        "assert botocore.__file__.startswith(runtime), botocore.__file__\n"
        "print(sorted(app.app.handler_map))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, *map(str, (ROOT, function, layer_site(layer), runtime))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("dispatch", "execute", "sweep", "drain_fallback", "receive_webhook", "list_actions"):
        assert f"'{name}'" in done.stdout


def compiled_by(names: list[str], tag: str, root: str) -> tuple[list[str], list[str]]:
    """(sources under `root` with their `tag` bytecode, sources without it)."""
    present = set(names)
    sources = [n for n in names if n.startswith(root) and n.endswith(".py")]
    with_pyc = [
        n
        for n in sources
        if f"{n.rsplit('/', 1)[0]}/__pycache__/{n.rsplit('/', 1)[1][:-3]}.{tag}.pyc" in present
    ]
    return with_pyc, [n for n in sources if n not in with_pyc]


def test_code_ships_precompiled_so_cold_starts_do_not_compile(package: Path) -> None:
    # Lambda's code directory is read-only: without shipped bytecode every cold start compiles
    with zipfile.ZipFile(package / "layer-deployment.zip") as z:
        names = z.namelist()
        site = next(n for n in names if n.endswith("site-packages/storekit/keys.py")).rsplit("storekit/", 1)[
            0
        ]
        tag = sys.implementation.cache_tag
        for root in ("storekit/", "functions/", "pydantic/"):
            compiled, missing = compiled_by(names, tag, site + root)
            assert compiled and not missing, (root, missing[:5])
        header = z.read(f"{site}storekit/__pycache__/keys.{tag}.pyc")[:16]
    # PEP 552 flags: hash-based (bit 0) and not checked against the source (bit 1 clear), so the
    # mtimes zip extraction leaves behind never invalidate it
    assert int.from_bytes(header[4:8], "little") == 0b01
    with zipfile.ZipFile(package / "deployment.zip") as z:
        assert f"__pycache__/app.{tag}.pyc" in z.namelist()


def test_packaged_template_passes_cfn_lint(package: Path) -> None:
    done = cfn_lint(package / "sam.json", RUNTIME_LIFECYCLE_RULES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_data_stack_alone_passes_cfn_lint() -> None:
    done = cfn_lint(ROOT / "infra" / "resources.json")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("runtime", ["python3.11", "python3.14", "3.13"])
def test_other_runtimes_are_refused_with_the_choices(runtime: str, tmp_path: Path) -> None:
    env = {**os.environ, "OUT": str(tmp_path), "PY": sys.executable, "RUNTIME": runtime}
    done = subprocess.run(
        ["bash", "infra/package.sh"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "python3.13 (the default) or python3.12" in done.stderr


def test_target_runtime_build_sets_the_runtime_everywhere_and_passes_cfn_lint(targeted: Path) -> None:
    sam = json.loads((targeted / "sam.json").read_text())
    assert {props["Runtime"] for props in functions_of(sam).values()} == {TARGET_RUNTIME}
    assert sam["Resources"]["ManagedLayer"]["Properties"]["CompatibleRuntimes"] == [TARGET_RUNTIME]
    done = cfn_lint(targeted / "sam.json")
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(targeted / "layer-deployment.zip") as z:
        names = z.namelist()
    assert "python/functions/engine/dispatch.py" in names
    assert "python/storekit/keys.py" in names
    assert any("pydantic_core/_pydantic_core.cpython-313-x86_64-linux-gnu.so" in n for n in names)
    assert not [n for n in names if "cpython-311" in n or n.startswith("python/botocore/")]
    version = TARGET_RUNTIME.removeprefix("python")
    if shutil.which(TARGET_RUNTIME) or list(
        Path.home().glob(f".pyenv/versions/{version}.*/bin/{TARGET_RUNTIME}")
    ):
        # compiled by that CPython, since one is on this machine (else package.sh warns and skips)
        compiled, missing = compiled_by(names, f"cpython-{version.replace('.', '')}", "python/storekit/")
        assert compiled and not missing, missing[:5]


def test_every_stream_mapping_reports_item_failures_bisects_and_is_bounded(sam: dict[str, Any]) -> None:
    mappings = {}
    for name, props in functions_of(sam).items():
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "DynamoDB":
                mappings[name] = event["Properties"]
    assert set(mappings) == set(STREAM_FUNCTIONS)
    for name, props in mappings.items():
        assert props["Stream"] == {"Fn::GetAtt": ["StoreTable", "StreamArn"]}, name
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert 0 < props["MaximumRetryAttempts"] <= 5
        assert 0 < props["MaximumRecordAgeInSeconds"] <= 7 * 24 * 3600
        assert props["StartingPosition"] == "TRIM_HORIZON"
        assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["StreamFailureQueue", "Arn"]
        }
        [only] = props["FilterCriteria"]["Filters"]
        pattern = {"dynamodb": {"NewImage": {"type": {"S": [STREAM_FUNCTIONS[name]]}}}}
        assert json.loads(only["Pattern"]) == pattern
    drain = sam["Resources"]["DrainFallback"]["Properties"]["Events"]["DrainFallbackSqsEventSource"][
        "Properties"
    ]
    assert drain["Queue"] == {"Fn::GetAtt": ["FallbackQueue", "Arn"]}
    assert drain["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sam["Resources"]["Sweep"]["Properties"]["Events"]["SweepEvent"]["Properties"] == {
        "Schedule": "rate(1 minute)"
    }


def test_table_has_stream_ttl_and_indexes(sam: dict[str, Any]) -> None:
    table = sam["Resources"]["StoreTable"]["Properties"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def grants(sam: dict[str, Any], role: str) -> dict[str, list[Any]]:
    """action -> resources the role allows it on."""
    allowed: dict[str, list[Any]] = {}
    for policy in sam["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny":
                continue
            assert statement["Effect"] == "Allow"
            actions, resources = statement["Action"], statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            for action in actions if isinstance(actions, list) else [actions]:
                allowed.setdefault(action, []).extend(resources)
    return allowed


def test_roles_are_least_privilege(sam: dict[str, Any]) -> None:
    roles = {n for n, r in sam["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles == set(FUNCTION_ROLES.values())
    by_function = {function: grants(sam, role) for function, role in FUNCTION_ROLES.items()}
    for function, allowed in by_function.items():
        for action, resources in allowed.items():
            assert "*" not in action, (function, action)
            if action.split(":")[0] in ("dynamodb", "s3", "sqs", "secretsmanager", "ssm", "ses", "logs"):
                assert "*" not in resources, (function, action)
        assert allowed["dynamodb:Query"] == [
            {"Fn::GetAtt": ["StoreTable", "Arn"]},
            {"Fn::Sub": "${StoreTable.Arn}/index/*"},
        ]
        assert "dynamodb:Scan" not in allowed
    for function in STREAM_FUNCTIONS:
        assert by_function[function]["dynamodb:GetRecords"] == [{"Fn::Sub": "${StoreTable.Arn}/stream/*"}]
        assert by_function[function]["sqs:SendMessage"] == [{"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}]
    assert by_function["DrainFallback"]["sqs:ReceiveMessage"] == [{"Fn::GetAtt": ["FallbackQueue", "Arn"]}]
    assert by_function["APIHandler"]["sqs:SendMessage"] == [{"Fn::GetAtt": ["FallbackQueue", "Arn"]}]
    # only the executor talks to customers, only the admin API reads the admin token
    assert [f for f, allowed in by_function.items() if "ses:SendEmail" in allowed] == ["Execute"]
    assert [f for f, allowed in by_function.items() if "sns:Publish" in allowed] == ["Execute"]
    # ... and only to phone numbers: publishing to any SNS topic is denied
    denied = [
        s
        for policy in sam["Resources"]["ExecuteRole"]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
    ]
    assert denied == [
        {"Sid": "SmsOnly", "Effect": "Deny", "Action": ["sns:Publish"], "Resource": "arn:*:sns:*:*:*"}
    ]
    assert [f for f, allowed in by_function.items() if "ssm:GetParameter" in allowed] == ["APIHandler"]
    [parameter] = by_function["APIHandler"]["ssm:GetParameter"]
    assert parameter["Fn::Sub"].endswith(f":parameter{admin_token_parameter('dev')}")
    [secrets] = by_function["Execute"]["secretsmanager:GetSecretValue"]
    assert secrets["Fn::Sub"].endswith(":secret:storeflow/dev/*")


def test_functions_get_their_settings_from_the_stack(sam: dict[str, Any]) -> None:
    for name, props in functions_of(sam).items():
        env = props["Environment"]["Variables"]
        assert env["STOREFLOW_STAGE"] == "dev", name
        assert env["STOREFLOW_TABLE"] == {"Ref": "StoreTable"}, name
        assert env["STOREFLOW_FALLBACK_QUEUE_URL"] == {"Ref": "FallbackQueue"}, name
        assert env["STOREFLOW_ARCHIVE_BUCKET"] == {"Ref": "ArchiveBucket"}, name
        assert env["STOREFLOW_ADMIN_TOKEN_PARAMETER"] == admin_token_parameter("dev"), name
        assert env["STOREFLOW_SECRETS_PREFIX"] == "storeflow", name
        assert env["STOREFLOW_EMAIL_SENDER"] == {"Ref": "EmailSender"}, name
        assert env["STOREFLOW_PUBLIC_URL"] == {"Ref": "PublicUrl"}, name
    outputs = sam["Outputs"]
    assert {"EndpointURL", "TableName", "StreamArn", "FallbackQueueUrl", "ArchiveBucketName"} <= set(outputs)


def test_chalice_deploy_policy_files_match_the_generator() -> None:
    for stage in ("dev", "prod"):
        on_disk = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
        assert on_disk == chalice_policy(stage), f"run: python -m infra.templates policy {stage}"


def test_chalice_deploy_config_names_the_data_stack_resources() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["automatic_layer"] is True
    assert config["autogen_policy"] is False
    for stage in ("dev", "prod"):
        env = config["stages"][stage]["environment_variables"]
        assert env["STOREFLOW_STAGE"] == stage
        # the name infra/resources.json gives the table of a data stack called storeflow-<stage>
        assert env["STOREFLOW_TABLE"] == f"storeflow-{stage}-table"
        assert env["STOREFLOW_ADMIN_TOKEN_PARAMETER"] == admin_token_parameter(stage)
        assert config["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"


#: the only grants whose resource has a wildcard not under one of the stack's own resources, and why
UNSCOPED_GRANTS = {
    # X-Ray takes no resource scoping for these two; they carry no store data
    ("xray:PutTraceSegments", "xray:PutTelemetryRecords"): "*",
    # an SMS to a phone number has no resource ARN; the SmsOnly Deny takes every topic away
    ("sns:Publish",): "*",
    # senders are each store's own verified SES identities, set at run time: the grant's condition
    # (ses:FromAddress) keeps it to the SendingDomains (tests/unit/test_sending_domains.py)
    (
        "ses:SendEmail",
        "ses:SendRawEmail",
    ): "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*",
}


def policy_statements(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every IAM statement anywhere in the template (roles, bucket and queue policies, ...)."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Statement" and isinstance(value, list):
                found += [(where, s) for s in value]
            else:
                found += policy_statements(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += policy_statements(value, f"{where}/{n}")
    return found


def scoped_to_own_resource(resource: Any, own: set[str], stage: str) -> bool:
    """A reference to a resource of the stack, or an ARN whose wildcard only follows one (an index
    of the table, objects of the bucket) or the deployment's own secrets prefix."""
    if isinstance(resource, dict) and ("Ref" in resource or "Fn::GetAtt" in resource):
        return True
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
    if not isinstance(text, str):
        return False
    head = text.split("*", 1)[0]
    return (
        "*" not in text
        or any(head.startswith(f"${{{name}.") for name in own)
        or (head.endswith(f":secret:storeflow/{stage}/"))
    )


def test_no_statement_allows_a_wildcard_over_data(sam: dict[str, Any]) -> None:
    """Every Allow of the packaged template (not only the function roles) names exact actions, on
    the stack's own resources; the few that cannot be scoped are listed above, with the reason."""
    own = set(sam["Resources"])
    statements = policy_statements(sam["Resources"])
    assert len(statements) > 20
    unscoped: dict[tuple[str, ...], set[str]] = {}
    for where, statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Deny":
            continue
        assert not [a for a in actions if "*" in a], (where, actions)
        if actions == ["sts:AssumeRole"]:
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, where
            continue
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            if not scoped_to_own_resource(resource, own, "dev"):
                text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
                unscoped.setdefault(tuple(actions), set()).add(str(text))
    assert unscoped == {actions: {resource} for actions, resource in UNSCOPED_GRANTS.items()}
    # the SMS grant is SMS only: every role that may publish is denied every topic
    for role, props in sam["Resources"].items():
        statements_of_role = policy_statements(props)
        if any("sns:Publish" in s["Action"] and s["Effect"] == "Allow" for _, s in statements_of_role):
            assert any(
                s["Effect"] == "Deny" and s["Resource"] == "arn:*:sns:*:*:*" for _, s in statements_of_role
            ), role


def test_functions_log_to_the_stacks_own_log_group(sam: dict[str, Any]) -> None:
    """The Logs grant names one log group, the stack's, which every function writes to (a grant on
    /aws/lambda/* would let a function write into any function's logs in the account)."""
    for name, props in functions_of(sam).items():
        assert props["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogs"}}, name
    assert sam["Resources"]["FunctionLogs"]["Type"] == "AWS::Logs::LogGroup"
    assert sam["Resources"]["FunctionLogs"]["DeletionPolicy"] == "Retain"
