"""Message templates (Jinja2): HTML autoescaped, text not, undefined variables are errors."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from storekit.errors import PermanentError
from storekit.messages import MessageTemplate, RenderedMessage

TEMPLATES = Path(__file__).resolve().parent / "message_templates"


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,  # noqa: S701 (on for HTML, off for the plain-text part on purpose)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def render_message(
    template: MessageTemplate | None, default_name: str, context: dict[str, Any]
) -> RenderedMessage:
    try:
        if template is not None:
            subject = _environment(False).from_string(template.subject).render(context)
            html = _environment(True).from_string(template.html).render(context)
            text = _environment(False).from_string(template.text).render(context)
        else:
            subject = _environment(False).get_template(f"{default_name}.subject.j2").render(context)
            html = _environment(True).get_template(f"{default_name}.html.j2").render(context)
            text = _environment(False).get_template(f"{default_name}.text.j2").render(context)
    except jinja2.UndefinedError as exc:
        raise PermanentError(f"template {default_name}: {exc.message}") from None
    except jinja2.TemplateNotFound:
        raise PermanentError(f"no template named {default_name!r}") from None
    except jinja2.TemplateError as exc:
        raise PermanentError(f"template {default_name}: {exc}") from None
    return RenderedMessage(subject=" ".join(subject.split()), html=html, text=text)
