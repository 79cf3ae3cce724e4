"""Message templates (Jinja2): HTML autoescaped, text and subject not; undefined variables are errors.

Defaults live next to this module in message_templates/<name>.{subject,html,text}.j2. A store's own
template (MessageTemplate, three strings) replaces the default of the same name. Store templates are
merchant input, so every template renders in Jinja2's sandbox: no attribute tricks reach Python.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from storekit.errors import PermanentError
from storekit.messages import MessageTemplate, RenderedMessage

TEMPLATES: Final = Path(__file__).resolve().parent / "message_templates"
PARTS: Final = ("subject", "html", "text")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
_UNDEFINED = (re.compile(r"'([^']+)' is undefined"), re.compile(r"has no attribute '([^']+)'"))


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,  # on for HTML; off for subject and plain text on purpose
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def render_message(
    template: MessageTemplate | None, default_name: str, context: dict[str, Any]
) -> RenderedMessage:
    """Render subject, HTML and text from `template` (a store's own) or the default `default_name`.

    Any template fault is a PermanentError naming the template and part, e.g.
    "template notice (subject): undefined variable nmae": retrying would render the same thing.
    """
    if not _NAME.match(default_name):
        raise PermanentError("template names are lower-case letters, digits and underscores")
    label = f"{default_name} (store template)" if template is not None else default_name
    rendered: dict[str, str] = {}
    for part in PARTS:
        env = _environment(part == "html")
        try:
            if template is not None:
                compiled = env.from_string(getattr(template, part))
            else:
                compiled = env.get_template(f"{default_name}.{part}.j2")
            rendered[part] = compiled.render(context)
        except jinja2.UndefinedError as exc:
            raise PermanentError(
                f"template {label} ({part}): undefined variable {_undefined_name(exc)}"
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise PermanentError(f"no default template named {default_name!r} ({part})") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise PermanentError(f"template {label} ({part}) line {exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            raise PermanentError(f"template {label} ({part}): {type(exc).__name__}") from exc
    return RenderedMessage(
        subject=" ".join(rendered["subject"].split()),  # one line: no header injection, no stray breaks
        html=rendered["html"],
        text=rendered["text"],
    )


def _undefined_name(exc: jinja2.UndefinedError) -> str:
    message = exc.message or ""
    for pattern in _UNDEFINED:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return message[:80]
