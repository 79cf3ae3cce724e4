"""Message templates (Jinja2): HTML autoescaped, text and subject not; undefined variables are errors.

Defaults live next to this module in message_templates/<name>.{subject,html,text}.j2. A store's own
templates (an email MessageTemplate, an SMS text) replace the defaults. Store templates are
merchant input, so every template renders in ONE limited sandbox, the same when a template is
checked on save (with sample values) and when a message is rendered:

- Jinja2's sandbox: no attribute tricks reach Python;
- loops: at most MAX_LOOP_ITEMS iterations per render in all loops together, `range` at most
  MAX_RANGE items; `*` and `**` cannot build huge strings or numbers;
- output: at most MAX_OUTPUT characters; time: at most MAX_SECONDS per render.

A template that breaks a limit or fails in any way (a syntax error, an unknown variable, `1/0`)
is a TemplateProblem saying what is wrong, never quoting the template or the values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from storekit.errors import PermanentError
from storekit.messages import MessageTemplate, RenderedMessage

TEMPLATES: Final = Path(__file__).resolve().parent / "message_templates"
PARTS: Final = ("subject", "html", "text")
MAX_RANGE: Final = 1000
MAX_LOOP_ITEMS: Final = 10_000
MAX_OUTPUT: Final = 200_000
MAX_SECONDS: Final = 1.0
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
_UNDEFINED = (re.compile(r"'([^']+)' is undefined"), re.compile(r"has no attribute '([^']+)'"))
_LOOP_GUARD = "storeflow_loop_guard"


class TemplateProblem(ValueError):
    """A template that does not render within the limits; the message names what is wrong."""


class _Budget:
    """What one render may still spend (loop iterations, time)."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.loop_items = MAX_LOOP_ITEMS

    def tick(self, items: int = 0) -> None:
        self.loop_items -= items
        if self.loop_items < 0:
            raise TemplateProblem(f"loops run more than {MAX_LOOP_ITEMS} times in all")
        if time.monotonic() > self.deadline:
            raise TemplateProblem(f"takes longer than {MAX_SECONDS:g} s to render")


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _spend(items: int = 0) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick(items)


def _guarded_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend(1)
        yield item


def _limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateProblem(f"range() is limited to {MAX_RANGE} items")
    return numbers


class LimitedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox with the limits above (one class for checking and rendering)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, **options)
        self.globals["range"] = _limited_range
        self.globals[_LOOP_GUARD] = _guarded_loop
        for name in ("center", "indent", "wordwrap", "truncate"):
            self.filters[name] = _width_limited(self.filters[name])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every `{% for %}` iterates through the loop guard, which counts the items of all loops
        of one render together and checks the clock."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            guard = nodes.Call(nodes.Name(_LOOP_GUARD, "load"), [loop.iter], [], None, None)
            loop.iter = guard.set_lineno(loop.lineno).set_environment(self)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise TemplateProblem("exponents above 64 are not allowed")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_OUTPUT
                ):
                    raise TemplateProblem(f"output is limited to {MAX_OUTPUT} characters")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int) and result.bit_length() > 256:
            raise TemplateProblem("numbers that large are not allowed")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _spend()
        return super().call(__context, __obj, *args, **kwargs)


def _width_limited(base: Any) -> Any:
    def limited(*args: Any, **kwargs: Any) -> Any:
        numbers = [v for v in (*args[1:], *kwargs.values()) if isinstance(v, int) and not isinstance(v, bool)]
        if any(abs(n) > MAX_OUTPUT for n in numbers):
            raise TemplateProblem(f"output is limited to {MAX_OUTPUT} characters")
        return base(*args, **kwargs)

    for attribute in ("jinja_pass_arg",):
        if hasattr(base, attribute):
            setattr(limited, attribute, getattr(base, attribute))
    return limited


@lru_cache(maxsize=2)
def sandbox(html: bool) -> LimitedSandbox:
    """The one sandbox (per escaping mode: on for HTML; off for subjects and plain text on purpose)."""
    return LimitedSandbox(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=html)


@lru_cache(maxsize=128)
def _compiled(source: str, html: bool) -> jinja2.Template:
    return sandbox(html).from_string(source)


def render(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render under the limits; TemplateProblem (saying what is wrong) for any failure."""
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateProblem(f"output is limited to {MAX_OUTPUT} characters")
            budget.tick()
            out.append(chunk)
        return "".join(out)
    except TemplateProblem:
        raise
    except Exception as exc:
        raise TemplateProblem(describe(exc)) from None
    finally:
        _BUDGET.reset(token)


def render_source(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    """A store's template text rendered with `context` (TemplateProblem if it does not render)."""
    try:
        compiled = _compiled(source, html)
    except Exception as exc:
        raise TemplateProblem(describe(exc)) from None
    return render(compiled, context)


def check_source(source: str, sample: dict[str, Any], *, html: bool = False) -> None:
    """A store's template renders with the sample values under the limits; else TemplateProblem
    (an unknown variable names the known ones)."""
    try:
        render_source(source, sample, html=html)
    except TemplateProblem as exc:
        if str(exc).startswith("undefined variable"):
            raise TemplateProblem(f"{exc}; known: {', '.join(sorted(sample))}") from None
        raise


def check_message_template(template: MessageTemplate, sample: dict[str, Any]) -> None:
    """Every part of a store's email template renders with the sample values; TemplateProblem
    naming the part ("html: undefined variable nmae; known: ...")."""
    for part in PARTS:
        try:
            check_source(getattr(template, part), sample, html=part == "html")
        except TemplateProblem as exc:
            raise TemplateProblem(f"{part}: {exc}") from None


def describe(exc: BaseException) -> str:
    """What is wrong with a template, without quoting it: the one place template errors are worded."""
    if isinstance(exc, TemplateProblem):
        return str(exc)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"line {exc.lineno}: {exc.message}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined variable {_undefined_name(exc)}"
    if isinstance(exc, SecurityError):
        return "uses something the template sandbox does not allow"
    if isinstance(exc, jinja2.TemplateNotFound):
        return "no such default template"
    if isinstance(exc, RecursionError | MemoryError | OverflowError):
        return "is too big to render"
    return f"does not render ({type(exc).__name__})"


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
        try:
            if template is not None:
                rendered[part] = render_source(getattr(template, part), context, html=part == "html")
            else:
                try:
                    compiled = sandbox(part == "html").get_template(f"{default_name}.{part}.j2")
                except jinja2.TemplateNotFound as exc:
                    raise PermanentError(f"no default template named {default_name!r} ({part})") from exc
                rendered[part] = render(compiled, context)
        except TemplateProblem as exc:
            where = " " if str(exc).startswith("line ") else ": "  # "(html) line 3: ...", "(text): ..."
            raise PermanentError(f"template {label} ({part}){where}{exc}") from exc
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
