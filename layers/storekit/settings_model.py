"""Everything storeflow reads from its environment, as one validated pydantic-settings model.
Read it through storekit.settings.get_settings() (once, lazily), never by building one here."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: one sending domain (example.com, mail.shop.example.org)
_DOMAIN = r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
#: the packaged stack's SendingDomains parameter (AllowedPattern): empty, or domains joined by
#: commas without spaces (CloudFormation splits it on "," as it is)
SENDING_DOMAINS_PATTERN = rf"^$|^{_DOMAIN}(,{_DOMAIN})*$"


def parse_sending_domains(text: str) -> tuple[str, ...]:
    """The domains of a STOREFLOW_SENDING_DOMAINS value, lower-case, in order (spaces around the
    commas allowed; empty: none). The one reading of the setting: the settings model, the executor's
    check and the `chalice deploy` policy (infra.templates) all use it. ValueError names a bad one."""
    domains = tuple(d.strip().lower() for d in text.split(",") if d.strip())
    for domain in domains:
        if not re.fullmatch(_DOMAIN, domain):
            raise ValueError(
                f"{domain!r} is not a domain (comma-separated domains, e.g. example.com,shop.example.org)"
            )
    return domains


class Settings(BaseSettings):
    """Everything storeflow reads from its environment: STOREFLOW_<FIELD> unless an alias names
    the variable (empty values count as unset)."""

    model_config = SettingsConfigDict(
        env_prefix="STOREFLOW_",
        env_ignore_empty=True,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        defer_build=True,
    )

    stage: str = "dev"
    region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")
    table_name: str = Field(default="storeflow", validation_alias="STOREFLOW_TABLE")
    fallback_queue_url: str | None = None
    archive_bucket: str | None = None
    #: admin token: an SSM SecureString parameter name, or a Secrets Manager secret name
    admin_token_parameter: str | None = None
    admin_token_secret: str | None = None
    #: admin token given directly: only honoured in local mode
    admin_token: str | None = Field(default=None, repr=False)
    secrets_prefix: str = "storeflow"
    local_mode: bool = Field(default=False, validation_alias="STOREFLOW_LOCAL")
    raw_payload_ttl_days: int = Field(default=30, ge=1, le=3650, validation_alias="STOREFLOW_RAW_TTL_DAYS")
    #: the webhook body limit merchants rely on (413 above it): fixed, not read from the environment
    max_body_bytes: ClassVar[int] = 5 * 1024 * 1024
    store_cache_seconds: int = Field(default=60, ge=0)
    email_sender: str | None = None
    #: the domains message actions may send email from, comma-separated ("example.com,shop.example.org"):
    #: the deployed role may send From an address of these domains only (IAM `ses:FromAddress`,
    #: infra/templates.py), and a sender outside them fails with a configuration error before SES is
    #: called. Unset: not checked here (the local stack); a deployed stack without it cannot send email.
    sending_domains: str | None = None
    #: the API's public base URL (what `chalice deploy` prints as "Rest API URL"): signed links in
    #: messages (unsubscribe, tracking) point there. Local mode defaults to the local stack.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    #: the stream/queue event source mappings report batch item failures (FunctionResponseTypes
    #: ReportBatchItemFailures: the packaged stack and the local pollers). Plain `chalice deploy`
    #: cannot set that, so Lambda would ignore a partial answer and drop the failed records: without
    #: it a batch with a failure raises, Lambda retries it, and the record is parked after its tries.
    partial_batch_responses: bool = False

    @field_validator("sending_domains")
    @classmethod
    def _domains(cls, value: str | None) -> str | None:
        if value is not None and not parse_sending_domains(value):
            raise ValueError("no domain given (comma-separated domains, e.g. example.com,shop.example.org)")
        return value

    def sending_domain_list(self) -> tuple[str, ...] | None:
        """The sending domains, lower-case (None: not set, any sender passes here)."""
        if self.sending_domains is None:
            return None
        return parse_sending_domains(self.sending_domains)

    def secret_name(self, store_id: str) -> str:
        return f"{self.secrets_prefix}/{self.stage}/stores/{store_id}"

    def link_key_name(self) -> str:
        """The deployment's key for signed links (storekit.links), created when a store is saved."""
        return f"{self.secrets_prefix}/{self.stage}/link-key"


def field_named(location: object) -> str:
    """The settings field an error is about (an alias names its environment variable)."""
    for name, field in Settings.model_fields.items():
        if location in (name, field.validation_alias) or str(location).upper() == field.validation_alias:
            return name
    return str(location)
