"""Signed links (storekit.links): what a link says cannot be changed or reused for another purpose."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storekit.links import InvalidLink, LinkClaims, LinkSigner

KEY = bytes(range(32))
CLAIMS = LinkClaims(purpose="u", store_id="demo", kind="waitlist", data={"variant": "42", "who": "ab12"})


def test_a_link_reads_back_what_it_was_made_with() -> None:
    signer = LinkSigner(KEY)
    token = signer.token(CLAIMS)
    assert signer.read(token, "u") == CLAIMS
    assert signer.url("https://api.example.com/api/", CLAIMS) == f"https://api.example.com/api/u/{token}"


def test_another_key_another_purpose_or_an_edit_is_not_valid() -> None:
    signer = LinkSigner(KEY)
    token = signer.token(CLAIMS)
    with pytest.raises(InvalidLink):
        LinkSigner(bytes(32)).read(token, "u")
    with pytest.raises(InvalidLink):
        signer.read(token, "c")  # an unsubscribe link is no click redirect
    other = signer.token(CLAIMS.model_copy(update={"data": {"variant": "43", "who": "ab12"}}))
    _, mac = token.split(".")
    with pytest.raises(InvalidLink):
        signer.read(f"{other.split('.')[0]}.{mac}", "u")  # another subject under this link's MAC


@given(st.text(max_size=300))
def test_garbage_is_never_valid_and_never_crashes(garbage: str) -> None:
    with pytest.raises(InvalidLink):
        LinkSigner(KEY).read(garbage, "u")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        LinkSigner(b"short")
