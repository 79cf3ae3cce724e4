"""Signed public links (storekit.links) that shoppers open from a message: `GET /u/{token}` carries
out a one-click unsubscribe, `GET /t/o/{token}` (open pixel) and `GET /t/c/{token}` (click
redirect) are recorded, each through the domain that made the link. Rate limited like every public
route; the answer never says why a link is not valid. A click goes only to the http(s) target inside
its signed claims (no open redirect)."""

from __future__ import annotations

import base64
import contextlib
from html import escape

from chalice import Blueprint, Response

from functions.answers import answer_errors
from functions.public import rate_limited
from storekit.links import InvalidLink, LinkClaims, Purpose
from storekit.runtime import get_runtime

bp = Blueprint(__name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


def page(status: int, title: str, text: str) -> Response:
    body = _PAGE.format(title=escape(title), text=escape(text))
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
    }
    return Response(body=body, status_code=status, headers=headers)


@bp.route("/u/{token}", methods=["GET"], cors=True)
@answer_errors
@rate_limited(bp, "unsubscribe")
def unsubscribe(token: str) -> Response:
    runtime = get_runtime()
    try:
        claims = runtime.link_signer().read(token, "u")
        handler = runtime.registry.unsubscribe_handler(claims.kind)
        if handler is None or runtime.store(claims.store_id) is None:
            raise InvalidLink()
    except InvalidLink as exc:
        return page(404, "Link not valid", str(exc))
    return page(200, "You are unsubscribed", handler(claims, runtime))


#: the smallest transparent GIF (1x1)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _tracked(token: str, purpose: Purpose) -> tuple[LinkClaims, str | None]:
    """Verify a tracking token and record it through its domain: (claims, the click's target)."""
    runtime = get_runtime()
    claims = runtime.link_signer().read(token, purpose)
    handler = runtime.registry.track_handler(claims.kind)
    if handler is None or runtime.store(claims.store_id) is None:
        raise InvalidLink()
    return claims, handler(claims, runtime)


@bp.route("/t/o/{token}", methods=["GET"], cors=True)
@answer_errors
@rate_limited(bp, "track-open")
def track_open(token: str) -> Response:
    """Always the pixel (a broken image would show in the message); an invalid token counts nothing.
    Chalice answers binary content only to a request that accepts it (image/gif or */*, as mail
    clients and image proxies send): any other request gets 204 with no body (the open still counts)."""
    with contextlib.suppress(InvalidLink):
        _tracked(token, "o")
    accept = (bp.current_request.headers.get("accept") or "").lower()
    if "*/*" not in accept and "image/gif" not in accept:
        return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})
    headers: dict[str, str | list[str]] = {"Content-Type": "image/gif", "Cache-Control": "no-store"}
    return Response(body=PIXEL, status_code=200, headers=headers)


@bp.route("/t/c/{token}", methods=["GET"], cors=True)
@answer_errors
@rate_limited(bp, "track-click")
def track_click(token: str) -> Response:
    try:
        _, target = _tracked(token, "c")
        if not target or not target.startswith(("https://", "http://")):
            raise InvalidLink()
    except InvalidLink as exc:
        return page(404, "Link not valid", str(exc))
    headers: dict[str, str | list[str]] = {"Location": target, "Cache-Control": "no-store"}
    return Response(body="", status_code=302, headers=headers)
