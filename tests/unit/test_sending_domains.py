"""The deployed role sends email only From the deployment's sending domains (issue 17, item 6):
the packaged template's `SendingDomains` parameter becomes an `ses:FromAddress` condition on the
executor's SES grant, and `chalice deploy`'s policy file takes the stage's STOREFLOW_SENDING_DOMAINS
(no email grant without one). The CloudFormation functions are evaluated here as CloudFormation
does, so the test checks what IAM would get, not the template's text."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra import templates
from storekit.settings_model import Settings, parse_sending_domains


def resolve(node: Any, parameters: dict[str, str]) -> Any:
    """Ref / Fn::Split / Fn::Join of a parameter, as CloudFormation evaluates them."""
    if isinstance(node, dict) and len(node) == 1:
        [(name, value)] = node.items()
        if name == "Ref":
            return parameters[value]
        if name == "Fn::Split":
            return resolve(value[1], parameters).split(value[0])
        if name == "Fn::Join":
            return value[0].join(resolve(v, parameters) for v in resolve(value[1], parameters))
    if isinstance(node, list):
        return [resolve(v, parameters) for v in node]
    return node


def email_grant(document: dict[str, Any]) -> dict[str, Any]:
    [grant] = [s for s in document["Statement"] if "ses:SendEmail" in s["Action"]]
    return grant


def allowed_from(condition: dict[str, Any], address: str, parameters: dict[str, str]) -> bool:
    patterns = resolve(condition["StringLike"]["ses:FromAddress"], parameters)
    return any(fnmatchcase(address, p) for p in patterns)


@pytest.fixture(scope="module")
def execute_email() -> dict[str, Any]:
    merge = templates.merge_template("prod")
    [policy] = merge["Resources"]["ExecuteRole"]["Properties"]["Policies"]
    return email_grant(policy["PolicyDocument"])


def test_the_packaged_grant_reaches_addresses_of_the_sending_domains_only(
    execute_email: dict[str, Any],
) -> None:
    given = {"SendingDomains": "example.com,shop.example.org"}
    condition = execute_email["Condition"]
    assert resolve(condition["StringLike"]["ses:FromAddress"], given) == [
        "*@example.com",
        "*@shop.example.org",
    ]
    assert allowed_from(condition, "orders@example.com", given)
    assert allowed_from(condition, "news@shop.example.org", given)
    assert not allowed_from(condition, "orders@evil.com", given)
    assert not allowed_from(condition, "orders@notexample.com", given)
    assert not allowed_from(condition, "orders@mail.example.com", given)  # a subdomain is its own entry


def test_without_sending_domains_the_packaged_grant_reaches_no_address(execute_email: dict[str, Any]) -> None:
    given = {"SendingDomains": ""}
    assert resolve(execute_email["Condition"]["StringLike"]["ses:FromAddress"], given) == ["*@"]
    for address in ("orders@example.com", "a@b.co", "orders@demo-shop.example"):
        assert not allowed_from(execute_email["Condition"], address, given)


def test_the_parameter_refuses_what_iam_could_not_use() -> None:
    parameter = templates.merge_template("dev")["Parameters"]["SendingDomains"]
    pattern = re.compile(parameter["AllowedPattern"])
    for fine in ("", "example.com", "example.com,shop.example.org", "mail.my-shop.co.uk"):
        assert pattern.fullmatch(fine), fine
    for bad in ("example.com, shop.example.org", "*", "*.example.com", "orders@example.com", "example", ","):
        assert not pattern.fullmatch(bad), bad
    env = templates.merge_template("dev")["Resources"]["Execute"]["Properties"]["Environment"]["Variables"]
    assert env["STOREFLOW_SENDING_DOMAINS"] == {"Ref": "SendingDomains"}


def stage_config(tmp_path: Path, domains: str) -> Path:
    (tmp_path / ".chalice").mkdir()
    env = {"STOREFLOW_SENDING_DOMAINS": domains}
    config = {"stages": {"prod": {"environment_variables": env}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    return tmp_path


def test_the_chalice_policy_takes_the_stage_domains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "ROOT", stage_config(tmp_path, "Example.com, shop.example.org"))
    grant = email_grant(templates.chalice_policy("prod"))
    assert grant["Condition"] == {"StringLike": {"ses:FromAddress": ["*@example.com", "*@shop.example.org"]}}


def test_the_chalice_policy_has_no_email_grant_without_domains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templates, "ROOT", stage_config(tmp_path, ""))
    statements = templates.chalice_policy("prod")["Statement"]
    assert not [s for s in statements if any(a.startswith("ses:") for a in s["Action"])]
    assert [s for s in statements if "sns:Publish" in s["Action"]]  # the rest is unchanged


def test_the_setting_is_read_as_a_list_and_refused_when_malformed() -> None:
    assert Settings(sending_domains=" Example.com ,shop.example.org").sending_domain_list() == (
        "example.com",
        "shop.example.org",
    )
    assert Settings().sending_domain_list() is None
    with pytest.raises(ValueError, match="sending_domains"):
        Settings(sending_domains="orders@example.com")


@given(
    st.lists(
        st.text(alphabet="abcxyz0-.@*, ", min_size=0, max_size=12).map(lambda t: t + ".com"),
        min_size=0,
        max_size=3,
    ).map(",".join)
)
def test_the_setting_and_the_parameter_read_domains_alike(value: str) -> None:
    """One reading (storekit.settings_model.parse_sending_domains): a value the setting takes is, written
    without spaces, one the template parameter takes, with the same domains; one it refuses, the
    parameter refuses too."""
    pattern = re.compile(templates.SENDING_DOMAINS_PATTERN)
    compact = ",".join(d.strip() for d in value.split(",") if d.strip())
    try:
        domains = parse_sending_domains(value)
    except ValueError:
        assert not pattern.fullmatch(compact)
        return
    assert pattern.fullmatch(compact)
    assert domains == tuple(d.lower() for d in compact.split(",") if d)


def test_a_malformed_stage_setting_stops_the_policy_with_where_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templates, "ROOT", stage_config(tmp_path, "example.com, orders@shop.example.org"))
    expected = r"stage prod: STOREFLOW_SENDING_DOMAINS: 'orders@shop.example.org' is not a domain"
    with pytest.raises(SystemExit, match=expected):
        templates.chalice_policy("prod")


def test_an_ses_access_denied_names_the_setting_to_fix() -> None:
    from botocore.exceptions import ClientError

    from storekit.clients.email import EmailChannel
    from storekit.errors import ConfigurationError
    from storekit.outbound import EmailMessage

    class DeniedSes:
        def send_email(self, **_: Any) -> Any:
            error = {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
            raise ClientError(error, "SendEmail")  # type: ignore[arg-type]

    message = EmailMessage.model_validate(
        {"from": "Shop <orders@demo-shop.example>", "to": "a@b.co", "subject": "s", "text": "t", "html": "h"}
    )
    with pytest.raises(
        ConfigurationError, match=r"AccessDenied: this deployment may not send from .*SendingDomains"
    ):
        EmailChannel(DeniedSes()).send(message)
