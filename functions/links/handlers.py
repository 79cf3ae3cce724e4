"""Signed public links (storekit.links) that shoppers open from a message: `GET /u/{token}` carries
out a one-click unsubscribe through the domain that made the link. Rate limited like every public
route; the answer is a small page, and it never says why a link is not valid."""

from __future__ import annotations

from html import escape

from chalice import Blueprint, Response

from functions.answers import answer_errors
from functions.public import rate_limited
from storekit.links import InvalidLink
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
