"""One limited Jinja2 sandbox checks store templates on save and renders them (issue 9, item 6)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from functions.fulfillment.follow_up import FollowUpSettings
from functions.fulfillment.messaging import check_text_template, render_text_template
from functions.fulfillment.models import DeliveryUpdateSettings, ShippingNoticeSettings
from functions.fulfillment.returns import ReturnsFollowUpSettings
from storekit.clients import templates
from storekit.clients.templates import TemplateProblem, render_message
from storekit.errors import PermanentError
from storekit.messages import MessageTemplate

HOSTILE = [
    ("{{ 1/0 }}", "ZeroDivisionError"),
    ("{% for i in range(1000000) %}x{% endfor %}", "range"),
    ("{% set l = range(1000)|list %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}", "loops"),
    ("{{ 'x' * 1000000000 }}", "output"),
    ("{{ 'x'|center(1000000000) }}", "output"),
    ("{% for i in range(900) %}{{ 'y' * 900 }}{% endfor %}", "output"),
    ("{{ 9 ** 9999999 }}", "exponent"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "too big"),
    ("{{ ''.__class__.__mro__ }}", "sandbox"),
]


@pytest.mark.parametrize(("template", "problem"), HOSTILE)
def test_hostile_sms_templates_are_refused_quickly_naming_the_field(template: str, problem: str) -> None:
    started = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        ShippingNoticeSettings(sms_template=template)
    assert time.monotonic() - started < 5  # a limit, not a timing assertion: it must not hang
    [error] = caught.value.errors()
    assert error["loc"] == ("sms_template",)
    assert problem in error["msg"]


@pytest.mark.parametrize(("template", "problem"), HOSTILE)
def test_hostile_email_templates_are_refused_naming_the_field_and_part(template: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ShippingNoticeSettings(email_template={"subject": "Shipped", "html": template, "text": "x"})
    [error] = caught.value.errors()
    assert error["loc"] == ("email_template",)
    assert "html:" in error["msg"]
    assert problem in error["msg"]


@pytest.mark.parametrize(
    ("settings", "template"),
    [
        (
            ShippingNoticeSettings,
            "{{ order_name }} {% for i in items %}{{ i.quantity }} {{ i.title }}{% endfor %}",
        ),
        (DeliveryUpdateSettings, "{{ headline }} {{ detail }} {{ tracking_url }}"),
        (FollowUpSettings, "Hi {{ first_name }}, review {{ order_name }} at {{ review_url }}"),
        (
            ReturnsFollowUpSettings,
            "{{ amount }} {{ currency }} {{ credit_bonus }} {{ credit_url }} {{ exchange_url }}",
        ),
    ],
)
def test_an_email_template_using_its_automations_variables_is_accepted(settings: type, template: str) -> None:
    saved = settings(email_template={"subject": "{{ store_name }}", "html": template, "text": template})
    assert saved.email_template.html == template


def test_an_email_template_with_another_automations_variable_is_refused() -> None:
    with pytest.raises(ValidationError, match="undefined variable review_url"):
        ShippingNoticeSettings(email_template={"subject": "x", "html": "{{ review_url }}", "text": "x"})


def test_the_checker_and_the_renderers_share_one_sandbox() -> None:
    """The same limits hold when a message is sent: data the check could not foresee (an order of
    20,000 lines) stops at the loop limit instead of running on."""
    source = "{% for i in items %}{{ i.title }}{% endfor %}"
    check_text_template(source, {"items": [{"title": "Mug"}]})
    many = {"items": [{"title": "Mug"}] * 20_000}
    assert render_text_template(source, many) is None  # the caller falls back to the default text
    # the loop limit (or, on a very busy machine, the time limit first): never an endless render
    with pytest.raises(PermanentError, match=r"\(html\): (loops run more than|takes longer than)"):
        render_message(MessageTemplate(subject="x", html=source, text="x"), "notice", many)
    assert templates.sandbox(False) is templates.sandbox(False)


def test_a_template_problem_never_quotes_the_template() -> None:
    with pytest.raises(TemplateProblem) as caught:
        templates.check_source("secret-looking text {{ 1/0 }}", {})
    assert "secret-looking" not in str(caught.value)
