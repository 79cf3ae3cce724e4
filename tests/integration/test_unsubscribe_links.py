"""`GET /u/{token}`: a signed one-click unsubscribe, carried out by the domain that made the link;
and every email with an unsubscribe carries its link."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from functions.composition import build_registry
from functions.engine.perform import render
from storekit.actions import SendEmail, UnsubscribeLink
from storekit.automation import Domain
from storekit.links import LinkClaims
from storekit.messages import MessageTemplate
from tests.support import put_store

pytestmark = pytest.mark.integration


@pytest.fixture
def opted_out(api: Any, runtime: Any) -> list[dict[str, str]]:
    done: list[dict[str, str]] = []

    def unsubscribe(claims: LinkClaims, _: Any) -> str:
        done.append(claims.data)
        return "You will get no more test notes."

    runtime.registry = build_registry(Domain(name="test", unsubscribes={"test-notes": unsubscribe}))
    put_store(api)  # saving a store creates the deployment's link key
    return done


def link(runtime: Any, **data: str) -> str:
    claims = LinkClaims(purpose="u", store_id="demo", kind="test-notes", data=data)
    url = runtime.link_url(claims)
    assert url.startswith("http://127.0.0.1:8000/u/")  # local mode: the local stack's address
    return url.removeprefix("http://127.0.0.1:8000")


def test_the_link_unsubscribes_and_says_so(api: Any, runtime: Any, opted_out: list[dict[str, str]]) -> None:
    answer = api.http.get(link(runtime, subject="s1"))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert b"You will get no more test notes." in answer.body
    assert opted_out == [{"subject": "s1"}]


def test_an_altered_or_foreign_link_changes_nothing(
    api: Any, runtime: Any, opted_out: list[dict[str, str]]
) -> None:
    path = link(runtime, subject="s1")
    for bad in (path[:-2] + "xx", "/u/not-a-token", path.replace(".", "")):
        answer = api.http.get(bad)
        assert answer.status_code == 404, bad
        assert b"not valid" in answer.body
    other_kind = runtime.link_url(LinkClaims(purpose="u", store_id="demo", kind="nobody-made", data={}))
    assert api.http.get(other_kind.removeprefix("http://127.0.0.1:8000")).status_code == 404
    gone_store = runtime.link_url(LinkClaims(purpose="u", store_id="gone", kind="test-notes", data={}))
    assert api.http.get(gone_store.removeprefix("http://127.0.0.1:8000")).status_code == 404
    assert opted_out == []


def test_a_bot_walking_links_runs_into_the_rate_limiter(
    api: Any, runtime: Any, opted_out: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.9")
    statuses = [api.http.get(f"/u/guess-{n}").status_code for n in range(35)]
    assert statuses[:30] == [404] * 30
    assert set(statuses[30:]) == {429}


def test_an_email_with_an_unsubscribe_carries_its_link(api: Any, runtime: Any, opted_out: Any) -> None:
    store = runtime.store("demo")
    own = MessageTemplate(subject="Hi", text="Hello {{ name }}", html="<p>Hello {{ name }}</p>")
    email = SendEmail(
        to="shopper@example.com",
        template="notice",
        template_override=own,
        context={"name": "Ann"},
        sender="shop@example.com",
        unsubscribe=UnsubscribeLink(kind="test-notes", data={"subject": "s2"}),
    )
    message = render(email, store, runtime)
    assert "Unsubscribe: http://127.0.0.1:8000/u/" in message.text
    path = message.text.split("Unsubscribe: http://127.0.0.1:8000")[1].strip()
    assert 'href="http://127.0.0.1:8000/u/' in message.html
    # the link in the message works, and undoes what the action named
    assert api.http.get(path).status_code == 200
    assert opted_out == [{"subject": "s2"}]
