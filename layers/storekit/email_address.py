"""Email addresses in settings, checked by email-validator (the check pydantic's EmailStr makes).

pydantic's EmailStr costs ~35 ms of cold import (pydantic.networks and the email package) in every
Lambda that imports a settings model; this type checks the same way but imports email-validator only
when an address is validated (saving settings, deciding an action), never when `app` is imported.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def normalized_email(value: str) -> str:
    """The address as email-validator normalises it (domain lower-cased); ValueError if not one."""
    from email_validator import EmailNotValidError, validate_email  # deferred: see the module docstring

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from exc


EmailAddress = Annotated[str, AfterValidator(normalized_email)]
