import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storekit.errors import BadSignature
from storekit.signatures import is_woocommerce_ping, sign, verify
from tests.payloads import load_fixture

pytestmark = pytest.mark.unit


def test_recorded_shopify_delivery_signature_format_matches_ours() -> None:
    body, headers = load_fixture("shopify/orders_create__hookdeck-2024-10.json")
    # the captured signature is base64 of a 32-byte HMAC-SHA256, the scheme `sign` produces
    assert len(base64.b64decode(headers["x-shopify-hmac-sha256"])) == 32
    assert len(base64.b64decode(sign(body, "any"))) == 32


def test_sign_is_base64_hmac_sha256_of_raw_body() -> None:
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert sign(body, "s3cret") == expected


def test_verify_accepts_either_secret_during_rotation() -> None:
    body = b'{"id": 1}'
    verify(body, sign(body, "old-secret"), ["new-secret", "old-secret"])
    verify(body, sign(body, "new-secret"), ["new-secret", "old-secret"])


@pytest.mark.parametrize(
    "signature", [None, "", "not base64!!", sign(b"other", "k"), sign(b'{"id": 1}', "wrong")]
)
def test_verify_rejects_missing_or_wrong_signatures(signature: str | None) -> None:
    with pytest.raises(BadSignature):
        verify(b'{"id": 1}', signature, ["k"])


@given(body=st.binary(max_size=2048), secret=st.text(min_size=1, max_size=40), flip=st.integers(min_value=0))
def test_any_changed_byte_fails_verification(body: bytes, secret: str, flip: int) -> None:
    signature = sign(body, secret)
    verify(body, signature, [secret])
    tampered = bytearray(body + b"x")
    index = flip % len(tampered)
    tampered[index] ^= 0x01
    with pytest.raises(BadSignature):
        verify(bytes(tampered), signature, [secret])


def test_woocommerce_ping_is_recognised_only_without_wc_headers() -> None:
    assert is_woocommerce_ping(b"webhook_id=17", {"content-type": "application/x-www-form-urlencoded"})
    assert not is_woocommerce_ping(b"webhook_id=17", {"x-wc-webhook-topic": "order.created"})
    assert not is_woocommerce_ping(b'{"webhook_id": 17}', {})
    assert not is_woocommerce_ping(b"webhook_id=17&x=1", {})
