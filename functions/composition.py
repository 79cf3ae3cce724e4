"""The one place that assembles the automation registry (app.py installs it in the runtime).

Every package under functions/ that has a `domain.py` exporting `DOMAIN` (a storekit.automation
Domain) is part of the app: adding a domain, or an automation to one, touches only its folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from importlib.util import find_spec

import functions
from storekit.automation import Domain, Registry


def discovered_domains() -> tuple[Domain, ...]:
    """The DOMAIN of each functions/<package>/domain.py, in package name order."""
    domains: list[Domain] = []
    for package in sorted(m.name for m in pkgutil.iter_modules(functions.__path__) if m.ispkg):
        name = f"functions.{package}.domain"
        if find_spec(name) is None:
            continue
        domain = importlib.import_module(name).DOMAIN
        if not isinstance(domain, Domain):
            raise TypeError(f"{name}.DOMAIN is not a storekit.automation.Domain")
        domains.append(domain)
    return tuple(domains)


def build_registry(*extra: Domain) -> Registry:
    """A registry of the app's domains (and, for tests, extra ones of their own)."""
    return Registry((*discovered_domains(), *extra))


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The deployed registry, built on first use."""
    return build_registry()
